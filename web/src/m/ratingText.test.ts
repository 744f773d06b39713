import { describe, expect, it } from 'vitest'
import type { ApiProblem } from '../api/errors'
import { ratingRefusal, spanText, startText } from './ratingText'

const problem = (status: number, code: string, fields: ApiProblem['fields'] = []): ApiProblem => ({
  status,
  code,
  detail: '',
  message: '操作未成功',
  fields,
})

describe('ratingRefusal', () => {
  it('puts already rated and not started beside the level', () => {
    expect(ratingRefusal(problem(409, 'already_rated'), 'activity')).toEqual({ text: '您已评价过这个活动，每人只能评价一次', field: 'level' })
    expect(ratingRefusal(problem(409, 'not_started'), 'project')).toEqual({ text: '这个志愿服务项目还没有开始，开始后才能评价', field: 'level' })
  })

  it('says a refusal of the person for the whole form, and a field problem beside its field', () => {
    expect(ratingRefusal(problem(403, 'not_participant'), 'activity').field).toBeUndefined()
    expect(ratingRefusal(problem(422, 'invalid', [{ field: 'comment', message: '评价内容过长' }]), 'activity')).toEqual({ text: '评价内容过长', field: 'comment' })
    expect(ratingRefusal(problem(0, 'network'), 'activity').text).toBe('无法连接服务器，请检查网络后重试')
  })
})

describe('spanText', () => {
  it('gives an activity its times and a project its first and last days', () => {
    expect(spanText({ subject: 'activity', starts_at: '2026-12-06T16:30:00+08:00', ends_at: '2026-12-06T20:30:00+08:00' })).toBe('2026-12-06 16:30 至 2026-12-06 20:30')
    expect(spanText({ subject: 'project', starts_at: '2026-01-01T00:00:00+08:00', ends_at: '2027-01-01T00:00:00+08:00' })).toBe('2026-01-01 至 2026-12-31')
    expect(startText({ subject: 'project', starts_at: '2026-01-01T00:00:00+08:00' })).toBe('2026-01-01')
  })
})
