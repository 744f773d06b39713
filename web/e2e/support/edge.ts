// The real product for a browser journey: `wenming up` on a free port with a fresh state dir,
// the centre admin and the demo county made the way an operator makes them (`wenming call`),
// and the database read back with the sqlite3 CLI to check what the page did.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../../..')
const WENMING = process.env.WENMING_BIN ?? join(ROOT, 'target/release/wenming')
const MANIFEST = join(ROOT, 'spin.toml')

export const CENTRE_ADMIN = { phone: '13900000000', password: 'centre-admin-pw', name: '中心管理员' }

export interface Product {
  url: string
  /** What `wenming up` printed on its console so far (the setup code, for one). */
  stdout(): string
  /** Rows of a read-only query against the product's database (sqlite3 -json). */
  query<T = Record<string, unknown>>(sql: string): T[]
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => done(port))
    })
  })
}

function call(stateDir: string, args: string[]): string {
  return execFileSync(WENMING, ['call', '-f', MANIFEST, '--state-dir', stateDir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Starts the product with the centre admin and (when `demo`) the demo county; `movableClock`
 * lets API requests carry `X-Wenming-Now` (the variable `allow_clock_override`, as the cargo
 * tests run it; the browser's own requests never send it); `bare`: with neither admin nor demo,
 * as a fresh deployment starts (the first-run setup page's journey). */
export async function startProduct({
  demo,
  movableClock = false,
  bare = false,
  variables = {},
}: {
  demo: boolean
  movableClock?: boolean
  bare?: boolean
  /** Spin variables for this product (`wechat_api_base` → `SPIN_VARIABLE_WECHAT_API_BASE`);
   * `public_base_url` is set to the product's own address when any are given. */
  variables?: Record<string, string>
}): Promise<Product> {
  const stateDir = mkdtempSync(join(tmpdir(), 'wenming-e2e-'))
  const admin = {
    centre_name: '示范县新时代文明实践中心',
    admin_name: CENTRE_ADMIN.name,
    phone: CENTRE_ADMIN.phone,
    password: CENTRE_ADMIN.password,
  }
  if (!bare) call(stateDir, ['bootstrap', 'POST', '/centre-admin', '--body', JSON.stringify(admin)])
  if (demo && !bare) call(stateDir, ['bootstrap', 'POST', '/demo'])

  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env: NodeJS.ProcessEnv = { ...process.env }
  if (movableClock) env.SPIN_VARIABLE_ALLOW_CLOCK_OVERRIDE = 'true'
  if (Object.keys(variables).length > 0) env.SPIN_VARIABLE_PUBLIC_BASE_URL = url
  for (const [name, value] of Object.entries(variables)) env[`SPIN_VARIABLE_${name.toUpperCase()}`] = value
  const edge: ChildProcess = spawn(WENMING, ['up', '-f', MANIFEST, '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  })
  let stdout = ''
  edge.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  let stderr = ''
  edge.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (edge.exitCode !== null) throw new Error(`wenming up exited (${edge.exitCode}):\n${stderr}`)
    try {
      if ((await fetch(`${url}/api/v1/status`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wenming up did not answer within 60 s:\n${stderr}`)
    await new Promise((r) => setTimeout(r, 200))
  }

  const db = join(stateDir, 'sqlite_db.db')
  return {
    url,
    stdout: () => stdout,
    query<T>(sql: string): T[] {
      const out = execFileSync('sqlite3', ['-readonly', '-json', db, sql], { encoding: 'utf8' }).trim()
      return out ? (JSON.parse(out) as T[]) : []
    },
    async stop() {
      edge.kill('SIGTERM')
      await new Promise((r) => (edge.exitCode !== null ? r(null) : edge.once('exit', r)))
      rmSync(stateDir, { recursive: true, force: true })
    },
  }
}
