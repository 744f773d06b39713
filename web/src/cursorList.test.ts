import { describe, expect, it } from 'vitest'
import { fetchAllPages, useCursorList } from './cursorList'

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

  it('drops an older answer when a newer load started (a filter changed meanwhile)', async () => {
    const pending: ((page: { items: string[]; next_cursor: null }) => void)[] = []
    const list = useCursorList<string>(() => new Promise((resolve) => pending.push(resolve)))
    const first = list.load(false)
    const second = list.load(false)
    pending[1]!({ items: ['new filter'], next_cursor: null })
    await second
    expect(list.loading.value).toBe(false)
    pending[0]!({ items: ['old filter'], next_cursor: null })
    await first
    expect(list.items.value).toEqual(['new filter'])
    expect(list.loading.value).toBe(false)
  })

  it('fetchAllPages follows the cursor to the end, or stops at the cap', async () => {
    const pages: Record<string, { items: number[]; next_cursor: number | null }> = {
      start: { items: [1, 2], next_cursor: 2 },
      '2': { items: [3, 4], next_cursor: 4 },
      '4': { items: [5], next_cursor: null },
    }
    const fetchPage = async (cursor: number | undefined) => pages[cursor === undefined ? 'start' : String(cursor)]!
    expect(await fetchAllPages(fetchPage)).toEqual([1, 2, 3, 4, 5])
    expect(await fetchAllPages(fetchPage, 3)).toEqual([1, 2, 3, 4])
  })
})
