// 我的评价 on the phone app (/m/ratings, 群众评单 of activities and projects), 360×740, against the real edge
// (the demo county): a demo volunteer who attended an activity that has started, and has not
// rated it, opens 我的评价 signed out, signs in by SMS code and is brought back; the activity is
// listed to rate; an empty rating is refused beside 满意程度 with nothing stored; 满意 with a
// comment is stored once (the row read back) and shown as the result and on the list; a second
// rating of the same activity, from a tab opened before the first was sent, is refused beside
// 满意程度 as already rated, and the row is unchanged. A team member rates the team’s project:
// 认可度 and 参与度 (Vant Rate) required beside their stars, then stored with the level. Page
// text first, then the database.

import { expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { screenshot } from './support/browser'
import { staff } from './support/api'
import { fitsTheScreen, phone, signInBySms } from './support/phone'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: true }, (p, b) => {
  product = p
  browser = b
})

const COMMENT = '组织有序，老人们很开心'

test('a volunteer rates an activity they attended once, and a second rating is refused as already rated', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const now = Math.floor(Date.now() / 1000)
  // A volunteer (signing in by SMS code: no staff password) with an attendance at an approved
  // activity that has started and that they have not rated yet.
  const [mine] = product.query<{ account_id: number; phone: string; activity_id: number; title: string }>(
    `SELECT v.account_id, v.phone, a.id AS activity_id, a.title FROM attendances t
       JOIN volunteers v ON v.id = t.volunteer_id JOIN activities a ON a.id = t.activity_id JOIN accounts c ON c.id = v.account_id
      WHERE a.status = 'approved' AND a.starts_at <= ${now} AND c.password_hash IS NULL
        AND NOT EXISTS (SELECT 1 FROM eval_ratings r WHERE r.subject = 'activity' AND r.subject_id = a.id AND r.rater_id = v.account_id)
        AND NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = v.account_id AND g.role = 'auditor')
      ORDER BY a.starts_at DESC, a.id DESC LIMIT 1`,
  )
  expect(mine, 'the demo county has an attended, unrated activity').toBeDefined()
  const ratings = () =>
    product.query(`SELECT rater_group, level, comment FROM eval_ratings WHERE subject = 'activity' AND subject_id = ${mine!.activity_id} AND rater_id = ${mine!.account_id}`)

  const { page, context, problems } = await phone(browser, { latitude: 30.0, longitude: 120.0 })
  await page.goto(`${product.url}/m/ratings`)
  await page.waitForURL(`${product.url}/m/sign-in?return=/m/ratings`)
  await signInBySms(page, admin, mine!.phone)
  await page.waitForURL(`${product.url}/m/ratings`)
  const list = page.getByRole('list', { name: '可评价的活动和项目' })
  await list.getByRole('heading', { name: mine!.title }).first().waitFor()
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-ratings')

  // A second tab on the same rate page, opened now: it will send a rating after the first.
  const rateUrl = `${product.url}/m/ratings/activity/${mine!.activity_id}`
  const other = await context.newPage()
  await other.goto(rateUrl)
  await other.getByRole('form', { name: '评价' }).waitFor()

  await list.getByRole('link', { name: `评价 ${mine!.title}` }).first().click()
  await page.waitForURL(rateUrl)
  await page.getByRole('heading', { name: mine!.title }).waitFor()
  await page.getByText('评价身份：参与者').waitFor()
  const form = page.getByRole('form', { name: '评价' })
  await form.getByRole('button', { name: '提交评价' }).click()
  await form.getByRole('group', { name: '满意程度' }).getByText('请选择满意程度').waitFor()
  expect(ratings()).toEqual([])
  await form.getByRole('radio').filter({ hasText: /^满意$/ }).click()
  await form.getByRole('textbox', { name: '评价内容' }).fill(COMMENT)
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-rate')
  await form.getByRole('button', { name: '提交评价' }).click()
  const result = page.getByRole('region', { name: '我的评价' })
  await result.getByText('您已评价：满意').waitFor()
  await result.getByText(COMMENT).waitFor()
  expect(ratings()).toEqual([{ rater_group: 'participant', level: 'satisfied', comment: COMMENT }])
  await screenshot(page, 'phone-rated')

  // The list says it is rated, with the comment; no link to rate it again.
  await page.getByRole('link', { name: '返回我的评价' }).click()
  await page.waitForURL(`${product.url}/m/ratings`)
  await list.getByText(`已评价：满意，${COMMENT}`).first().waitFor()
  expect(await list.getByRole('link', { name: `评价 ${mine!.title}` }).count()).toBe(0)

  // The tab opened before: its rating is refused beside 满意程度; the stored one stays.
  const late = other.getByRole('form', { name: '评价' })
  await late.getByRole('radio', { name: '非常满意' }).click()
  await late.getByRole('button', { name: '提交评价' }).click()
  await late.getByRole('group', { name: '满意程度' }).getByText('您已评价过这个活动，每人只能评价一次').waitFor()
  expect(ratings()).toEqual([{ rater_group: 'participant', level: 'satisfied', comment: COMMENT }])
  await screenshot(other, 'phone-rate-already-rated')

  // Opening the rate page again shows the rating, not a form.
  await other.reload()
  await other.getByRole('region', { name: '我的评价' }).getByText('您已评价：满意').waitFor()
  expect(await other.getByRole('form', { name: '评价' }).count()).toBe(0)
  expect(problems).toEqual([])
  await context.close()
})

/** `YYYY-MM-DD` in Asia/Shanghai, `days` from now. */
function shanghaiDay(days: number): string {
  return new Date(Date.now() + days * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10)
}

test('a team member rates the team’s project with 认可度 and 参与度, each required beside its stars', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  // A demo team with an approved member who signs in by SMS code; the centre admin gives the
  // team a project that started a month ago.
  const [member] = product.query<{ account_id: number; phone: string; team_id: number; org_id: number }>(
    `SELECT v.account_id, v.phone, t.id AS team_id, t.org_id FROM team_members m
       JOIN volunteers v ON v.id = m.volunteer_id JOIN teams t ON t.id = m.team_id JOIN accounts c ON c.id = v.account_id
      WHERE m.status = 'approved' AND t.active = 1 AND c.password_hash IS NULL
        AND NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = v.account_id AND g.role = 'auditor')
      ORDER BY v.id DESC LIMIT 1`,
  )
  expect(member, 'the demo county has a team member').toBeDefined()
  const name = '邻里守望·安全巡查项目'
  const project = await admin.must<{ id: number }>(201, 'POST', '/api/v1/projects', {
    name,
    org_id: member!.org_id,
    team_id: member!.team_id,
    starts_on: shanghaiDay(-30),
    ends_on: shanghaiDay(60),
  })
  const ratings = () =>
    product.query(`SELECT rater_group, level, recognition, participation FROM eval_ratings WHERE subject = 'project' AND subject_id = ${project.id}`)

  const { page, context, problems } = await phone(browser, { latitude: 30.0, longitude: 120.0 })
  await page.goto(`${product.url}/m/ratings/project/${project.id}`)
  await page.waitForURL(`${product.url}/m/sign-in?return=/m/ratings/project/${project.id}`)
  await signInBySms(page, admin, member!.phone)
  await page.waitForURL(`${product.url}/m/ratings/project/${project.id}`)
  await page.getByRole('heading', { name }).waitFor()
  await page.getByText('评价身份：参与者').waitFor()
  const form = page.getByRole('form', { name: '评价' })
  await form.getByRole('radio', { name: '非常满意' }).click()
  await form.getByRole('button', { name: '提交评价' }).click()
  await form.getByRole('group', { name: '认可度' }).getByText('请给认可度打分（1–5 星）').waitFor()
  await form.getByRole('group', { name: '参与度' }).getByText('请给参与度打分（1–5 星）').waitFor()
  expect(ratings()).toEqual([])
  await form.getByRole('radiogroup', { name: '认可度' }).getByRole('radio').nth(3).click()
  await form.getByRole('radiogroup', { name: '参与度' }).getByRole('radio').nth(4).click()
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-rate-project')
  await form.getByRole('button', { name: '提交评价' }).click()
  const result = page.getByRole('region', { name: '我的评价' })
  await result.getByText('您已评价：非常满意').waitFor()
  await result.getByText('认可度 4 星 · 参与度 5 星').waitFor()
  expect(ratings()).toEqual([{ rater_group: 'participant', level: 'very_satisfied', recognition: 4, participation: 5 }])

  // 我的评价 lists the project as rated.
  await page.goto(`${product.url}/m/ratings`)
  const item = page.getByRole('list', { name: '可评价的活动和项目' }).getByRole('listitem').filter({ hasText: name })
  await item.getByText('志愿服务项目').waitFor()
  await item.getByText('已评价：非常满意').waitFor()
  expect(problems).toEqual([])
  await context.close()
})
