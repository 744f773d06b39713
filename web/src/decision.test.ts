import { expect, it } from 'vitest'
import { ApiFailure, toProblem } from './api/errors'
import { useDecision } from './decision'

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
