// A needs survey (需求调查) on a 360×740 phone against the real edge (the demo county): the
// WeChat menu's old address /survey.html?id=N leads into the phone app's /m/surveys/N; the
// resident reads the form before signing in, signs in by SMS code through the app's sign-in and
// comes back; a question shows only for the answer its condition names; the server's refusals
// appear beside the place and the questions they concern, nothing stored; corrected, the answer
// is stored where the resident lives. Page text first, then the database.

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

const RESIDENT = '13912345677'
const TITLE = '东关片区冬季居民需求调查'

/** An RFC 3339 time `hours` from now. */
function inHours(hours: number): string {
  return new Date(Date.now() + hours * 3600_000).toISOString().slice(0, 19) + 'Z'
}

test('a resident answers a survey on the phone from the WeChat menu link', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [centre] = product.query<{ id: number }>(`SELECT id FROM orgs WHERE level = 'centre' ORDER BY id LIMIT 1`)
  const [station] = product.query<{ id: number; name: string }>(`SELECT id, name FROM orgs WHERE level = 'station' AND active = 1 AND name LIKE '东关社区%'`)
  const options = [{ key: 'o1', label: '助老助残' }, { key: 'o2', label: '文化娱乐' }, { key: 'o3', label: '便民维修' }]
  const created = await admin.must<{ id: number }>(201, 'POST', '/api/v1/surveys', {
    title: TITLE,
    description: '了解辖区居民最需要的志愿服务',
    org_id: centre!.id,
    audience: 'residents',
    anonymous: false,
    one_per: 'person',
    opens_at: inHours(-1),
    closes_at: inHours(24 * 7),
    sections: [
      {
        title: '服务需求',
        questions: [
          { key: 'need', type: 'single_choice', title: '您最需要哪类志愿服务？', required: true, options },
          { key: 'care', type: 'rating', title: '您对上门助老服务的满意度', required: true, scale: 5, show_if: { question: 'need', any_of: ['o1'] } },
          { key: 'people', type: 'number', title: '家中常住人口', min: 1, max: 10, integer: true },
        ],
      },
    ],
  })
  await admin.must(200, 'POST', `/api/v1/surveys/${created.id}/publish`)

  // The menu's link leads into the app; the form is readable before signing in.
  const resident = await phone(browser, { latitude: 30.0, longitude: 120.0 })
  const page = resident.page
  await page.goto(`${product.url}/survey.html?id=${created.id}`)
  await page.waitForURL(`${product.url}/m/surveys/${created.id}`)
  await page.getByRole('heading', { name: TITLE }).waitFor()
  await page.getByText('了解辖区居民最需要的志愿服务').waitFor()
  await page.getByRole('button', { name: '登录后作答' }).click()
  await signInBySms(page, admin, RESIDENT)
  await page.waitForURL(`${product.url}/m/surveys/${created.id}`)

  // The rating shows only when 助老助残 is chosen.
  const form = page.getByRole('form', { name: '问卷' })
  const care = form.getByRole('group', { name: '您对上门助老服务的满意度' })
  await form.getByRole('group', { name: '您最需要哪类志愿服务？' }).waitFor()
  expect(await care.count()).toBe(0)
  await form.getByRole('radio', { name: '文化娱乐' }).check()
  expect(await care.count()).toBe(0)
  await form.getByRole('radio', { name: '助老助残' }).check()
  await care.waitFor()

  // Sent without a place: refused beside 所在地, nothing stored.
  await form.getByRole('button', { name: '提交' }).click()
  await form.getByText('所在地：请选择您所在的村（社区）').waitFor()
  expect(product.query(`SELECT COUNT(*) AS n FROM survey_responses WHERE survey_id = ${created.id}`)).toEqual([{ n: 0 }])

  // A place, but the rating left out and too many people: each refusal beside its question.
  await form.getByRole('combobox', { name: '您所在的村（社区）' }).selectOption(String(station!.id))
  await form.getByRole('spinbutton', { name: '家中常住人口' }).fill('12')
  await form.getByRole('button', { name: '提交' }).click()
  await care.getByText('此题必答').waitFor()
  await form.getByRole('group', { name: '家中常住人口' }).getByText('应在 1 至 10 之间').waitFor()
  expect(await fitsTheScreen(page)).toBe(true)
  await screenshot(page, 'phone-survey-refused')
  expect(product.query(`SELECT COUNT(*) AS n FROM survey_responses WHERE survey_id = ${created.id}`)).toEqual([{ n: 0 }])

  // Corrected: a refusal goes once its question is changed; then stored where the resident lives.
  await care.getByRole('radio', { name: '4 分' }).check()
  await care.getByText('此题必答').waitFor({ state: 'detached' })
  await form.getByRole('spinbutton', { name: '家中常住人口' }).fill('3')
  await form.getByRole('button', { name: '提交' }).click()
  await page.getByText('提交成功，感谢您的参与！').waitFor()
  await screenshot(page, 'phone-survey-done')
  const stored = product.query<{ org_id: number; answers: string }>(
    `SELECT r.org_id, r.answers FROM survey_responses r JOIN survey_respondents p ON p.survey_id = r.survey_id
     JOIN accounts a ON a.id = p.account_id WHERE r.survey_id = ${created.id} AND a.phone = '${RESIDENT}'`,
  )
  expect(stored).toHaveLength(1)
  expect(stored[0]!.org_id).toBe(station!.id)
  expect(JSON.parse(stored[0]!.answers)).toEqual({ need: 'o1', care: 4, people: 3 })
  expect(resident.problems).toEqual([])
})
