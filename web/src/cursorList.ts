import { ref, type Ref } from 'vue'
import { problemOf, type ApiProblem } from './api/errors'

/** One page of a keyset-paged list, as every list endpoint answers. */
export interface CursorPage<T> {
  items: T[]
  next_cursor?: number | null
}

/** A keyset-paged list's state and its one loader, so list pages do not each repeat it:
 * `load(false)` starts over, `load(true)` appends the page after `nextCursor`. A failure is kept
 * in `problem` (the page shows it in place of the table) and the rows already shown stay. */
export function useCursorList<T>(fetchPage: (cursor: number | undefined) => Promise<CursorPage<T>>) {
  const items = ref([]) as Ref<T[]>
  const nextCursor = ref<number | null>(null)
  const loading = ref(false)
  const problem = ref<ApiProblem>()

  async function load(more: boolean) {
    loading.value = true
    problem.value = undefined
    try {
      const page = await fetchPage(more && nextCursor.value !== null ? nextCursor.value : undefined)
      items.value = more ? [...items.value, ...page.items] : page.items
      nextCursor.value = page.next_cursor ?? null
    } catch (e) {
      problem.value = problemOf(e)
    } finally {
      loading.value = false
    }
  }

  return { items, nextCursor, loading, problem, load }
}
