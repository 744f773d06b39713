// Signing in to the phone app inside WeChat, against the real edge and a fake WeChat on
// 127.0.0.1 (support/wechat.ts): the first time, the silent web authorization finds an openid
// nobody has bound, so the person binds it to their account with an SMS code on /m/bind and is
// back where they were going; the next time WeChat alone signs them in; the snapshot page's
// virtual user is refused with the reason in Chinese and nothing is bound. Page, then database.

import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import { CENTRE_ADMIN, startProduct, type Product } from './support/edge'
import { launch, screenshot } from './support/browser'
import { latestSignInCode, staff } from './support/api'
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

const CITIZEN = '13912345677'
const OPENID = 'oKx9Z1aB2cD3eF4gH5iJ6kL7mN8o'
const HERE = { latitude: 30.0, longitude: 120.0 }

test('inside WeChat: bind once with an SMS code, then signed in by WeChat alone; a snapshot user is refused', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const bindings = () => product.query<{ openid: string; phone: string }>(`SELECT b.openid, a.phone FROM wechat_bindings b JOIN accounts a ON a.id = b.account_id`)
  const options = await (await fetch(`${product.url}/api/v1/sign-in/options`)).json()
  expect(options).toEqual({ wechat: true, sms: false })

  // First time: WeChat knows the follower, the platform does not yet: /m/bind.
  wechat.openedBy(OPENID)
  const first = await phone(browser, HERE, { userAgent: WECHAT_USER_AGENT })
  await first.page.goto(`${product.url}/m/orders`)
  // (The authorize URL's `#wechat_redirect` may ride along through the redirects.)
  await first.page.waitForURL((u) => u.pathname === '/m/bind' && u.searchParams.get('return') === '/m/orders')
  await first.page.getByRole('heading', { name: '首次用微信登录' }).waitFor()
  expect(bindings()).toEqual([])
  const form = first.page.getByRole('form', { name: '绑定手机号' })
  await form.getByRole('textbox', { name: '手机号' }).fill(CITIZEN)
  await form.getByRole('button', { name: '获取验证码' }).click()
  await form.getByText('验证码已发送').waitFor()
  await form.getByRole('textbox', { name: '验证码' }).fill('000000')
  await form.getByRole('button', { name: '绑定并登录' }).click()
  await form.getByText('验证码不正确或已过期').waitFor()
  expect(bindings()).toEqual([])
  await screenshot(first.page, 'phone-wechat-bind')
  await form.getByRole('textbox', { name: '验证码' }).fill(await latestSignInCode(admin, CITIZEN))
  await form.getByRole('button', { name: '绑定并登录' }).click()
  await first.page.waitForURL((u) => u.pathname === '/m/orders')
  await first.page.getByText('还没有点单：扫描服务站的二维码即可点单').waitFor()
  expect(bindings()).toEqual([{ openid: OPENID, phone: CITIZEN }])
  expect(first.problems).toEqual([])
  await first.context.close()

  // Next time, on a fresh browser: WeChat alone signs them in, straight to the page.
  const again = await phone(browser, HERE, { userAgent: WECHAT_USER_AGENT })
  await again.page.goto(`${product.url}/m/orders`)
  await again.page.getByText('还没有点单：扫描服务站的二维码即可点单').waitFor()
  expect(new URL(again.page.url()).pathname).toBe('/m/orders')
  await again.page.goto(`${product.url}/m/`)
  await again.page.getByText(CITIZEN).waitFor()
  expect(wechat.exchanges).toHaveLength(2)
  expect(again.problems).toEqual([])
  await again.context.close()

  // The snapshot page's virtual user: refused, the reason shown, the SMS form offered, nothing bound.
  wechat.openedBy('oSnapshotVirtualUser000000001', true)
  const snapshot = await phone(browser, HERE, { userAgent: WECHAT_USER_AGENT })
  await snapshot.page.goto(`${product.url}/m/orders`)
  await snapshot.page.waitForURL(/\/m\/sign-in\?wechat_error=snapshot_user/)
  await snapshot.page.getByRole('alert').getByText('请点击页面下方的“使用完整服务”后再登录').waitFor()
  await snapshot.page.getByRole('heading', { name: '手机验证码登录' }).waitFor()
  await screenshot(snapshot.page, 'phone-wechat-refused')
  expect(bindings()).toEqual([{ openid: OPENID, phone: CITIZEN }])
  expect(wechat.exchanges).toHaveLength(3)
  expect(snapshot.problems).toEqual([])
  await snapshot.context.close()
})
