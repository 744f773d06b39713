// The console's first journeys, in a real Chromium against the real edge on a fresh database:
// a centre admin signs in (after a wrong password), finds the org tree in the menu, creates a
// station under a town and its admin account, is refused a duplicate beside the name field, reloads a deep link and
// signs out; an auditor sees the tree but no way to change it and changes their own password;
// a locked account is explained.
// Each step checks what the page shows, then the database.

import { expect, test } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { CENTRE_ADMIN, type Product } from './support/edge'
import { person, screenshot, signIn } from './support/browser'
import { journey } from './support/journey'

let product: Product
let browser: Browser

journey({ demo: true }, (p, b) => {
  product = p
  browser = b
})

const TOWN = '城关镇新时代文明实践所'
const STATION = '南关社区新时代文明实践站'

/** The refusal explained above the sign-in form (the password field repeats its first line). */
const refusal = (page: Page, title: string) => page.locator('.sign-in__alert').filter({ hasText: title })

test('a centre admin signs in, creates a station under a town and its admin, and signs out', async () => {
  const { page, problems } = await person(browser)

  // A wrong password is explained beside the form, and nobody is signed in.
  await page.goto(`${product.url}/console/`)
  await expect.poll(() => page.url()).toContain('/console/sign-in')
  await signIn(page, CENTRE_ADMIN.phone, 'wrong-password')
  await refusal(page, '手机号或密码错误').waitFor()
  await page.getByRole('alert').filter({ hasText: /^手机号或密码错误$/ }).waitFor()
  await screenshot(page, 'sign-in-refused')

  // The right one opens the workbench; the menu follows the admin's roles.
  await signIn(page, CENTRE_ADMIN.phone, CENTRE_ADMIN.password)
  await page.getByRole('heading', { name: '工作台' }).waitFor()
  const menu = page.getByRole('navigation', { name: '主菜单' })
  const entries = await menu.getByRole('menuitem').allInnerTexts()
  expect(entries.slice(0, 2)).toEqual(['工作台', '组织架构'])
  expect(entries).toContain('系统设置')
  await expect.poll(() => page.getByText(`您好，${CENTRE_ADMIN.name}`).isVisible()).toBe(true)
  await page.getByText('中心管理员 · 示范县新时代文明实践中心').waitFor()
  await screenshot(page, 'home')

  // 组织架构: the tree, the town, a new station under it.
  await menu.getByRole('menuitem', { name: '组织架构' }).click()
  const tree = page.getByRole('tree', { name: '组织树' })
  await tree.getByText(TOWN, { exact: true }).click()
  await page.getByRole('heading', { name: TOWN, exact: true }).waitFor()
  await page.getByRole('button', { name: '新建下级实践站' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel('名称').fill(STATION)
  await dialog.getByRole('button', { name: '创建' }).click()
  await page.getByText(`已创建「${STATION}」`).waitFor()
  await page.getByRole('heading', { name: STATION, exact: true }).waitFor()
  await tree.getByText(STATION, { exact: true }).waitFor()
  await screenshot(page, 'orgs')

  const rows = product.query<{ level: string; parent: string; active: number }>(
    `SELECT o.level, p.name AS parent, o.active FROM orgs o JOIN orgs p ON p.id = o.parent_id WHERE o.name = '${STATION}'`,
  )
  expect(rows).toEqual([{ level: 'station', parent: TOWN, active: 1 }])

  // Its admin: a new account with the station's admin role, listed (phone masked) at once.
  await page.getByRole('button', { name: '新增账号' }).click()
  const account = page.getByRole('dialog', { name: `为「${STATION}」新增账号` })
  await account.getByLabel('姓名').fill('赵站长')
  await account.getByLabel('手机号').fill('13700000001')
  await account.getByLabel('初始密码').fill('station-admin-pw')
  // Element Plus draws its own radio over a hidden input: a person clicks the visible label.
  await account.getByText('实践站管理员', { exact: true }).click()
  expect(await account.getByRole('radio', { name: '实践站管理员' }).isChecked()).toBe(true)
  await account.getByRole('button', { name: '创建账号' }).click()
  await page.getByText(`已为「${STATION}」新增实践站管理员「赵站长」`).waitFor()
  const accounts = page.getByRole('table')
  await accounts.getByText('137****0001').waitFor()
  await screenshot(page, 'orgs-new-account')
  expect(
    product.query(
      `SELECT g.role, o.name AS org FROM role_grants g JOIN accounts a ON a.id = g.account_id JOIN orgs o ON o.id = g.org_id WHERE a.phone = '13700000001'`,
    ),
  ).toEqual([{ role: 'station-admin', org: STATION }])

  // The same name again under the same town: refused beside the name field, nothing written.
  await tree.getByText(TOWN, { exact: true }).click()
  await page.getByRole('button', { name: '新建下级实践站' }).click()
  await dialog.getByLabel('名称').fill(STATION)
  await dialog.getByRole('button', { name: '创建' }).click()
  await dialog.getByText('同一上级下已有同名的组织').waitFor()
  await screenshot(page, 'orgs-duplicate-refused')
  expect(product.query(`SELECT id FROM orgs WHERE name = '${STATION}'`)).toHaveLength(1)
  await dialog.getByRole('button', { name: '取消' }).click()

  // 职能部门: a department at the town, the same name refused beside its field, and a handler named.
  const departments = page.getByRole('region', { name: '职能部门' })
  await page.getByRole('button', { name: '新增职能部门' }).click()
  const department = page.getByRole('dialog', { name: `在「${TOWN}」下新增职能部门` })
  await department.getByLabel('部门名称').fill('城关镇卫生院')
  await department.getByRole('button', { name: '创建' }).click()
  await page.getByText('已新增职能部门「城关镇卫生院」').waitFor()
  await departments.getByRole('row').filter({ hasText: '城关镇卫生院' }).getByText('尚未指定').waitFor()
  await page.getByRole('button', { name: '新增职能部门' }).click()
  await department.getByLabel('部门名称').fill('城关镇卫生院')
  await department.getByRole('button', { name: '创建' }).click()
  await department.getByText('该组织已有同名的职能部门').waitFor()
  await department.getByRole('button', { name: '取消' }).click()
  await departments.getByRole('button', { name: '为「城关镇卫生院」添加办理人' }).click()
  const handler = page.getByRole('dialog', { name: '添加办理人 · 城关镇卫生院' })
  await handler.getByRole('combobox', { name: '办理人账号' }).fill('赵站长')
  await page.getByRole('option', { name: /^赵站长（137\*\*\*\*0001）$/ }).click()
  await handler.getByRole('button', { name: '添加' }).click()
  await page.getByText('已将赵站长设为「城关镇卫生院」的办理人').waitFor()
  await departments.getByRole('row').filter({ hasText: '城关镇卫生院' }).getByText('赵站长').waitFor()
  await screenshot(page, 'orgs-departments')
  expect(
    product.query(
      `SELECT d.name, o.name AS org, a.name AS handler FROM departments d JOIN orgs o ON o.id = d.org_id JOIN department_handlers h ON h.department_id = d.id JOIN accounts a ON a.id = h.account_id WHERE d.name = '城关镇卫生院'`,
    ),
  ).toEqual([{ name: '城关镇卫生院', org: TOWN, handler: '赵站长' }])

  // Roles of an existing account: 赵站长 is made a team leader at the station too, then that
  // role is revoked; the grant is in the database and then gone.
  await tree.getByText(STATION, { exact: true }).click()
  const accountRow = page.getByRole('region', { name: '账号列表' }).getByRole('row').filter({ hasText: '赵站长' }).first()
  await accountRow.getByRole('button', { name: '为「赵站长」授予角色' }).click()
  const grant = page.getByRole('dialog', { name: `为「赵站长」授予角色 · ${STATION}` })
  await grant.getByText('队长', { exact: true }).click()
  await grant.getByRole('button', { name: '授予' }).click()
  await page.getByText('已授予「赵站长」队长').waitFor()
  const grants = () =>
    product.query(`SELECT g.role, o.name AS org FROM role_grants g JOIN accounts a ON a.id = g.account_id JOIN orgs o ON o.id = g.org_id WHERE a.phone = '13700000001' ORDER BY g.id`)
  expect(grants()).toEqual([
    { role: 'station-admin', org: STATION },
    { role: 'department-handler', org: TOWN },
    { role: 'team-leader', org: STATION },
  ])
  await accountRow.getByRole('button', { name: `撤销「赵站长」的队长 · ${STATION}` }).click()
  await page.getByRole('dialog', { name: '撤销「赵站长」的角色' }).getByRole('button', { name: '撤销' }).click()
  await page.getByText('已撤销「赵站长」的队长角色').waitFor()
  await expect.poll(grants).toEqual([
    { role: 'station-admin', org: STATION },
    { role: 'department-handler', org: TOWN },
  ])
  await screenshot(page, 'orgs-roles')

  // The station renamed, then its parent refused deactivation (it has active children).
  await page.getByRole('button', { name: '重命名' }).click()
  await page.getByRole('dialog', { name: `重命名「${STATION}」` }).getByLabel('新名称').fill('南关社区实践站')
  await page.getByRole('dialog', { name: `重命名「${STATION}」` }).getByRole('button', { name: '保存' }).click()
  await page.getByText('已重命名为「南关社区实践站」').waitFor()
  await tree.getByText('南关社区实践站', { exact: true }).waitFor()
  expect(product.query(`SELECT COUNT(*) AS n FROM orgs WHERE name = '南关社区实践站' AND level = 'station'`)).toEqual([{ n: 1 }])
  await tree.getByText(TOWN, { exact: true }).click()
  await page.getByRole('button', { name: '停用' }).click()
  const deactivate = page.getByRole('dialog', { name: `停用「${TOWN}」` })
  await deactivate.getByRole('button', { name: '停用' }).click()
  await deactivate.getByRole('alert').filter({ hasText: '请先停用该组织的全部下级组织' }).waitFor()
  expect(product.query(`SELECT active FROM orgs WHERE name = '${TOWN}'`)).toEqual([{ active: 1 }])
  await deactivate.getByRole('button', { name: '返回' }).click()

  // A reload of a deep link keeps the session (the cookie) and the page.
  await page.goto(`${product.url}/console/orgs`)
  await page.getByRole('tree', { name: '组织树' }).getByText(TOWN, { exact: true }).waitFor()

  // Signing out ends the session: the console is behind the sign-in page again.
  await page.getByRole('button', { name: '退出登录' }).click()
  await page.getByRole('button', { name: '登录', exact: true }).waitFor()
  await page.goto(`${product.url}/console/orgs`)
  await expect.poll(() => page.url()).toContain('/console/sign-in')
  expect(product.query(`SELECT COUNT(*) AS live FROM sessions WHERE revoked_at IS NULL AND account_id = (SELECT id FROM accounts WHERE phone = '${CENTRE_ADMIN.phone}')`)).toEqual([{ live: 0 }])

  expect(problems).toEqual([])
})

test('an auditor reads the tree, is offered no change, changes their password, and a locked account is explained', async () => {
  const { page, problems } = await person(browser)

  await page.goto(`${product.url}/console/sign-in`)
  await signIn(page, '13800000003', 'wenming-demo-3')
  await page.getByRole('heading', { name: '工作台' }).waitFor()
  await page.getByRole('navigation', { name: '主菜单' }).getByRole('menuitem', { name: '组织架构' }).click()
  await page.getByRole('tree', { name: '组织树' }).getByText(TOWN, { exact: true }).click()
  await page.getByRole('heading', { name: TOWN, exact: true }).waitFor()
  expect(await page.getByRole('button', { name: /新建下级/ }).count()).toBe(0)
  expect(await page.getByText('账号与角色').count()).toBe(0)

  // Their own password: a wrong current one is refused beside its field, then it changes.
  await page.getByRole('button', { name: '修改密码' }).click()
  const dialog = page.getByRole('dialog', { name: '修改密码' })
  await dialog.getByLabel('当前密码').fill('not-my-password')
  await dialog.getByLabel('新密码', { exact: true }).fill('auditor-new-pw')
  await dialog.getByLabel('确认新密码').fill('auditor-new-pw')
  await dialog.getByRole('button', { name: '确认修改' }).click()
  await dialog.getByText('当前密码不正确').waitFor()
  await screenshot(page, 'change-password-refused')
  await dialog.getByLabel('当前密码').fill('wenming-demo-3')
  await dialog.getByRole('button', { name: '确认修改' }).click()
  await page.getByText('密码已修改').waitFor()
  expect(product.query(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'account.password' AND entity_id = (SELECT id FROM accounts WHERE phone = '13800000003')`)).toEqual([{ n: 1 }])
  await page.getByRole('button', { name: '退出登录' }).click()
  await signIn(page, '13800000003', 'wenming-demo-3')
  await refusal(page, '手机号或密码错误').waitFor()
  await signIn(page, '13800000003', 'auditor-new-pw')
  await page.getByRole('heading', { name: '工作台' }).waitFor()
  await page.getByRole('button', { name: '退出登录' }).click()

  // Five wrong passwords lock the team leader's account; the sixth attempt says so.
  for (let i = 0; i < 5; i++) {
    await signIn(page, '13800000004', `wrong-${i}`)
    await refusal(page, '手机号或密码错误').waitFor()
  }
  await signIn(page, '13800000004', 'wenming-demo-4')
  await refusal(page, '账号已临时锁定').waitFor()
  await expect.poll(() => page.getByText(/请在 1[45] 分钟后再试/).isVisible()).toBe(true)
  await screenshot(page, 'sign-in-locked')

  expect(problems).toEqual([])
})
