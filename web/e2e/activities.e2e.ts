// The volunteer and activity pages in a real Chromium against the real edge (demo county): a
// centre admin registers a volunteer (a wrong resident ID refused beside its field), reviews two
// activity applications (rejects one with a reason, approves the other and gets its activity
// code as a QR code), opens the venue's rotating check-in code, sees the volunteer's sign-up;
// the volunteer, on their phone (the phone app's check-in page), checks in with the code read off that screen at the
// venue and checks out an hour later; the admin sees the distance, corrects the minutes with a
// reason (audited) and finds the hours on the volunteer's record. Page text first, then the
// database. The volunteer's check-out moves the server's clock with `X-Wenming-Now`.

import { expect, test } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { person, screenshot } from './support/browser'
import { Caller, latestSignInCode, residentId, staff } from './support/api'
import { phone, signInBySms } from './support/phone'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: true, movableClock: true }, (p, b) => {
  product = p
  browser = b
})

const CENTRE = '示范县新时代文明实践中心'
const PHONE = '13712340001'
const NAME = '林晓燕'
const ID_NUMBER = residentId('110101', '19920315', 7, false)
/** The same ID with its check character changed: the server refuses it. */
const BAD_ID_NUMBER = ID_NUMBER.slice(0, 17) + (ID_NUMBER.endsWith('0') ? '1' : '0')
const VENUE = { latitude: 30.0, longitude: 120.0 }

async function signIn(page: Page) {
  await page.goto(`${product.url}/console/sign-in`)
  await page.getByLabel('手机号').fill(CENTRE_ADMIN.phone)
  await page.getByLabel('密码').fill(CENTRE_ADMIN.password)
  await page.getByRole('button', { name: '登录', exact: true }).click()
  await page.getByRole('heading', { name: '工作台' }).waitFor()
}

function rfc3339(unix: number): string {
  return new Date(unix * 1000).toISOString().replace('.000Z', 'Z')
}

/** An application at the centre by the admin (manage-teams there), starting `startsAt`. */
async function apply(admin: Caller, title: string, orgId: number, startsAt: number): Promise<number> {
  const activity = await admin.must<{ id: number; status: string }>(201, 'POST', '/api/v1/activities', {
    title,
    category: '助老',
    description: '陪伴社区独居老人，打扫卫生、读报聊天',
    org_id: orgId,
    address: '东关社区活动中心',
    ...VENUE,
    radius_m: 200,
    starts_at: rfc3339(startsAt),
    ends_at: rfc3339(startsAt + 2 * 3600),
    signup_deadline: rfc3339(startsAt - 300),
    capacity: 20,
    required_skills: [],
    visibility: 'public',
    dynamic_code: true,
  })
  expect(activity.status).toBe('pending')
  return activity.id
}

test('a centre admin registers a volunteer, approves an activity, shows its check-in code and confirms the hours', async () => {
  const { context, page, problems } = await person(browser)
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [centre] = product.query<{ id: number }>(`SELECT id FROM orgs WHERE name = '${CENTRE}'`)
  const now = Math.floor(Date.now() / 1000)
  const startsAt = now - (now % 60) + 15 * 60

  // 志愿者: the masked list, then a registration whose ID number the server refuses beside it.
  await signIn(page)
  const menu = page.getByRole('navigation', { name: '主菜单' })
  await menu.getByRole('menuitem', { name: '志愿者' }).click()
  const volunteers = page.getByLabel('志愿者列表', { exact: true })
  await volunteers.getByText(/^1\d{2}\*{4}\d{4}$/).first().waitFor()
  await page.getByRole('button', { name: '加载更多' }).waitFor()
  await screenshot(page, 'volunteers')
  expect(await page.getByRole('link', { name: '导出 CSV' }).getAttribute('href')).toBe('/api/v1/volunteers/export.csv')

  await page.getByRole('button', { name: '登记志愿者' }).click()
  const form = page.getByRole('dialog', { name: '登记志愿者' })
  await form.getByLabel('姓名').fill(NAME)
  await form.getByText('女', { exact: true }).click()
  await form.getByLabel('出生日期').fill('1992-03-15')
  await form.getByLabel('出生日期').press('Enter')
  await form.getByLabel('身份证号').fill(BAD_ID_NUMBER)
  await form.getByLabel('手机号').fill(PHONE)
  // Element Plus draws the select's placeholder over its input: a person clicks what they see.
  await form.getByText('请选择', { exact: true }).click()
  await page.getByRole('tree').getByText(CENTRE, { exact: true }).click()
  await form.getByLabel('服务区域').fill('城关镇东关社区')
  await form.getByRole('button', { name: '登记' }).click()
  await form.getByText('身份证号无效：请核对校验位，以及其中的出生日期、性别是否与所填一致').waitFor()
  await screenshot(page, 'volunteer-id-refused')
  expect(product.query(`SELECT id FROM volunteers WHERE real_name = '${NAME}'`)).toEqual([])

  await form.getByLabel('身份证号').fill(ID_NUMBER)
  await form.getByRole('button', { name: '登记' }).click()
  await page.getByText(new RegExp(`已登记志愿者「${NAME}」，编号 WM\\d{10}`)).waitFor()
  await page.getByRole('heading', { name: new RegExp(`^${NAME}（WM\\d{10}）$`) }).waitFor()
  await page.getByText('还没有已确认的服务记录').waitFor()
  const [volunteer] = product.query<{ id: number; volunteer_no: string; home: string; id_number: string }>(
    `SELECT v.id, v.volunteer_no, o.name AS home, v.id_number FROM volunteers v JOIN orgs o ON o.id = v.home_org_id WHERE v.real_name = '${NAME}'`,
  )
  expect(volunteer).toMatchObject({ home: CENTRE, id_number: ID_NUMBER })

  // One application through the API (as a team leader's phone would), one in the console.
  const activityId = await apply(admin, '重阳节敬老志愿服务', centre!.id, startsAt)

  // 活动管理: the pending ones; one rejected (the reason is required), the other approved.
  await menu.getByRole('menuitem', { name: '活动管理' }).click()
  await page.getByLabel('活动筛选').getByText('全部', { exact: true }).click()
  await page.getByRole('option', { name: '待审核' }).click()
  const list = page.getByLabel('活动列表', { exact: true })
  await list.getByRole('link', { name: '重阳节敬老志愿服务' }).waitFor()
  await screenshot(page, 'activities')

  // 申报活动 in the console: a deadline after the start is refused beside its field.
  const day = new Date(Date.now() + 2 * 86400_000).toISOString().slice(0, 10)
  await page.getByRole('button', { name: '申报活动' }).click()
  const applying = page.getByRole('dialog', { name: '申报活动' })
  await applying.getByLabel('活动名称').fill('社区义诊（申报有误）')
  await applying.getByLabel('服务类别').fill('医疗')
  await applying.getByText('请选择', { exact: true }).click()
  await page.getByRole('tree').getByText(CENTRE, { exact: true }).click()
  await applying.getByLabel('活动内容').fill('为社区居民量血压、测血糖')
  await applying.getByLabel('地点').fill('东关社区卫生服务站')
  for (const [label, time] of [['开始时间', '09:00'], ['结束时间', '11:00'], ['报名截止', '10:00']] as const) {
    await applying.getByLabel(label).fill(`${day} ${time}`)
    await applying.getByLabel(label).press('Enter')
  }
  await applying.getByRole('button', { name: '提交申报' }).click()
  await applying.getByText('报名截止不能晚于开始时间').waitFor()
  await screenshot(page, 'activity-apply-refused')
  expect(product.query(`SELECT id FROM activities WHERE title = '社区义诊（申报有误）'`)).toEqual([])
  await applying.getByLabel('报名截止').fill(`${day} 08:00`)
  await applying.getByLabel('报名截止').press('Enter')
  await applying.getByRole('button', { name: '提交申报' }).click()
  await page.getByText('已提交申报「社区义诊（申报有误）」，待审核').waitFor()
  await page.getByRole('heading', { name: '社区义诊（申报有误）' }).waitFor()
  const [applied] = product.query<{ id: number; status: string; category: string }>(`SELECT id, status, category FROM activities WHERE title = '社区义诊（申报有误）'`)
  expect(applied).toMatchObject({ status: 'pending', category: '医疗' })
  const rejectedId = applied!.id

  await page.getByRole('button', { name: '驳回' }).click()
  const rejecting = page.getByRole('dialog', { name: '驳回活动申报' })
  await rejecting.getByRole('button', { name: '确认驳回' }).click()
  await rejecting.getByText('请填写驳回理由').waitFor()
  await rejecting.getByLabel('驳回理由').fill('活动地点与时间待社区确认后重新申报')
  await rejecting.getByRole('button', { name: '确认驳回' }).click()
  await page.getByText('活动地点与时间待社区确认后重新申报').waitFor()
  expect(product.query(`SELECT status, reject_reason FROM activities WHERE id = ${rejectedId}`)).toEqual([
    { status: 'rejected', reject_reason: '活动地点与时间待社区确认后重新申报' },
  ])

  await page.goto(`${product.url}/console/activities/${activityId}`)
  await page.getByRole('heading', { name: '重阳节敬老志愿服务' }).waitFor()
  await page.getByRole('button', { name: '通过' }).click()
  await page.getByText(/^已通过，活动码 [A-Z2-9]{6}$/).waitFor()
  const [approved] = product.query<{ status: string; code: string }>(`SELECT status, code FROM activities WHERE id = ${activityId}`)
  await page.getByText(`已通过，活动码 ${approved!.code}`).waitFor()
  expect(approved!.status).toBe('approved')
  const qr = page.getByRole('img', { name: `活动码 ${approved!.code} 的二维码` })
  await qr.waitFor()
  await page.getByText(`${product.url}/m/checkin?code=${approved!.code}`).waitFor()
  await screenshot(page, 'activity-approved')

  // The volunteer scans the QR code on their phone: the phone app's check-in page, signed in by
  // SMS code and brought back to it.
  const mobile = await phone(browser, { latitude: 30.0005, longitude: 120.0 })
  await mobile.page.goto(`${product.url}/m/checkin?code=${approved!.code}`)
  await signInBySms(mobile.page, admin, PHONE)
  await mobile.page.getByRole('heading', { name: `活动码 ${approved!.code}` }).waitFor()
  await mobile.page.getByRole('button', { name: '签到' }).waitFor()

  // Signed up on the phone app's activity page.
  await mobile.page.goto(`${product.url}/m/activities/${activityId}`)
  await mobile.page.getByRole('button', { name: '报名' }).click()
  await mobile.page.getByText('报名成功').waitFor()
  await mobile.page.goto(`${product.url}/m/checkin?code=${approved!.code}`)
  await page.reload()
  await page.getByLabel('报名名单', { exact: true }).getByText(volunteer!.volunteer_no).waitFor()
  await page.getByLabel('报名名单', { exact: true }).getByText('137****0001').waitFor()

  // The venue's screen: the QR code and the rotating code, read off the screen by the volunteer.
  const opened = context.waitForEvent('page')
  await page.getByRole('link', { name: '打开签到大屏' }).click()
  const screen = await opened
  const dynamic = screen.getByRole('region', { name: '动态签到码' })
  await dynamic.getByText(/^\d{3} \d{3}$/).waitFor()
  await screen.getByText(/秒后自动更新/).waitFor()
  await screen.getByRole('img', { name: `活动码 ${approved!.code} 的二维码` }).waitFor()
  await screenshot(screen, 'checkin-screen')
  const shown = (await dynamic.getByText(/^\d{3} \d{3}$/).innerText()).replace(' ', '')

  // Checked in 56 m from the venue: first a wrong rotating code (refused beside its field, nothing
  // stored), then the one read off that screen.
  await screen.close()
  const wrong = shown === '000000' ? '111111' : '000000'
  await mobile.page.getByLabel(/动态签到码/).fill(wrong)
  await mobile.page.getByRole('button', { name: '签到' }).click()
  await mobile.page.getByText('动态签到码不正确或已过期，请输入现场大屏上当前显示的数字').waitFor()
  expect(product.query(`SELECT COUNT(*) AS n FROM attendances WHERE activity_id = ${activityId}`)).toEqual([{ n: 0 }])
  await mobile.page.getByLabel(/动态签到码/).fill(shown)
  await mobile.page.getByRole('button', { name: '签到' }).click()
  await mobile.page.getByText(/^签到成功：\d{4}-\d{2}-\d{2} \d{2}:\d{2}，距活动地点 56 米$/).waitFor()
  await screenshot(mobile.page, 'phone-checkin')
  expect(product.query(`SELECT check_in_distance_m FROM attendances WHERE activity_id = ${activityId}`)).toEqual([{ check_in_distance_m: 56 }])
  // The check-out an hour after the start: the server's clock moved (the phone page cannot), so
  // the phone's session asks from inside the page.
  const checkout = await mobile.page.evaluate(
    async ([code, now]) => {
      // The phone's own cookie session (and its CSRF token), with the clock header added.
      const me = (await (await fetch('/api/v1/me')).json()) as { csrf_token: string }
      const headers = { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token, 'x-wenming-now': String(now) }
      const answer = await fetch('/api/v1/checkouts', { method: 'POST', headers, body: JSON.stringify({ code, latitude: 30.0, longitude: 120.0 }) })
      return answer.status
    },
    [approved!.code, startsAt + 3600] as const,
  )
  expect(checkout).toBe(200)
  expect(mobile.problems).toEqual([])
  await mobile.context.close()

  // 签到与时长: the distance, 60 minutes; the admin corrects them to 45 (a reason required, audited).
  await page.getByRole('tab', { name: '签到与时长' }).click()
  const attendance = page.getByLabel('签到记录', { exact: true })
  await attendance.getByText('距活动地点 56 米').waitFor()
  await attendance.getByText('60 分钟').waitFor()
  await screenshot(page, 'activity-attendance')
  await attendance.getByRole('button', { name: `确认${NAME}的时长` }).click()
  const confirming = page.getByRole('dialog', { name: `确认「${NAME}」的服务时长` })
  await confirming.getByLabel('确认时长（分钟）').fill('45')
  await confirming.getByLabel('确认时长（分钟）').press('Tab')
  await confirming.getByRole('button', { name: '确认并记入时长' }).click()
  await confirming.getByText('理由填写有误：时长与系统计算不同，请说明理由').waitFor()
  await screenshot(page, 'activity-confirm-reason')
  expect(product.query(`SELECT confirmed_minutes FROM attendances WHERE activity_id = ${activityId}`)).toEqual([{ confirmed_minutes: null }])
  await confirming.getByLabel('更正理由').fill('提前 15 分钟离场')
  await confirming.getByRole('button', { name: '确认并记入时长' }).click()
  await page.getByText(`已确认「${NAME}」的服务时长 45 分钟`).waitFor()
  await attendance.getByText('45 分钟（已确认）').waitFor()
  await attendance.getByText('更正理由：提前 15 分钟离场').waitFor()
  expect(
    product.query(`SELECT minutes, confirmed_minutes, correction_reason FROM attendances WHERE activity_id = ${activityId} AND volunteer_id = ${volunteer!.id}`),
  ).toEqual([{ minutes: 60, confirmed_minutes: 45, correction_reason: '提前 15 分钟离场' }])
  expect(product.query(`SELECT amount FROM ledger_entries WHERE volunteer_id = ${volunteer!.id} AND kind = 'minutes'`)).toEqual([{ amount: 45 }])
  expect(product.query(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'attendance.correct' AND entity_id = (SELECT id FROM attendances WHERE activity_id = ${activityId})`)).toEqual([{ n: 1 }])

  // The volunteer's record: the entry, 0.75 hours.
  await menu.getByRole('menuitem', { name: '志愿者' }).click()
  await page.getByLabel('志愿者筛选').getByRole('combobox', { name: '组织' }).click()
  await page.getByRole('tree').getByText(CENTRE, { exact: true }).click()
  await page.getByLabel('姓名或编号').fill(NAME)
  await page.getByRole('button', { name: '查询' }).click()
  // The export follows the filters on screen, and the cookie session carries the plain link.
  const href = `/api/v1/volunteers/export.csv?${new URLSearchParams({ q: NAME, org: String(centre!.id) })}`
  await expect.poll(() => page.getByRole('link', { name: '导出 CSV' }).getAttribute('href')).toBe(href)
  const csv = await (await page.request.get(`${product.url}${href}`)).text()
  expect(csv).toContain(volunteer!.volunteer_no)
  expect(csv).toContain('137****0001')
  expect(csv).not.toContain(PHONE)
  await volunteers.getByRole('link', { name: NAME }).click()
  const record = page.getByLabel('服务记录', { exact: true })
  await record.getByText('重阳节敬老志愿服务').waitFor()
  await record.getByText('45 分钟').waitFor()
  await page.getByText('0.75').first().waitFor()
  await screenshot(page, 'volunteer-record')

  expect(problems).toEqual([])
})

test('a centre admin approves a team membership, reviews organisations joining and approves a self-report', async () => {
  const { page, problems } = await person(browser)
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [centre] = product.query<{ id: number }>(`SELECT id FROM orgs WHERE name = '${CENTRE}'`)
  const [team] = product.query<{ id: number; name: string }>(`SELECT id, name FROM teams WHERE active = 1 ORDER BY id LIMIT 1`)

  // Arrange, through the API: a volunteer asks to join the team, reports two hours of service,
  // and two organisations apply to join.
  const phoneNumber = '13712340002'
  const volunteer = await admin.must<{ id: number }>(201, 'POST', '/api/v1/volunteers', {
    real_name: '周建国',
    gender: 'male',
    birth_date: '1985-07-01',
    phone: phoneNumber,
    id_number: residentId('110101', '19850701', 3, true),
    skills: ['理论宣讲'],
    service_area: '城关镇',
    home_org_id: centre!.id,
  })
  await new Caller(product.url).must(202, 'POST', '/api/v1/sms-codes', { phone: phoneNumber })
  const code = await latestSignInCode(admin, phoneNumber)
  const session = await new Caller(product.url).must<{ token: string }>(201, 'POST', '/api/v1/sessions', { phone: phoneNumber, code })
  const phone = new Caller(product.url, session.token)
  await phone.must(201, 'POST', `/api/v1/teams/${team!.id}/members`)
  const yesterday = Math.floor(Date.now() / 1000) - 86400
  const report = await phone.must<{ id: number }>(201, 'POST', '/api/v1/self-reports', {
    org_id: centre!.id,
    title: '为社区老人代购药品',
    category: '助老',
    description: '为三位独居老人代购常用药并送药上门',
    started_at: rfc3339(yesterday - (yesterday % 3600)),
    ended_at: rfc3339(yesterday - (yesterday % 3600) + 7200),
  })
  for (const name of ['城关镇红马甲志愿者协会', '城关镇未登记的兴趣小组']) {
    await phone.must(201, 'POST', '/api/v1/organisations', { org_id: centre!.id, name, contact_name: '周建国', contact_phone: phoneNumber, description: '社区志愿服务组织' })
  }

  await signIn(page)
  const menu = page.getByRole('navigation', { name: '主菜单' })

  // 服务队伍: the pending request, approved.
  await menu.getByRole('menuitem', { name: '服务队伍' }).click()
  await page.getByLabel('队伍列表').getByText(team!.name, { exact: true }).click()
  await page.getByRole('heading', { name: team!.name }).waitFor()
  const members = page.getByLabel('队伍成员', { exact: true })
  await members.getByText('周建国').waitFor()
  await screenshot(page, 'teams')
  await members.getByRole('button', { name: '同意周建国入队' }).click()
  await page.getByText('已同意入队').waitFor()
  await expect.poll(() => members.getByText('周建国').count()).toBe(0)
  expect(product.query(`SELECT status FROM team_members WHERE team_id = ${team!.id} AND volunteer_id = ${volunteer.id}`)).toEqual([{ status: 'approved' }])

  // 组织入驻: one approved, one refused (the reason required beside its field).
  await menu.getByRole('menuitem', { name: '组织入驻' }).click()
  const organisations = page.getByLabel('志愿组织列表', { exact: true })
  await organisations.getByText('城关镇红马甲志愿者协会').waitFor()
  await screenshot(page, 'organisations')
  await organisations.getByRole('button', { name: '通过「城关镇红马甲志愿者协会」入驻' }).click()
  await page.getByText('已通过入驻').waitFor()
  await organisations.getByRole('button', { name: '驳回「城关镇未登记的兴趣小组」入驻' }).click()
  const rejecting = page.getByRole('dialog', { name: '驳回入驻申请' })
  await rejecting.getByRole('button', { name: '确认驳回' }).click()
  await rejecting.getByText('请填写驳回理由').waitFor()
  await rejecting.getByLabel('驳回理由').fill('请先完成民政登记')
  await rejecting.getByRole('button', { name: '确认驳回' }).click()
  await page.getByText('已驳回入驻申请').waitFor()
  await expect.poll(() => organisations.getByText('城关镇未登记的兴趣小组').count()).toBe(0)
  expect(product.query(`SELECT name, status, reason FROM organisations WHERE contact_phone = '${phoneNumber}' ORDER BY id`)).toEqual([
    { name: '城关镇红马甲志愿者协会', status: 'approved', reason: null },
    { name: '城关镇未登记的兴趣小组', status: 'rejected', reason: '请先完成民政登记' },
  ])

  // 自主申报: approved, two hours onto the ledger.
  await menu.getByRole('menuitem', { name: '自主申报' }).click()
  const reports = page.getByLabel('自主申报列表', { exact: true })
  await reports.getByText('为社区老人代购药品').waitFor()
  await screenshot(page, 'self-reports')
  await reports.getByRole('button', { name: '通过申报「为社区老人代购药品」' }).click()
  await page.getByText('已通过，时长已记入').waitFor()
  expect(product.query(`SELECT status FROM self_reports WHERE id = ${report.id}`)).toEqual([{ status: 'approved' }])
  expect(product.query(`SELECT amount FROM ledger_entries WHERE volunteer_id = ${volunteer.id} AND kind = 'minutes' AND source = 'self-report'`)).toEqual([{ amount: 120 }])

  expect(problems).toEqual([])
})
