// The wall screen's map (大屏地图) against the real edge and a stand-in tile service on
// 127.0.0.1: with `screen.tile_url` set on the console's settings page and two
// institutes given coordinates, the screen's centre panel asks the tile service for tiles and
// marks the institutes at their places, with the attribution shown; with the setting emptied, the
// same link shows the schematic of the org tree again and asks for no tile.

import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import { CENTRE_ADMIN, startProduct, type Product } from './support/edge'
import { launch, person, screenshot, signIn } from './support/browser'
import { staff } from './support/api'
import { startTileServer, type TileServer } from './support/tiles'

let product: Product
let browser: Browser
let tiles: TileServer

beforeAll(async () => {
  product = await startProduct({ demo: true })
  tiles = await startTileServer()
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  await tiles?.stop()
  await product?.stop()
})

test('with a tile service configured the screen draws a map with markers; without one, the schematic', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [centre] = product.query<{ id: number; name: string }>("SELECT id, name FROM orgs WHERE level = 'centre'")
  const institutes = product.query<{ id: number; name: string }>(
    `SELECT id, name FROM orgs WHERE parent_id = ${centre!.id} AND active = 1 ORDER BY id LIMIT 2`,
  )
  expect(institutes).toHaveLength(2)
  await admin.must(200, 'PATCH', `/api/v1/orgs/${institutes[0]!.id}`, { latitude: 28.215, longitude: 113.03 })
  await admin.must(200, 'PATCH', `/api/v1/orgs/${institutes[1]!.id}`, { latitude: 28.24, longitude: 113.17 })

  // On 系统设置 → 数据大屏: a template without {y} is refused beside the field and stores nothing;
  // the stand-in's template and an attribution are saved.
  const console = await person(browser)
  await console.page.goto(`${product.url}/console/sign-in`)
  await signIn(console.page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await console.page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '系统设置' }).click()
  await console.page.getByRole('tab', { name: '数据大屏' }).click()
  const tileUrl = console.page.getByLabel('地图瓦片地址', { exact: true })
  await tileUrl.fill(tiles.template.replace('{y}', '0'))
  await console.page.getByRole('button', { name: '保存地图瓦片地址' }).click()
  await console.page.getByText('地图瓦片地址无效：须含 {y}').waitFor()
  expect(product.query("SELECT key FROM deployment_settings WHERE key = 'screen.tile_url'")).toEqual([])
  await tileUrl.fill(tiles.template)
  await console.page.getByRole('button', { name: '保存地图瓦片地址' }).click()
  await console.page.getByText('已保存「地图瓦片地址」').waitFor()
  await console.page.getByLabel('地图署名', { exact: true }).fill('测试瓦片 · 审图号：测试')
  await console.page.getByRole('button', { name: '保存地图署名' }).click()
  await console.page.getByText('已保存「地图署名」').waitFor()
  await screenshot(console.page, 'settings-screen-map')
  expect(product.query("SELECT key, value FROM deployment_settings WHERE key LIKE 'screen.%' ORDER BY key")).toEqual([
    { key: 'screen.tile_attribution', value: '测试瓦片 · 审图号：测试' },
    { key: 'screen.tile_url', value: tiles.template },
  ])
  expect(console.problems).toEqual([])
  await console.context.close()

  const link = await admin.must<{ path: string }>(201, 'POST', '/api/v1/dashboard/screen-links', { org_id: centre!.id, label: '地图大屏' })
  const { page, problems } = await person(browser, { viewport: { width: 1920, height: 1080 }, ignoreHTTPSErrors: true })
  await page.goto(`${product.url}${link.path}`)
  await page.getByRole('heading', { name: '阵地与活动分布' }).waitFor()
  const markers = page.getByRole('list', { name: '地图标注' })
  for (const org of institutes) await markers.getByRole('listitem', { name: `阵地：${org.name}` }).waitFor()
  await page.getByText('测试瓦片 · 审图号：测试', { exact: true }).waitFor()
  expect(await page.getByRole('list', { name: '下级阵地' }).count()).toBe(0)

  // The tiles came from the configured service, and the browser drew them.
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>('.tile-map__tile')]
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth === 256)
  })
  expect(tiles.requests.length).toBeGreaterThan(0)
  const zooms = new Set(tiles.requests.map((r) => r.split('/')[0]))
  expect(zooms.size).toBe(1)
  // Both institutes inside the drawn panel, the west one left of the east one.
  const box = async (name: string) => (await markers.getByRole('listitem', { name: `阵地：${name}` }).boundingBox())!
  const [west, east] = [await box(institutes[0]!.name), await box(institutes[1]!.name)]
  expect(west.x).toBeLessThan(east.x)
  expect(west.y).toBeGreaterThan(east.y)
  await page.waitForTimeout(500)
  await screenshot(page, 'screen-map')
  expect(problems).toEqual([])

  // No tile service: the same link shows the org tree's schematic and asks for no tile.
  await admin.must(200, 'PUT', '/api/v1/settings/screen.tile_url', { value: '' })
  expect(product.query("SELECT value FROM deployment_settings WHERE key = 'screen.tile_url'")).toEqual([{ value: '' }])
  const asked = tiles.requests.length
  await page.reload()
  await page.getByRole('heading', { name: '阵地分布示意（按组织架构）' }).waitFor()
  await page.getByRole('list', { name: '下级阵地' }).getByText(institutes[0]!.name).waitFor()
  expect(await page.getByRole('list', { name: '地图标注' }).count()).toBe(0)
  expect(tiles.requests.length).toBe(asked)
  expect(problems).toEqual([])
})
