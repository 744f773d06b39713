import { expect, it } from 'vitest'
import { ApiFailure, toProblem } from './api/errors'
import { useDecision, useReview, useRowAction } from './decision'

it('marks the row being decided, keeps a refusal, and clears it on the next decision', async () => {
  const d = useDecision<number>()
  let seen: number | undefined
  expect(await d.decide(7, async () => (seen = d.deciding.value))).toBe(true)
  expect(seen).toBe(7)
  expect(d.deciding.value).toBeUndefined()
  const refused = await d.decide(8, async () => {
    throw new ApiFailure(toProblem(409, { error: { code: 'wrong_state', message: 'already decided' } }))
  })
  expect(refused).toBe(false)
  expect(d.problem.value?.message).toBe('当前状态下不能进行此操作')
  expect(d.deciding.value).toBeUndefined()
  await d.decide(9, async () => undefined)
  expect(d.problem.value).toBeUndefined()
})

it('approves with a message and a reload, and rejects the row whose dialog was opened', async () => {
  const calls: string[] = []
  const r = useReview({
    approve: async (id) => calls.push(`approve ${id}`),
    reject: async (id, reason) => {
      if (reason === '') throw new ApiFailure(toProblem(422, { error: { code: 'invalid', message: 'reason is required' } }))
      calls.push(`reject ${id} ${reason}`)
    },
    approved: '已通过',
    rejected: '已驳回',
    reload: async () => calls.push('reload'),
    say: (m) => calls.push(m),
  })
  await r.approve(3)
  expect(r.rejectOpen.value).toBe(false)
  r.startReject(4)
  expect(r.rejectOpen.value).toBe(true)
  await expect(r.reject('')).rejects.toBeInstanceOf(ApiFailure)
  await r.reject('材料不全')
  r.rejectOpen.value = false
  expect(r.rejectOpen.value).toBe(false)
  expect(calls).toEqual(['approve 3', '已通过', 'reload', 'reject 4 材料不全', '已驳回', 'reload'])
})

it('opens a row action’s dialog on the row and action chosen', () => {
  const r = useRowAction<{ id: number }, 'confirm' | 'reject'>('confirm')
  expect([r.acting.value, r.action.value, r.current.value]).toEqual([false, 'confirm', undefined])
  r.start({ id: 5 }, 'reject')
  expect([r.acting.value, r.action.value, r.current.value]).toEqual([true, 'reject', { id: 5 }])
})
