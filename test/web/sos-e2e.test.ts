// SOS on the live map in a real browser against a real engine: a unit_sos is listed above a newer
// radius breach, is announced with a sound (WebAudio tones, counted in the page) and an SOS
// banner, and an operator resolves it from the page with a note (refused without one); the API
// then has it resolved by the session's token name. The texts switch to zh-CN.
import t from 'tap'
import { connect } from '../helpers/publisher.js'
import { CONSOLE_LIVE, consoleTokens, logIn, requireChromium } from '../helpers/browser.js'
import { apiCall, startConsole } from '../helpers/console.js'

requireChromium(t, 'the SOS browser test')

const { operate: OPERATE } = consoleTokens
const STATION = { lat: 36.49, lon: 117.86 }
const config = {
  map: { tiles: { url: 'https://tiles.invalid/{z}/{x}/{y}.png', attribution: 'Test', max_zoom: 18 } },
  units: [
    { id: 'P-1', kind: 'vehicle', name: 'Patrol car 1', post: 'station-a' },
    { id: 'P-2', kind: 'vehicle', name: 'Patrol car 2', post: 'station-a' },
  ],
  posts: [{ id: 'station-a', name: 'Station A', ...STATION, radius_m: 600 }],
  rules: { radius: { dwell: '2s', hysteresis_m: 20, max_accuracy_m: 100 }, allowed_lateness: '0s', tick: '250ms' },
}

const { h, s } = await startConsole(t, config)
const pub = await connect(h.mqttUrl, { clientId: 'sos-e2e' })
t.teardown(() => pub.end(true))
const { page } = s
// Count the tones the page plays (headless Chromium has a working AudioContext, no speakers).
await page.addInitScript(() => {
  const w = window as unknown as { beeps: number }
  w.beeps = 0
  const orig = AudioContext.prototype.createOscillator
  AudioContext.prototype.createOscillator = function (this: AudioContext) {
    w.beeps++
    return orig.call(this)
  }
})
const send = async (unit: string, fixes: Array<Record<string, unknown>>) => {
  for (const f of fixes) await pub.publishAsync(`fleet/${unit}/position`, JSON.stringify({ accuracy: 6, ...f }), { qos: 1 })
}

t.test('an SOS is shown above everything, with a sound, and resolved from the page with a note', async (t) => {
  // The page has loaded and the live stream is up (an SOS arriving in it is announced; one in the
  // first snapshot is listed). The budget of the two waits this one replaces (ready, then live).
  await logIn(page, h.httpUrl, OPERATE, CONSOLE_LIVE, 40_000)
  await new Promise((res) => setTimeout(res, 1000))
  const now = Date.now()
  await send('P-1', [{ ts: now - 30_000, lat: STATION.lat, lon: STATION.lon, sos: true }])
  await page.waitForSelector('li.alert[data-kind="unit_sos"]', { timeout: 15_000 })
  await page.waitForFunction(() => (window as unknown as { beeps: number }).beeps > 0, undefined, { timeout: 5000 }).catch(() => undefined)
  t.ok(await page.evaluate(() => (window as unknown as { beeps: number }).beeps) >= 3, 'the SOS beeps (sound box not ticked)')
  t.equal(await page.getAttribute('#alert-banner', 'class'), 'banner sos', 'an SOS banner')
  // A newer alert of another kind still lists below the SOS.
  await send('P-2', Array.from({ length: 5 }, (_, i) => ({ ts: now - 20_000 + i * 2000, lat: STATION.lat + 0.0135 + (i % 2) * 0.00005, lon: STATION.lon })))
  await page.waitForSelector('li.alert[data-kind="radius_breach"]', { timeout: 15_000 })
  t.same(await page.$$eval('li.alert', (els) => els.map((e) => e.getAttribute('data-kind'))), ['unit_sos', 'radius_breach'], 'the SOS first, above a newer breach')
  t.equal(await page.$$eval('li.alert[data-kind="radius_breach"] button.resolve', (b) => b.length), 0, 'only an SOS has a resolve button')

  const id = (await page.getAttribute('li.alert[data-kind="unit_sos"]', 'data-alert'))!
  await page.click(`li.alert[data-alert="${id}"] button.resolve`)
  await page.waitForFunction(() => /note/.test(document.querySelector('#alert-banner')?.textContent ?? ''))
  t.equal(await page.$$eval(`li.alert[data-alert="${id}"]`, (e) => e.length), 1, 'not resolved without a note')

  await page.selectOption('#lang', 'zh-CN').catch(() => undefined)
  const zh = await page.textContent(`li.alert[data-alert="${id}"] button.resolve`)
  t.equal(zh, '解除', 'the resolve button in zh-CN')

  await page.fill(`li.alert[data-alert="${id}"] input.resolve-note`, 'Officer found safe, false alarm')
  await page.click(`li.alert[data-alert="${id}"] button.resolve`)
  await page.waitForSelector(`li.alert[data-alert="${id}"]`, { state: 'detached', timeout: 10_000 })
  const { body: a } = await apiCall<{ state: string; last: { resolvedBy?: string; note?: string } }>(h.httpUrl, OPERATE, 'GET', `/api/v1/alerts/${id}`)
  t.equal(a.state, 'resolved', 'the API has it resolved')
  t.match(a.last, { resolvedBy: 'sgt.wang', note: 'Officer found safe, false alarm' }, 'by the session\'s token name, with the note')
  t.equal(h.engine.testHandle().rules!.openAlerts().some((x) => x.id === id), false, 'no longer open in the engine')
})
