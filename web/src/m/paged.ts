// A phone list read page by page ("加载更多"), in one place for every such page: the first
// page's failure replaces the list (PageState shows it with 重试), a later page's failure is said
// under the rows, which stay.

import { ref, type Ref } from 'vue'
import { ApiFailure } from '../api/errors'

/** One page as the list endpoints answer: the rows and the cursor of the next page, if any. */
export interface Page<T, C> {
  items: T[]
  next_cursor?: C | null
}

/** `fetchPage(null)` answers the first page, `fetchPage(cursor)` the one after it. `firstError`
 * words a failure of the first page (default: the server's message). */
export function usePagedList<T, C extends number | string>(
  fetchPage: (cursor: C | null) => Promise<Page<T, C>>,
  firstError: (e: ApiFailure) => string = (e) => e.problem.message,
) {
  const items = ref([]) as Ref<T[]>
  const next = ref(null) as Ref<C | null>
  const loading = ref(true)
  const more = ref(false)
  const error = ref('')
  const moreError = ref('')

  async function load(): Promise<void> {
    loading.value = true
    error.value = ''
    moreError.value = ''
    try {
      const page = await fetchPage(null)
      items.value = page.items
      next.value = page.next_cursor ?? null
    } catch (e) {
      error.value = e instanceof ApiFailure ? firstError(e) : '加载失败'
    } finally {
      loading.value = false
    }
  }

  async function loadMore(): Promise<void> {
    if (next.value === null) return
    more.value = true
    moreError.value = ''
    try {
      const page = await fetchPage(next.value)
      items.value = [...items.value, ...page.items]
      next.value = page.next_cursor ?? null
    } catch (e) {
      moreError.value = e instanceof ApiFailure ? e.problem.message : '加载失败，请重试'
    } finally {
      more.value = false
    }
  }

  return { items, next, loading, more, error, moreError, load, loadMore }
}
