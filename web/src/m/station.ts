// The station a scanned code names (/m/order?station=<id>, /m/register?station=<id>): its public
// name from GET /api/v1/orgs/{id}/public, so a citizen sees where the order or registration goes
// before sending it, and an unknown or withdrawn code is refused before anything is filled in.

import { computed, reactive, watch } from 'vue'
import { useRoute } from 'vue-router'
import { api, ok } from '../api/client'
import { ApiFailure } from '../api/errors'
import type { components } from '../api/schema'

type PublicOrg = components['schemas']['PublicOrg']

/** The org id in a `station` query value: a positive whole number, else null. */
export function stationId(value: unknown): number | null {
  const n = Number(value)
  return typeof value === 'string' && /^\d+$/.test(value) && Number.isSafeInteger(n) && n > 0 ? n : null
}

/** What the page says about the station when it cannot be used. */
export const UNKNOWN_STATION = '没有找到这个服务站点：二维码无效或站点已停用，请重新扫描站点的二维码'

/** The scanned station: `id` (null without a code), `place` once read, `refused` for an unknown
 * or inactive one, `error` when the server could not be asked (with `load` to retry). */
export function useStation() {
  const route = useRoute()
  const id = computed(() => stationId(route.query.station))
  const state = reactive({ place: null as PublicOrg | null, loading: false, refused: '', error: '' })

  async function load(): Promise<void> {
    state.place = null
    state.refused = ''
    state.error = ''
    if (id.value === null) return
    state.loading = true
    try {
      state.place = await ok(api.GET('/api/v1/orgs/{id}/public', { params: { path: { id: id.value } } }))
    } catch (e) {
      if (e instanceof ApiFailure && e.problem.status === 404) state.refused = UNKNOWN_STATION
      else state.error = e instanceof ApiFailure ? `读取服务站点失败：${e.problem.message}` : '读取服务站点失败'
    } finally {
      state.loading = false
    }
  }

  watch(id, load, { immediate: true })
  return { id, state, load }
}

/** "城关镇新时代文明实践所 · 东街12号": the parent and the address, whichever are known. */
export function placeLine(place: PublicOrg): string {
  return [place.parent?.name, place.address].filter((s) => s).join(' · ')
}
