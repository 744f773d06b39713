import { describe as group, expect, it } from 'vitest'
import { describe, fieldError, toProblem, waitText, zhDetail } from './errors'

group('toProblem', () => {
  it('puts a 422 beside the field it names, in Chinese', () => {
    const p = toProblem(422, { error: { code: 'invalid', message: 'name must be 1 to 60 characters', field: 'name' } })
    expect(p.fields).toEqual([{ field: 'name', message: 'name must be 1 to 60 characters' }])
    expect(p.message).toBe('名称填写有误：name must be 1 to 60 characters')
    expect(fieldError(p, 'name')).toBe('名称填写有误：name must be 1 to 60 characters')
    expect(fieldError(p, 'level')).toBe('')
  })

  it('reads every field of a whole-form refusal', () => {
    const p = toProblem(422, {
      error: { code: 'invalid', message: '2 fields', field: 'phone', fields: [{ field: 'phone', message: 'a' }, { field: 'password', message: 'b' }] },
    })
    expect(p.fields.map((f) => f.field)).toEqual(['phone', 'password'])
  })

  it('says how long a locked account waits', () => {
    const p = toProblem(429, { error: { code: 'throttled', message: 'locked' } }, '900')
    expect(p.retryAfter).toBe(900)
    expect(p.message).toBe('操作过于频繁，请在15 分钟后再试')
  })

  it('names a conflict by its code', () => {
    expect(toProblem(409, { error: { code: 'name_taken', message: 'x' } }).message).toBe('同一上级下已有同名的组织')
  })

  it('survives a body that is not the error shape', () => {
    expect(toProblem(502, 'Bad Gateway').message).toBe('服务器出错了，请稍后再试')
    expect(toProblem(0, undefined).code).toBe('network')
    expect(toProblem(404, null).code).toBe('not_found')
  })
})

group('waitText', () => {
  it('rounds up to minutes, keeps seconds under a minute', () => {
    expect(waitText(61)).toBe('2 分钟')
    expect(waitText(30)).toBe('30 秒')
    expect(describe({ code: 'throttled', fields: [], retryAfter: 0, status: 429 })).toBe('操作过于频繁，请稍后再试')
  })
})

it('zhDetail says the server validation phrases in Chinese and keeps the rest', () => {
  expect(zhDetail('must not be blank')).toBe('不能为空')
  expect(zhDetail('must be at most 200 characters')).toBe('最多 200 个字')
  expect(zhDetail('must be after opens_at')).toBe('截止时间应晚于开始时间')
  expect(zhDetail('something else')).toBe('something else')
})
