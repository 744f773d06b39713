// 成效评估 in the console: the names the pages show and the little arithmetic they need before
// the server answers (which periods to offer, whether a scheme's weights add up). The totals,
// results and index themselves are always the server's: the console never recomputes them.

import type { components } from '../../api/schema'

export type Scheme = components['schemas']['EvaluationScheme']
export type SchemeItem = components['schemas']['SchemeItem']
export type Indicator = components['schemas']['Indicator']

export const KIND_NAMES: Record<string, string> = { work: '工作评估', thematic: '专项测评' }
export const TARGET_NAMES: Record<string, string> = { institute: '实践所', station: '实践站' }
export const GRADE_NAMES: Record<string, string> = { satisfied: '满意', basically_satisfied: '基本满意', dissatisfied: '不满意' }

/** The rater groups a thematic scheme usually has (the keys are the scheme's own). */
export const GROUP_PRESETS: { key: string; title: string }[] = [
  { key: 'party_rep', title: '党代表' },
  { key: 'npc_deputy', title: '人大代表' },
  { key: 'cppcc_member', title: '政协委员' },
  { key: 'citizen', title: '群众' },
]

/** The indicators' names (`GET /api/v1/evaluation/index`; the server's titles carry English too). */
export const INDICATOR_NAMES: Record<string, string> = {
  participation: '活动参与',
  team_activity: '队伍活跃度',
  satisfaction: '群众满意度',
  response_hours: '需求响应',
  completion: '办结率',
  venue_use: '阵地使用',
}

/** The indicators' raw inputs in words. */
export const INPUT_NAMES: Record<string, string> = {
  attendances: '签到人次',
  teams: '队伍数',
  active_teams: '活跃队伍',
  orders_rated: '已评诉求',
  orders_good: '满意诉求',
  ratings: '评价数',
  ratings_good: '满意评价',
  accepted_orders: '已接单诉求',
  response_seconds: '响应总秒数',
  orders: '诉求数',
  orders_done: '已办结',
}

const PERIOD = /^2\d{3}(-(0[1-9]|1[0-2])|-Q[1-4])?$/

export function isPeriod(text: string): boolean {
  return PERIOD.test(text)
}

/** Shanghai's calendar year and month (1–12) at `now`. */
function shanghaiMonth(now: Date): { year: number; month: number } {
  const shifted = new Date(now.getTime() + 8 * 3600 * 1000)
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1 }
}

/** The quarter `now` falls in, in Shanghai: `2026-Q4`. */
export function currentQuarter(now: Date): string {
  const { year, month } = shanghaiMonth(now)
  return `${year}-Q${Math.ceil(month / 3)}`
}

/** Periods to pick from: this quarter and the three before it, this month and the two before
 * it, this year and last year (anything else can be typed). */
export function periodChoices(now: Date): { value: string; label: string }[] {
  const { year, month } = shanghaiMonth(now)
  const out: { value: string; label: string }[] = []
  let q = Math.ceil(month / 3)
  let qy = year
  for (let i = 0; i < 4; i++) {
    out.push({ value: `${qy}-Q${q}`, label: `${qy} 年第 ${q} 季度` })
    q -= 1
    if (q === 0) {
      q = 4
      qy -= 1
    }
  }
  let m = month
  let my = year
  for (let i = 0; i < 3; i++) {
    out.push({ value: `${my}-${String(m).padStart(2, '0')}`, label: `${my} 年 ${m} 月` })
    m -= 1
    if (m === 0) {
      m = 12
      my -= 1
    }
  }
  out.push({ value: String(year), label: `${year} 年` }, { value: String(year - 1), label: `${year - 1} 年` })
  return out
}

/** "2026-Q4" → "2026 年第 4 季度" (as typed otherwise). */
export function periodLabel(period: string): string {
  let m = /^(\d{4})-Q([1-4])$/.exec(period)
  if (m) return `${m[1]} 年第 ${m[2]} 季度`
  m = /^(\d{4})-(\d{2})$/.exec(period)
  if (m) return `${m[1]} 年 ${Number(m[2])} 月`
  return /^\d{4}$/.test(period) ? `${period} 年` : period
}

/** The weights' sum, and the sentence shown under the list when it is not 100 (the server
 * refuses it too; saying so before sending saves a round trip). */
export function weightProblem(weights: readonly number[]): string {
  const sum = weights.reduce((a, w) => a + (Number.isFinite(w) ? w : 0), 0)
  return sum === 100 ? '' : `权重合计为 ${sum}，应为 100`
}

/** A number as the pages show scores: two decimals at most, "—" when there is none. */
export function score(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—'
  return String(Math.round(value * 100) / 100)
}

/** An indicator's value in its own unit: shares as percentages, hours as hours, counts as is. */
export function indicatorValue(ind: Pick<Indicator, 'key' | 'value' | 'no_data' | 'available'>): string {
  if (!ind.available) return '不可用'
  if (ind.no_data || ind.value === null || ind.value === undefined) return '暂无数据'
  if (ind.key === 'participation') return `${ind.value} 人次`
  if (ind.key === 'response_hours') return `${score(ind.value)} 小时`
  return `${score(ind.value * 100)}%`
}

/** An indicator's target for an org of `level` (participation has one per level). */
export function indicatorTarget(ind: Pick<Indicator, 'key' | 'target' | 'available'>, level: string): string {
  if (!ind.available || ind.target === undefined || ind.target === null) return '—'
  if (typeof ind.target === 'object') {
    const perLevel = (ind.target as Record<string, number>)[level]
    return perLevel === undefined ? '—' : `${perLevel} 人次`
  }
  if (typeof ind.target !== 'number') return String(ind.target)
  if (ind.key === 'participation') return `${ind.target} 人次`
  if (ind.key === 'response_hours') return `≤ ${ind.target} 小时`
  return `${score(ind.target * 100)}%`
}

/** The raw inputs in words: "签到人次 12，…". */
export function inputsText(inputs: Record<string, number> | undefined): string {
  if (!inputs || Object.keys(inputs).length === 0) return '—'
  return Object.entries(inputs)
    .map(([k, v]) => `${INPUT_NAMES[k] ?? k} ${v}`)
    .join('，')
}
