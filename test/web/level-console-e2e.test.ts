// Patrol levels from the dispatcher's page (issue 24), in headless Chromium against a real engine:
// a zone raised with a reason and an expiry from the page shows its level, who and until when;
// incidents created through the API cross the rate threshold and the suggestions appear live as
// cards; one is accepted (the zone goes to the suggested level), the other dismissed with a
// reason, both closed for the API too. Also: an alert's text on the English page names the unit by
// its English name, not the Chinese one the alert carries. One engine, one page, generous bounds.
import t from 'tap'
import { waitFor } from '../helpers/harness.js'
import { consoleTokens, logIn, openConsole, requireChromium } from '../helpers/browser.js'
import { apiCall, startConsole } from '../helpers/console.js'

requireChromium(t, "the level controls' browser test")

const { operate: OPERATE, read: READ } = consoleTokens
const square = (lon: number) => ({ type: 'Polygon', coordinates: [[[lon, 36.48], [lon + 0.04, 36.48], [lon + 0.04, 36.51], [lon, 36.51], [lon, 36.48]]] })
const config = {
  // A Chinese name with an English one: the English page's alert text names the unit in English.
  units: [{ id: 'V-1', kind: 'vehicle', name: '巡逻车1号', name_en: 'Car 1', zone: 'grid-a', silent_after: '3s' }],
  zones: [
    { id: 'grid-a', name: 'Grid A', geometry: square(117.80), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0 } },
    { id: 'grid-b', name: 'Grid B', geometry: square(117.85), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0 } },
  ],
  rules: { allowed_lateness: '0s', tick: '250ms' },
  incidents: { rate: { threshold: 2, window: '1h', suggest_level: 'high' } },
}

const { h, s } = await startConsole(t, config)
const { page } = s

const call = <T>(method: string, path: string, body?: unknown) => apiCall<T>(h.httpUrl, OPERATE, method, path, body)
type Levels = { zones: Array<{ zoneId: string; level: string; override: { reason: string; by: string; expiresAt: number | null } | null }>; suggestions: Array<{ id: string; zoneId: string }> }

await logIn(page, h.httpUrl, OPERATE)

t.test('a zone raised from the page, with a reason and an expiry', async (t) => {
  await page.click('#level-controls tr[data-zone="grid-b"] .level-change', { timeout: 30_000 })
  await page.selectOption('#level-select', 'enhanced')
  await page.click('#level-apply')
  t.equal(await page.textContent('#level-error'), 'A reason is required.', 'no change without a reason')
  await page.fill('#level-reason', 'market day')
  await page.selectOption('#level-expiry', '4')
  const before = Date.now()
  await page.click('#level-apply')
  await page.waitForFunction(() => document.querySelector('#level-controls tr[data-zone="grid-b"] .level-now')?.textContent === 'enhanced', undefined, { timeout: 30_000 })
  await page.waitForFunction(() => document.querySelector('#level-controls tr[data-zone="grid-b"] .level-detail')?.textContent?.startsWith('sgt.wang') === true, undefined, { timeout: 30_000 })
  t.match(await page.textContent('#level-controls tr[data-zone="grid-b"] .level-detail'), /^sgt\.wang: market day · until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
  t.equal(await page.textContent('#zones tr[data-zone="grid-b"] .level'), 'enhanced', 'the zone summary follows')
  await page.waitForSelector('#level-form', { state: 'hidden', timeout: 30_000 })
  t.pass('the form closes')
  const api = await call<Levels>('GET', '/api/v1/levels')
  const b = api.body.zones.find((z) => z.zoneId === 'grid-b')!
  t.match(b, { level: 'enhanced', override: { reason: 'market day', by: 'sgt.wang' } })
  t.ok(b.override!.expiresAt! >= before + 4 * 3_600_000 - 1000 && b.override!.expiresAt! <= Date.now() + 4 * 3_600_000, 'expires in 4 h')
})

t.test('suggestions appear live; one accepted, one dismissed from the page', async (t) => {
  t.ok(await page.isHidden('#level-suggestions'), 'no card while nothing is suggested')
  const now = Date.now()
  const incidents = ['a', 'b'].flatMap((z, zi) => [0, 1].map((i) => ({ id: `R-${z}-${i}`, type: 'robbery', priority: 2, time: new Date(now - i * 60_000).toISOString(), lat: 36.495, lon: 117.82 + zi * 0.05 + i * 0.001 })))
  // ClickHouse (embedded) may still be starting: incidents answer 503 until it is ready.
  await waitFor(async () => (await call('POST', '/api/v1/incidents', incidents)).status === 200, 60_000, 500)
  const open = await waitFor(async () => {
    const r = await call<Levels>('GET', '/api/v1/levels')
    return r.body.suggestions.length === 2 ? r.body.suggestions : false
  }, 30_000, 250)
  t.same(open.map((x) => x.zoneId).sort(), ['grid-a', 'grid-b'])
  await page.waitForSelector('#level-suggestions .level-suggestion[data-zone="grid-b"]', { timeout: 30_000 })
  t.match(await page.textContent('#level-suggestions .level-suggestion[data-zone="grid-a"] .text'), /^Grid A: raise normal → high \(2 incidents in 1 h\)$/)
  t.match(await page.textContent('#level-suggestions .level-suggestion[data-zone="grid-b"] .text'), /^Grid B: raise enhanced → high/)

  await page.click('#level-suggestions .level-suggestion[data-zone="grid-a"] .accept')
  await page.waitForFunction(() => document.querySelector('#level-controls tr[data-zone="grid-a"] .level-now')?.textContent === 'high', undefined, { timeout: 30_000 })
  // The level follows the event at once, who and why the re-read of /levels just after.
  await page.waitForFunction(() => document.querySelector('#level-controls tr[data-zone="grid-a"] .level-detail')?.textContent?.startsWith('sgt.wang') === true, undefined, { timeout: 30_000 })
  t.match(await page.textContent('#level-controls tr[data-zone="grid-a"] .level-detail'), /^sgt\.wang: accepted suggestion patrol_level\.suggested\.grid-a\..* · no expiry$/)
  await page.waitForSelector('#level-suggestions .level-suggestion[data-zone="grid-a"]', { state: 'detached', timeout: 30_000 })

  await page.fill('#level-suggestions .level-suggestion[data-zone="grid-b"] .suggestion-reason', 'market day, expected')
  await page.click('#level-suggestions .level-suggestion[data-zone="grid-b"] .dismiss')
  await page.waitForSelector('#level-suggestions', { state: 'hidden', timeout: 30_000 })
  t.pass('the card is gone once both are closed')
  t.equal(await page.textContent('#level-controls tr[data-zone="grid-b"] .level-now'), 'enhanced', 'a dismissed suggestion changes nothing')
  const after = await call<Levels>('GET', '/api/v1/levels')
  t.same(after.body.suggestions, [])
  const b = open.find((x) => x.zoneId === 'grid-b')!
  const again = await call<{ code: string }>('POST', `/api/v1/levels/suggestions/${encodeURIComponent(b.id)}/accept`, {})
  t.same([again.status, again.body.code], [409, 'HEXP_ERR_CONFLICT'], 'closed for the API too')
})

t.test('the English page names the unit of an alert in English', async (t) => {
  const li = await page.waitForSelector('#alerts-open li[data-kind="unit_silent"]', { timeout: 30_000 })
  const text = await li.$eval('.alert-summary', (e) => e.textContent ?? '')
  t.match(text, /Car 1 \(V-1\)/)
  t.notMatch(text, /巡逻车/)
})

t.test('a read session sees levels but none of the controls', async (t) => {
  const p = await openConsole(t, s.browser, h.httpUrl, READ)
  await p.waitForFunction(() => document.querySelector('#zones tr[data-zone="grid-a"] .level')?.textContent === 'high', undefined, { timeout: 30_000 })
  t.same(await p.$$('#level-controls, #level-suggestions, .level-change, .level-suggestion'), [])
})

t.test('Chinese labels; no request left the machine, no page error', async (t) => {
  await page.selectOption('#lang', 'zh-CN')
  t.equal(await page.textContent('#level-controls h2'), '巡逻等级')
  t.equal(await page.textContent('#level-controls tr[data-zone="grid-a"] .level-change'), '调整')
  await page.selectOption('#lang', 'en')
  t.same(s.external, [])
  t.same(s.errors, [])
})
