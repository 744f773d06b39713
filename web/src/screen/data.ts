// The screen's one read, typed from openapi.yaml, and the small formatting it needs. The screen
// sends no cookie: a screen link is the only credential, and it is read-only.
import createClient from 'openapi-fetch'
import type { components, paths } from '../api/schema'

export type Screen = components['schemas']['Screen']

const client = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'omit' })

/** What a read came to: the figures, a link that no longer works, or a failure to retry. */
export type Read = { kind: 'ok'; screen: Screen } | { kind: 'gone' } | { kind: 'failed'; message: string }

export async function readScreen(token: string): Promise<Read> {
  try {
    const { data, response } = await client.GET('/api/v1/screen/{token}', { params: { path: { token } } })
    if (data) return { kind: 'ok', screen: data }
    if (response.status === 404) return { kind: 'gone' }
    return { kind: 'failed', message: `服务器返回 ${response.status}` }
  } catch {
    return { kind: 'failed', message: '网络连接中断' }
  }
}

/** The token from `#<token>` (64 hex digits), or null. */
export function tokenFromHash(hash: string): string | null {
  const token = hash.replace(/^#/, '').trim().toLowerCase()
  return /^[0-9a-f]{64}$/.test(token) ? token : null
}

/** Minutes as whole hours, for people (the figure itself stays in minutes). */
export function hours(minutes: number): number {
  return Math.floor(minutes / 60)
}

/** A count with thousands separators, as Chinese screens show them. */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('zh-CN')
}

/** A rate's value with its unit, or 未填 (no denominator). */
export function rateText(value: number | null | undefined, unit: string): string {
  return value === null || value === undefined ? '—' : `${value}${unit}`
}

/** A heat class (0–4) for a value against the largest of its kind, for the schematic's tiles. */
export function heat(value: number, max: number): number {
  if (max <= 0 || value <= 0) return 0
  return Math.min(4, Math.ceil((value / max) * 4))
}
