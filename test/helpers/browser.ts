// Headless Chromium for the map's tests and scripts, through playwright-core with the system
// binary (nothing is downloaded). Every request the page makes is recorded; any that is not to
// the engine's origin is aborted and reported, so a test can assert nothing left the machine.
import { existsSync, renameSync, rmSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** CHROMIUM_PATH when set (the only candidate then), else the Debian/Ubuntu binaries. */
export function chromiumPath(): string | null {
  const given = process.env.CHROMIUM_PATH
  const candidates = given !== undefined && given !== '' ? [given] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/chromium-headless-shell']
  return candidates.find((p) => existsSync(p)) ?? null
}

/**
 * What a browser test does here: run with Chromium; without it, skip visibly where a browser is
 * optional (a developer's machine), fail where one is expected (CI, or HEXP_REQUIRE_CHROMIUM=1).
 */
export function browserVerdict(path: string | null, env: NodeJS.ProcessEnv = process.env): 'run' | 'skip' | 'fail' {
  if (path !== null) return 'run'
  const expected = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false'
  return expected(env.CI) || expected(env.HEXP_REQUIRE_CHROMIUM) ? 'fail' : 'skip'
}

/**
 * Call first in a browser test file: returns when Chromium is there; otherwise the file ends here,
 * reported as skipped (`1..0 # SKIP`) or, where Chromium is expected, as a failure.
 */
export function requireChromium(t: Test, what: string): void {
  const verdict = browserVerdict(chromiumPath())
  if (verdict === 'run') return
  const reason = `no Chromium binary (/usr/bin/chromium or CHROMIUM_PATH): ${what} needs one (apt-get install chromium)`
  if (verdict === 'fail') {
    t.fail(`${reason}; CI (or HEXP_REQUIRE_CHROMIUM) expects it`)
    process.exit(1)
  }
  t.plan(0, reason)
  process.exit(0)
}

/**
 * Builds the map bundle into dist/web, in a child process: what `npm run build` does plus the
 * test probes (`window.hexpatrol`, see scripts/build-web.mjs --probes) for what the page only
 * draws on canvas. `npm start` rebuilds over such a build.
 */
export function buildWeb(): void {
  const root = join(import.meta.dirname, '..', '..')
  const dist = join(root, 'dist')
  const web = join(dist, 'web')
  const fresh = join(dist, `.web-new-${process.pid}`)
  const old = join(dist, `.web-old-${process.pid}`)
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs'), '--quiet', '--probes', '--out', fresh], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_V8_COVERAGE: '' } })
  if (r.status !== 0) throw new Error(`map build failed: ${r.stderr}`)
  // Swapped in by renames, not built in place: browser test files run in parallel, and a page one
  // of them is loading must never meet the half-built bundle of another (app.js missing: no page).
  // Every build of the same sources is the same, so losing a race to another file's swap is fine.
  try {
    renameSync(web, old)
  } catch { /* no build yet, or another file is swapping */ }
  try {
    renameSync(fresh, web)
  } catch { /* another file's identical build is in place */ }
  rmSync(fresh, { recursive: true, force: true })
  rmSync(old, { recursive: true, force: true })
}

export interface PageSession {
  browser: Browser
  context: BrowserContext
  page: Page
  requests: string[]
  external: string[]
  errors: string[]
  close(): Promise<void>
}

/** The window every console page opens in unless a test asks for another. */
const VIEWPORT = { width: 1400, height: 900 }
const LOCALE = 'en-GB'

export async function openPage(origin: string, opts: { width?: number; height?: number; locale?: string } = {}): Promise<PageSession> {
  const executablePath = chromiumPath()
  if (executablePath === null) throw new Error('no Chromium binary')
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS })
  const context = await browser.newContext({ viewport: { width: opts.width ?? VIEWPORT.width, height: opts.height ?? VIEWPORT.height }, locale: opts.locale ?? LOCALE })
  const requests: string[] = []
  const external: string[] = []
  const errors: string[] = []
  await context.route('**/*', async (route) => {
    const url = route.request().url()
    requests.push(url)
    if (url === origin || url.startsWith(`${origin}/`)) await route.continue()
    else {
      external.push(url)
      await route.abort('blockedbyclient')
    }
  })
  const page = await context.newPage()
  page.on('pageerror', (e) => errors.push(e.message))
  return { browser, context, page, requests, external, errors, close: () => browser.close() }
}

/**
 * The two API tokens the console tests log in with: `operate` (sgt.wang, every control) and `read`
 * (desk, none). `api` goes into the engine's config as `api.tokens`, `env` into startEngine's env.
 */
const OPERATE = 'op-token-0123456789abcdef'
const READ = 'rd-token-0123456789abcdef'
export const consoleTokens = {
  operate: OPERATE,
  read: READ,
  api: [{ name: 'sgt.wang', scope: 'operate', token_env: 'HEXP_TEST_OPERATE' }, { name: 'desk', scope: 'read', token_env: 'HEXP_TEST_READ' }],
  env: { HEXP_TEST_OPERATE: OPERATE, HEXP_TEST_READ: READ },
}

/** What logging in waits for by default: the live stream connected (the console is usable). */
export const CONSOLE_LIVE = '#conn.live'

/** How long logging in may take by default before `until` must be on the page. */
export const LOGIN_TIMEOUT = 30_000

/**
 * Logs in on the page already showing the login form; resolves once `until` is on the page.
 * `timeout` is the wait's budget: a test whose first login also waits out the engine's start
 * (embedded ClickHouse, the first stream snapshot) under a loaded CI gives it more.
 */
export async function signIn(page: Page, token: string, until = CONSOLE_LIVE, timeout = LOGIN_TIMEOUT): Promise<void> {
  await page.fill('#login-token', token)
  await page.click('#login-submit')
  await page.waitForSelector(until, { timeout })
}

/** Opens the map at `origin` on `page` and logs in with `token` (see signIn). */
export async function logIn(page: Page, origin: string, token: string, until = CONSOLE_LIVE, timeout = LOGIN_TIMEOUT): Promise<void> {
  await page.goto(`${origin}/`)
  await signIn(page, token, until, timeout)
}

/**
 * A second console session in `browser` (its own context: its own session cookie), logged in with
 * `token`; the context is closed when `t` ends. Same viewport and locale as openPage by default.
 */
export async function openConsole(t: Test, browser: Browser, origin: string, token: string, opts: { viewport?: { width: number; height: number }; locale?: string; until?: string } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: opts.viewport ?? VIEWPORT, locale: opts.locale ?? LOCALE })
  t.teardown(() => context.close())
  const page = await context.newPage()
  await logIn(page, origin, token, opts.until)
  return page
}
