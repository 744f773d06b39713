// Debian's Chromium driven by playwright-core (no bundled browser download). Every page records
// what the browser refused under the page's content security policy and any script error, so a
// journey fails when Element Plus or our code needs something the policy forbids.

import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'

export const SCREENSHOTS = resolve(import.meta.dirname, '../screenshots')

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    // The sandbox needs user namespaces, which containers and root often lack.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  })
}

export interface Watched {
  context: BrowserContext
  page: Page
  /** CSP violations and uncaught errors seen so far. */
  problems: string[]
}

/** A person's own browser context (1366×768 unless `options` say otherwise, Chinese), its page
 * watched for policy violations. */
export async function person(browser: Browser, options: BrowserContextOptions = {}): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', ...options })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text())
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  return { context, page, problems }
}

/** A full-page picture once loading overlays and messages' transitions have settled. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  // Only for a clean picture (the journeys assert on roles and text, never on this class).
  await page.waitForFunction(() => !document.querySelector('.el-loading-mask'), undefined, { timeout: 5_000 }).catch(() => {})
  await page.waitForTimeout(300)
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/** Fills the console's sign-in form and submits it; returns once the server has answered. */
export async function signIn(page: Page, phone: string, password: string): Promise<void> {
  await page.getByLabel('手机号').fill(phone)
  await page.getByLabel('密码').fill(password)
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/sessions/browser'))
  await page.getByRole('button', { name: '登录', exact: true }).click()
  await answered
}
