// The phone app (/m/) for a volunteer, in Chromium on a 360×740 phone whose position the test
// sets, against the real edge on a fresh database (the demo county). The person opens the
// centre's registration link, is sent to sign in by SMS code and brought back, registers with
// their resident ID (a wrong one refused beside its field), signs up, cancels and signs up again; scans the activity's QR link (the old /checkin.html address, which redirects), is
// refused 200 m too far away, checks in at the venue and checks out; once the organiser confirms
// the minutes, sees the hours on their record; redeems the point earned (cancels once, refunded),
// shows the pickup code, and the shop's staff confirm it in the console. Large type and the phone's width are checked on
// the way. Page text first, then the database.

import { expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { person, screenshot, signIn as consoleSignIn } from './support/browser'
import { residentId, staff } from './support/api'
import { fitsTheScreen, phone, signInBySms } from './support/phone'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: true }, (p, b) => {
  product = p
  browser = b
})

const CENTRE = '示范县新时代文明实践中心'
const PHONE = '13712340077'
const NAME = '王秀兰'
const TITLE = '社区环境清洁志愿服务'
const REWARD = '爱心超市·洗衣皂'
const ID_NUMBER = residentId('110101', '19680402', 3, false)
/** The same ID with its check character changed: the server refuses it. */
const BAD_ID_NUMBER = ID_NUMBER.slice(0, 17) + (ID_NUMBER.endsWith('0') ? '1' : '0')
const VENUE = { latitude: 30.0, longitude: 120.0 }
/** 400 m north of the venue (0.0036° of latitude): 200 m beyond the 200 m radius. */
const TOO_FAR = { latitude: 30.0036, longitude: 120.0 }
/** 56 m north of the venue. */
const AT_THE_VENUE = { latitude: 30.0005, longitude: 120.0 }

function rfc3339(unix: number): string {
  return new Date(unix * 1000).toISOString().replace('.000Z', 'Z')
}

test('a volunteer signs in by SMS, signs up, is refused 200 m away, checks in and out, sees the confirmed hours and redeems a reward the shop confirms', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [centre] = product.query<{ id: number }>(`SELECT id FROM orgs WHERE name = '${CENTRE}'`)
  // Starting in 15 minutes (check-in opens 30 minutes before), sign-up open for 10 more.
  const now = Math.floor(Date.now() / 1000)
  const startsAt = now - (now % 60) + 15 * 60
  const activity = await admin.must<{ id: number }>(201, 'POST', '/api/v1/activities', {
    title: TITLE,
    category: '环境',
    description: '清理小区公共区域的垃圾和小广告',
    org_id: centre!.id,
    address: '东关社区北门',
    ...VENUE,
    radius_m: 200,
    starts_at: rfc3339(startsAt),
    ends_at: rfc3339(startsAt + 2 * 3600),
    signup_deadline: rfc3339(startsAt - 300),
    capacity: 5,
    required_skills: [],
    visibility: 'public',
    dynamic_code: false,
  })
  await admin.must(200, 'POST', `/api/v1/activities/${activity.id}/approve`, {})
  const [{ code } = { code: '' }] = product.query<{ code: string }>(`SELECT code FROM activities WHERE id = ${activity.id}`)

  const { page, context, problems } = await phone(browser, TOO_FAR)

  // The registration code of the centre: signed out, the page sends the person to sign in by SMS
  // code (which confirms the phone), then back to it; a wrong resident ID is refused beside its
  // field and nothing is written.
  await page.goto(`${product.url}/m/register?station=${centre!.id}`)
  await page.waitForURL(`${product.url}/m/sign-in?return=/m/register?station=${centre!.id}`)
  await screenshot(page, 'phone-sign-in')
  await signInBySms(page, admin, PHONE)
  await page.waitForURL(`${product.url}/m/register?station=${centre!.id}`)
  const registration = page.getByRole('form', { name: '志愿者登记' })
  await registration.getByText(`登记站点：${CENTRE}`).waitFor()
  await registration.getByRole('textbox', { name: '姓名' }).fill(NAME)
  await registration.getByRole('radio', { name: '女' }).click()
  await registration.getByLabel('出生日期').fill('1968-04-02')
  await registration.getByRole('textbox', { name: '身份证号' }).fill(BAD_ID_NUMBER)
  await registration.getByRole('button', { name: '登记' }).click()
  await registration.getByText('身份证号无效：请核对校验位，以及其中的出生日期、性别是否与所填一致').waitFor()
  expect(product.query(`SELECT id FROM volunteers WHERE phone = '${PHONE}'`)).toEqual([])
  await screenshot(page, 'phone-register-refused')
  await registration.getByRole('textbox', { name: '身份证号' }).fill(ID_NUMBER)
  await registration.getByRole('button', { name: '登记' }).click()
  await page.getByText(/^登记成功，您的志愿者编号是 WM\d{10}$/).waitFor()
  expect(product.query(`SELECT real_name, gender, id_number, home_org_id FROM volunteers WHERE phone = '${PHONE}'`)).toEqual([
    { real_name: NAME, gender: 'female', id_number: ID_NUMBER, home_org_id: centre!.id },
  ])

  // Activities: the one above among the demo county's.
  await page.getByRole('link', { name: '去报名活动' }).click()
  await page.waitForURL(`${product.url}/m/activities`)
  const list = page.getByRole('list', { name: '活动列表' })
  await list.getByRole('link', { name: TITLE }).waitFor()
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-activities')

  // Sign-up, cancel, sign-up again: the database follows each step.
  await list.getByRole('link', { name: TITLE }).click()
  await page.getByRole('heading', { name: TITLE }).waitFor()
  await page.getByText('名额：已报名 0/5').waitFor()
  await page.getByRole('button', { name: '报名' }).click()
  await page.getByText('报名成功').waitFor()
  await page.getByText('我的报名：已报名').waitFor()
  await page.getByText('名额：已报名 1/5').waitFor()
  const signups = () => product.query<{ status: string }>(`SELECT s.status FROM signups s JOIN volunteers v ON v.id = s.volunteer_id WHERE s.activity_id = ${activity.id} AND v.phone = '${PHONE}'`)
  expect(signups()).toEqual([{ status: 'confirmed' }])
  await page.getByRole('button', { name: '取消报名' }).click()
  await page.getByText('已取消报名').waitFor()
  expect(signups()).toEqual([{ status: 'cancelled' }])
  await page.getByRole('button', { name: '报名' }).click()
  await page.getByText('报名成功').waitFor()
  expect(signups()).toEqual([{ status: 'confirmed' }])
  await screenshot(page, 'phone-activity-signed-up')

  // The QR code's older address opens the phone check-in page with the code.
  await page.goto(`${product.url}/checkin.html?code=${code}`)
  await page.waitForURL(`${product.url}/m/checkin?code=${code}`)
  await page.getByRole('heading', { name: `活动码 ${code}` }).waitFor()

  // 400 m away: refused, saying by how much; nothing stored.
  await page.getByRole('button', { name: '签到' }).click()
  await page.getByRole('alert').getByText('您距活动地点 400 米，超出签到范围 200 米（需在 200 米内），请到现场后再签到').waitFor()
  await screenshot(page, 'phone-checkin-too-far')
  expect(product.query(`SELECT COUNT(*) AS n FROM attendances WHERE activity_id = ${activity.id}`)).toEqual([{ n: 0 }])

  // At the venue: checked in 56 m away, then checked out.
  await context.setGeolocation(AT_THE_VENUE)
  await page.getByRole('button', { name: '签到' }).click()
  await page.getByText(/^签到成功：\d{4}-\d{2}-\d{2} \d{2}:\d{2}，距活动地点 56 米$/).waitFor()
  expect(product.query(`SELECT check_in_distance_m, checked_out_at FROM attendances WHERE activity_id = ${activity.id}`)).toEqual([
    { check_in_distance_m: 56, checked_out_at: null },
  ])
  await screenshot(page, 'phone-checked-in')
  await page.getByRole('button', { name: '签退' }).click()
  await page.getByText(/^签退成功：.*距活动地点 56 米，本次服务 \d+ 分钟（待组织者确认后计入时长）$/).waitFor()
  const [attendance] = product.query<{ id: number; checked_out_at: number | null }>(`SELECT id, checked_out_at FROM attendances WHERE activity_id = ${activity.id}`)
  expect(attendance!.checked_out_at).not.toBeNull()

  // Before confirmation the record has no hours; the organiser confirms 90 minutes.
  await page.goto(`${product.url}/m/record`)
  await page.getByText('还没有已确认的服务记录').waitFor()
  await admin.must(200, 'POST', `/api/v1/attendances/${attendance!.id}/confirm`, { minutes: 90, reason: '清理完毕后又协助整理工具' })
  await page.reload()
  const hours = page.getByRole('region', { name: '服务时长' })
  await hours.getByText(NAME).waitFor()
  await hours.getByText('1.5', { exact: true }).waitFor()
  await page.getByRole('region', { name: '服务记录' }).getByText(TITLE).waitFor()
  expect(product.query(`SELECT amount FROM ledger_entries l JOIN volunteers v ON v.id = l.volunteer_id WHERE v.phone = '${PHONE}' AND l.kind = 'minutes'`)).toEqual([
    { amount: 90 },
  ])
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-record')

  // 积分兑换: the point earned buys the love supermarket's soap; a cancellation refunds it, the
  // second redemption's pickup code is shown as digits and a QR code, and the shop's staff
  // confirm it in the console.
  const item = await admin.must<{ id: number }>(201, 'POST', '/api/v1/rewards', {
    org_id: centre!.id,
    name: REWARD,
    kind: 'goods',
    description: '爱心超市兑换',
    points_price: 1,
    stock: 3,
  })
  const points = () =>
    product.query<{ points: number }>(`SELECT COALESCE(SUM(amount), 0) AS points FROM ledger_entries l JOIN volunteers v ON v.id = l.volunteer_id WHERE v.phone = '${PHONE}' AND l.kind = 'points'`)[0]!.points
  expect(points()).toBe(1)
  await page.getByRole('link', { name: '用积分兑换礼品' }).click()
  await page.getByText('我的积分：').waitFor()
  const catalogue = page.getByRole('list', { name: '礼品目录' })
  await catalogue.getByRole('heading', { name: REWARD }).waitFor()
  await screenshot(page, 'phone-rewards')
  await catalogue.getByRole('button', { name: `兑换${REWARD}` }).click()
  const redemptions = page.getByRole('list', { name: '我的兑换' })
  await redemptions.getByText('待取货').waitFor()
  const redeemed = () => product.query<{ id: number; status: string }>(`SELECT r.id, r.status FROM redemptions r JOIN reward_items i ON i.id = r.item_id WHERE i.id = ${item.id} ORDER BY r.id`)
  expect(redeemed().map((r) => r.status)).toEqual(['reserved'])
  expect(points()).toBe(0)
  await redemptions.getByRole('button', { name: '取消兑换' }).click()
  await redemptions.getByText('已取消，积分已退回').waitFor()
  expect(redeemed().map((r) => r.status)).toEqual(['cancelled'])
  expect(points()).toBe(1)
  await page.goto(`${product.url}/m/rewards`)
  await page.getByRole('list', { name: '礼品目录' }).getByRole('button', { name: `兑换${REWARD}` }).click()
  await redemptions.getByText('待取货').waitFor()
  const pickup = (await redemptions.getByLabel(/^取货码 \d{8}$/).innerText()).trim()
  await redemptions.getByRole('img', { name: `取货码 ${pickup} 的二维码` }).waitFor()
  await screenshot(page, 'phone-pickup-code')

  // The shop's staff (the centre admin, in the console) hand it over against that code.
  const desk = await person(browser)
  await desk.page.goto(`${product.url}/console/sign-in`)
  await consoleSignIn(desk.page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await desk.page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '礼遇' }).click()
  await desk.page.getByRole('tab', { name: '兑换核销' }).click()
  const second = redeemed()[1]!
  await desk.page.getByRole('region', { name: '兑换记录' }).getByRole('button', { name: `核销 ${second.id}` }).click()
  const handover = desk.page.getByRole('dialog', { name: `核销领取 · ${REWARD}` })
  await handover.getByLabel('取货码').fill(pickup)
  await handover.getByRole('button', { name: '确认核销' }).click()
  await desk.page.getByText(`兑换 ${second.id} 已核销领取`).waitFor()
  expect(redeemed().map((r) => r.status)).toEqual(['cancelled', 'handed_over'])
  await desk.context.close()
  await page.reload()
  await redemptions.getByText(/^已领取（\d{4}-\d{2}-\d{2} \d{2}:\d{2}）$/).waitFor()

  // Large type, remembered on the phone: the switch on the home page.
  await page.goto(`${product.url}/m/`)
  await page.getByRole('heading', { name: /^您好，/ }).waitFor()
  await page.getByRole('switch', { name: '大字模式' }).click()
  expect(await page.evaluate(() => document.documentElement.classList.contains('m-large'))).toBe(true)
  await page.reload()
  await page.getByRole('heading', { name: /^您好，/ }).waitFor()
  expect(await page.getByRole('switch', { name: '大字模式' }).getAttribute('aria-checked')).toBe('true')
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-home-large-type')
  expect(problems).toEqual([])
  await context.close()
})
