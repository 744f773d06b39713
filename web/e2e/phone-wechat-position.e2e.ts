// Check-in inside WeChat takes the position from WeChat's JS-SDK, against the real edge and the
// fake WeChat on 127.0.0.1 (support/wechat.ts: stable token and jsapi ticket). The phone's
// browser is placed 140 km away, so a check-in with the browser's position would be refused;
// the test stands in for Tencent's JS-SDK (its address answered from the test, nothing reaches
// res.wx.qq.com): `wx.config` checks the page's signature against the fake's ticket as WeChat's
// client does, and `wx.getLocation` answers 56 m from the venue. The check-in is made at 56 m
// (page and database), with `wgs84` asked for, and the phone app's policy lets that one script
// origin in without a violation.

import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import { CENTRE_ADMIN, startProduct, type Product } from './support/edge'
import { launch, screenshot } from './support/browser'
import { latestSignInCode, residentId, staff } from './support/api'
import { phone, WECHAT_USER_AGENT } from './support/phone'
import { startFakeWeChat, type FakeWeChat } from './support/wechat'

let product: Product
let browser: Browser
let wechat: FakeWeChat

beforeAll(async () => {
  wechat = await startFakeWeChat()
  product = await startProduct({ demo: true, variables: wechat.variables() })
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  await product?.stop()
  await wechat?.stop()
})

const JSSDK_URL = 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js'
const CENTRE = '示范县新时代文明实践中心'
const PHONE = '13712340099'
const OPENID = 'oWx7Pos1tion2Test3Openid4abcd'
const TITLE = '微信内签到的助老服务'
const VENUE = { latitude: 30.0, longitude: 120.0 }
/** Where the browser says the phone is: 140 km away. */
const BROWSER_SAYS = { latitude: 31.0, longitude: 121.0 }

function rfc3339(unix: number): string {
  return new Date(unix * 1000).toISOString().replace('.000Z', 'Z')
}

/** The stand-in JS-SDK's maker, installed before the page's own scripts: `wx.config` verifies
 * the signature (sha1 over ticket, nonce, timestamp and the page's address without its fragment)
 * and the app id, as WeChat's client does; `wx.getLocation` answers `position` once configured.
 * Every call is logged in `window.__wxLog`. */
function installFakeSdkMaker(position: { latitude: number; longitude: number }): void {
  const w = window as unknown as { __wxLog: unknown[]; __makeWx: (appId: string, ticket: string) => unknown }
  w.__wxLog = []
  w.__makeWx = (appId: string, ticket: string) => {
    let state: 'idle' | 'pending' | 'ready' | 'failed' = 'idle'
    const readies: (() => void)[] = []
    const errors: ((e: unknown) => void)[] = []
    const sha1 = async (text: string) =>
      [...new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('')
    return {
      config(c: { appId: string; timestamp: number; nonceStr: string; signature: string; jsApiList: string[] }) {
        w.__wxLog.push(['config', c.appId, c.jsApiList])
        state = 'pending'
        const url = location.href.split('#')[0]
        void sha1(`jsapi_ticket=${ticket}&noncestr=${c.nonceStr}&timestamp=${c.timestamp}&url=${url}`).then((signature) => {
          const ok = c.appId === appId && signature === c.signature && c.jsApiList.includes('getLocation')
          state = ok ? 'ready' : 'failed'
          w.__wxLog.push(['signature', ok ? 'valid' : 'invalid'])
          if (ok) readies.splice(0).forEach((cb) => cb())
          else errors.splice(0).forEach((cb) => cb({ errMsg: 'config:invalid signature' }))
        })
      },
      ready(cb: () => void) {
        if (state === 'ready') cb()
        else readies.push(cb)
      },
      error(cb: (e: unknown) => void) {
        if (state === 'failed') cb({ errMsg: 'config:invalid signature' })
        else errors.push(cb)
      },
      getLocation(o: { type: string; success: (r: unknown) => void; fail?: (e: unknown) => void }) {
        w.__wxLog.push(['getLocation', o.type])
        if (state !== 'ready') return o.fail?.({ errMsg: 'getLocation:permission denied' })
        o.success({ ...position, speed: 0, accuracy: 30 })
      },
    }
  }
}

test('inside WeChat the check-in uses wx.getLocation through the JS-SDK, not the browser', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [centre] = product.query<{ id: number }>(`SELECT id FROM orgs WHERE name = '${CENTRE}'`)
  await admin.must(201, 'POST', '/api/v1/volunteers', {
    real_name: '钱卫东',
    gender: 'male',
    birth_date: '1980-06-15',
    phone: PHONE,
    id_number: residentId('110101', '19800615', 7, true),
    skills: [],
    service_area: '城关镇',
    home_org_id: centre!.id,
  })
  const now = Math.floor(Date.now() / 1000)
  const startsAt = now - (now % 60) + 15 * 60
  const activity = await admin.must<{ id: number }>(201, 'POST', '/api/v1/activities', {
    title: TITLE,
    category: '助老',
    description: '陪伴独居老人',
    org_id: centre!.id,
    address: '城关镇敬老院',
    ...VENUE,
    radius_m: 200,
    starts_at: rfc3339(startsAt),
    ends_at: rfc3339(startsAt + 2 * 3600),
    signup_deadline: rfc3339(startsAt - 300),
    capacity: 5,
    required_skills: [],
    visibility: 'public',
    dynamic_code: false,
  })
  await admin.must(200, 'POST', `/api/v1/activities/${activity.id}/approve`, {})
  const [{ code } = { code: '' }] = product.query<{ code: string }>(`SELECT code FROM activities WHERE id = ${activity.id}`)

  // WeChat's browser, which the browser's geolocation places 140 km away.
  wechat.openedBy(OPENID)
  const { page, context, problems } = await phone(browser, BROWSER_SAYS, { userAgent: WECHAT_USER_AGENT })
  await page.addInitScript(installFakeSdkMaker, { latitude: 30.0005, longitude: 120.0 })
  const tencent: string[] = []
  await context.route('https://res.wx.qq.com/**', async (route) => {
    tencent.push(route.request().url())
    if (route.request().url() !== JSSDK_URL) return route.abort()
    // The SDK's address answers with the stand-in, made with the account's app id and the ticket
    // the fake issued to the server.
    await route.fulfill({ contentType: 'text/javascript', body: `window.wx = window.__makeWx(${JSON.stringify(wechat.appId)}, ${JSON.stringify(wechat.ticket())})` })
  })

  // Signed in through WeChat (bound once with an SMS code), back on the check-in page.
  await page.goto(`${product.url}/m/checkin?code=${code}`)
  await page.waitForURL((u) => u.pathname === '/m/bind')
  const form = page.getByRole('form', { name: '绑定手机号' })
  await form.getByRole('textbox', { name: '手机号' }).fill(PHONE)
  await form.getByRole('button', { name: '获取验证码' }).click()
  await form.getByText('验证码已发送').waitFor()
  await form.getByRole('textbox', { name: '验证码' }).fill(await latestSignInCode(admin, PHONE))
  await form.getByRole('button', { name: '绑定并登录' }).click()
  await page.waitForURL((u) => u.pathname === '/m/checkin' && u.searchParams.get('code') === code)
  await page.getByRole('heading', { name: `活动码 ${code}` }).waitFor()
  const signedUp = await page.evaluate(async (id) => {
    const me = (await (await fetch('/api/v1/me')).json()) as { csrf_token: string }
    const answer = await fetch(`/api/v1/activities/${id}/signups`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token }, body: '{}' })
    return answer.status
  }, activity.id)
  expect(signedUp).toBe(201)

  // 签到: WeChat's position, 56 m from the venue, not the browser's 140 km.
  await page.getByRole('button', { name: '签到' }).click()
  await page.getByText(/^签到成功：\d{4}-\d{2}-\d{2} \d{2}:\d{2}，距活动地点 56 米$/).waitFor()
  expect(product.query(`SELECT check_in_distance_m FROM attendances WHERE activity_id = ${activity.id}`)).toEqual([{ check_in_distance_m: 56 }])
  expect(await page.evaluate(() => (window as unknown as { __wxLog: unknown[] }).__wxLog)).toEqual([
    ['config', wechat.appId, ['getLocation']],
    ['signature', 'valid'],
    ['getLocation', 'wgs84'],
  ])
  expect(tencent).toEqual([JSSDK_URL])
  expect(wechat.ticket()).not.toBe('')
  await screenshot(page, 'phone-wechat-checkin')

  // 签退 on the same page: configured again, WeChat asked again, the SDK not loaded twice.
  await page.getByRole('button', { name: '签退' }).click()
  await page.getByText(/^签退成功：.*距活动地点 56 米，本次服务 \d+ 分钟（待组织者确认后计入时长）$/).waitFor()
  expect(product.query(`SELECT check_out_distance_m FROM attendances WHERE activity_id = ${activity.id}`)).toEqual([{ check_out_distance_m: 56 }])
  expect(tencent).toEqual([JSSDK_URL])
  expect(problems).toEqual([])
  await context.close()
})
