// 礼遇 in a real Chromium against the real edge on a fresh database (the demo county): the centre
// admin adds an item to the catalogue (a duplicate refused beside the name), a volunteer redeems
// it through the API, the admin hands it over with the pickup code (a wrong code refused beside
// the field), nominates an honour and is refused approving their own nomination; star levels in
// public notice are listed. Each step checks the page, then the database.

import { expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { person, screenshot, signIn } from './support/browser'
import { apiAs } from './support/api'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: true }, (p, b) => {
  product = p
  browser = b
})

const ITEM = '爱心超市·大米五公斤'
/** The demo team leader is also a volunteer with a password. */
const VOLUNTEER = { phone: '13800000004', password: 'wenming-demo-4', name: '刘志强' }

test('the catalogue, a handover by pickup code, and an honour nominated', async () => {
  const { page, problems } = await person(browser)
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '礼遇' }).click()

  // The catalogue: a new item at the centre, then the same name refused beside the name field.
  await page.getByRole('button', { name: '新增礼遇' }).click()
  const dialog = page.getByRole('dialog', { name: '新增礼遇' })
  await dialog.getByLabel('礼遇名称').fill(ITEM)
  await dialog.getByLabel('库存').fill('10')
  await dialog.getByRole('button', { name: '保存' }).click()
  await page.getByText(`礼遇「${ITEM}」已保存`).waitFor()
  await page.getByRole('region', { name: '礼遇目录' }).getByRole('row').filter({ hasText: ITEM }).getByText('可兑换').waitFor()
  await page.getByRole('button', { name: '新增礼遇' }).click()
  await dialog.getByLabel('礼遇名称').fill(ITEM)
  await dialog.getByRole('button', { name: '保存' }).click()
  await dialog.getByText('同一组织下已有同名礼遇').waitFor()
  await dialog.getByRole('button', { name: '取消' }).click()
  await screenshot(page, 'rewards-catalogue')
  const [item] = product.query<{ id: number; stock: number }>(`SELECT id, stock FROM reward_items WHERE name = '${ITEM}'`)
  expect(item?.stock).toBe(10)
  expect(product.query(`SELECT COUNT(*) AS n FROM reward_items WHERE name = '${ITEM}'`)).toEqual([{ n: 1 }])

  // A volunteer redeems it through the API and is given a pickup code.
  const volunteer = await apiAs(product.url, VOLUNTEER.phone, VOLUNTEER.password)
  const redemption = await volunteer.call<{ id: number; pickup_code: string }>('POST', '/api/v1/redemptions', { item_id: item!.id })

  // The handover: a wrong code is refused beside the field and changes nothing; the right one hands it over.
  await page.getByRole('tab', { name: '兑换核销' }).click()
  const row = page.getByRole('region', { name: '兑换记录' }).getByRole('row').filter({ hasText: ITEM })
  await row.getByRole('button', { name: `核销 ${redemption.id}` }).click()
  const handover = page.getByRole('dialog', { name: `核销领取 · ${ITEM}` })
  const wrong = redemption.pickup_code === '12345678' ? '87654321' : '12345678'
  await handover.getByLabel('取货码').fill(wrong)
  await handover.getByRole('button', { name: '确认核销' }).click()
  await handover.getByText('取货码不正确，请核对后重试').waitFor()
  await screenshot(page, 'rewards-handover-refused')
  expect(product.query(`SELECT status FROM redemptions WHERE id = ${redemption.id}`)).toEqual([{ status: 'reserved' }])
  await handover.getByLabel('取货码').fill(redemption.pickup_code)
  await handover.getByRole('button', { name: '确认核销' }).click()
  await page.getByText(`兑换 ${redemption.id} 已核销领取`).waitFor()
  expect(product.query(`SELECT status FROM redemptions WHERE id = ${redemption.id}`)).toEqual([{ status: 'handed_over' }])

  // Star levels in public notice.
  await page.getByRole('tab', { name: '星级公示' }).click()
  await page.getByRole('region', { name: '星级评定' }).waitFor()
  await screenshot(page, 'rewards-stars')

  // Honours: a nomination, which its nominator may not approve.
  await page.getByRole('tab', { name: '荣誉评选' }).click()
  await page.getByRole('button', { name: '提名' }).click()
  const nominate = page.getByRole('dialog', { name: '提名荣誉' })
  await nominate.getByRole('combobox', { name: '志愿者' }).fill(VOLUNTEER.name)
  await page.getByRole('option', { name: new RegExp(`^${VOLUNTEER.name}（WM`) }).click()
  await nominate.getByLabel('荣誉称号').fill('最美志愿者')
  await nominate.getByLabel('期次').fill('2026年度')
  await nominate.getByLabel('事迹').fill('常年上门为独居老人维修家电')
  await nominate.getByRole('button', { name: '提交提名' }).click()
  await page.getByText('已提名「最美志愿者」，待其他工作人员审核').waitFor()
  const nominations = page.getByRole('region', { name: '荣誉提名' })
  await nominations.getByRole('button', { name: `审核通过 ${VOLUNTEER.name}` }).click()
  const decide = page.getByRole('dialog', { name: `审核通过 · ${VOLUNTEER.name}` })
  await decide.getByRole('button', { name: '通过' }).click()
  await decide.getByText('不能审核自己提名的荣誉，请由其他工作人员审核').waitFor()
  await screenshot(page, 'rewards-honours')
  expect(
    product.query(`SELECT h.status, h.title, h.period, v.real_name FROM honours h JOIN volunteers v ON v.id = h.volunteer_id WHERE h.reason = '常年上门为独居老人维修家电'`),
  ).toEqual([{ status: 'nominated', title: '最美志愿者', period: '2026年度', real_name: VOLUNTEER.name }])

  expect(problems).toEqual([])
})
