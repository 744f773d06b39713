// The public notices (公示) on a 360×740 phone against the real edge (the demo county), without
// signing in: the volunteers whose star level is in its notice period and the approved honours,
// as the database holds them — names and volunteer numbers, never a phone or resident ID; a
// network failure while loading is said on the page, and its retry then loads both lists.

import { expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import type { Product } from './support/edge'
import { screenshot } from './support/browser'
import { fitsTheScreen, phone } from './support/phone'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: true }, (p, b) => {
  product = p
  browser = b
})

test('anyone reads the star notices and the honour list on the phone', async () => {
  const inNotice = product.query<{ real_name: string; volunteer_no: string; level: number; phone: string; id_number: string }>(
    `SELECT v.real_name, v.volunteer_no, s.level, v.phone, v.id_number FROM star_levels s JOIN volunteers v ON v.id = s.volunteer_id
     WHERE s.status = 'proposed' AND s.notice_ends_at > unixepoch()`,
  )
  const approved = product.query<{ real_name: string; title: string; period: string; status: string }>(
    `SELECT v.real_name, h.title, h.period, h.status FROM honours h JOIN volunteers v ON v.id = h.volunteer_id`,
  )
  expect(inNotice.length).toBeGreaterThan(0)
  expect(approved.some((h) => h.status === 'approved')).toBe(true)

  const visitor = await phone(browser, { latitude: 30.0, longitude: 120.0 })
  const page = visitor.page
  await page.goto(`${product.url}/m/`)
  await page.waitForURL(/\/m\/sign-in/)
  // The network drops while the page loads: the error is said, with a retry that then works.
  await page.route('**/api/v1/honours*', (route) => route.abort('internetdisconnected'))
  await page.goto(`${product.url}/m/notices`)
  await page.getByRole('alert').getByText('无法连接服务器，请检查网络后重试').waitFor()
  await page.unroute('**/api/v1/honours*')
  await page.getByRole('button', { name: '重试' }).click()

  const stars = page.getByRole('region', { name: '星级志愿者公示' })
  for (const n of inNotice) {
    const entry = stars.getByRole('listitem').filter({ hasText: `${n.real_name}（${n.volunteer_no}）` })
    await entry.getByText(`拟评 ${n.level} 星`).waitFor()
    // A 公示 names people; their phone and resident ID never appear.
    expect(await page.getByText(n.phone).count()).toBe(0)
    expect(await page.getByText(n.id_number).count()).toBe(0)
  }
  const honours = page.getByRole('region', { name: '荣誉榜' })
  for (const h of approved) {
    const shown = honours.getByRole('listitem').filter({ hasText: h.real_name }).filter({ hasText: `${h.title}（${h.period}）` })
    expect(await shown.count()).toBe(h.status === 'approved' ? 1 : 0)
  }
  expect(await honours.getByRole('listitem').count()).toBe(approved.filter((h) => h.status === 'approved').length)
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-notices')
  expect(visitor.problems).toEqual([])
})
