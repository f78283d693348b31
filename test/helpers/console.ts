// The stage of a console e2e test: the map bundle built, a real engine whose API knows the two
// console tokens (consoleTokens), and one page in Chromium at the engine's origin (not logged in
// yet: logIn), all stopped when the test ends. Plus API calls with a token, for the checks a test
// makes beside the page. Kept out of browser.ts: scripts and bench use that one without an engine.
import type { Test } from 'tap'
import type { Page } from 'playwright-core'
import { startEngine, type Harness } from './harness.js'
import { buildWeb, consoleTokens, openPage, type PageSession } from './browser.js'

/** Builds the map, starts the engine on `config` (its api.tokens set to the console's), opens a page. */
export async function startConsole(t: Test, config: Record<string, unknown>, opts: { now?: () => number } = {}): Promise<{ h: Harness; s: PageSession }> {
  buildWeb()
  const h = await startEngine({ ...config, api: { tokens: consoleTokens.api } }, { env: consoleTokens.env, ...(opts.now ? { now: opts.now } : {}) })
  t.teardown(() => h.engine.stop())
  const s = await openPage(h.httpUrl)
  t.teardown(() => s.close())
  return { h, s }
}

/** One API request with `token` (a JSON body when given); the status and the parsed JSON answer. */
export async function apiCall<T>(origin: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(`${origin}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: r.status, body: await r.json() as T }
}

/** What the page exposes to tests on `window.hexpatrol` (src/web/main.ts): the map and the incident lines drawn. */
export type ConsoleProbe = { map: { map: { latLngToContainerPoint(ll: unknown): { x: number; y: number }; getContainer(): HTMLElement }; at(lat: number, lon: number): unknown; focus(lat: number, lon: number, zoom?: number): void }; incidentLines(id: string): number }

/** Records a place the way a dispatcher does: focus the map there, switch on "pick on the map", click the point. */
export async function pickOnMap(page: Page, lat: number, lon: number): Promise<void> {
  await page.evaluate(([la, lo]) => (window as unknown as { hexpatrol: ConsoleProbe }).hexpatrol.map.focus(la!, lo!, 15), [lat, lon])
  await page.check('#incident-pick')
  const at = await page.evaluate(([la, lo]) => {
    const m = (window as unknown as { hexpatrol: ConsoleProbe }).hexpatrol.map
    const p = m.map.latLngToContainerPoint(m.at(la!, lo!))
    const r = m.map.getContainer().getBoundingClientRect()
    return { x: r.left + p.x, y: r.top + p.y }
  }, [lat, lon])
  await page.mouse.click(at.x, at.y)
}
