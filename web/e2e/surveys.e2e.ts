// 需求调查 in a real Chromium against the real edge on a fresh database (the demo county): the
// centre admin builds a questionnaire in the builder (a single choice and a rating shown only for
// one of its answers), is refused beside the field the server names, saves it, publishes it;
// people answer through the API; the results page shows the per-station breakdown and the
// question's chart. Each step checks the page, then the database.

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

const TITLE = '2026年冬季居民需求调查'

/** Beijing wall-clock time `hours` from now, as the date picker shows it. */
function beijingIn(hours: number): string {
  return new Date(Date.now() + (8 + hours) * 3600_000).toISOString().slice(0, 19).replace('T', ' ')
}

test('a survey is built, published, answered and its chart shown', async () => {
  const { page, problems } = await person(browser)
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '需求调查' }).click()
  await page.getByRole('button', { name: '新建问卷' }).click()
  await page.getByRole('heading', { name: '新建问卷' }).waitFor()

  // The questionnaire: its settings, a single choice, then a rating shown only for one answer.
  await page.getByLabel('问卷标题', { exact: true }).fill(TITLE)
  await page.getByLabel('问卷说明', { exact: true }).fill('了解辖区居民最需要的志愿服务')
  await page.getByLabel('开始时间', { exact: true }).fill(beijingIn(-1))
  await page.getByLabel('开始时间', { exact: true }).press('Enter')
  await page.getByLabel('截止时间', { exact: true }).fill(beijingIn(24 * 7))
  await page.getByLabel('截止时间', { exact: true }).press('Enter')
  await page.getByRole('button', { name: '第 1 部分添加单选题' }).click()
  await page.getByLabel('第 1 题题目', { exact: true }).fill('您最需要哪类志愿服务？')
  await page.getByLabel('第 1 题选项 1', { exact: true }).fill('助老助残')
  await page.getByLabel('第 1 题选项 2', { exact: true }).fill('文化娱乐')
  await page.getByRole('button', { name: '第 1 题添加选项' }).click()
  await page.getByLabel('第 1 题选项 3', { exact: true }).fill('便民维修')
  await page.getByRole('button', { name: '第 1 部分添加评分' }).click()
  await page.getByRole('combobox', { name: '第 2 题显示条件' }).click({ force: true })
  await page.getByRole('option', { name: '当第 1 题「您最需要哪类志愿服务？」' }).click()
  await page.getByRole('combobox', { name: '第 2 题条件选项' }).click({ force: true })
  await page.getByRole('option', { name: '助老助残' }).click()
  await page.keyboard.press('Escape')

  // Saved with the rating's title empty: refused beside that question's title, nothing stored.
  await page.getByRole('button', { name: '保存草稿' }).click()
  const second = page.getByRole('group', { name: '第 2 题' })
  await second.getByText('不能为空').waitFor()
  await screenshot(page, 'survey-builder-refused')
  expect(product.query(`SELECT COUNT(*) AS n FROM surveys WHERE title = '${TITLE}'`)).toEqual([{ n: 0 }])

  await page.getByLabel('第 2 题题目', { exact: true }).fill('您对上门助老服务的满意度')
  await screenshot(page, 'survey-builder')
  await page.getByRole('button', { name: '保存草稿' }).click()
  await page.getByText(`问卷「${TITLE}」已保存为草稿`).waitFor()
  const [stored] = product.query<{ id: number; status: string; definition: string }>(`SELECT id, status FROM surveys WHERE title = '${TITLE}'`)
  expect(stored?.status).toBe('draft')

  // Publish from the list.
  const list = page.getByRole('region', { name: '问卷列表' })
  const row = list.getByRole('row').filter({ hasText: TITLE })
  await row.getByRole('button', { name: `发布 ${TITLE}` }).click()
  await page.getByRole('dialog', { name: '发布' }).getByRole('button', { name: '发布' }).click()
  await page.getByText(`问卷「${TITLE}」已发布`).waitFor()
  await row.getByText('已发布').waitFor()
  await screenshot(page, 'surveys')
  expect(product.query(`SELECT status FROM surveys WHERE id = ${stored!.id}`)).toEqual([{ status: 'published' }])

  // People answer through the API, living at two stations.
  const stations = product.query<{ id: number; name: string }>(`SELECT id, name FROM orgs WHERE level = 'station' ORDER BY id LIMIT 2`)
  const answers: [string, string, number, Record<string, unknown>][] = [
    ['13800000001', 'wenming-demo-1', stations[0]!.id, { q1: 'o1', q2: 5 }],
    ['13800000002', 'wenming-demo-2', stations[0]!.id, { q1: 'o1', q2: 4 }],
    ['13800000003', 'wenming-demo-3', stations[1]!.id, { q1: 'o3' }],
  ]
  for (const [phone, password, org, given] of answers) {
    const them = await apiAs(product.url, phone, password)
    await them.call('POST', `/api/v1/surveys/${stored!.id}/responses`, { answers: given, org_id: org })
  }
  expect(product.query(`SELECT COUNT(*) AS n FROM survey_responses WHERE survey_id = ${stored!.id}`)).toEqual([{ n: 3 }])

  // The results: the breakdown by station and the first question's chart and counts.
  await page.getByRole('button', { name: '刷新' }).click()
  await row.getByRole('button', { name: `查看结果 ${TITLE}` }).click()
  await page.getByRole('heading', { name: TITLE }).waitFor()
  await page.getByText('答卷 3 份').waitFor()
  const byStation = page.getByRole('region', { name: '各站点答卷数' })
  await byStation.getByRole('row').filter({ hasText: stations[0]!.name }).getByRole('cell', { name: '2', exact: true }).waitFor()
  await byStation.getByRole('row').filter({ hasText: stations[1]!.name }).getByRole('cell', { name: '1', exact: true }).waitFor()
  const first = page.getByRole('region', { name: '第 1 题结果' })
  await first.getByRole('img', { name: '第 1 题统计图' }).locator('canvas').waitFor()
  await first.getByRole('row').filter({ hasText: '助老助残' }).getByText('66.7%').waitFor()
  await page.getByRole('region', { name: '第 2 题结果' }).getByText('4.5').waitFor()
  await page.getByRole('link', { name: '下载答卷 CSV' }).waitFor()
  await screenshot(page, 'survey-results')

  expect(problems).toEqual([])
})
