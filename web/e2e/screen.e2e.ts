// The big-data screen (大屏) in a real Chromium against the real edge on the demo county: the
// centre admin makes a screen link through the API; the wall's browser (1920×1080, nobody signed
// in) opens it and shows the headline numbers, which are checked against the database's own rows
// (not the rollups the screen reads); the link is revoked and the wall clears on reload.

import { expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { person, screenshot, signIn } from './support/browser'
import { staff } from './support/api'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: true }, (p, b) => {
  product = p
  browser = b
})

/** Today's Asia/Shanghai day number and the 30-day window the screen shows, in SQL. */
const DAY = "((CAST(strftime('%s','now') AS INTEGER) + 28800) / 86400)"

test('a screen link shows the county headline numbers on the wall until it is revoked', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [centre] = product.query<{ id: number; name: string }>("SELECT id, name FROM orgs WHERE level = 'centre'")
  const link = await admin.must<{ id: number; token: string; path: string }>(201, 'POST', '/api/v1/dashboard/screen-links', {
    org_id: centre!.id,
    label: '中心大厅',
  })

  const [{ n: volunteers }] = product.query<{ n: number }>('SELECT COUNT(*) AS n FROM volunteers') as [{ n: number }]
  const [{ n: teams }] = product.query<{ n: number }>('SELECT COUNT(*) AS n FROM teams WHERE active = 1') as [{ n: number }]
  const [{ n: checkins }] = product.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM attendances WHERE (checked_in_at + 28800) / 86400 BETWEEN ${DAY} - 29 AND ${DAY}`,
  ) as [{ n: number }]
  expect(volunteers).toBeGreaterThan(0)

  const { page, problems } = await person(browser, { viewport: { width: 1920, height: 1080 } })
  await page.goto(`${product.url}${link.path}`)
  await page.getByRole('heading', { name: `${centre!.name} · 新时代文明实践数据大屏` }).waitFor()
  const figure = (label: string) => page.getByRole('group', { name: label, exact: true })
  await expect(figure('注册志愿者').textContent()).resolves.toBe(`注册志愿者${volunteers.toLocaleString('zh-CN')}`)
  await expect(figure('服务队伍').textContent()).resolves.toBe(`服务队伍${teams.toLocaleString('zh-CN')}`)
  await expect(figure('签到人次').textContent()).resolves.toBe(`签到人次${checkins.toLocaleString('zh-CN')}`)
  await page.getByRole('list', { name: '下级阵地' }).waitFor()
  await page.getByText('少于 5 人的分组不显示，以保护个人信息').waitFor()
  // No volunteer's name reaches the wall.
  const [someone] = product.query<{ real_name: string }>('SELECT real_name FROM volunteers LIMIT 1')
  expect(await page.getByText(someone!.real_name).count()).toBe(0)
  await page.waitForTimeout(800)
  await screenshot(page, 'screen')
  expect(problems).toEqual([])

  // Revoked: the next read (a reload here; the wall's own polling otherwise) clears the wall.
  await admin.must(200, 'POST', `/api/v1/dashboard/screen-links/${link.id}/revoke`)
  await page.reload()
  await page.getByRole('alert').getByText('此大屏链接已停用或不存在，请联系管理员重新生成。').waitFor()
  expect(await figure('注册志愿者').count()).toBe(0)
  const [row] = product.query<{ revoked: number }>(`SELECT revoked_at IS NOT NULL AS revoked FROM screen_links WHERE id = ${link.id}`)
  expect(row?.revoked).toBe(1)
})

test('the console home page shows the same numbers and opens the list behind one', async () => {
  const { page, problems } = await person(browser)
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [{ n: volunteers }] = product.query<{ n: number }>('SELECT COUNT(*) AS n FROM volunteers') as [{ n: number }]
  const [{ n: orders }] = product.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM demands WHERE (created_at + 28800) / 86400 BETWEEN ${DAY} - 29 AND ${DAY}`,
  ) as [{ n: number }]
  const stats = page.getByRole('region', { name: '核心指标' })
  const card = stats.getByRole('group', { name: '注册志愿者', exact: true })
  await card.getByText(volunteers.toLocaleString('zh-CN'), { exact: true }).waitFor()
  await stats.getByRole('group', { name: '群众点单', exact: true }).getByText(orders.toLocaleString('zh-CN'), { exact: true }).waitFor()
  await screenshot(page, 'home-stats')

  // A screen link made and stopped on the same page: an empty name refused beside the field.
  await page.getByRole('button', { name: '生成大屏链接' }).click()
  await page.getByText('名称填写有误', { exact: false }).waitFor()
  await page.getByLabel('链接名称', { exact: true }).fill('会议室大屏')
  await page.getByRole('button', { name: '生成大屏链接' }).click()
  const url = await page.getByRole('link', { name: /\/screen\.html#[0-9a-f]{64}$/ }).textContent()
  const token = url!.split('#')[1]!
  const reply = await fetch(`${product.url}/api/v1/screen/${token}`)
  expect(reply.status).toBe(200)
  await page.getByRole('button', { name: '停用 会议室大屏' }).click()
  await page.getByRole('dialog', { name: '停用大屏链接' }).getByRole('button', { name: '停用' }).click()
  await page.getByText('已停用「会议室大屏」').waitFor()
  expect(product.query("SELECT revoked_at IS NOT NULL AS revoked FROM screen_links WHERE label = '会议室大屏'")).toEqual([{ revoked: 1 }])
  expect((await fetch(`${product.url}/api/v1/screen/${token}`)).status).toBe(404)

  await card.getByRole('link').click()
  await page.waitForURL(/\/console\/volunteers\?org=\d+$/)
  expect(problems).toEqual([])
})

/** Clicks 加载更多 until the list has no more pages. */
async function loadAll(page: import('playwright-core').Page): Promise<void> {
  const more = page.getByRole('button', { name: '加载更多' })
  while ((await more.count()) > 0) {
    await more.click()
    await page.waitForFunction(() => !document.querySelector('.el-loading-mask'))
  }
}

test('each home number opens the rows behind it: teams, activities of the period, a 所 scoped home', async () => {
  const { page, problems } = await person(browser)
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const stats = page.getByRole('region', { name: '核心指标' })
  const [centre] = product.query<{ id: number; name: string }>("SELECT id, name FROM orgs WHERE level = 'centre'")

  // 服务队伍 → the active teams of the centre's subtree: as many as the number, as the database has.
  const [{ n: teams }] = product.query<{ n: number }>('SELECT COUNT(*) AS n FROM teams WHERE active = 1') as [{ n: number }]
  expect(teams).toBeGreaterThan(0)
  await stats.getByRole('link', { name: `服务队伍 ${teams.toLocaleString('zh-CN')}：查看这些在役队伍` }).click()
  await page.waitForURL(new RegExp(`/console/teams\\?org=${centre!.id}&active=1$`))
  await page.getByText(`工作台明细：${centre!.name}（含下级）的在役队伍`).waitFor()
  await page.getByRole('menubar', { name: '队伍列表' }).waitFor()
  await loadAll(page)
  expect(await page.getByRole('menubar', { name: '队伍列表' }).getByRole('menuitem').count()).toBe(teams)

  // 活动 → the approved activities that start in the period (not those merely running in it).
  await page.goto(`${product.url}/console/`)
  const [{ n: activities }] = product.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM activities WHERE status = 'approved' AND (starts_at + 28800) / 86400 BETWEEN ${DAY} - 29 AND ${DAY}`,
  ) as [{ n: number }]
  expect(activities).toBeGreaterThan(0)
  const activitiesLink = stats.getByRole('link', { name: new RegExp(`^活动 ${activities.toLocaleString('zh-CN')}：`) })
  await activitiesLink.click()
  await page.waitForURL(/\/console\/activities\?org=\d+&status=approved&from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d$/)
  await page.getByText(/开始的活动（按上方状态）$/).waitFor()
  const list = page.getByLabel('活动列表')
  await list.getByRole('link').first().waitFor()
  await loadAll(page)
  expect(await list.getByRole('link').count()).toBe(activities)
  await screenshot(page, 'home-drill-activities')
  // Cleared: the list widens to every activity the centre admin sees.
  await page.getByRole('button', { name: '清除筛选，显示全部' }).click()
  await page.waitForURL(/\/console\/activities$/)

  // 群众点单 and the funnel's 接单 → the orders placed in the period (that reached the stage).
  await page.goto(`${product.url}/console/`)
  const placed = `SELECT COUNT(*) AS n FROM demands d WHERE (d.created_at + 28800) / 86400 BETWEEN ${DAY} - 29 AND ${DAY}`
  const [{ n: orders }] = product.query<{ n: number }>(placed) as [{ n: number }]
  const [{ n: accepted }] = product.query<{ n: number }>(
    `${placed} AND EXISTS (SELECT 1 FROM demand_events e WHERE e.demand_id = d.id AND e.to_status = 'accepted')`,
  ) as [{ n: number }]
  expect(accepted).toBeGreaterThan(0)
  await stats.getByRole('link', { name: `群众点单 ${orders.toLocaleString('zh-CN')}：查看期间内下的全部点单` }).click()
  await page.waitForURL(/\/console\/orders\?org=\d+&from=[\d-]+&to=[\d-]+&stage=ordered$/)
  const orderRows = page.getByLabel('订单列表').getByRole('button', { name: /^查看订单 \d+$/ })
  await orderRows.first().waitFor()
  await loadAll(page)
  expect(await orderRows.count()).toBe(orders)
  await page.goto(`${product.url}/console/`)
  await page.getByRole('group', { name: '四单' }).getByRole('link', { name: `接单 ${accepted.toLocaleString('zh-CN')}：查看这些订单` }).click()
  await page.getByText('下单、已接单的订单').waitFor()
  await orderRows.first().waitFor()
  await loadAll(page)
  expect(await orderRows.count()).toBe(accepted)
  await screenshot(page, 'home-drill-orders')

  // A 所 of the ranking → the same home, scoped to it, its volunteers counted over its subtree.
  await page.goto(`${product.url}/console/`)
  const ranking = page.getByLabel('下级阵地排行')
  const first = ranking.getByRole('link').first()
  const label = (await first.getAttribute('aria-label'))!
  const name = label.replace(/：查看该组织的数据概览$/, '')
  const [institute] = product.query<{ id: number; path: string }>(`SELECT id, path FROM orgs WHERE name = '${name.replace(/'/g, "''")}'`)
  await first.click()
  await page.waitForURL(new RegExp(`/console/\\?org=${institute!.id}$`))
  await page.getByText(`数据概览 · ${name}（近30天`).waitFor()
  const [{ n: there }] = product.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM volunteers v JOIN orgs o ON o.id = v.home_org_id WHERE o.path LIKE '${institute!.path}%'`,
  ) as [{ n: number }]
  await stats.getByRole('group', { name: '注册志愿者', exact: true }).getByText(there.toLocaleString('zh-CN'), { exact: true }).waitFor()
  await screenshot(page, 'home-scoped')
  await page.getByRole('link', { name: '返回本级' }).click()
  await page.getByText(`数据概览 · ${centre!.name}（近30天`).waitFor()
  expect(problems).toEqual([])
})

test('an org’s address, coordinates and population are edited in 组织架构, a bad value refused beside its field', async () => {
  const { page, problems } = await person(browser)
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '组织架构' }).click()
  const [centre] = product.query<{ id: number; name: string }>("SELECT id, name FROM orgs WHERE level = 'centre'")
  await page.getByRole('heading', { name: centre!.name }).waitFor()
  await page.getByRole('button', { name: '编辑资料' }).click()
  const dialog = page.getByRole('dialog', { name: `编辑「${centre!.name}」的资料` })
  await dialog.getByLabel('地址', { exact: true }).fill('县城人民路1号')
  await dialog.getByLabel('纬度', { exact: true }).fill('95')
  await dialog.getByLabel('经度', { exact: true }).fill('120.15')
  await dialog.getByLabel('常住人口', { exact: true }).fill('320000')
  await dialog.getByRole('button', { name: '保存' }).click()
  await dialog.getByText('纬度填写有误', { exact: false }).waitFor()
  expect(product.query(`SELECT address, population FROM orgs WHERE id = ${centre!.id}`)).toEqual([{ address: '', population: null }])

  await dialog.getByLabel('纬度', { exact: true }).fill('30.27')
  await dialog.getByRole('button', { name: '保存' }).click()
  await page.getByText('资料已保存').waitFor()
  await page.getByText('320,000 人', { exact: true }).waitFor()
  expect(product.query(`SELECT address, latitude_e6, longitude_e6, population FROM orgs WHERE id = ${centre!.id}`)).toEqual([
    { address: '县城人民路1号', latitude_e6: 30270000, longitude_e6: 120150000, population: 320000 },
  ])
  await screenshot(page, 'org-profile')
  expect(problems).toEqual([])
})
