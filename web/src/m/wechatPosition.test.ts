import { describe, expect, test, vi } from 'vitest'
import { addressToSign, phonePosition, type PositionSources, type Wx } from './wechatPosition'

/** WeChat's Android browser, and plain Chrome on Android. */
const WECHAT = 'Mozilla/5.0 (Linux; Android 14; wv) AppleWebKit/537.36 Chrome/122.0.6261.120 Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x2800313D) WeChat/arm64 Weixin'
const CHROME = 'Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.120 Mobile Safari/537.36'

const SIGNED = { app_id: 'wx5e1a2b3c4d5e6f70', timestamp: 1765000000, nonce_str: 'Wm3WZYTPz0wzccnW', signature: 'a'.repeat(40) }
const BROWSER = { latitude: 30.1, longitude: 120.1 }
const WECHAT_POS = { latitude: 30.0005, longitude: 120.0 }

/** A stand-in for the JS-SDK: `config` succeeds or fails, `getLocation` answers or fails. */
function fakeWx(outcome: 'located' | 'config-error' | 'declined' | 'silent'): Wx & { configured: unknown[]; asked: unknown[] } {
  let ready: (() => void) | null = null
  let error: ((e: unknown) => void) | null = null
  const wx = {
    configured: [] as unknown[],
    asked: [] as unknown[],
    config(c: unknown) {
      wx.configured.push(c)
      queueMicrotask(() => {
        if (outcome === 'config-error') error?.({ errMsg: 'config:invalid signature' })
        else if (outcome !== 'silent') ready?.()
      })
    },
    ready(cb: () => void) {
      ready = cb
    },
    error(cb: (e: unknown) => void) {
      error = cb
    },
    getLocation(o: Parameters<Wx['getLocation']>[0]) {
      wx.asked.push(o.type)
      if (outcome === 'declined') o.cancel?.({ errMsg: 'getLocation:cancel' })
      else o.success({ ...WECHAT_POS })
    },
  }
  return wx
}

function sources(over: Partial<PositionSources>): PositionSources {
  return {
    userAgent: WECHAT,
    signature: vi.fn(async () => SIGNED),
    sdk: vi.fn(async () => fakeWx('located')),
    browser: vi.fn(async () => BROWSER),
    timeoutMs: 50,
    ...over,
  }
}

describe('phonePosition', () => {
  test('outside WeChat the browser is asked and the server never', async () => {
    const s = sources({ userAgent: CHROME })
    expect(await phonePosition(s)).toEqual(BROWSER)
    expect(s.signature).not.toHaveBeenCalled()
    expect(s.sdk).not.toHaveBeenCalled()
  })

  test('inside WeChat with the JS-SDK configured, wx.getLocation in wgs84 with the server signature', async () => {
    const wx = fakeWx('located')
    const s = sources({ sdk: async () => wx })
    expect(await phonePosition(s)).toEqual(WECHAT_POS)
    expect(wx.configured).toEqual([
      { debug: false, appId: SIGNED.app_id, timestamp: SIGNED.timestamp, nonceStr: SIGNED.nonce_str, signature: SIGNED.signature, jsApiList: ['getLocation'] },
    ])
    expect(wx.asked).toEqual(['wgs84'])
    expect(s.browser).not.toHaveBeenCalled()
  })

  test('the browser when the server has no JS-SDK, the SDK does not load, config fails, the person declines or WeChat is silent', async () => {
    for (const over of [
      { signature: async () => null },
      { sdk: async () => null },
      { sdk: async () => fakeWx('config-error') },
      { sdk: async () => fakeWx('declined') },
      { sdk: async () => fakeWx('silent') },
      { signature: async () => Promise.reject(new Error('offline')) },
    ] satisfies Partial<PositionSources>[]) {
      const s = sources(over)
      expect(await phonePosition(s)).toEqual(BROWSER)
      expect(s.browser).toHaveBeenCalledOnce()
    }
  })

  test('an impossible reading from WeChat is not used', async () => {
    const wx = fakeWx('located')
    wx.getLocation = (o) => o.success({ latitude: 200, longitude: Number.NaN })
    expect(await phonePosition(sources({ sdk: async () => wx }))).toEqual(BROWSER)
  })
})

describe('addressToSign', () => {
  const IOS = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN'
  const landing = 'https://wm.example.cn/m/?from=menu#top'
  const current = 'https://wm.example.cn/m/checkin?code=AB12CD#x'

  test('the page itself without its fragment, on Android', () => {
    expect(addressToSign(WECHAT, landing, current)).toBe('https://wm.example.cn/m/checkin?code=AB12CD')
  })

  test('on iOS the address the app was opened at, as WeChat on iOS keeps it', () => {
    expect(addressToSign(IOS, landing, current)).toBe('https://wm.example.cn/m/?from=menu')
    expect(addressToSign(IOS, '', current)).toBe('https://wm.example.cn/m/checkin?code=AB12CD')
  })
})
