// 点单派单 in a real Chromium against the real edge on a fresh database (the demo county): an order
// placed for a citizen through the API is found in the centre's dispatch queue, its suggested
// teams are shown with their reasons, and it is dispatched from the desk; the team's leader, in a
// second browser context with a password account made through the API, accepts it on the team
// desk and sees the timeline with its SMS notices. Each step checks the page, then the database.

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

const TEAM = '东关社区家电维修志愿服务队'
const LEADER = { name: '周师傅', phone: '13700000088', password: 'team-leader-pw' }
const CITIZEN = '13912345678'

test('an order is dispatched from the desk and accepted by the team leader', async () => {
  // Arrange, through the API: a leader with a password, his team at the station, a citizen's order.
  const admin = await apiAs(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [station] = product.query<{ id: number; name: string }>(`SELECT id, name FROM orgs WHERE level = 'station' AND name LIKE '东关社区%'`)
  const [item] = product.query<{ id: number }>(`SELECT id FROM service_menu_items WHERE name = '家电维修'`)
  const leader = await admin.call<{ id: number }>('POST', '/api/v1/accounts', LEADER)
  const team = await admin.call<{ id: number }>('POST', '/api/v1/teams', { org_id: station!.id, name: TEAM, leader_account_id: leader.id, categories: ['便民服务'] })
  const order = await admin.call<{ id: number }>('POST', '/api/v1/demands', {
    menu_item_id: item!.id,
    org_id: station!.id,
    description: '冰箱不制冷，独居老人，请上门看看',
    address: '东关社区幸福路 8 号',
    urgency: 'urgent',
    contact_name: '孙大娘',
    contact_phone: CITIZEN,
    citizen_phone: CITIZEN,
  })

  // The dispatcher: the queue, the order's detail and its suggested teams.
  const desk = await person(browser)
  const page = desk.page
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '点单派单' }).click()
  const queue = page.getByRole('region', { name: '派单队列' })
  const row = queue.getByRole('row').filter({ has: page.getByRole('cell', { name: String(order.id), exact: true }) })
  await row.getByText('家电维修').waitFor()
  await row.getByText('较急').waitFor()
  await screenshot(page, 'dispatch-queue')
  // The queue narrowed to one station's subtree shows its order and no other station's.
  await queue.getByText('沙河村新时代文明实践站').waitFor()
  await page.getByRole('combobox', { name: '按组织筛选' }).click({ force: true })
  await page.getByRole('treeitem', { name: '东关社区新时代文明实践站' }).getByText('东关社区新时代文明实践站', { exact: true }).click()
  await queue.getByText('沙河村新时代文明实践站').waitFor({ state: 'detached' })
  await row.getByText('家电维修').waitFor()
  await page.getByRole('combobox', { name: '按组织筛选' }).press('Escape')
  await row.getByRole('button', { name: '办理' }).click()

  const drawer = page.getByRole('dialog', { name: `订单 ${order.id} · 家电维修` })
  await drawer.getByText('孙大娘').waitFor()
  await drawer.getByText('冰箱不制冷，独居老人，请上门看看').waitFor()
  const suggestions = drawer.getByRole('region', { name: '推荐队伍' })
  const suggested = suggestions.getByRole('row').filter({ hasText: TEAM })
  await suggested.getByText(`服务类别相符（便民服务）；同一实践站（${station!.name}）`, { exact: false }).waitFor()
  await screenshot(page, 'dispatch-order')

  // Rejecting needs a reason: refused beside the field, nothing sent.
  await drawer.getByRole('button', { name: '驳回' }).click()
  const reject = page.getByRole('dialog', { name: '驳回' })
  await reject.getByRole('button', { name: '确定驳回' }).click()
  await reject.getByText('请填写原因').waitFor()
  await reject.getByRole('button', { name: '返回' }).click()
  expect(product.query(`SELECT status FROM demands WHERE id = ${order.id}`)).toEqual([{ status: 'submitted' }])

  // Dispatch to the suggested team.
  await suggested.getByRole('button', { name: `派给${TEAM}` }).click()
  const dispatch = page.getByRole('dialog', { name: '派单' })
  await dispatch.getByLabel('备注').fill('请今天内联系群众')
  await dispatch.getByRole('button', { name: '确定派单' }).click()
  await page.getByText(`订单 ${order.id} 已派单`).waitFor()
  await drawer.getByText('已派单', { exact: true }).first().waitFor()
  const timeline = drawer.getByRole('region', { name: '办理经过' })
  await timeline.getByText('待派单 → 已派单').waitFor()
  await timeline.getByRole('region', { name: '短信通知' }).getByText('派单通知').waitFor()
  await screenshot(page, 'dispatch-dispatched')
  expect(product.query(`SELECT status, team_id FROM demands WHERE id = ${order.id}`)).toEqual([{ status: 'dispatched', team_id: team.id }])
  expect(product.query(`SELECT COUNT(*) AS n FROM outbox WHERE template = 'order-dispatched' AND recipient = '${LEADER.phone}'`)).toEqual([{ n: 1 }])

  // The team leader, in a browser of his own: the team desk, then 接单.
  const leaderSide = await person(browser)
  const lp = leaderSide.page
  await lp.goto(`${product.url}/console/sign-in`)
  await signIn(lp, LEADER.phone, LEADER.password)
  const menu = lp.getByRole('navigation', { name: '主菜单' })
  expect(await menu.getByRole('menuitem', { name: '点单派单' }).count()).toBe(0)
  await menu.getByRole('menuitem', { name: '队伍接单' }).click()
  const teamOrders = lp.getByRole('region', { name: '队伍订单' })
  const mine = teamOrders.getByRole('row').filter({ has: lp.getByRole('cell', { name: String(order.id), exact: true }) })
  await mine.getByText('已派单').waitFor()
  await screenshot(lp, 'team-desk')
  await mine.getByRole('button', { name: `接单 ${order.id}` }).click()
  await lp.getByRole('dialog', { name: `接单 · 订单 ${order.id}` }).getByRole('button', { name: '确定接单' }).click()
  await lp.getByText(`订单 ${order.id} 已接单`).waitFor()
  await mine.getByText('已接单').waitFor()
  await mine.getByRole('button', { name: '开始服务' }).waitFor()
  expect(product.query(`SELECT status, team_id FROM demands WHERE id = ${order.id}`)).toEqual([{ status: 'accepted', team_id: team.id }])
  expect(product.query(`SELECT COUNT(*) AS n FROM outbox WHERE template = 'order-accepted' AND recipient = '${CITIZEN}'`)).toEqual([{ n: 1 }])

  // The timeline, as the leader sees it: both moves and the citizen's notice.
  await mine.getByRole('button', { name: '经过' }).click()
  const history = lp.getByRole('region', { name: '办理经过' })
  await history.getByText('已派单 → 已接单').waitFor()
  await history.getByRole('region', { name: '短信通知' }).getByText('接单通知').waitFor()
  await screenshot(lp, 'team-desk-timeline')

  expect(desk.problems).toEqual([])
  expect(leaderSide.problems).toEqual([])
})

test('a team leader assigns a member, starts and completes an order with minutes credited', async () => {
  // Arrange, through the API: an order dispatched to the demo leader's team and accepted by him.
  const admin = await apiAs(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const leader = await apiAs(product.url, '13800000004', 'wenming-demo-4')
  const [station] = product.query<{ id: number }>(`SELECT id FROM orgs WHERE level = 'station' AND name LIKE '东关社区%'`)
  const [item] = product.query<{ id: number }>(`SELECT id FROM service_menu_items WHERE name = '代购代办'`)
  const [team] = product.query<{ id: number }>(`SELECT t.id FROM teams t JOIN accounts a ON a.id = t.leader_account_id WHERE a.phone = '13800000004' ORDER BY t.id LIMIT 1`)
  const [member] = product.query<{ id: number; real_name: string; volunteer_no: string }>(
    `SELECT v.id, v.real_name, v.volunteer_no FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id
     WHERE m.team_id = ${team!.id} AND m.status = 'approved' AND v.phone <> '13800000004' ORDER BY v.id LIMIT 1`,
  )
  const order = await admin.call<{ id: number }>('POST', '/api/v1/demands', {
    menu_item_id: item!.id,
    org_id: station!.id,
    description: '帮忙代买常用药',
    address: '东关社区和平街 3 号',
    urgency: 'normal',
    contact_name: '钱大爷',
    contact_phone: '13912340000',
    citizen_phone: '13912340000',
  })
  await admin.call('POST', `/api/v1/dispatch/demands/${order.id}/dispatch`, { team_id: team!.id })
  await leader.call('POST', `/api/v1/dispatch/demands/${order.id}/accept`, {})

  const { page, problems } = await person(browser)
  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, '13800000004', 'wenming-demo-4')
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '队伍接单' }).click()
  const row = page.getByRole('region', { name: '队伍订单' }).getByRole('row').filter({ has: page.getByRole('cell', { name: String(order.id), exact: true }) })

  // Assign a member of the team (the leader himself is one too, but nobody reports their own minutes).
  await row.getByRole('button', { name: '分配队员' }).click()
  const assign = page.getByRole('dialog', { name: `分配队员 · 订单 ${order.id}` })
  await assign.getByText(`${member!.real_name}（${member!.volunteer_no}）`).click()
  await assign.getByRole('button', { name: '确定分配队员' }).click()
  await page.getByText(`订单 ${order.id} 已分配队员`).waitFor()
  expect(product.query(`SELECT COUNT(*) AS n FROM demand_assignees WHERE demand_id = ${order.id} AND volunteer_id = ${member!.id}`)).toEqual([{ n: 1 }])

  await row.getByRole('button', { name: '开始服务' }).click()
  await page.getByRole('dialog', { name: `开始服务 · 订单 ${order.id}` }).getByRole('button', { name: '确定开始服务' }).click()
  await page.getByText(`订单 ${order.id} 已开始服务`).waitFor()

  // The report: a summary is required (refused beside it), then each assignee's minutes.
  await row.getByRole('button', { name: '完成结项' }).click()
  const complete = page.getByRole('dialog', { name: `完成结项 · 订单 ${order.id}` })
  await complete.getByLabel(`${member!.real_name}的服务分钟数`).waitFor()
  await complete.getByRole('button', { name: '确定完成结项' }).click()
  await complete.getByText('请填写结项说明').waitFor()
  await complete.getByLabel('结项说明').fill('已代购降压药两盒，送到家中')
  await complete.getByLabel(`${member!.real_name}的服务分钟数`).fill('90')
  await screenshot(page, 'team-desk-complete')
  await complete.getByRole('button', { name: '确定完成结项' }).click()
  await page.getByText(`订单 ${order.id} 已完成结项`).waitFor()
  expect(product.query(`SELECT status FROM demands WHERE id = ${order.id}`)).toEqual([{ status: 'completed' }])
  expect(
    product.query(`SELECT kind, amount FROM ledger_entries WHERE source = 'order' AND volunteer_id = ${member!.id} AND idempotency_key = 'order:${order.id}:volunteer:${member!.id}' ORDER BY kind`),
  ).toEqual([
    { kind: 'minutes', amount: 90 },
    expect.objectContaining({ kind: 'points' }),
  ])

  expect(problems).toEqual([])
})

test('a complaint is forwarded to a department from the desk and answered on the department desk', async () => {
  const admin = await apiAs(product.url, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  const [station] = product.query<{ id: number }>(`SELECT id FROM orgs WHERE level = 'station' AND name LIKE '东关社区%'`)
  const [item] = product.query<{ id: number }>(`SELECT id FROM service_menu_items WHERE name = '环境卫生投诉'`)
  const [department] = product.query<{ id: number; name: string }>(`SELECT id, name FROM departments ORDER BY id LIMIT 1`)
  const order = await admin.call<{ id: number }>('POST', '/api/v1/demands', {
    menu_item_id: item!.id,
    org_id: station!.id,
    description: '小区门口垃圾堆放多日无人清运',
    address: '东关社区和平街口',
    urgency: 'normal',
    contact_name: '赵先生',
    contact_phone: '13912341111',
    citizen_phone: '13912341111',
  })

  // The dispatcher: a complaint offers 转交部门, not 派单 or 抢单.
  const desk = await person(browser)
  await desk.page.goto(`${product.url}/console/sign-in`)
  await signIn(desk.page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await desk.page.goto(`${product.url}/console/dispatch`)
  const row = desk.page.getByRole('region', { name: '派单队列' }).getByRole('row').filter({ has: desk.page.getByRole('cell', { name: String(order.id), exact: true }) })
  await row.getByRole('button', { name: '办理' }).click()
  const drawer = desk.page.getByRole('dialog', { name: `订单 ${order.id} · 环境卫生投诉` })
  expect(await drawer.getByRole('button', { name: '开放抢单' }).count()).toBe(0)
  await drawer.getByRole('button', { name: '转交部门' }).click()
  const forward = desk.page.getByRole('dialog', { name: '转交部门' })
  await forward.getByRole('button', { name: '确定转交部门' }).click()
  await forward.getByText('请选择职能部门').waitFor()
  await forward.getByRole('combobox', { name: '职能部门' }).click({ force: true })
  await desk.page.getByRole('option', { name: department!.name }).click()
  await forward.getByRole('button', { name: '确定转交部门' }).click()
  await desk.page.getByText(`订单 ${order.id} 已转交部门`).waitFor()
  expect(product.query(`SELECT status, department_id FROM demands WHERE id = ${order.id}`)).toEqual([{ status: 'forwarded', department_id: department!.id }])

  // The department's handler answers it on the department desk.
  const handler = await person(browser)
  await handler.page.goto(`${product.url}/console/sign-in`)
  await signIn(handler.page, '13800000005', 'wenming-demo-5')
  await handler.page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '部门办理' }).click()
  const item2 = handler.page.getByRole('region', { name: '转办事项' }).getByRole('row').filter({ has: handler.page.getByRole('cell', { name: String(order.id), exact: true }) })
  await item2.getByRole('button', { name: '答复' }).click()
  const reply = handler.page.getByRole('dialog', { name: `答复 · 事项 ${order.id}` })
  await reply.getByLabel('答复内容').fill('已通知环卫所，今日下午清运完毕')
  await reply.getByRole('button', { name: '提交答复' }).click()
  await handler.page.getByText(`事项 ${order.id} 已答复`).waitFor()
  await screenshot(handler.page, 'department-desk')
  expect(product.query(`SELECT status, reply FROM demands WHERE id = ${order.id}`)).toEqual([{ status: 'replied', reply: '已通知环卫所，今日下午清运完毕' }])

  expect(desk.problems).toEqual([])
  expect(handler.problems).toEqual([])
})
