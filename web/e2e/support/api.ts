// A journey's arrange steps and the other people in it (a volunteer's phone) talk to the real
// API over HTTP with bearer sessions, as a WeChat page or an app would; only what the console
// itself does goes through the browser.

export interface Answer<T = Record<string, unknown>> {
  status: number
  body: T
}

export class Caller {
  constructor(
    readonly url: string,
    readonly token?: string,
  ) {}

  /** A request; `now` (unix seconds) moves the server's clock when the product allows it. */
  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, now?: number): Promise<Answer<T>> {
    const headers: Record<string, string> = {}
    if (this.token) headers.authorization = `Bearer ${this.token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (now !== undefined) headers['x-wenming-now'] = String(now)
    const response = await fetch(`${this.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await response.text()
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T }
  }

  /** The same, failing the journey unless the answer is `expected`. */
  async must<T = Record<string, unknown>>(expected: number, method: string, path: string, body?: unknown, now?: number): Promise<T> {
    const answer = await this.call<T>(method, path, body, now)
    if (answer.status !== expected) throw new Error(`${method} ${path} → ${answer.status}, expected ${expected}: ${JSON.stringify(answer.body)}`)
    return answer.body
  }
}

/** A staff member's bearer session (phone and password). */
export async function staff(url: string, phone: string, password: string): Promise<Caller> {
  const session = await new Caller(url).must<{ token: string }>(201, 'POST', '/api/v1/sessions', { phone, password })
  return new Caller(url, session.token)
}

/** The newest sign-in code queued for `phone`, read from the outbox by `outboxReader` (the
 * embedded product has no SMS provider and shows codes to admins). */
export async function latestSignInCode(outboxReader: Caller, phone: string): Promise<string> {
  const outbox = await outboxReader.must<{ items: { template: string; recipient: string; params: unknown }[] }>(
    200,
    'GET',
    `/api/v1/outbox?recipient=${phone}&limit=100`,
  )
  const message = outbox.items.filter((m) => m.template === 'sign-in-code' && m.recipient === phone).at(-1)
  if (!message) throw new Error(`no sign-in code for ${phone} in the outbox`)
  const params = (typeof message.params === 'string' ? JSON.parse(message.params) : message.params) as { code: string | number }
  return String(params.code)
}

/** A volunteer's or citizen's bearer session by SMS code (see `latestSignInCode`). */
export async function bySmsCode(url: string, outboxReader: Caller, phone: string): Promise<Caller> {
  await new Caller(url).must(202, 'POST', '/api/v1/sms-codes', { phone })
  const code = await latestSignInCode(outboxReader, phone)
  const session = await new Caller(url).must<{ token: string }>(201, 'POST', '/api/v1/sessions', { phone, code })
  return new Caller(url, session.token)
}

/** A valid 18-character resident ID (GB 11643: ISO 7064 MOD 11-2 check character). */
export function residentId(area: string, birth: string, seq: number, male: boolean): string {
  const order = seq * 10 + (male ? 1 : 2)
  const body = `${area}${birth}${String(order).padStart(3, '0').slice(-3)}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0)
  return body + '10X98765432'[sum % 11]!
}

/** A bearer client that throws unless the answer is a success: the shape the dispatch, survey
 * and reward journeys arrange with. Built on `Caller`, so both kinds of journey share one way of
 * talking to the API. */
export interface Api {
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>
}

/** Signs in by phone and password (`POST /api/v1/sessions`) and returns such a client. */
export async function apiAs(url: string, phone: string, password: string): Promise<Api> {
  const caller = await staff(url, phone, password)
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const answer = await caller.call<T>(method, path, body)
      if (answer.status < 200 || answer.status > 299) {
        throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`)
      }
      return answer.body
    },
  }
}
