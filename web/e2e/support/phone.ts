// A person's phone for the phone-app journeys (/m/): a 360×740 touch screen in Chinese with the
// position the test sets, and the SMS-code sign-in as a person does it (the code read from the
// outbox, where the test deployment keeps it).

import type { Browser, BrowserContextOptions, Page } from 'playwright-core'
import { person, type Watched } from './browser'
import { latestSignInCode, type Caller } from './api'

export const PHONE_VIEWPORT = { width: 360, height: 740 }

/** WeChat's own browser names itself in the user agent; the sign-in page goes by it. */
export const WECHAT_USER_AGENT =
  'Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 MMWEBID/2307 MicroMessenger/8.0.49.2600(0x2800313D) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64'

export async function phone(browser: Browser, position: { latitude: number; longitude: number }, options: BrowserContextOptions = {}): Promise<Watched> {
  return person(browser, {
    ...options,
    viewport: PHONE_VIEWPORT,
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
    geolocation: position,
    permissions: ['geolocation'],
  })
}

/** On the phone app's sign-in page: asks for a code, reads it from the outbox, signs in. */
export async function signInBySms(page: Page, outboxReader: Caller, number: string): Promise<void> {
  await page.getByRole('heading', { name: '手机验证码登录' }).waitFor()
  await page.getByRole('textbox', { name: '手机号' }).fill(number)
  await page.getByRole('button', { name: '获取验证码' }).click()
  await page.getByText('验证码已发送').waitFor()
  await page.getByRole('textbox', { name: '验证码' }).fill(await latestSignInCode(outboxReader, number))
  await page.getByRole('button', { name: '登录', exact: true }).click()
}

/** Whether the page needs no sideways scrolling on the phone's width. */
export async function fitsTheScreen(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
}

/** Staff (a team leader) on the phone app's sign-in page: their password, as a code is refused. */
export async function signInByPassword(page: Page, number: string, password: string): Promise<void> {
  await page.getByRole('button', { name: '工作人员用密码登录' }).click()
  const form = page.getByRole('form', { name: '密码登录' })
  await form.getByRole('textbox', { name: '手机号' }).fill(number)
  await form.getByLabel('密码', { exact: true }).fill(password)
  await form.getByRole('button', { name: '登录', exact: true }).click()
}
