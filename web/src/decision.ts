import { computed, ref, type Ref } from 'vue'
import { problemOf, type ApiProblem } from './api/errors'

/** A row's one-click decision (通过, 同意, 拒绝) as every review list has it: which row is being
 * decided (its button spins), and the server's refusal, shown above the list until the next
 * decision. `decide` resolves whether it succeeded; a refusal is kept, never thrown. */
export function useDecision<K = number>() {
  const deciding = ref<K>() as Ref<K | undefined>
  const problem = ref<ApiProblem>()

  async function decide(key: K, act: () => Promise<unknown>): Promise<boolean> {
    deciding.value = key
    problem.value = undefined
    try {
      await act()
      return true
    } catch (e) {
      problem.value = problemOf(e)
      return false
    } finally {
      deciding.value = undefined
    }
  }

  return { deciding, problem, decide }
}

/** What a review list (自主申报, 组织入驻) does with a row: the two calls, what is said after each,
 * and how the list is reloaded. */
export interface Review {
  approve: (id: number) => Promise<unknown>
  reject: (id: number, reason: string) => Promise<unknown>
  approved: string
  rejected: string
  reload: () => Promise<unknown>
  /** Tells the reader a decision went through (the pages pass ElMessage.success). */
  say: (message: string) => void
}

/** A review list's approve button and reject dialog over [`useDecision`]: `approve(id)` keeps a
 * refusal in `problem`; `startReject(id)` opens the dialog (`rejectOpen`), whose `reject(reason)`
 * throws a refusal for the dialog to show beside the reason. Either reloads the list when done. */
export function useReview(review: Review) {
  const { deciding, problem, decide } = useDecision()
  const rejecting = ref<number>()
  const rejectOpen = computed({
    get: () => rejecting.value !== undefined,
    set: (open: boolean) => (rejecting.value = open ? rejecting.value : undefined),
  })

  async function approve(id: number): Promise<void> {
    if (await decide(id, () => review.approve(id))) {
      review.say(review.approved)
      await review.reload()
    }
  }

  function startReject(id: number): void {
    rejecting.value = id
  }

  async function reject(reason: string): Promise<void> {
    const id = rejecting.value
    if (id === undefined) return
    await review.reject(id, reason)
    review.say(review.rejected)
    await review.reload()
  }

  return { deciding, problem, rejectOpen, approve, startReject, reject }
}

/** A row action that opens a dialog asking for a note or reason (星级 确认/不予通过, 荣誉 通过/不通过):
 * the row and the action chosen, and whether the dialog is open. The page's dialog sends the
 * decision with `current` and `action`. */
export function useRowAction<T, A extends string>(first: A) {
  const acting = ref(false)
  const action = ref(first) as Ref<A>
  const current = ref<T>() as Ref<T | undefined>

  function start(row: T, chosen: A): void {
    current.value = row
    action.value = chosen
    acting.value = true
  }

  return { acting, action, current, start }
}
