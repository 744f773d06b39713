// The phone app (/m/) for a volunteer's own service, in Chromium on a 360×740 phone against the
// real edge on the demo county (the clock movable for API calls): 我的签到 lists an activity
// whose check-out was forgotten as 漏签退 (closed at the activity's end, waiting for the
// organiser) beside one confirmed; 加入队伍 offers the teams of the volunteer's station and the
// orgs above it, not another station's, and the request is made, withdrawn, made again and
// approved; 自主申报 refuses an end before the start beside its field, then reports two hours
// that staff reject with a reason. Page text first, then the database.

import { expect, test } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { screenshot } from './support/browser'
import { residentId, staff } from './support/api'
import { fitsTheScreen, phone, signInBySms } from './support/phone'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: true, movableClock: true }, (p, b) => {
  product = p
  browser = b
})

const CENTRE = '示范县新时代文明实践中心'
const PHONE = '13712340088'
const NAME = '赵春梅'
const FORGOTTEN = '冬季河道保洁'
const CONFIRMED = '敬老院陪伴聊天'
const HOUR = 3600

function rfc3339(unix: number): string {
  return new Date(unix * 1000).toISOString().replace('.000Z', 'Z')
}

/** A request from inside the phone's page (its cookie session and CSRF token) with the server's
 * clock moved to `now`: the page itself cannot move it. */
async function asPhone(page: Page, method: string, path: string, now: number, body: unknown = {}): Promise<number> {
  return page.evaluate(
    async ([method, path, now, body]) => {
      const me = (await (await fetch('/api/v1/me')).json()) as { csrf_token: string }
      const headers = { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token, 'x-wenming-now': String(now) }
      return (await fetch(path, { method, headers, body: JSON.stringify(body) })).status
    },
    [method, path, now, body] as const,
  )
}

test('a volunteer sees a forgotten check-out as 漏签退, joins a team of their station and reports service that staff reject', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [centre] = product.query<{ id: number }>(`SELECT id FROM orgs WHERE name = '${CENTRE}'`)
  const [station] = product.query<{ id: number; path: string }>(`SELECT id, path FROM orgs WHERE name LIKE '西街社区%' AND level = 'station'`)
  const volunteer = await admin.must<{ id: number }>(201, 'POST', '/api/v1/volunteers', {
    real_name: NAME,
    gender: 'female',
    birth_date: '1975-03-08',
    phone: PHONE,
    id_number: residentId('110101', '19750308', 5, false),
    skills: [],
    service_area: '城关镇西街',
    home_org_id: station!.id,
  })

  // Two activities three days ago, approved then.
  const real = Math.floor(Date.now() / 1000)
  const then = real - (real % HOUR) - 3 * 86400
  const activity = async (title: string, startsAt: number): Promise<{ id: number; code: string }> => {
    const a = await admin.must<{ id: number }>(
      201,
      'POST',
      '/api/v1/activities',
      {
        title,
        category: '环境',
        description: '社区志愿服务',
        org_id: centre!.id,
        address: '西街社区服务站',
        starts_at: rfc3339(startsAt),
        ends_at: rfc3339(startsAt + 2 * HOUR),
        signup_deadline: rfc3339(startsAt - HOUR),
        capacity: 5,
        required_skills: [],
        visibility: 'public',
        dynamic_code: false,
      },
      then,
    )
    await admin.must(200, 'POST', `/api/v1/activities/${a.id}/approve`, {}, then)
    const [{ code } = { code: '' }] = product.query<{ code: string }>(`SELECT code FROM activities WHERE id = ${a.id}`)
    return { id: a.id, code }
  }
  const confirmed = await activity(CONFIRMED, then + 3 * HOUR)
  const forgotten = await activity(FORGOTTEN, then + 8 * HOUR)

  const { page, context, problems } = await phone(browser, { latitude: 30.0, longitude: 120.0 })
  await page.goto(`${product.url}/m/attendances`)
  await page.waitForURL(`${product.url}/m/sign-in?return=/m/attendances`)
  await signInBySms(page, admin, PHONE)
  await page.waitForURL(`${product.url}/m/attendances`)
  await page.getByText('还没有签到记录').waitFor()

  // Signed up, checked in at both; out of the first only, which the organiser confirms.
  for (const a of [confirmed, forgotten]) expect(await asPhone(page, 'POST', `/api/v1/activities/${a.id}/signups`, then)).toBe(201)
  expect(await asPhone(page, 'POST', '/api/v1/checkins', then + 3 * HOUR, { code: confirmed.code })).toBe(201)
  expect(await asPhone(page, 'POST', '/api/v1/checkouts', then + 5 * HOUR, { code: confirmed.code })).toBe(200)
  const [first] = product.query<{ id: number }>(`SELECT id FROM attendances WHERE activity_id = ${confirmed.id}`)
  await admin.must(200, 'POST', `/api/v1/attendances/${first!.id}/confirm`, {}, then + 6 * HOUR)
  expect(await asPhone(page, 'POST', '/api/v1/checkins', then + 8 * HOUR, { code: forgotten.code })).toBe(201)
  expect(product.query(`SELECT auto_closed, checked_out_at FROM attendances WHERE activity_id = ${forgotten.id}`)).toEqual([{ auto_closed: 0, checked_out_at: null }])

  // 我的签到: newest first; the forgotten check-out closed at the end, labelled and explained.
  await page.reload()
  const list = page.getByRole('list', { name: '签到记录' })
  const late = list.getByRole('listitem', { name: FORGOTTEN })
  await late.getByText('漏签退', { exact: true }).waitFor()
  await late.getByText('您没有签退，系统已按活动结束时间 ' + new Date((then + 10 * HOUR + 8 * HOUR) * 1000).toISOString().slice(11, 16) + ' 自动签退，暂计 2 小时；须由组织者核实确认后才计入服务时长，实际时长不同的由组织者更正。').waitFor()
  const done = list.getByRole('listitem', { name: CONFIRMED })
  await done.getByText('已确认', { exact: true }).waitFor()
  await done.getByText('已计入服务时长 2 小时。').waitFor()
  expect(await list.getByRole('heading').allInnerTexts()).toEqual([FORGOTTEN, CONFIRMED])
  expect(product.query(`SELECT auto_closed, checked_out_at, minutes, confirmed_at FROM attendances WHERE activity_id = ${forgotten.id}`)).toEqual([
    { auto_closed: 1, checked_out_at: then + 10 * HOUR, minutes: 120, confirmed_at: null },
  ])
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-attendances')

  // 加入队伍: the institute's and the county's teams, not 东关社区's (another station).
  await page.goto(`${product.url}/m/`)
  await page.getByRole('link', { name: '加入队伍' }).click()
  await page.waitForURL(`${product.url}/m/teams`)
  const teams = page.getByRole('list', { name: '可加入的队伍' })
  const offered = product.query<{ id: number; name: string }>(
    `SELECT t.id, t.name FROM teams t JOIN orgs o ON o.id = t.org_id WHERE t.active = 1 AND substr('${station!.path}', 1, length(o.path)) = o.path ORDER BY t.id`,
  )
  expect(offered.map((t) => t.name)).toContain('城关镇理论宣讲志愿服务队')
  await teams.getByRole('heading', { name: offered[0]!.name }).waitFor()
  expect(await teams.getByRole('heading').allInnerTexts()).toEqual(offered.map((t) => t.name))
  expect(await teams.getByText('东关社区四点半课堂志愿服务队').count()).toBe(0)
  await page.getByRole('textbox', { name: '队伍名称' }).fill('理论宣讲')
  await page.getByRole('button', { name: '搜索' }).click()
  await teams.getByRole('heading', { name: '城关镇理论宣讲志愿服务队' }).waitFor()
  await expect.poll(() => teams.getByRole('heading').count()).toBe(1)
  const team = offered.find((t) => t.name === '城关镇理论宣讲志愿服务队')!
  const membership = () => product.query<{ status: string }>(`SELECT status FROM team_members WHERE team_id = ${team.id} AND volunteer_id = ${volunteer.id}`)
  const item = teams.getByRole('listitem', { name: team.name })
  await item.getByRole('button', { name: `申请加入${team.name}` }).click()
  await item.getByText('申请已提交，队长审核后即可加入').waitFor()
  await item.getByText('已申请，待队长审核').waitFor()
  expect(membership()).toEqual([{ status: 'pending' }])
  await item.getByRole('button', { name: `撤回加入${team.name}的申请` }).click()
  await item.getByText('已撤回申请').waitFor()
  expect(membership()).toEqual([])
  await item.getByRole('button', { name: `申请加入${team.name}` }).click()
  await item.getByText('已申请，待队长审核').waitFor()
  expect(membership()).toEqual([{ status: 'pending' }])
  await admin.must(200, 'POST', `/api/v1/teams/${team.id}/members/${volunteer.id}/approve`, {})
  await page.reload()
  await teams.getByRole('listitem', { name: team.name }).getByText('已加入', { exact: true }).waitFor()
  expect(membership()).toEqual([{ status: 'approved' }])
  await screenshot(page, 'phone-teams')

  // 自主申报: an end before the start refused beside 结束时间, nothing written; then two hours
  // yesterday, pending, which staff reject with a reason the volunteer then reads.
  await page.goto(`${product.url}/m/record`)
  await page.getByRole('link', { name: '自主申报服务' }).click()
  await page.waitForURL(`${product.url}/m/self-reports`)
  const form = page.getByRole('form', { name: '申报服务' })
  const yesterday = new Date((real - 86400 + 8 * HOUR) * 1000).toISOString().slice(0, 10)
  await form.getByLabel('服务日期').fill(yesterday)
  await form.getByLabel('开始时间').fill('09:00')
  await form.getByLabel('结束时间').fill('08:00')
  await form.getByRole('textbox', { name: '服务内容' }).fill('帮独居老人清扫院子')
  await form.getByRole('textbox', { name: '服务类别' }).fill('助老')
  await form.getByRole('button', { name: '提交申报' }).click()
  await form.getByText('结束时间须晚于开始时间').waitFor()
  const reports = () => product.query<{ status: string; minutes: number; started_at: number }>(`SELECT status, minutes, started_at FROM self_reports WHERE volunteer_id = ${volunteer.id}`)
  expect(reports()).toEqual([])
  await screenshot(page, 'phone-self-report-refused')
  await form.getByLabel('结束时间').fill('11:00')
  await form.getByRole('button', { name: '提交申报' }).click()
  await form.getByText('已提交申报：2 小时，待站点审核').waitFor()
  const mine = page.getByRole('region', { name: '我的申报' })
  await mine.getByRole('listitem', { name: '帮独居老人清扫院子' }).getByText('待审核').waitFor()
  expect(reports()).toEqual([{ status: 'pending', minutes: 120, started_at: Date.parse(`${yesterday}T09:00:00+08:00`) / 1000 }])
  const [report] = product.query<{ id: number }>(`SELECT id FROM self_reports WHERE volunteer_id = ${volunteer.id}`)
  await admin.must(200, 'POST', `/api/v1/self-reports/${report!.id}/reject`, { reason: '请附上社区出具的服务证明' })
  await page.reload()
  const rejected = mine.getByRole('listitem', { name: '帮独居老人清扫院子' })
  await rejected.getByText('未通过', { exact: true }).waitFor()
  await rejected.getByText('原因：请附上社区出具的服务证明').waitFor()
  expect(reports().map((r) => r.status)).toEqual(['rejected'])
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-self-reports')
  expect(problems).toEqual([])
  await context.close()
})
