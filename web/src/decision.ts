import { ref, type Ref } from 'vue'
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
