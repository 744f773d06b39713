// Ratings of activities and projects (群众评单) in the person's words: what each refusal of
// POST /api/v1/ratings means and which field it belongs beside. The four levels' names are the
// orders' (orderText.ts), one vocabulary for both kinds of 评单.

import type { ApiProblem } from '../api/errors'
import { formatTime } from '../format'
import type { Refusal } from './explain'

export const SUBJECT_TEXT = { activity: '活动', project: '志愿服务项目' } as const

/** Why a rating was refused, in Chinese, with the field it concerns (`level` for the rating
 * itself: already rated, not started). */
export function ratingRefusal(problem: ApiProblem, subject: 'activity' | 'project'): Refusal {
  const what = SUBJECT_TEXT[subject]
  switch (problem.code) {
    case 'already_rated':
      return { text: `您已评价过这个${what}，每人只能评价一次`, field: 'level' }
    case 'not_started':
      return { text: `这个${what}还没有开始，开始后才能评价`, field: 'level' }
    case 'not_participant':
      return { text: `没有您参加这个${what}的记录，不能以参与者身份评价` }
    case 'read_only':
      return { text: '审核人员只能查看评价，不能评价' }
  }
  const field = problem.fields[0]
  if (field) return { text: field.message, field: field.field }
  return { text: problem.status === 0 ? '无法连接服务器，请检查网络后重试' : problem.message || '提交失败，请重试' }
}

/** The Shanghai calendar day (`YYYY-MM-DD`) of an RFC 3339 time. */
function shanghaiDay(time: string): string {
  return new Date(Date.parse(time) + 8 * 3_600_000).toISOString().slice(0, 10)
}

/** When a subject runs, as people say it: an activity's times; a project's first and last days
 * (the API's `ends_at` is the midnight after the last day). */
export function spanText(item: { subject: 'activity' | 'project'; starts_at: string; ends_at: string }): string {
  if (item.subject === 'activity') return `${formatTime(item.starts_at)} 至 ${formatTime(item.ends_at)}`
  const last = new Date(Date.parse(item.ends_at) - 1000).toISOString()
  return `${shanghaiDay(item.starts_at)} 至 ${shanghaiDay(last)}`
}

/** When it started: an activity's time, a project's first day. */
export function startText(item: { subject: 'activity' | 'project'; starts_at: string }): string {
  return item.subject === 'activity' ? formatTime(item.starts_at) : shanghaiDay(item.starts_at)
}
