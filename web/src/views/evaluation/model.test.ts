import { expect, it } from 'vitest'
import { currentQuarter, indicatorTarget, indicatorValue, inputsText, isPeriod, periodChoices, periodLabel, weightProblem } from './model'

it('the current quarter is read in Shanghai time', () => {
  // 2026-12-31 17:00 UTC is already 2027-01-01 01:00 in Shanghai.
  expect(currentQuarter(new Date('2026-12-31T17:00:00Z'))).toBe('2027-Q1')
  expect(currentQuarter(new Date('2026-11-15T00:00:00Z'))).toBe('2026-Q4')
})

it('offers the last four quarters, three months and two years, all valid periods', () => {
  const choices = periodChoices(new Date('2027-02-10T00:00:00Z'))
  expect(choices.map((c) => c.value)).toEqual(['2027-Q1', '2026-Q4', '2026-Q3', '2026-Q2', '2027-02', '2027-01', '2026-12', '2027', '2026'])
  expect(choices.every((c) => isPeriod(c.value))).toBe(true)
  expect(isPeriod('2026-Q5')).toBe(false)
  expect(isPeriod('2026-13')).toBe(false)
})

it('says periods in Chinese', () => {
  expect(periodLabel('2026-Q4')).toBe('2026 年第 4 季度')
  expect(periodLabel('2026-03')).toBe('2026 年 3 月')
  expect(periodLabel('2026')).toBe('2026 年')
})

it('says when weights do not add up to 100', () => {
  expect(weightProblem([60, 40])).toBe('')
  expect(weightProblem([60, 30])).toBe('权重合计为 90，应为 100')
})

it('shows an indicator in its own unit, and no data as such', () => {
  expect(indicatorValue({ key: 'satisfaction', value: 0.6429, no_data: false, available: true })).toBe('64.29%')
  expect(indicatorValue({ key: 'response_hours', value: 68.571, no_data: false, available: true })).toBe('68.57 小时')
  expect(indicatorValue({ key: 'participation', value: 7, no_data: false, available: true })).toBe('7 人次')
  expect(indicatorValue({ key: 'completion', value: null, no_data: true, available: true })).toBe('暂无数据')
  expect(indicatorValue({ key: 'venue_use', value: null, available: false })).toBe('不可用')
  expect(indicatorTarget({ key: 'response_hours', target: 24, available: true }, 'station')).toBe('≤ 24 小时')
  expect(indicatorTarget({ key: 'team_activity', target: 0.8, available: true }, 'station')).toBe('80%')
  expect(inputsText({ attendances: 7 })).toBe('签到人次 7')
})
