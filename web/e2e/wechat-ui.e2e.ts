// The pages people and staff use for the WeChat official account, against the real edge and a
// fake WeChat on 127.0.0.1 (support/wechat.ts), each step checked on the page and then in the
// database:
// 1. the phone app's 我的 → 通知设置: a person bound through WeChat's web authorization sees it,
//    switches notices between 微信 and 短信, is told why 微信 is refused once the binding went
//    away elsewhere (409 `wechat_not_bound`), and unbinds after a confirmation;
// 2. the console's 消息 → 微信模板消息: a kind's template id and field mapping, refused beside the
//    field first, then stored and audited, then deleted; an auditor sees neither menu nor API;
// 3. the console's 组织架构 → accounts: staff unbind a team leader's WeChat, audited.

import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { CENTRE_ADMIN, startProduct, type Product } from './support/edge'
import { launch, person, screenshot, signIn } from './support/browser'
import { latestSignInCode, staff, type Caller } from './support/api'
import { phone, WECHAT_USER_AGENT } from './support/phone'
import { startFakeWeChat, type FakeWeChat } from './support/wechat'

let product: Product
let browser: Browser
let wechat: FakeWeChat
let admin: Caller

beforeAll(async () => {
  wechat = await startFakeWeChat()
  product = await startProduct({ demo: true, variables: wechat.variables() })
  browser = await launch()
  admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
})

afterAll(async () => {
  await browser?.close()
  await product?.stop()
  await wechat?.stop()
})

const HERE = { latitude: 30.0, longitude: 120.0 }
// A station admin who also uses the phone app; by password, so the journey needs no SMS codes
// (one a minute per phone) — binding by SMS code is phone-wechat.e2e.ts's.
const PERSON = { phone: '13800000002', password: 'wenming-demo-2' }
const PERSON_OPENID = 'oKx9Z1aB2cD3eF4gH5iJ6kL7mN02'
const LEADER = { name: '刘志强', phone: '13800000004', password: 'wenming-demo-4' }
const LEADER_OPENID = 'oKx9Z1aB2cD3eF4gH5iJ6kL7mN04'
const TOWN = '城关镇新时代文明实践所'

const binding = (number: string) =>
  product.query<{ openid: string; notify_channel: string }>(
    `SELECT b.openid, b.notify_channel FROM wechat_bindings b JOIN accounts a ON a.id = b.account_id WHERE a.phone = '${number}'`,
  )
const audits = (action: string) => product.query<{ n: number }>(`SELECT count(*) AS n FROM audit_log WHERE action = '${action}'`)[0]!.n

/** Opens `path` inside WeChat as the follower `openid` and binds them on /m/bind: by SMS code, or
 * (staff) by password. Back on `path`, signed in. */
async function bindInWeChat(openid: string, path: string, who: { phone: string; password?: string }): Promise<{ page: Page; close: () => Promise<void> }> {
  wechat.openedBy(openid)
  const { page, context } = await phone(browser, HERE, { userAgent: WECHAT_USER_AGENT })
  await page.goto(`${product.url}${path}`)
  await page.waitForURL((u) => u.pathname === '/m/bind')
  const form = page.getByRole('form', { name: '绑定手机号' })
  if (who.password) {
    await form.getByRole('button', { name: '工作人员用密码绑定' }).click()
    await form.getByRole('textbox', { name: '手机号' }).fill(who.phone)
    await form.getByLabel('密码', { exact: true }).fill(who.password)
  } else {
    await form.getByRole('textbox', { name: '手机号' }).fill(who.phone)
    await form.getByRole('button', { name: '获取验证码' }).click()
    await form.getByText('验证码已发送').waitFor()
    await form.getByRole('textbox', { name: '验证码' }).fill(await latestSignInCode(admin, who.phone))
  }
  await form.getByRole('button', { name: '绑定并登录' }).click()
  await page.waitForURL((u) => u.pathname === path)
  return { page, close: () => context.close() }
}

test('phone 通知设置: bound through WeChat, notices switched between 微信 and 短信, 409 explained, unbound after a confirmation', async () => {
  const first = await bindInWeChat(PERSON_OPENID, '/m/', PERSON)
  const page = first.page
  expect(binding(PERSON.phone)).toEqual([{ openid: PERSON_OPENID, notify_channel: 'wechat' }])

  // The error state first: the server cannot answer, the page says so and retries.
  await page.route('**/api/v1/me', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"internal","message":"down"}}' }))
  await page.getByRole('navigation', { name: '功能' }).getByRole('link', { name: '通知设置' }).click()
  await page.getByRole('alert').getByText('服务器出错了，请稍后再试').waitFor()
  await page.unroute('**/api/v1/me')
  await page.getByRole('button', { name: '重试' }).click()

  // Bound: WeChat is offered and chosen (a bound account starts on WeChat).
  await page.getByText('已绑定微信').waitFor()
  await page.getByRole('radio', { name: '微信', checked: true }).waitFor()
  await screenshot(page, 'phone-notify-settings')
  await page.getByRole('radio', { name: '短信' }).click()
  await page.getByRole('status').getByText('已保存：通知将通过短信发送').waitFor()
  expect(binding(PERSON.phone)).toEqual([{ openid: PERSON_OPENID, notify_channel: 'sms' }])

  // The binding goes away elsewhere (the person's other session unbinds); this page still offers
  // WeChat, the server refuses it with 409, and the page explains and shows the unbound state.
  const other = await staff(product.url, PERSON.phone, PERSON.password)
  await other.must(204, 'DELETE', '/api/v1/me/wechat')
  expect(binding(PERSON.phone)).toEqual([])
  await page.getByRole('radio', { name: '微信' }).click()
  await page.getByRole('alert').getByText(/您的账号已不再绑定微信/).waitFor()
  await page.getByText('尚未绑定微信').waitFor()
  expect(await page.getByRole('radio', { name: '微信' }).count()).toBe(0)
  await page.getByRole('radio', { name: '短信', checked: true }).waitFor()
  expect(await page.getByRole('button', { name: '解绑微信' }).count()).toBe(0)
  await screenshot(page, 'phone-notify-unbound')
  expect(binding(PERSON.phone)).toEqual([])
  await first.close()

  // Bound again from WeChat; back to 微信, then unbound here, after a confirmation (cancelled once).
  const again = await bindInWeChat(PERSON_OPENID, '/m/notify', PERSON)
  await again.page.getByText('已绑定微信').waitFor()
  expect(binding(PERSON.phone)).toEqual([{ openid: PERSON_OPENID, notify_channel: 'wechat' }])
  await again.page.getByRole('button', { name: '解绑微信' }).click()
  const confirm = again.page.getByRole('group', { name: '确认解绑微信' })
  await confirm.getByText('确定解绑吗？', { exact: false }).waitFor()
  await confirm.getByRole('button', { name: '取消' }).click()
  expect(binding(PERSON.phone)).toHaveLength(1)
  await again.page.getByRole('button', { name: '解绑微信' }).click()
  await again.page.getByRole('button', { name: '确认解绑' }).click()
  await again.page.getByRole('status').getByText('已解绑微信，通知将通过短信发送').waitFor()
  await again.page.getByText('尚未绑定微信').waitFor()
  expect(binding(PERSON.phone)).toEqual([])
  expect(audits('wechat.unbind')).toBe(2)
  await again.close()
})

test('console 微信模板消息: refused beside the field, set with its field mapping (audited), deleted; auditors see neither menu nor API', async () => {
  const kinds = await admin.must<{ items: { kind: string; params: string[]; template_id: string | null }[] }>(200, 'GET', '/api/v1/wechat/templates')
  const kind = kinds.items.find((k) => k.params.length > 0)!
  expect(kind).toBeTruthy()
  const stored = () => product.query<{ template_id: string; fields: string }>(`SELECT template_id, fields FROM wechat_templates WHERE kind = '${kind.kind}'`)

  const { page, problems } = await person(browser)
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await page.getByRole('heading', { name: '工作台' }).waitFor()
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '消息' }).click()
  await page.getByRole('tab', { name: '微信模板消息' }).click()
  const list = page.getByLabel('微信模板列表')
  await list.getByText(kind.kind, { exact: true }).waitFor()
  await list.getByText('未设置（发短信）').first().waitFor()

  await page.getByRole('button', { name: `设置 ${kind.kind} 的微信模板` }).click()
  const dialog = page.getByRole('dialog', { name: `设置微信模板：${kind.kind}` })
  // One row per parameter to start with; a bad template id is refused beside it.
  await dialog.getByRole('group', { name: `第 ${kind.params.length} 项` }).waitFor()
  await dialog.getByLabel('模板ID').fill('bad id!')
  for (let i = 1; i <= kind.params.length; i++) await dialog.getByLabel(`第 ${i} 项数据项`).fill(`thing${i + 1}`)
  await dialog.getByRole('button', { name: '保存微信模板' }).click()
  await dialog.getByText('模板ID只能包含字母、数字、下划线和短横线，最多 64 位').waitFor()
  expect(stored()).toEqual([])

  // A bad data key: refused beside its row, nothing stored.
  await dialog.getByLabel('模板ID').fill('Tx8kQ2mZ-b_tpl01')
  await dialog.getByLabel('第 1 项数据项').fill('2thing')
  await dialog.getByRole('button', { name: '保存微信模板' }).click()
  await dialog.getByRole('group', { name: '第 1 项' }).getByText('数据项须以小写字母开头，只含小写字母、数字和下划线（如 thing2、time3）').waitFor()
  await screenshot(page, 'console-wechat-template-refused')
  expect(stored()).toEqual([])

  await dialog.getByLabel('第 1 项数据项').fill('thing2')
  await dialog.getByRole('button', { name: '保存微信模板' }).click()
  await page.getByText(`已保存「${kind.kind}」的微信模板`).waitFor()
  await list.getByText('Tx8kQ2mZ-b_tpl01', { exact: true }).waitFor()
  await list.getByText(`thing2 ← ${kind.params[0]}`, { exact: true }).waitFor()
  await screenshot(page, 'console-wechat-templates')
  const expected = kind.params.map((p, i) => ({ key: `thing${i + 2}`, param: p }))
  expect(stored().map((r) => ({ template_id: r.template_id, fields: JSON.parse(r.fields) }))).toEqual([{ template_id: 'Tx8kQ2mZ-b_tpl01', fields: expected }])
  expect(audits('wechat-template.set')).toBe(1)

  // Deleted after a confirmation: the kind goes by SMS again.
  await page.getByRole('button', { name: `删除 ${kind.kind} 的微信模板` }).click()
  const removal = page.getByRole('dialog', { name: `删除「${kind.kind}」的微信模板` })
  await removal.getByText('类通知将改发短信', { exact: false }).waitFor()
  await removal.getByRole('button', { name: '删除', exact: true }).click()
  await page.getByText(`已删除「${kind.kind}」的微信模板，该类通知改发短信`).waitFor()
  await expect.poll(() => list.getByText('Tx8kQ2mZ-b_tpl01').count()).toBe(0)
  expect(stored()).toEqual([])
  expect(audits('wechat-template.delete')).toBe(1)
  expect(problems).toEqual([])

  // An auditor: no 消息 menu, and the API refuses them too.
  const auditor = await person(browser)
  await auditor.page.goto(`${product.url}/console/sign-in`)
  await signIn(auditor.page, '13800000003', 'wenming-demo-3')
  await auditor.page.getByRole('heading', { name: '工作台' }).waitFor()
  await auditor.page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '组织架构' }).waitFor()
  expect(await auditor.page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '消息' }).count()).toBe(0)
  const auditorApi = await staff(product.url, '13800000003', 'wenming-demo-3')
  expect((await auditorApi.call('GET', '/api/v1/wechat/templates')).status).toBe(403)
  expect((await auditorApi.call('PUT', `/api/v1/wechat/templates/${kind.kind}`, { template_id: 'x', fields: [{ key: 'thing2', param: kind.params[0] }] })).status).toBe(403)
  expect(stored()).toEqual([])
  await auditor.context.close()
  await page.context().close()
})

test('console 组织架构: staff unbind a team leader’s WeChat after a confirmation, audited; unbinding again is explained', async () => {
  const bound = await bindInWeChat(LEADER_OPENID, '/m/notify', { phone: LEADER.phone, password: LEADER.password })
  await bound.page.getByText('已绑定微信').waitFor()
  await bound.close()
  expect(binding(LEADER.phone)).toEqual([{ openid: LEADER_OPENID, notify_channel: 'wechat' }])
  const before = audits('wechat.unbind')

  const { page, problems } = await person(browser)
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await page.getByRole('heading', { name: '工作台' }).waitFor()
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '组织架构' }).click()
  await page.getByRole('tree', { name: '组织树' }).getByText(TOWN, { exact: true }).click()
  await page.getByRole('heading', { name: TOWN, exact: true }).waitFor()
  const row = page.getByRole('region', { name: '账号列表' }).getByRole('row').filter({ hasText: LEADER.name }).first()
  await row.getByRole('button', { name: `解绑「${LEADER.name}」的微信` }).click()
  const dialog = page.getByRole('dialog', { name: `解绑「${LEADER.name}」的微信` })
  await dialog.getByText('通知改为短信发送', { exact: false }).waitFor()
  await screenshot(page, 'console-unbind-wechat')
  await dialog.getByRole('button', { name: '解绑微信' }).click()
  await page.getByText(`已解绑「${LEADER.name}」的微信`).waitFor()
  expect(binding(LEADER.phone)).toEqual([])
  expect(audits('wechat.unbind')).toBe(before + 1)

  // Again: nothing to unbind, said in the dialog, nothing audited.
  await row.getByRole('button', { name: `解绑「${LEADER.name}」的微信` }).click()
  await dialog.getByRole('button', { name: '解绑微信' }).click()
  await dialog.getByRole('alert').getByText(`「${LEADER.name}」没有绑定微信，无需解绑`).waitFor()
  expect(audits('wechat.unbind')).toBe(before + 1)
  expect(problems).toEqual([])
  await page.context().close()
})
