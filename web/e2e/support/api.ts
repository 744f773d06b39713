// Arranging a journey through the API, as a script or another client would: bearer sessions and
// JSON requests against the product under test. What the journey then does, it does in the page.

export interface Api {
  /** The answer's JSON; throws with the status and body when it is not a success. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>
}

/** Signs in by phone and password (`POST /api/v1/sessions`) and returns a client with that token. */
export async function apiAs(url: string, phone: string, password: string): Promise<Api> {
  const signedIn = await fetch(`${url}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone, password }),
  })
  if (!signedIn.ok) throw new Error(`sign-in as ${phone}: ${signedIn.status} ${await signedIn.text()}`)
  const { token } = (await signedIn.json()) as { token: string }
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` }
      if (body !== undefined) headers['content-type'] = 'application/json'
      const init: RequestInit = { method, headers }
      if (body !== undefined) init.body = JSON.stringify(body)
      const answer = await fetch(`${url}${path}`, init)
      const text = await answer.text()
      if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`)
      return (text ? JSON.parse(text) : {}) as T
    },
  }
}
