// The first run without a shell, in a real Chromium against a fresh edge with nobody in it: the
// sign-in page offers the setup; a wrong setup code is refused beside its field (nothing
// created); the code `wenming up` printed on its console creates the centre and its admin, who
// then signs in; the setup page afterwards only says it is done. Each step checks the page, then
// the database.

import { expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import type { Product } from './support/edge'
import { person, screenshot } from './support/browser'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: false, bare: true }, (p, b) => {
  product = p
  browser = b
})

const CENTRE = '某某县新时代文明实践中心'

test('a fresh deployment is set up from the browser with the code wenming up printed', async () => {
  const printed = /Setup code: ([A-Z0-9-]+)/.exec(product.stdout())
  expect(printed, product.stdout()).not.toBeNull()
  const code = printed![1]!
  const { page, problems } = await person(browser)

  // Nobody can sign in yet: the sign-in page offers the setup.
  await page.goto(`${product.url}/console/`)
  await page.getByText('平台尚未初始化').waitFor()
  await page.getByRole('button', { name: '开始初始化' }).click()
  await page.getByRole('heading', { name: '平台初始化' }).waitFor()

  // A wrong code: refused beside its field, nothing created.
  await page.getByLabel('初始化码').fill('AAA-BBB-CCC-DDD')
  await page.getByLabel('实践中心名称').fill(CENTRE)
  await page.getByLabel('管理员姓名').fill('王主任')
  await page.getByLabel('管理员手机号').fill('13712345678')
  await page.getByLabel('登录密码').fill('first-admin-pw')
  await page.getByRole('button', { name: '创建中心和管理员' }).click()
  await page.getByText('初始化码不正确，请核对服务器控制台显示的初始化码').waitFor()
  await screenshot(page, 'setup-refused')
  expect(product.query(`SELECT COUNT(*) AS n FROM accounts`)).toEqual([{ n: 0 }])

  // The printed code, typed in lower case: the centre and its admin.
  await page.getByLabel('初始化码').fill(code.toLowerCase())
  await page.getByRole('button', { name: '创建中心和管理员' }).click()
  await page.getByText(`已创建「${CENTRE}」，请用刚才的手机号和密码登录。`).waitFor()
  await screenshot(page, 'setup-done')
  expect(
    product.query(`SELECT o.name AS org, o.level, a.name FROM role_grants g JOIN orgs o ON o.id = g.org_id JOIN accounts a ON a.id = g.account_id WHERE g.role = 'centre-admin'`),
  ).toEqual([{ org: CENTRE, level: 'centre', name: '王主任' }])

  // The new admin signs in; the sign-in page no longer offers the setup.
  await page.getByRole('button', { name: '去登录' }).click()
  await page.getByLabel('手机号').fill('13712345678')
  await page.getByLabel('密码').fill('first-admin-pw')
  await page.getByRole('button', { name: '登录', exact: true }).click()
  await page.getByRole('heading', { name: '工作台' }).waitFor()
  await page.getByText(`中心管理员 · ${CENTRE}`).waitFor()

  // The setup page now only says it is done; the route refuses another centre.
  await page.goto(`${product.url}/console/setup`)
  await expect.poll(() => page.url()).not.toContain('/setup')
  const again = await fetch(`${product.url}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ setup_code: code, centre_name: '另一个中心', admin_name: '李', phone: '13700000000', password: 'another-admin-pw' }),
  })
  expect(again.status).toBe(409)
  expect(product.query(`SELECT COUNT(*) AS n FROM orgs`)).toEqual([{ n: 1 }])

  expect(problems).toEqual([])
})
