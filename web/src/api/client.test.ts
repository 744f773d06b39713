import { beforeEach, describe, expect, it, vi } from 'vitest'

// The client captures fetch when it is made, so the stub goes in before the module loads.
const seen: Request[] = []
let status = 200
vi.stubGlobal('fetch', async (input: Request) => {
  seen.push(input)
  const body = status === 200 ? '{"items":[],"next_cursor":null}' : '{"error":{"code":"unauthenticated","message":"sign in first"}}'
  return new Response(body, { status, headers: { 'content-type': 'application/json' } })
})
const { api, ok, onSessionExpired, setCsrfToken } = await import('./client')
const { ApiFailure } = await import('./errors')

beforeEach(() => {
  seen.length = 0
  status = 200
})

describe('the API client', () => {
  it('echoes the CSRF token on unsafe methods only', async () => {
    setCsrfToken('token-1')
    await api.POST('/api/v1/orgs', { body: { parent_id: 1, name: '城关镇', level: 'institute' } })
    await api.GET('/api/v1/orgs')
    expect(seen.map((r) => [r.method, r.headers.get('x-csrf-token')])).toEqual([
      ['POST', 'token-1'],
      ['GET', null],
    ])
  })

  it('reports an ended session once a signed-in request answers 401, but not for the who-am-I check', async () => {
    const expired = vi.fn()
    onSessionExpired(expired)
    status = 401
    await api.GET('/api/v1/me')
    expect(expired).not.toHaveBeenCalled()
    await expect(ok(api.GET('/api/v1/orgs'))).rejects.toBeInstanceOf(ApiFailure)
    expect(expired).toHaveBeenCalledTimes(1)
  })

  it('turns a refusal into a problem with a Chinese message', async () => {
    status = 401
    const failure = await ok(api.GET('/api/v1/orgs')).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(ApiFailure)
    expect((failure as InstanceType<typeof ApiFailure>).problem).toMatchObject({ status: 401, code: 'unauthenticated', message: '登录已失效，请重新登录' })
  })
})
