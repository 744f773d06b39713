import { ref, type Ref } from 'vue'
import { problemOf, type ApiProblem } from './api/errors'

/** One page of a keyset-paged list, as every list endpoint answers. */
export interface CursorPage<T> {
  items: T[]
  next_cursor?: number | null
}

/** A keyset-paged list's state and its one loader, so list pages do not each repeat it:
 * `load(false)` starts over, `load(true)` appends the page after `nextCursor`. A failure is kept
 * in `problem` (the page shows it in place of the table) and the rows already shown stay. Only
 * the latest `load` counts: when a filter changes while a page is on its way, the older answer is
 * dropped rather than shown under the new filter. */
export function useCursorList<T>(fetchPage: (cursor: number | undefined) => Promise<CursorPage<T>>) {
  const items = ref([]) as Ref<T[]>
  const nextCursor = ref<number | null>(null)
  const loading = ref(false)
  const problem = ref<ApiProblem>()
  let latest = 0

  async function load(more: boolean) {
    const mine = ++latest
    loading.value = true
    problem.value = undefined
    try {
      const page = await fetchPage(more && nextCursor.value !== null ? nextCursor.value : undefined)
      if (mine !== latest) return
      items.value = more ? [...items.value, ...page.items] : page.items
      nextCursor.value = page.next_cursor ?? null
    } catch (e) {
      if (mine === latest) problem.value = problemOf(e)
    } finally {
      if (mine === latest) loading.value = false
    }
  }

  return { items, nextCursor, loading, problem, load }
}

/** Every row of a keyset-paged list, page by page, for a picker that needs them all at once (a
 * leader's teams, the accounts a handler is chosen from); stops after `max` rows. */
export async function fetchAllPages<T>(fetchPage: (cursor: number | undefined) => Promise<CursorPage<T>>, max = 2000): Promise<T[]> {
  const all: T[] = []
  let cursor: number | undefined
  do {
    const page = await fetchPage(cursor)
    all.push(...page.items)
    cursor = page.next_cursor ?? undefined
  } while (cursor !== undefined && all.length < max)
  return all
}
