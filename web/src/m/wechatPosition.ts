// The phone's position for check-in and check-out. Inside WeChat (its user agent says
// MicroMessenger) with the JS-SDK configured on the server, WeChat's own `wx.getLocation`: WeChat's
// browser often withholds HTML5 geolocation, and the JS-SDK's prompt is the one its users know.
// Anywhere else — or when any step fails: the server has no AppSecret (403), the SDK does not
// load, `wx.config` is refused, the person declines, nothing answers in time — the browser's
// geolocation (geo.ts). `wgs84` is asked for because the server measures against GPS
// coordinates, as the browser reports them (WeChat's default `gcj02` is offset in China).

import { api } from '../api/client'
import { inWeChat } from './explain'
import { currentPosition } from './geo'

/** Tencent's JS-SDK, loaded only inside WeChat (the phone app's CSP allows this one origin). */
export const JSSDK_URL = 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js'

/** How long WeChat may take to configure and locate before the browser is asked instead. */
const WX_TIMEOUT_MS = 15_000

export interface Position {
  latitude: number
  longitude: number
}

/** The server's signed values for `wx.config` (`GET /api/v1/wechat/js-sdk-config`). */
export interface WxSignature {
  app_id: string
  timestamp: number
  nonce_str: string
  signature: string
}

/** The part of the JS-SDK's `wx` object this page uses. */
export interface Wx {
  config(c: { debug: boolean; appId: string; timestamp: number; nonceStr: string; signature: string; jsApiList: string[] }): void
  ready(callback: () => void): void
  error(callback: (e: unknown) => void): void
  getLocation(o: {
    type: 'wgs84' | 'gcj02'
    success: (r: { latitude: number; longitude: number }) => void
    fail?: (e: unknown) => void
    cancel?: (e: unknown) => void
  }): void
}

/** Where each step comes from (the page's, or a test's stand-ins). */
export interface PositionSources {
  userAgent: string
  /** The signature for this page, or null when the server has none or refuses. */
  signature(): Promise<WxSignature | null>
  /** The loaded JS-SDK, or null when it cannot be loaded. */
  sdk(): Promise<Wx | null>
  browser(): Promise<Position | null>
  timeoutMs?: number
}

/** The phone's position: WeChat's inside WeChat when it can give one, else the browser's. */
export async function phonePosition(sources: PositionSources = pageSources()): Promise<Position | null> {
  if (inWeChat(sources.userAgent)) {
    const fromWeChat = await wechatPosition(sources).catch(() => null)
    if (fromWeChat) return fromWeChat
  }
  return sources.browser()
}

/** `wx.config` with the server's signature, then `wx.getLocation({type: 'wgs84'})`; null on
 * any failure or after the timeout. */
export async function wechatPosition(sources: PositionSources): Promise<Position | null> {
  const signed = await sources.signature()
  if (!signed) return null
  const wx = await sources.sdk()
  if (!wx) return null
  const located = new Promise<Position | null>((resolve) => {
    wx.config({
      debug: false,
      appId: signed.app_id,
      timestamp: signed.timestamp,
      nonceStr: signed.nonce_str,
      signature: signed.signature,
      jsApiList: ['getLocation'],
    })
    wx.error(() => resolve(null))
    wx.ready(() =>
      wx.getLocation({
        type: 'wgs84',
        success: (r) => resolve(plausible(r)),
        fail: () => resolve(null),
        cancel: () => resolve(null),
      }),
    )
  })
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), sources.timeoutMs ?? WX_TIMEOUT_MS))
  return Promise.race([located, timeout])
}

function plausible(r: { latitude: number; longitude: number }): Position | null {
  const { latitude, longitude } = r
  const ok = Number.isFinite(latitude) && Number.isFinite(longitude) && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180
  return ok ? { latitude: Number(latitude), longitude: Number(longitude) } : null
}

let loading: Promise<Wx | null> | null = null

/** The JS-SDK, loaded once per page (a `wx` already on the page is used as it is). */
function loadSdk(): Promise<Wx | null> {
  const existing = (window as unknown as { wx?: Wx }).wx
  if (existing) return Promise.resolve(existing)
  loading ??= new Promise((resolve) => {
    const script = document.createElement('script')
    script.src = JSSDK_URL
    script.async = true
    script.onload = () => resolve((window as unknown as { wx?: Wx }).wx ?? null)
    script.onerror = () => {
      loading = null
      resolve(null)
    }
    document.head.appendChild(script)
  })
  return loading
}

/** The address the app was loaded at (this module is part of the first page's bundle). */
const LANDING = typeof location === 'undefined' ? '' : location.href

/** The address WeChat checks the signature against, without its fragment: the page's own —
 * except in WeChat on iOS, which keeps the address a single-page app was first opened at however
 * the app's router moves (pushState), so the signature must be over that one. */
export function addressToSign(userAgent: string, landing: string, current: string): string {
  const iOS = /iPhone|iPad|iPod/i.test(userAgent)
  return ((iOS && landing) || current).split('#')[0]!
}

function pageSources(): PositionSources {
  return {
    userAgent: navigator.userAgent,
    async signature() {
      const url = addressToSign(navigator.userAgent, LANDING, location.href)
      const answer = await api.GET('/api/v1/wechat/js-sdk-config', { params: { query: { url } } })
      return answer.data ?? null
    },
    sdk: loadSdk,
    browser: currentPosition,
  }
}
