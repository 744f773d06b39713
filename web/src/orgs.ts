// The org tree as the signed-in staff member may see it (组织架构 and every form that picks an org).

import { ref } from 'vue'
import { api, ok } from './api/client'
import { ApiFailure, problemOf, type ApiProblem } from './api/errors'
import type { components } from './api/schema'
import { session } from './session'

export type OrgNode = components['schemas']['OrgTreeNode']

export function find(nodes: OrgNode[], id: number | undefined): OrgNode | undefined {
  for (const n of nodes) {
    if (n.id === id) return n
    const inner = find(n.children, id)
    if (inner) return inner
  }
  return undefined
}

/** The caller's subtree; someone with roles in several places gets one tree per place. */
export async function fetchRoots(): Promise<OrgNode[]> {
  try {
    return [await ok(api.GET('/api/v1/orgs/tree'))]
  } catch (e) {
    if (!(e instanceof ApiFailure) || e.problem.status !== 422) throw e
    const ids = [...new Set((session.me?.roles ?? []).map((g) => g.org_id))]
    const trees = await Promise.all(ids.map((id) => ok(api.GET('/api/v1/orgs/tree', { params: { query: { under: id } } }))))
    // A place inside another one the caller also holds is already in that tree.
    return trees.filter((t) => !trees.some((other) => other !== t && find(other.children, t.id)))
  }
}

/** The caller's org tree for a form's or filter's org picker: loaded by the first `ensure()` (a
 * dialog calls it when it opens), kept afterwards; a failure is kept in `problem` for the form
 * to say, and the next `ensure()` tries again. */
export function useOrgTree() {
  const orgs = ref<OrgNode[]>([])
  const loading = ref(false)
  const problem = ref<ApiProblem>()

  async function ensure(): Promise<void> {
    if (orgs.value.length > 0 || loading.value) return
    loading.value = true
    problem.value = undefined
    try {
      orgs.value = await fetchRoots()
    } catch (e) {
      problem.value = problemOf(e)
    } finally {
      loading.value = false
    }
  }

  return { orgs, loading, problem, ensure }
}
