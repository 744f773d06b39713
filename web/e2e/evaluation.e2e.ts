// 成效评估 in a real Chromium against the real edge on a fresh database (the demo county): the
// centre admin creates a work scheme (a weight sum other than 100 refused beside the items,
// nothing stored), the 城关镇 institute admin scores one of its stations from the level above in
// a second browser (a missing evidence refused beside its item), the scheme's results show the
// station's total, and the index ranking shows the station's index as the API computes it, with
// the inputs behind it. Each step checks the page, then the database.

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

const SCHEME = '实践站阵地与活动评估'
const INSTITUTE_ADMIN = { phone: '13800000001', password: 'wenming-demo-1' }
const STATION = '东关社区新时代文明实践站'

test('a scheme is created, a station scored from the level above, and its result and index shown', async () => {
  // The centre admin: a new work scheme of two items.
  const admin = await person(browser)
  const page = admin.page
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '成效评估' }).click()
  await page.getByRole('region', { name: '指数排名' }).getByRole('row').filter({ hasText: '城关镇' }).waitFor()
  await page.getByRole('tab', { name: '评估方案' }).click()
  await page.getByRole('button', { name: '新建方案' }).click()
  const form = page.getByRole('dialog', { name: '新建评估方案' })
  await form.getByLabel('方案名称').fill(SCHEME)
  await form.getByLabel('第 1 项内容').fill('阵地建设（场所、标识、设施）')
  await form.getByLabel('第 1 项权重').fill('60')
  await form.getByLabel('第 1 项满分').fill('10')
  await form.getByLabel('第 1 项须佐证').check()
  await form.getByRole('button', { name: '添加评估项目' }).click()
  await form.getByLabel('第 2 项内容').fill('活动开展（每月至少一次）')
  await form.getByLabel('第 2 项权重').fill('30')
  await form.getByLabel('第 2 项满分').fill('20')
  await form.getByRole('button', { name: '创建方案' }).click()
  // The server's refusal beside the items; nothing stored.
  await form.getByText('权重合计应为 100（现为 90）').waitFor()
  await screenshot(page, 'evaluation-scheme-refused')
  expect(product.query(`SELECT COUNT(*) AS n FROM eval_schemes WHERE name = '${SCHEME}'`)).toEqual([{ n: 0 }])
  await form.getByLabel('第 2 项权重').fill('40')
  await form.getByRole('button', { name: '创建方案' }).click()
  await page.getByText(`评估方案「${SCHEME}」已创建`).waitFor()
  await page.getByRole('region', { name: '评估方案' }).getByRole('row').filter({ hasText: SCHEME }).getByText('2 个评估项目').waitFor()
  await screenshot(page, 'evaluation-schemes')
  const [scheme] = product.query<{ id: number; kind: string; target_level: string }>(`SELECT id, kind, target_level FROM eval_schemes WHERE name = '${SCHEME}'`)
  expect(scheme).toMatchObject({ kind: 'work', target_level: 'station' })

  // The institute admin, in their own browser, scores a station of their town.
  const institute = await person(browser)
  const other = institute.page
  await other.goto(`${product.url}/console/sign-in`)
  await signIn(other, INSTITUTE_ADMIN.phone, INSTITUTE_ADMIN.password)
  await other.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '成效评估' }).click()
  await other.getByRole('tab', { name: '工作评估' }).click()
  await other.getByRole('button', { name: '新建评分' }).click()
  const score = other.getByRole('dialog', { name: '新建评分' })
  await score.getByRole('combobox', { name: '评估方案' }).click({ force: true })
  await other.getByRole('option', { name: SCHEME }).click()
  await score.getByRole('combobox', { name: '被评组织' }).fill('东关')
  await other.getByRole('option', { name: STATION, exact: true }).click()
  await score.getByLabel('阵地建设（场所、标识、设施） 得分').fill('8')
  await score.getByLabel('活动开展（每月至少一次） 得分').fill('15')
  await score.getByRole('button', { name: '提交评分' }).click()
  await score.getByText('该项须填写佐证材料').waitFor()
  await screenshot(other, 'evaluation-score-refused')
  expect(product.query(`SELECT COUNT(*) AS n FROM eval_work_evaluations WHERE scheme_id = ${scheme!.id}`)).toEqual([{ n: 0 }])
  await score.getByLabel('阵地建设（场所、标识、设施） 佐证').fill('阵地台账 2026-031\n活动照片 12 张')
  await score.getByRole('button', { name: '提交评分' }).click()
  // total = 8 / 10 × 60 + 15 / 20 × 40 = 78
  await other.getByText(`已评分：${STATION} 总分 78`).waitFor()
  await other.getByRole('region', { name: '工作评估' }).getByRole('row').filter({ hasText: SCHEME }).filter({ hasText: '78' }).waitFor()
  expect(
    product.query(
      `SELECT o.name, e.total_centi, a.phone FROM eval_work_evaluations e JOIN orgs o ON o.id = e.org_id JOIN accounts a ON a.id = e.evaluator_id WHERE e.scheme_id = ${scheme!.id}`,
    ),
  ).toEqual([{ name: STATION, total_centi: 7800, phone: INSTITUTE_ADMIN.phone }])
  expect(product.query(`SELECT s.item_key, s.score_centi, s.evidence FROM eval_work_scores s JOIN eval_work_evaluations e ON e.id = s.evaluation_id WHERE e.scheme_id = ${scheme!.id} ORDER BY s.item_key`)).toEqual([
    { item_key: 'item1', score_centi: 800, evidence: '["阵地台账 2026-031","活动照片 12 张"]' },
    { item_key: 'item2', score_centi: 1500, evidence: '[]' },
  ])

  // The scheme's results, as the centre admin sees them: the station's average total.
  await page.getByRole('tab', { name: '评估结果' }).click()
  await page.getByRole('combobox', { name: '结果方案' }).click({ force: true })
  await page.getByRole('option', { name: `${SCHEME}（工作评估）` }).click()
  const result = page.getByRole('region', { name: '评估结果' }).getByRole('row').filter({ hasText: STATION })
  await result.getByText('78', { exact: true }).waitFor()
  await result.getByRole('button', { name: `${STATION} 明细` }).click()
  await page.getByRole('region', { name: `${STATION} 各项平均分` }).getByRole('row').filter({ hasText: '阵地建设' }).getByText('8 / 10').waitFor()
  await screenshot(page, 'evaluation-results')

  // 群众评单 on an activity's page: the tally of its ratings, as many as the database holds.
  const [rated] = product.query<{ id: number; n: number; good: number }>(
    `SELECT subject_id AS id, COUNT(*) AS n, SUM(level IN ('very_satisfied', 'satisfied')) AS good FROM eval_ratings WHERE subject = 'activity' GROUP BY subject_id ORDER BY n DESC LIMIT 1`,
  )
  expect(rated!.n).toBeGreaterThan(0)
  await page.goto(`${product.url}/console/activities/${rated!.id}`)
  await page.getByRole('tab', { name: '群众评价' }).click()
  const tally = page.getByLabel('评价汇总')
  await tally.getByText('评价数').waitFor()
  await tally.getByRole('cell', { name: String(rated!.n), exact: true }).waitFor()
  await tally.getByText(`${Math.round((rated!.good / rated!.n) * 10000) / 100}%`, { exact: true }).waitFor()
  await screenshot(page, 'activity-ratings')

  // 志愿服务项目: a demo project's tally, then a new project.
  const [project] = product.query<{ id: number; name: string; n: number }>(
    `SELECT p.id, p.name, COUNT(r.id) AS n FROM eval_projects p JOIN eval_ratings r ON r.subject = 'project' AND r.subject_id = p.id GROUP BY p.id ORDER BY p.id LIMIT 1`,
  )
  await page.goto(`${product.url}/console/evaluation?tab=projects`)
  await page.getByRole('region', { name: '志愿服务项目' }).getByRole('button', { name: `${project!.name} 的评价` }).click()
  const projectTally = page.getByLabel('评价汇总')
  await projectTally.getByText('认可度（1–5）').waitFor()
  await projectTally.getByRole('cell', { name: String(project!.n), exact: true }).waitFor()
  await screenshot(page, 'evaluation-project')
  await page.keyboard.press('Escape')
  await page.getByRole('button', { name: '新建项目' }).click()
  const newProject = page.getByRole('dialog', { name: '新建志愿服务项目' })
  await newProject.getByLabel('项目名称').fill('银龄陪伴计划')
  await newProject.getByPlaceholder('开始日期').fill('2026-12-01')
  await newProject.getByPlaceholder('结束日期').fill('2027-05-31')
  await newProject.getByPlaceholder('结束日期').press('Enter')
  await newProject.getByRole('button', { name: '创建' }).click()
  await page.getByText('已新建项目「银龄陪伴计划」').waitFor()
  expect(product.query(`SELECT starts_on, ends_on FROM eval_projects WHERE name = '银龄陪伴计划'`)).toEqual([{ starts_on: '2026-12-01', ends_on: '2027-05-31' }])

  // 指数设置: weights that do not sum to 100 are refused beside them and nothing is stored; a
  // good change is stored.
  const indexSetting = () => product.query<{ value: string }>(`SELECT value FROM deployment_settings WHERE key = 'evaluation.index'`)
  const before = indexSetting()
  await page.getByRole('tab', { name: '指数设置' }).click()
  await page.getByLabel('活动参与权重').fill('30')
  await page.getByRole('button', { name: '保存指数设置' }).click()
  await page.getByText('权重合计应为 100（现为 105）').waitFor()
  expect(indexSetting()).toEqual(before)
  await page.getByLabel('队伍活跃度权重').fill('15')
  await page.getByRole('button', { name: '保存指数设置' }).click()
  await page.getByText('指数设置已保存，排名按新设置计算').waitFor()
  const [stored] = indexSetting()
  expect(JSON.parse(stored!.value).weights).toMatchObject({ participation: 30, team_activity: 15 })
  await screenshot(page, 'evaluation-settings')

  // The ranking of 城关镇's stations: the station's index as the API computes it, and its inputs.
  await other.getByRole('tab', { name: '指数排名' }).click()
  // The tab was opened before the weights changed: asked again, it shows the index by the new ones.
  await other.getByRole('button', { name: '刷新' }).click()
  const api = await apiAs(product.url, INSTITUTE_ADMIN.phone, INSTITUTE_ADMIN.password)
  const [town] = product.query<{ id: number }>(`SELECT id FROM orgs WHERE name = '城关镇新时代文明实践所'`)
  const ranking = await api.call<{ items: { rank: number; index: number; org: { name: string } }[] }>(
    'GET',
    `/api/v1/evaluation/rankings?parent=${town!.id}&period=${encodeURIComponent(currentQuarter())}`,
  )
  const mine = ranking.items.find((r) => r.org.name === STATION)!
  expect(mine).toBeDefined()
  const row = other.getByRole('region', { name: '指数排名' }).getByRole('row').filter({ hasText: STATION }).first()
  await row.getByText(String(Math.round(mine.index * 100) / 100), { exact: true }).waitFor()
  await row.getByRole('button', { name: `${STATION} 指数构成` }).click()
  await other.getByRole('region', { name: `${STATION} 指数构成` }).getByText(/签到人次 \d+/).waitFor()
  await screenshot(other, 'evaluation-rankings')

  // On a tablet held upright the menu and the ranking stay usable.
  await other.setViewportSize({ width: 768, height: 1024 })
  await other.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '成效评估' }).waitFor()
  await row.getByRole('button', { name: `${STATION} 指数构成` }).waitFor()
  await screenshot(other, 'evaluation-rankings-tablet')

  expect(admin.problems).toEqual([])
  expect(institute.problems).toEqual([])
})

/** The quarter the console picks by default (Shanghai time), as `2026-Q4`. */
function currentQuarter(): string {
  const shifted = new Date(Date.now() + 8 * 3600 * 1000)
  return `${shifted.getUTCFullYear()}-Q${Math.ceil((shifted.getUTCMonth() + 1) / 3)}`
}
