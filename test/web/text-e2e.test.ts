// Issue 19 item 11: names from the config (units, posts) and the basemap attribution reach the
// page as text, never markup. A real engine and headless Chromium: the unit's and the post's
// tooltips (opened as a hover opens them) and the attribution control show the hostile strings literally, with no element and
// no style rule made from them.
import t from 'tap'
import { connect } from '../helpers/publisher.js'
import { consoleTokens, logIn, requireChromium } from '../helpers/browser.js'
import { startConsole } from '../helpers/console.js'

requireChromium(t, "the map's browser test")

// Markup, an event handler and a style rule that would hide the map: all must stay characters.
const UNIT_NAME = '<b id="inj-unit" onmouseover="x()">x</b><style>.leaflet-container{display:none}</style>'
const POST_NAME = '<img id="inj-post" src="/nope"><i>post</i>'
const ATTRIBUTION = '© <a id="inj-attr" href="https://evil.example">Evil</a><style>body{visibility:hidden}</style>'
const UNIT = { lat: 36.49, lon: 117.86 }
const POST = { lat: 36.50, lon: 117.88 }
const config = {
  map: { tiles: { url: 'https://tiles.invalid/{z}/{x}/{y}.png', attribution: ATTRIBUTION, max_zoom: 18 } },
  units: [{ id: 'P-1', kind: 'vehicle', name: UNIT_NAME, post: 'station-a', zone: 'grid-a' }],
  posts: [{ id: 'station-a', name: POST_NAME, ...POST, radius_m: 300 }],
  zones: [{ id: 'grid-a', name: 'Grid A', geometry: { type: 'Polygon', coordinates: [[[117.845, 36.48], [117.89, 36.48], [117.89, 36.51], [117.845, 36.51], [117.845, 36.48]]] } }],
}

const { h, s } = await startConsole(t, config)
const { page } = s
const pub = await connect(h.mqttUrl, { clientId: 'text-e2e' })
t.teardown(() => pub.end(true))
await pub.publishAsync('fleet/P-1/position', JSON.stringify({ ts: Date.now() - 5000, ...UNIT, accuracy: 5 }), { qos: 1 })

type Hx = { hexpatrol: { markerOf(id: string): unknown; map: { map: { latLngToContainerPoint(ll: [number, number]): { x: number; y: number }; getContainer(): HTMLElement; setView(ll: [number, number], z: number, o: object): void } } } }

type Layer = { openTooltip?(): void; getTooltip?(): unknown; eachLayer?(f: (l: Layer) => void): void }
type Probe = { markers: Map<string, Layer>; postsLayer: Layer }

/** Opens the tooltips Leaflet binds to a unit's marker, or to the posts, as a hover does. */
async function openTooltips(which: 'unit' | 'posts'): Promise<void> {
  await page.evaluate((which) => {
    const mv = (window as unknown as { hexpatrol: { map: Probe } }).hexpatrol.map
    if (which === 'unit') mv.markers.get('P-1')!.openTooltip!()
    else mv.postsLayer.eachLayer!((l) => { if (l.getTooltip?.() !== undefined) l.openTooltip!() })
  }, which)
}

// Hover tooltips (the zone's permanent level label is one too).
const HOVER = '.leaflet-tooltip:not(.level-label)'
const tooltipText = () => page.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => e.textContent).join('|'), HOVER)
const injected = () => page.evaluate(() => ({
  elements: document.querySelectorAll('#inj-unit, #inj-post, #inj-attr, .leaflet-tooltip b, .leaflet-tooltip img, .leaflet-tooltip i, .leaflet-tooltip style, .leaflet-control-attribution a#inj-attr, .leaflet-control-attribution style').length,
  mapShown: getComputedStyle(document.querySelector('.leaflet-container')!).display !== 'none',
  bodyShown: getComputedStyle(document.body).visibility !== 'hidden',
}))

t.test('log in and wait for the unit on the map', async (t) => {
  await logIn(page, h.httpUrl, consoleTokens.operate)
  await page.waitForFunction(() => (window as unknown as Hx).hexpatrol.markerOf('P-1') !== null, undefined, { timeout: 15_000 })
  await page.evaluate((ll) => { (window as unknown as Hx).hexpatrol.map.map.setView(ll, 14, { animate: false }) }, [36.495, 117.87] as [number, number])
  t.pass('the map shows P-1')
})

t.test('the unit\'s tooltip shows its configured name as text', async (t) => {
  await openTooltips('unit')
  await page.waitForFunction((sel) => document.querySelector(sel) !== null, HOVER, { timeout: 5000 })
  t.match(await tooltipText(), `${UNIT_NAME} (P-1) · `, 'the name, character for character')
  t.same(await injected(), { elements: 0, mapShown: true, bodyShown: true }, 'no element, handler or style rule made from it')
})

t.test('the post\'s tooltip shows its configured name as text', async (t) => {
  await openTooltips('posts')
  await page.waitForFunction(([sel, name]: readonly [string, string]) => [...document.querySelectorAll(sel)].some((e) => e.textContent === name), [HOVER, POST_NAME] as const, { timeout: 5000 })
  t.same(await injected(), { elements: 0, mapShown: true, bodyShown: true })
})

t.test('the basemap attribution is shown as text', async (t) => {
  await page.waitForFunction((a) => document.querySelector('.leaflet-control-attribution')?.textContent?.includes(a) === true, ATTRIBUTION, { timeout: 5000 })
  t.same(await injected(), { elements: 0, mapShown: true, bodyShown: true })
  t.same(s.errors, [], 'no page error')
})
