// The signed-in staff member, as the whole console sees it. The session itself is the HttpOnly
// cookie (invisible here); this holds who it belongs to, what they may do, and the CSRF token.

import { reactive } from 'vue'
import { api, ok, setCsrfToken } from './api/client'
import { ApiFailure } from './api/errors'
import type { components } from './api/schema'

export type Me = components['schemas']['Me']

export const session = reactive({
  me: null as Me | null,
  /** Whether `GET /api/v1/me` has been asked once since the page loaded. */
  checked: false,
  /** Set when a request found the session gone; the sign-in page says so. */
  expired: false,
})

/** Asks the server who is signed in (the cookie decides); `null` when nobody is. */
export async function loadMe(): Promise<Me | null> {
  try {
    const me = await ok(api.GET('/api/v1/me'))
    setCsrfToken(me.csrf_token ?? null)
    session.me = me
  } catch (e) {
    if (!(e instanceof ApiFailure) || e.problem.status !== 401) throw e
    session.me = null
    setCsrfToken(null)
  } finally {
    session.checked = true
  }
  return session.me
}

/** Password sign-in into the cookie; the refusal (wrong password, locked) is thrown as is. */
export async function signIn(phone: string, password: string): Promise<Me> {
  const created = await ok(api.POST('/api/v1/sessions/browser', { body: { phone, password } }))
  setCsrfToken(created.csrf_token)
  session.expired = false
  const me = await loadMe()
  if (!me) throw new Error('signed in but the session was not kept (cookies blocked?)')
  return me
}

/** SMS-code sign-in into the same cookie (the phone pages): asks for a code to be sent. */
export async function sendSignInCode(phone: string): Promise<void> {
  await ok(api.POST('/api/v1/sms-codes', { body: { phone } }))
}

/** Signs in with the phone and the SMS code it received (`POST /api/v1/sessions/browser`). */
export async function signInByCode(phone: string, code: string): Promise<Me> {
  const created = await ok(api.POST('/api/v1/sessions/browser', { body: { phone, code } }))
  setCsrfToken(created.csrf_token)
  session.expired = false
  const me = await loadMe()
  if (!me) throw new Error('signed in but the session was not kept (cookies blocked?)')
  return me
}

/** Binds the WeChat account waiting in the pending-binding cookie to this phone's account (SMS
 * code or password) and signs in, as `POST /api/v1/wechat/bindings` does in one step. */
export async function bindWeChat(body: { phone: string; code: string } | { phone: string; password: string }): Promise<Me> {
  const created = await ok(api.POST('/api/v1/wechat/bindings', { body }))
  setCsrfToken(created.csrf_token)
  session.expired = false
  const me = await loadMe()
  if (!me) throw new Error('bound but the session was not kept (cookies blocked?)')
  return me
}

/** Ends the session on the server (the cookie is cleared) and forgets it here. */
export async function signOut(): Promise<void> {
  try {
    await ok(api.DELETE('/api/v1/sessions/current'))
  } finally {
    session.me = null
    setCsrfToken(null)
  }
}

/** The session ended under us (a 401): forget it and let the router send them to sign in. */
export function markExpired(): void {
  if (session.me) session.expired = true
  session.me = null
  setCsrfToken(null)
}

/** Whether the signed-in person's roles allow `action` somewhere. */
export function can(action: string): boolean {
  return session.me?.actions.includes(action) ?? false
}
