import { describe, expect, test } from 'vitest'
import { ApiFailure } from '../api/errors'
import { usePagedList } from './paged'

const failure = (message: string) => new ApiFailure({ status: 503, code: 'busy', detail: 'busy', message, fields: [] })

describe('a phone list read page by page', () => {
  test('pages append in order and the last page ends "more"', async () => {
    const pages: Record<string, { items: number[]; next_cursor: number | null }> = {
      first: { items: [1, 2], next_cursor: 2 },
      '2': { items: [3], next_cursor: null },
    }
    const list = usePagedList<number, number>(async (cursor) => pages[cursor === null ? 'first' : String(cursor)]!)
    await list.load()
    expect([list.items.value, list.next.value, list.loading.value]).toEqual([[1, 2], 2, false])
    await list.loadMore()
    expect([list.items.value, list.next.value]).toEqual([[1, 2, 3], null])
  })

  test('a failed first page replaces the list; a failed later page is said under the rows, which stay', async () => {
    let fail = true
    const list = usePagedList<number, string>(async (cursor) => {
      if (fail) throw failure(cursor === null ? '服务繁忙' : '下一页失败')
      return { items: [7], next_cursor: 'b' }
    })
    await list.load()
    expect([list.error.value, list.items.value]).toEqual(['服务繁忙', []])
    fail = false
    await list.load()
    expect([list.error.value, list.items.value]).toEqual(['', [7]])
    fail = true
    await list.loadMore()
    expect([list.error.value, list.moreError.value, list.items.value]).toEqual(['', '下一页失败', [7]])
  })

  test('the first page’s failure may be worded by the page; anything not from the API is 加载失败', async () => {
    const list = usePagedList<number, number>(
      async () => {
        throw failure('x')
      },
      () => '搜索的内容太长',
    )
    await list.load()
    expect(list.error.value).toBe('搜索的内容太长')
    const broken = usePagedList<number, number>(async () => {
      throw new TypeError('network')
    })
    await broken.load()
    expect(broken.error.value).toBe('加载失败')
  })
})
