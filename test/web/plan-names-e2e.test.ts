// Plan, checkpoint and unit names in the page's language, in headless Chromium against a real
// engine whose locale is zh-CN (as a Chinese command centre runs it): a plan whose plan and
// checkpoints have name and name_en, units with both names. The English page shows the English
// plan and checkpoint names in the plan controls, the plan card, the map labels and the
// checkpoint_missed alert (panel and banner), and English unit names on the incident (its nearest
// units, the dispatch card's assigned list); the Chinese page shows the Chinese ones.
import t from 'tap'
import type { Page } from 'playwright-core'
import { waitFor } from '../helpers/harness.js'
import { connect } from '../helpers/publisher.js'
import { consoleTokens, logIn, openConsole, requireChromium } from '../helpers/browser.js'
import { apiCall, startConsole } from '../helpers/console.js'

requireChromium(t, "the plan names' browser test")

const { operate: OPERATE } = consoleTokens
const SCENE = { lat: 36.492, lon: 117.865 }
const config = {
  locale: 'zh-CN',
  units: [
    { id: 'V-1', kind: 'vehicle', name: '巡逻车 13 号', name_en: 'Patrol car 13', zone: 'grid-a' },
    { id: 'V-2', kind: 'vehicle', name: '巡逻车 7 号', name_en: 'Patrol car 7', zone: 'grid-a' },
    { id: 'V-3', kind: 'vehicle', name: '巡逻车 9 号', name_en: 'Patrol car 9', zone: 'grid-a' },
  ],
  zones: [{ id: 'grid-a', name: '东区网格', name_en: 'Grid East', geometry: { type: 'Polygon', coordinates: [[[117.845, 36.48], [117.89, 36.48], [117.89, 36.51], [117.845, 36.51], [117.845, 36.48]]] }, coverage: { resolution: 9, max_interval: '30m', min_ratio: 0 } }],
  rules: { allowed_lateness: '0s', tick: '250ms' },
  plans: [{ id: 'robbery-ring', name: '抢劫案外围封控', name_en: 'Robbery ring', positions: 'scene', dwell: '2s', checkpoints: [
    { name: '东桥', name_en: 'East bridge', east_m: 400, units: ['V-2'], arrive_within: '10m', radius_m: 80 },
    { name: '北出口', name_en: 'North exit', north_m: 500, units: ['V-3'], arrive_within: '6s', radius_m: 80 },
  ] }],
}

const { h, s } = await startConsole(t, config)
const en = s.page
const pub = await connect(h.mqttUrl, { clientId: 'plan-names-e2e' })
t.teardown(() => pub.end(true))
const call = <T>(method: string, path: string, body?: unknown) => apiCall<T>(h.httpUrl, OPERATE, method, path, body)

// V-1 by the scene (the nearest unit for the incident), V-2 and V-3 further off.
const t0 = Date.now() - 10_000
for (const [unit, p] of [['V-1', { lat: SCENE.lat - 0.002, lon: SCENE.lon }], ['V-2', { lat: SCENE.lat + 0.01, lon: SCENE.lon - 0.01 }], ['V-3', { lat: SCENE.lat - 0.01, lon: SCENE.lon + 0.015 }]] as const) {
  await pub.publishAsync(`fleet/${unit}/position`, JSON.stringify({ accuracy: 6, ts: t0, ...p }), { qos: 1 })
}
await waitFor(async () => (await call<{ units: Array<{ lastFix: unknown }> }>('GET', '/api/v1/units')).body.units.filter((u) => u.lastFix !== null).length === 3, 30_000)
// ClickHouse (embedded) may still be starting: the incidents list answers partial until it is ready.
await waitFor(async () => { const r = await call<{ partial?: true }>('GET', '/api/v1/incidents'); return r.status === 200 && r.body.partial === undefined }, 60_000, 500)

await logIn(en, h.httpUrl, OPERATE)
const zh = await openConsole(t, s.browser, h.httpUrl, OPERATE, { locale: 'zh-CN' })
// Recorded with both pages open: the nearest units come with the stream's incident.opened.
const recorded = await call('POST', '/api/v1/incidents', { id: 'R-1', type: 'robbery', priority: 1, lat: SCENE.lat, lon: SCENE.lon })
if (recorded.status !== 201) throw new Error(`incident refused: ${JSON.stringify(recorded.body)}`)
const assigned = await call('POST', '/api/v1/incidents/R-1/assign', { units: ['V-1'] })
if (assigned.status !== 200) throw new Error(`assignment refused: ${JSON.stringify(assigned.body)}`)

const texts = (page: Page, sel: string) => page.$$eval(sel, (els) => els.map((e) => e.textContent ?? ''))
const labels = (page: Page, want: RegExp) => page.waitForFunction((re) => {
  const all = [...document.querySelectorAll('.leaflet-tooltip.cp-label')].map((e) => e.textContent).join('|')
  return new RegExp(re).test(all)
}, want.source, { timeout: 30_000 })

t.test('before activation: the plan controls name the plan in the page\'s language', async (t) => {
  await en.waitForSelector('#plan-defs li[data-plan="robbery-ring"]', { timeout: 30_000 })
  t.match(await en.textContent('#plan-defs li[data-plan="robbery-ring"] .plan-name'), 'Robbery ring')
  t.equal(await en.textContent('#plan-pick option[value="robbery-ring"]'), 'Robbery ring (robbery-ring)')
  await zh.waitForSelector('#plan-defs li[data-plan="robbery-ring"]', { timeout: 30_000 })
  t.equal(await zh.textContent('#plan-defs li[data-plan="robbery-ring"] .plan-name'), '抢劫案外围封控')
  t.equal(await zh.textContent('#plan-pick option[value="robbery-ring"]'), '抢劫案外围封控 (robbery-ring)')
})

t.test('the incident\'s units: English names on the English page, Chinese on the Chinese one', async (t) => {
  await en.waitForSelector('#incident-list li[data-incident="R-1"] .incident-units', { timeout: 30_000 })
  t.match(await en.textContent('#incident-list li[data-incident="R-1"] .incident-units'), /^Patrol car 13: /, 'the nearest unit, as the page\'s registry names it')
  t.notMatch(await en.textContent('#incident-list li[data-incident="R-1"]'), /巡逻车/)
  await en.selectOption('#incident-select', 'R-1')
  await en.waitForSelector('#incident-assigned li[data-unit="V-1"]', { timeout: 30_000 })
  t.match(await en.textContent('#incident-assigned li[data-unit="V-1"] strong'), 'Patrol car 13')
  await zh.waitForSelector('#incident-list li[data-incident="R-1"] .incident-units', { timeout: 30_000 })
  t.match(await zh.textContent('#incident-list li[data-incident="R-1"] .incident-units'), /^巡逻车 13 号：/)
  await zh.selectOption('#incident-select', 'R-1')
  await zh.waitForSelector('#incident-assigned li[data-unit="V-1"]', { timeout: 30_000 })
  t.match(await zh.textContent('#incident-assigned li[data-unit="V-1"] strong'), '巡逻车 13 号')
})

t.test('activated: plan card, map labels and the missed checkpoint\'s alert in the page\'s language', async (t) => {
  const act = await call('POST', '/api/v1/plans/robbery-ring/activate', { incident_id: 'R-1' })
  t.equal(act.status, 200)
  const card = '#plan-list .plan[data-plan="robbery-ring"]'
  // The banner is up for a few seconds only: watched from the start, on both pages.
  const enBanner = en.waitForFunction(() => /^New alert: Checkpoint North exit of plan Robbery ring not manned by/.test(document.querySelector('#alert-banner')?.textContent ?? ''), undefined, { timeout: 60_000 })
  const zhBanner = zh.waitForFunction(() => /^新告警：预案「抢劫案外围封控」卡点「北出口」未在/.test(document.querySelector('#alert-banner')?.textContent ?? ''), undefined, { timeout: 60_000 })

  await en.waitForSelector(`${card} li.checkpoint[data-checkpoint="1"]`, { timeout: 30_000 })
  t.match(await en.textContent(`${card} .plan-name`), /^Robbery ring/)
  t.same(await texts(en, `${card} .cp-name`), ['East bridge', 'North exit'])
  await labels(en, /^East bridge · \w+\|North exit · \w+$/)
  t.pass('map labels in English')
  await zh.waitForSelector(`${card} li.checkpoint[data-checkpoint="1"]`, { timeout: 30_000 })
  t.match(await zh.textContent(`${card} .plan-name`), /^抢劫案外围封控/)
  t.same(await texts(zh, `${card} .cp-name`), ['东桥', '北出口'])
  await labels(zh, /^东桥 · .+\|北出口 · .+$/)
  t.pass('map labels in Chinese')

  await Promise.all([enBanner, zhBanner])
  t.pass('the new alert\'s banner names the plan and checkpoint in each page\'s language')
  const enAlert = await en.waitForSelector('#alerts-open li[data-kind="checkpoint_missed"]', { timeout: 30_000 })
  t.match(await enAlert.textContent(), /Checkpoint North exit of plan Robbery ring not manned by \d\d:\d\d:\d\d/)
  const zhAlert = await zh.waitForSelector('#alerts-open li[data-kind="checkpoint_missed"]', { timeout: 30_000 })
  t.match(await zhAlert.textContent(), /预案「抢劫案外围封控」卡点「北出口」未在 \d\d:\d\d:\d\d 前到位/)
  // The engine's own text stays in its locale (events, webhooks, chat): the alert's summary.
  const stored = JSON.stringify(await waitFor(async () => (await call<{ alerts: unknown[] }>('GET', '/api/v1/alerts?kind=checkpoint_missed')).body.alerts[0], 30_000, 250))
  t.match(stored, /抢劫案外围封控.*北出口|北出口.*抢劫案外围封控/)
  t.notMatch(stored, /North exit|Robbery ring/)
})

t.test('a language switch relabels the plan card and the map labels', async (t) => {
  await en.selectOption('#lang', 'zh-CN')
  t.same(await texts(en, '#plan-list .plan[data-plan="robbery-ring"] .cp-name'), ['东桥', '北出口'])
  await labels(en, /^东桥 · .+\|北出口 · .+$/)
  t.match(await en.textContent('#alerts-open li[data-kind="checkpoint_missed"]'), /预案「抢劫案外围封控」卡点「北出口」/)
  await en.selectOption('#lang', 'en')
  t.same(await texts(en, '#plan-list .plan[data-plan="robbery-ring"] .cp-name'), ['East bridge', 'North exit'])
})

t.test('no page errors, nothing left the machine', async (t) => {
  t.same(s.errors, [])
  t.same(s.external, [])
})
