import { describe, expect, it } from 'vitest'
import { useCursorList } from './cursorList'

describe('useCursorList', () => {
  it('starts over, appends the next page by its cursor, and keeps rows when a page fails', async () => {
    const asked: (number | undefined)[] = []
    let fail = false
    const list = useCursorList<number>(async (cursor) => {
      asked.push(cursor)
      if (fail) throw new Error('network down')
      return cursor === undefined ? { items: [1, 2], next_cursor: 2 } : { items: [3], next_cursor: null }
    })
    await list.load(false)
    expect(list.items.value).toEqual([1, 2])
    expect(list.nextCursor.value).toBe(2)
    await list.load(true)
    expect(list.items.value).toEqual([1, 2, 3])
    expect(list.nextCursor.value).toBeNull()
    expect(asked).toEqual([undefined, 2])
    fail = true
    await list.load(false)
    expect(list.problem.value?.detail).toContain('network down')
    expect(list.items.value).toEqual([1, 2, 3])
    expect(list.loading.value).toBe(false)
  })
})
