// ECharts options built from survey results (one option object per chart, `dataset` for the data).

import type { components } from '../../api/schema'

type Result = components['schemas']['SurveyQuestionResult']

const BAR = { type: 'bar', itemStyle: { color: '#c0392b' }, label: { show: true, position: 'right' } }

/** Horizontal bars of `[name, value]` rows; `measure` names the value (人数, 指数…), `max` the axis's end. */
export function barOption(rows: [string, number][], measure = '人数', max?: number): Record<string, unknown> {
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
    dataset: { source: [['名称', measure], ...rows] },
    xAxis: { type: 'value', minInterval: 1, ...(max === undefined ? {} : { max }) },
    yAxis: { type: 'category', inverse: true },
    series: [BAR],
  }
}

/** The chart a question's result has, or null (texts, numbers, dates and matrices are tables). */
export function questionOption(q: Result): Record<string, unknown> | null {
  if (q.options) return barOption(q.options.map((o) => [o.label, o.count]))
  if (q.distribution) return barOption(q.distribution.map((d) => [`${d.value} 分`, d.count]))
  return null
}
