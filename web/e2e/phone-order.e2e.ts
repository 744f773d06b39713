// The phone app (/m/) for a citizen and a team leader, on 360×740 phones against the real edge
// (the demo county): the citizen scans a station's code (/m/order?station=<id>), signs in by SMS
// code and is brought back to the order form with the station named, orders (a missing field
// refused beside it, nothing stored); unknown order and registration codes are refused and a real
// registration code names its station; the centre dispatches it to the demo leader's team; the
// leader, on his phone, accepts it, assigns a member, starts and completes it with the member's
// minutes; the citizen sees the timeline and rates it, and 我的评价 lists what the station ordered
// from held in the last 30 days. Page text first, then the database.

import { expect, test } from 'vitest'
import type { Browser } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { screenshot } from './support/browser'
import { staff } from './support/api'
import { fitsTheScreen, phone, signInByPassword, signInBySms } from './support/phone'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: true }, (p, b) => {
  product = p
  browser = b
})

const CITIZEN = '13912345601'
const LEADER = '13800000004'
const NEED = '家里水龙头漏水，老人独居，想请人帮忙修一下'

test('a citizen orders by scanning a station code, a team leader completes it on his phone, the citizen rates it', async () => {
  const admin = await staff(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [station] = product.query<{ id: number; name: string }>(`SELECT id, name FROM orgs WHERE level = 'station' AND name LIKE '东关社区%'`)
  const [item] = product.query<{ id: number; name: string }>(`SELECT id, name FROM service_menu_items WHERE name = '代购代办'`)
  const [team] = product.query<{ id: number }>(`SELECT t.id FROM teams t JOIN accounts a ON a.id = t.leader_account_id WHERE a.phone = '${LEADER}' ORDER BY t.id LIMIT 1`)
  const [member] = product.query<{ id: number; real_name: string; volunteer_no: string }>(
    `SELECT v.id, v.real_name, v.volunteer_no FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id
     WHERE m.team_id = ${team!.id} AND m.status = 'approved' AND v.phone <> '${LEADER}' ORDER BY v.id LIMIT 1`,
  )

  // The citizen scans the station's code: sign in, then back to the form with the station set.
  const citizen = await phone(browser, { latitude: 30.0, longitude: 120.0 })
  const cp = citizen.page
  await cp.goto(`${product.url}/m/order?station=${station!.id}`)
  await cp.waitForURL(`${product.url}/m/sign-in?return=/m/order?station=${station!.id}`)
  await signInBySms(cp, admin, CITIZEN)
  await cp.waitForURL(`${product.url}/m/order?station=${station!.id}`)
  await cp.getByText(`服务站点：${station!.name}`).waitFor()
  const form = cp.getByRole('form', { name: '点单' })
  await form.getByRole('radio', { name: item!.name }).click()
  await form.getByRole('textbox', { name: '服务地址' }).fill('东关社区和平街 8 号')
  await form.getByRole('textbox', { name: '联系人' }).fill('孙阿姨')
  await form.getByRole('button', { name: '提交点单' }).click()
  await form.getByText('请说明需要什么帮助').waitFor()
  expect(product.query(`SELECT COUNT(*) AS n FROM demands d JOIN accounts a ON a.id = d.citizen_id WHERE a.phone = '${CITIZEN}'`)).toEqual([{ n: 0 }])
  await form.getByRole('textbox', { name: '需要什么' }).fill(NEED)
  await form.getByRole('radio', { name: '较急' }).click()
  expect(await fitsTheScreen(cp)).toBe(true)
  await screenshot(cp, 'phone-order-form')
  await form.getByRole('button', { name: '提交点单' }).click()
  await cp.getByRole('region', { name: '点单' }).getByText('已提交，待派单').waitFor()
  const [order] = product.query<{ id: number; org_id: number; status: string; urgency: string; contact_phone: string }>(
    `SELECT d.id, d.org_id, d.status, d.urgency, d.contact_phone FROM demands d JOIN accounts a ON a.id = d.citizen_id WHERE a.phone = '${CITIZEN}'`,
  )
  expect(order).toMatchObject({ org_id: station!.id, status: 'submitted', urgency: 'urgent', contact_phone: CITIZEN })
  await screenshot(cp, 'phone-order-submitted')

  // A code naming no active station is refused before anything is filled in.
  await cp.goto(`${product.url}/m/order?station=999999`)
  await cp.getByRole('alert').getByText('没有找到这个服务站点：二维码无效或站点已停用，请重新扫描站点的二维码').waitFor()
  expect(await cp.getByRole('form', { name: '点单' }).count()).toBe(0)
  await screenshot(cp, 'phone-order-unknown-station')
  // The same for a registration code: refused before the form, nothing asked.
  await cp.goto(`${product.url}/m/register?station=999999`)
  await cp.getByRole('alert').getByText('没有找到这个服务站点：二维码无效或站点已停用，请重新扫描站点的二维码').waitFor()
  expect(await cp.getByRole('form', { name: '志愿者登记' }).count()).toBe(0)
  // A real station's registration code names it.
  await cp.goto(`${product.url}/m/register?station=${station!.id}`)
  await cp.getByRole('form', { name: '志愿者登记' }).getByText(`登记站点：${station!.name}`).waitFor()
  await cp.goto(`${product.url}/m/orders/${order!.id}`)

  // The centre dispatches it to the leader's team (the console's part, through the API here).
  await admin.must(200, 'POST', `/api/v1/dispatch/demands/${order!.id}/dispatch`, { team_id: team!.id })

  // The team leader on his phone: accept, assign, start, complete with the member's minutes.
  const leader = await phone(browser, { latitude: 30.0, longitude: 120.0 })
  const lp = leader.page
  await lp.goto(`${product.url}/m/`)
  await signInByPassword(lp, LEADER, 'wenming-demo-4')
  await lp.getByRole('navigation', { name: '功能' }).getByRole('link', { name: '队伍接单' }).click()
  await lp.getByRole('list', { name: '队伍订单' }).getByRole('link', { name: `订单 ${order!.id} · ${item!.name}` }).click()
  await lp.getByRole('button', { name: '接单' }).click()
  await lp.getByText(`订单 ${order!.id} 已接单`).waitFor()
  expect(product.query(`SELECT status, team_id FROM demands WHERE id = ${order!.id}`)).toEqual([{ status: 'accepted', team_id: team!.id }])
  await lp.getByRole('group', { name: '队员' }).getByRole('checkbox', { name: `${member!.real_name}（${member!.volunteer_no}）` }).check()
  await lp.getByRole('button', { name: '确定分配' }).click()
  await lp.getByText(`订单 ${order!.id} 已分配队员`).waitFor()
  expect(product.query(`SELECT COUNT(*) AS n FROM demand_assignees WHERE demand_id = ${order!.id} AND volunteer_id = ${member!.id}`)).toEqual([{ n: 1 }])
  await lp.getByRole('button', { name: '开始服务' }).click()
  await lp.getByText(`订单 ${order!.id} 已开始服务`).waitFor()
  const completing = lp.getByRole('region', { name: '完成结项' })
  await completing.getByRole('button', { name: '完成结项' }).click()
  await completing.getByText('请填写结项说明').waitFor()
  await completing.getByRole('textbox', { name: '结项说明' }).fill('已更换水龙头阀芯，试水无渗漏')
  await completing.getByRole('textbox', { name: `${member!.real_name}的服务分钟数` }).fill('90')
  await screenshot(lp, 'phone-team-complete')
  await completing.getByRole('button', { name: '完成结项' }).click()
  await lp.getByText(`订单 ${order!.id} 已完成结项`).waitFor()
  expect(product.query(`SELECT status FROM demands WHERE id = ${order!.id}`)).toEqual([{ status: 'completed' }])
  expect(product.query(`SELECT amount FROM ledger_entries WHERE volunteer_id = ${member!.id} AND kind = 'minutes' AND source = 'order'`)).toEqual([{ amount: 90 }])
  expect(leader.problems).toEqual([])
  await leader.context.close()

  // The citizen: the timeline, then the rating (评单), which closes the order.
  await cp.reload()
  const progress = cp.getByRole('region', { name: '办理进度' })
  await progress.getByText('服务已完成，待您评价').waitFor()
  await progress.getByText('队伍已接单').waitFor()
  const rating = cp.getByRole('region', { name: '评价' })
  await rating.getByRole('button', { name: '提交评价' }).click()
  await rating.getByText('请选择满意程度').waitFor()
  await rating.getByRole('radio', { name: '非常满意' }).click()
  await rating.getByRole('textbox', { name: '评价内容' }).fill('师傅很耐心，修得很好')
  await screenshot(cp, 'phone-order-rate')
  await rating.getByRole('button', { name: '提交评价' }).click()
  await cp.getByText('感谢您的评价').waitFor()
  await cp.getByText('我的评价：非常满意，师傅很耐心，修得很好').waitFor()
  expect(product.query(`SELECT status, rating, rating_comment FROM demands WHERE id = ${order!.id}`)).toEqual([
    { status: 'closed', rating: 'very_satisfied', rating_comment: '师傅很耐心，修得很好' },
  ])
  await screenshot(cp, 'phone-order-rated')

  // My orders lists it, closed.
  await cp.goto(`${product.url}/m/orders`)
  await cp.getByRole('list', { name: '我的点单' }).getByText('已办结').waitFor()

  // 我的评价 for a citizen (no volunteer record): the public activities of the last 30 days and
  // the projects running then at the station ordered from (and below it), as the database has them.
  const subtree = `o.path >= s.path AND o.path < substr(s.path, 1, length(s.path) - 1) || '0'`
  const expected = product.query<{ name: string }>(
    `SELECT a.title AS name FROM activities a JOIN orgs o ON o.id = a.org_id JOIN orgs s ON s.id = ${station!.id}
      WHERE a.status = 'approved' AND a.visibility = 'public' AND a.starts_at <= unixepoch() AND a.starts_at >= unixepoch() - 30 * 86400 AND ${subtree}
     UNION ALL
     SELECT p.name FROM eval_projects p JOIN orgs o ON o.id = p.org_id JOIN orgs s ON s.id = ${station!.id}
      WHERE unixepoch(p.starts_on || 'T00:00:00+08:00') <= unixepoch() AND unixepoch(p.ends_on || 'T00:00:00+08:00') + 86400 >= unixepoch() - 30 * 86400 AND ${subtree}`,
  )
  await cp.goto(`${product.url}/m/ratings`)
  await cp.getByText('您点单过的服务站点近 30 天的公开活动和志愿服务项目，开始后都可以评价，每项一次。').waitFor()
  if (expected.length === 0) {
    await cp.getByText('暂时没有可评价的活动：在服务站点点单后，这里会列出该站点近期的公开活动').waitFor()
  } else {
    const listed = cp.getByRole('list', { name: '可评价的活动和项目' })
    for (const e of expected.slice(0, 20)) await listed.getByRole('heading', { name: e.name }).first().waitFor()
    expect(await listed.getByRole('listitem').count()).toBe(Math.min(expected.length, 20))
  }
  await screenshot(cp, 'phone-ratings-citizen')
  expect(citizen.problems).toEqual([])
  await citizen.context.close()
})
