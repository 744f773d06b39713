import { describe, expect, it } from 'vitest'
import type { ApiProblem } from '../api/errors'
import { ratingRefusal } from './ratingText'

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
