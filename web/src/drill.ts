// Drill-down (明细) from the home page's statistics to the console lists behind each number: the
// links the home page makes, and what a list page reads back from its address. A link only names
// filters the list's API applies exactly as the statistic counts (docs/dashboard-api.md), so the
// rows a number opens are the rows it counted.

import type { LocationQuery, RouteLocationRaw } from 'vue-router'

/** A statistics period: whole days in Asia/Shanghai, both ends included (`YYYY-MM-DD`). */
export interface Period {
  from: string
  to: string
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/** The start of `day` in Asia/Shanghai as the API's time format. */
export function dayStart(day: string): string {
  return `${day}T00:00:00+08:00`
}

/** The day after `day` (`YYYY-MM-DD`). */
export function nextDay(day: string): string {
  const m = DAY.exec(day)
  if (!m) throw new Error(`not a day: ${day}`)
  const next = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1))
  return next.toISOString().slice(0, 10)
}

/** A positive id from the address's query, or undefined (absent or malformed: no filter). */
export function queryId(query: LocationQuery, name: string): number | undefined {
  const v = query[name]
  return typeof v === 'string' && /^[1-9]\d{0,14}$/.test(v) ? Number(v) : undefined
}

/** A real calendar day from the query, or undefined. */
export function queryDay(query: LocationQuery, name: string): string | undefined {
  const v = query[name]
  if (typeof v !== 'string' || !DAY.test(v)) return undefined
  const at = new Date(`${v}T00:00:00Z`)
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === v ? v : undefined
}

/** The period of a drill-down address (`from` and `to`, both valid, `to` not before `from`). */
export function queryPeriod(query: LocationQuery): Period | undefined {
  const from = queryDay(query, 'from')
  const to = queryDay(query, 'to')
  return from && to && from <= to ? { from, to } : undefined
}

/** Activities *starting* in the period, as the statistics count them: `[started_from, to)`. */
export function startedIn(period: Period): { started_from: string; to: string } {
  return { started_from: dayStart(period.from), to: dayStart(nextDay(period.to)) }
}

/** The 四单 stages, as `GET /api/v1/dispatch/orders?stage=` and the funnel name them. */
export const STAGES = ['ordered', 'dispatched', 'accepted', 'completed', 'rated', 'satisfied'] as const
export type Stage = (typeof STAGES)[number]

/** What an order in each stage has done, for the list's heading. */
export const STAGE_TEXT: Record<Stage, string> = {
  ordered: '不限进度',
  dispatched: '已派单（含抢单）',
  accepted: '已接单',
  completed: '已完成',
  rated: '已评单',
  satisfied: '评为满意或非常满意',
}

/** The stage of a drill-down address; `ordered` (every order) when absent or unknown. */
export function queryStage(query: LocationQuery): Stage {
  const v = query.stage
  return STAGES.find((s) => s === v) ?? 'ordered'
}

/** The list behind each home-page figure of `org` over `period`. */
export function drillLinks(org: number, period: Period) {
  const o = String(org)
  return {
    volunteers: { path: '/volunteers', query: { org: o } },
    teams: { path: '/teams', query: { org: o, active: '1' } },
    organisations: { path: '/organisations', query: { org: o, status: 'approved' } },
    activities: { path: '/activities', query: { org: o, status: 'approved', from: period.from, to: period.to } },
    orders: (stage: Stage) => ({ path: '/orders', query: { org: o, from: period.from, to: period.to, stage } }),
    home: (child: number) => ({ path: '/', query: { org: String(child) } }) satisfies RouteLocationRaw,
  }
}
