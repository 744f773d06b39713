// 系统设置 in a real Chromium against the real edge on a fresh database: the centre admin opens
// the settings, is refused an out-of-range grace beside its field (nothing stored), changes the
// centre's name and the hour-rounding rule (both stored, audited and shown after a reload), and the
// name takes effect at once: the status API answers it. (That a changed rule reaches the steps is
// also `tests/api/settings.rs`: a lowered lock threshold locks a sign-in on the next request.)
// Both changes are then read in 操作日志 (the audit log). Each step checks the page, then the
// database.

import { expect, test } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { person, screenshot } from './support/browser'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: false }, (p, b) => {
  product = p
  browser = b
})

async function signIn(page: Page) {
  await page.goto(`${product.url}/console/sign-in`)
  await page.getByLabel('手机号').fill(CENTRE_ADMIN.phone)
  await page.getByLabel('密码').fill(CENTRE_ADMIN.password)
  await page.getByRole('button', { name: '登录', exact: true }).click()
  await page.getByRole('heading', { name: '工作台' }).waitFor()
}

const stored = (key: string) => product.query<{ value: string }>(`SELECT value FROM deployment_settings WHERE key = '${key}'`)

test('the centre admin is refused an out-of-range value beside its field, then changes settings that take effect', async () => {
  const { page, problems } = await person(browser)
  await signIn(page)

  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '系统设置' }).click()
  await page.getByRole('heading', { name: '系统设置', level: 1 }).waitFor()
  await page.getByRole('tab', { name: '签到与服务时长' }).click()
  const grace = page.getByLabel('签退宽限时间', { exact: true })
  await expect.poll(() => grace.inputValue()).toBe('7200')
  await page.getByText('即 2 小时').waitFor()

  // Out of range: the refusal is shown beside the field, and nothing is stored or audited.
  await grace.fill('-5')
  await page.getByRole('button', { name: '保存签退宽限时间' }).click()
  await page.getByText('签退宽限时间须为 0 到 604800 之间的整数（单位：秒）').waitFor()
  await screenshot(page, 'settings-refused')
  expect(stored('checkout.grace_s')).toEqual([{ value: '7200' }])
  expect(product.query(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'setting.update'`)).toEqual([{ n: 0 }])

  // The hour-rounding rule: whole quarter hours instead of half hours.
  const rounding = page.getByLabel('时长取整规则', { exact: true })
  await rounding.fill('[[7,0],[22,15],[37,30],[52,45],[60,60]]')
  await page.getByRole('button', { name: '保存时长取整规则' }).click()
  await page.getByText('已保存「时长取整规则」').waitFor()
  expect(stored('hours.rounding')).toEqual([{ value: '[[7,0],[22,15],[37,30],[52,45],[60,60]]' }])

  // The centre's name, on the first tab.
  await page.getByRole('tab', { name: '基本信息' }).click()
  const name = page.getByLabel('中心名称', { exact: true })
  await name.fill('某某县新时代文明实践中心')
  await page.getByRole('button', { name: '保存中心名称' }).click()
  await page.getByText('已保存「中心名称」').waitFor()
  await page.getByText('已修改').first().waitFor()
  await screenshot(page, 'settings')
  expect(stored('county_name')).toEqual([{ value: '某某县新时代文明实践中心' }])
  const audits = product.query<{ after: string }>(`SELECT after FROM audit_log WHERE action = 'setting.update' ORDER BY id`)
  expect(audits.map((a) => JSON.parse(a.after).key)).toEqual(['hours.rounding', 'county_name'])

  // It takes effect: the platform's status names the new centre.
  const status = (await (await fetch(`${product.url}/api/v1/status`)).json()) as { county: string }
  expect(status.county).toBe('某某县新时代文明实践中心')

  // A reload shows what is stored.
  await page.reload()
  await page.getByRole('tab', { name: '签到与服务时长' }).click()
  await expect.poll(() => page.getByLabel('时长取整规则', { exact: true }).inputValue()).toBe('[[7,0],[22,15],[37,30],[52,45],[60,60]]')
  await expect.poll(() => page.getByLabel('签退宽限时间', { exact: true }).inputValue()).toBe('7200')

  // Both changes are in the audit log (操作日志), filtered by their action.
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '操作日志' }).click()
  await page.getByRole('textbox', { name: '操作' }).fill('setting.update')
  await page.getByRole('button', { name: '查询' }).click()
  const log = page.getByLabel('日志列表')
  await log.getByText(/"key":"county_name","value":"某某县新时代文明实践中心"/).waitFor()
  await log.getByText(/"key":"hours.rounding"/).first().waitFor()
  expect(await log.getByText('setting.update').count()).toBe(2)
  await screenshot(page, 'audit-log')
  await page.getByRole('textbox', { name: '操作' }).fill('no.such.action')
  await page.getByRole('button', { name: '查询' }).click()
  await log.getByText('没有符合条件的记录').waitFor()
  // A time range before the changes: the same action finds nothing in it.
  await page.getByRole('textbox', { name: '操作' }).fill('setting.update')
  await page.getByPlaceholder('开始日期').fill('2020-01-01')
  await page.getByPlaceholder('结束日期').fill('2020-01-31')
  await page.getByPlaceholder('结束日期').press('Enter')
  await page.getByRole('button', { name: '查询' }).click()
  await log.getByText('没有符合条件的记录').waitFor()
  expect(await log.getByText('setting.update').count()).toBe(0)

  expect(problems).toEqual([])
})
