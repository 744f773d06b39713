// 消息 in a real Chromium against the real edge: the centre admin reads the outbox (a sign-in
// code a citizen asked for, with its delivery state) and its summary, filters by recipient, and
// edits an SMS template — a malformed template id is refused beside its field with nothing
// changed, a good one is saved and audited. Each step checks the page, then the database.

import { expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { person, screenshot } from './support/browser'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: false }, (p, b) => {
  product = p
  browser = b
})

test('the centre admin reads the outbox and edits a template, refused beside the field first', async () => {
  // A citizen asks for a sign-in code: one message in the outbox.
  const asked = await fetch(`${product.url}/api/v1/sms-codes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phone: '13612345678' }),
  })
  expect(asked.status).toBeLessThan(300)
  const { page, problems } = await person(browser)

  await page.goto(`${product.url}/console/sign-in`)
  await page.getByLabel('手机号').fill(CENTRE_ADMIN.phone)
  await page.getByLabel('密码').fill(CENTRE_ADMIN.password)
  await page.getByRole('button', { name: '登录', exact: true }).click()
  await page.getByRole('heading', { name: '工作台' }).waitFor()
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '消息' }).click()
  await page.getByRole('heading', { name: '消息', level: 1 }).waitFor()

  const list = page.getByLabel('消息列表')
  await list.getByText('13612345678').waitFor()
  await list.getByText('sign-in-code').waitFor()
  await page.getByText('消息总数').waitFor()
  await screenshot(page, 'messages')
  const status = product.query<{ status: string }>(`SELECT status FROM outbox WHERE recipient = '13612345678'`)
  expect(status).toHaveLength(1)
  await list.getByText(/待发送|发送中|已发送|已送达|发送失败/).first().waitFor()

  // A recipient with no messages: the empty state says so.
  await page.getByRole('textbox', { name: '接收人' }).fill('13900009999')
  await page.getByRole('button', { name: '查询' }).click()
  await list.getByText('没有发给该号码的消息').waitFor()

  // Templates: a malformed id is refused beside its field, nothing changes; then a good one.
  await page.getByRole('tab', { name: '短信模板' }).click()
  await page.getByRole('button', { name: '编辑 腾讯云短信 sign-in-code' }).click()
  const dialog = page.getByRole('dialog', { name: '编辑模板：sign-in-code' })
  await dialog.getByLabel('模板编号').fill('bad id!')
  await dialog.getByRole('button', { name: '保存模板' }).click()
  await dialog.getByText('模板编号只能包含字母、数字、下划线和短横线，最多 64 位').waitFor()
  await screenshot(page, 'messages-template-refused')
  const before = product.query(`SELECT template_id, params FROM sms_templates WHERE provider = 'tencent' AND kind = 'sign-in-code'`)
  expect(before).not.toEqual([{ template_id: 'bad id!' }])

  await dialog.getByLabel('模板编号').fill('1110')
  await dialog.getByLabel('参数顺序').fill('code')
  await dialog.getByRole('button', { name: '保存模板' }).click()
  await page.getByText('已保存模板「sign-in-code」').waitFor()
  await page.getByLabel('模板列表').getByText('1110', { exact: true }).waitFor()
  expect(product.query(`SELECT template_id, params FROM sms_templates WHERE provider = 'tencent' AND kind = 'sign-in-code'`)).toEqual([
    { template_id: '1110', params: '["code"]' },
  ])

  expect(problems).toEqual([])
})
