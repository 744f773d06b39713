// The typed API client: paths and bodies come from schema.ts, generated from openapi.yaml
// (`npm run gen:api`; `npm run check:api` fails when they drift). The console's session is the
// HttpOnly cookie, so requests carry no token; unsafe methods echo the session's CSRF token.

import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { ApiFailure, toProblem } from './errors'

let csrfToken: string | null = null
let onExpired: (() => void) | null = null

/** Remembers the CSRF token from sign-in or `GET /api/v1/me`; `null` on sign-out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

/** Called when a signed-in request answers 401: the session ended (expired or signed out elsewhere). */
export function onSessionExpired(handler: () => void): void {
  onExpired = handler
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

const session: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method) && csrfToken) request.headers.set('x-csrf-token', csrfToken)
    return request
  },
  onResponse({ request, response }) {
    const signingIn = new URL(request.url).pathname.startsWith('/api/v1/sessions/browser')
    const asking = new URL(request.url).pathname === '/api/v1/me'
    if (response.status === 401 && !signingIn && !asking) onExpired?.()
    return response
  },
}

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'same-origin' })
api.use(session)

interface Answer<T> {
  data?: T
  error?: unknown
  response: Response
}

/** The body of a successful answer, or an `ApiFailure` with the problem in Chinese. */
export async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>
  try {
    answer = await call
  } catch {
    throw new ApiFailure(toProblem(0, undefined))
  }
  if (answer.response.ok) return answer.data as T
  throw new ApiFailure(toProblem(answer.response.status, answer.error, answer.response.headers.get('retry-after')))
}
