// The printable daily bulletin in a real browser (headless Chromium) through the engine's route:
// without a session it shows nothing; after logging in with a token (session cookie) the page
// shows the headline figures of the stored bulletin, the zone, unit and post tables worst first,
// the plan activations with the time to man each checkpoint, and a legible SVG coverage map per
// zone; nothing is fetched from anywhere but the engine, and the page fits the screen's width,
// a phone's too (390 px, the device width taken from the viewport meta: tables scroll within
// themselves, the maps shrink, nothing overflows the page sideways). The map links to the newest
// stored daily bulletin; there is no weekly one, so no link to it.
import t from 'tap'
import { buildWeb, openPage, requireChromium } from '../helpers/browser.js'
import { PERIOD, READ, bulletinEngine } from '../helpers/bulletin-day.js'
import type { Report } from '../../src/reports/model.js'

requireChromium(t, "the bulletin's browser test")

buildWeb()
const h = await bulletinEngine()
t.teardown(() => h.engine.stop())
const s = await openPage(h.httpUrl, { width: 1280, height: 900 })
t.teardown(() => s.close())
const { page } = s
const url = `${h.httpUrl}/api/v1/reports/bulletins/daily/${PERIOD}?format=html`
const stored = await (await fetch(`${h.httpUrl}/api/v1/reports/bulletins/daily/${PERIOD}`, { headers: { authorization: `Bearer ${READ}` } })).json() as Report

t.test('no session, no bulletin', async (t) => {
  const r = await page.goto(url)
  t.equal(r?.status(), 401)
  t.notMatch(await page.content(), /Daily patrol bulletin/)
})

t.test('logged in: headline, tables worst first, plans, coverage map', async (t) => {
  const login = await s.context.request.post(`${h.httpUrl}/api/v1/session`, { data: { token: READ } })
  t.equal(login.status(), 204)
  const r = await page.goto(url)
  t.equal(r?.status(), 200)
  t.equal(await page.title(), `Daily patrol bulletin ${PERIOD}`)
  t.equal(await page.textContent('h1'), `Daily patrol bulletin ${PERIOD}`)

  const tiles = await page.$$eval('dl.head > div', (ds) => ds.map((d) => [d.querySelector('dt')?.textContent, d.querySelector('dd')?.textContent]))
  const head = Object.fromEntries(tiles)
  const hl = stored.headline
  t.same(head, {
    'Units reporting': `${hl.unitsReporting} / ${hl.unitsConfigured} (+${hl.unknownUnitsReporting} unknown)`,
    'Distance patrolled': `${hl.distanceKm} km`,
    'Mean zone coverage': `${(Math.round(hl.coverageMean! * 1000) / 10).toFixed(1)} %`,
    'Zones below minimum': '1',
    'Coverage gaps': '2',
    'Radius breaches': '1',
    'Zone exits': '0',
    'Silences': '1',
    'Mean unit score': String(hl.meanUnitScore),
  }, 'the headline figures of the stored bulletin')
  t.equal(head['Units reporting'], '3 / 4 (+1 unknown)', 'configured units only; GHOST is unknown')

  const rowsOf = (heading: string, between = '') => page.$$eval(`h2:text-is("${heading}") + ${between}table tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')))
  const zones = await rowsOf('Zones')
  t.same(zones.map((z) => z[0]), ['Grid 1'])
  t.match(zones[0], ['Grid 1', '92', 'coverage 88.3 % · presence 95.8 % · breaches 94.1 %', 'normal', '88.3 %', '50.0 %', '1:00', '2', '0:55', '98.8 %', 'School +1:15', 'PARK 94 %, DRIVE 6 %'])
  const units = await rowsOf('Units')
  // Issue 23: a unit is scored on activity × conduct; PARK, parked all day in patrol mode, is no longer among the best.
  t.same(units.map((u) => u[0]), ['IDLE', 'GHOST', 'PARK', 'DRIVE', 'NIGHT'], 'no data first, then worst first')
  t.equal(units[0]?.[3], 'no data')
  const scores = units.slice(1).map((u) => Number(u[3]))
  t.same(scores, [...scores].sort((a, b) => a - b), 'scores ascending')
  // 3.332 km: the 3.336 km drive measured by the track filter from where the unit stood (a stop's mean position).
  t.match(units[3], ['DRIVE', 'station-01', 'g1', '13.9', 'patrol mode · moving 41.5 % · cells 9.0 % · presence 40.0 % · breaches 83.3 % · silences 55.6 %', '3.332', '2:00', '0:28', '1:32'])
  const posts = await rowsOf('Posts')
  t.same(posts.map((p) => p[0]), ['station-02', 'station-01'], 'posts worst first')
  const plans = await rowsOf('Emergency plans: time to man each checkpoint', 'p + ')
  t.same(plans, [
    ['Robbery response', '30/11, 14:00', 'INC-7', 'North gate', 'PARK', '5:00', 'PARK', '3:00', 'manned in time'],
    ['Robbery response', '30/11, 14:00', 'INC-7', 'South bridge', 'DRIVE', '5:00', '–', '–', 'missed'],
  ])

  t.equal(await page.textContent('h2:text-is("Emergency plans: time to man each checkpoint") + p'), '1 activation · 2 checkpoints: 1 manned in time, 0 late, 1 missed · time to man mean 3:00, longest 3:00')
  t.equal(await page.locator('span.st-missed').evaluate((e) => getComputedStyle(e).color), 'rgb(187, 0, 0)', 'a missed checkpoint stands out')
  const map = page.locator('figure svg[aria-label="Coverage map of Grid 1"]')
  t.ok(await map.isVisible(), 'the coverage map is visible')
  const box = (await map.boundingBox())!
  t.ok(box.width >= 150 && box.height >= 150, `a map big enough to read (${Math.round(box.width)}×${Math.round(box.height)} px)`)
  const fills = await map.locator('polygon').evaluateAll((ps) => ps.map((p) => p.getAttribute('fill')))
  t.equal(fills.length, stored.zones[0]!.cells.length, 'one hexagon per cell')
  t.ok(new Set(fills).size > 5, 'shaded by freshness')
  t.equal(await page.textContent('figure figcaption'), 'Grid 1: 88.3 %')
  t.match(await page.textContent('p.legend'), /never .* always/)

  const layout = await page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    font: Math.min(...[...document.querySelectorAll('td')].map((td) => parseFloat(getComputedStyle(td).fontSize))),
  }))
  t.ok(layout.overflow <= 0, 'no horizontal scrolling at 1280 px')
  t.ok(layout.font >= 12, `table text at least 12 px (${layout.font})`)
  t.same(s.external, [], 'nothing fetched from outside the engine')
  t.same(s.errors, [], 'no script errors')
})

t.test('on a phone (390 px): the device width, nothing overflows sideways', async (t) => {
  const phone = await s.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3, locale: 'en-GB' })
  t.teardown(() => phone.close())
  t.equal((await phone.request.post(`${h.httpUrl}/api/v1/session`, { data: { token: READ } })).status(), 204)
  const p = await phone.newPage()
  t.equal((await p.goto(url))?.status(), 200)
  const layout = await p.evaluate(() => ({
    width: window.innerWidth,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    // Any element whose box reaches past the right edge (a table's own scrolling aside: its box stays inside).
    wide: [...document.body.querySelectorAll('*')].filter((e) => !e.closest('table') && e.getBoundingClientRect().right > window.innerWidth + 0.5).map((e) => e.tagName),
    tables: [...document.querySelectorAll('table')].map((e) => Math.round(e.getBoundingClientRect().right)),
    maps: [...document.querySelectorAll('figure svg')].map((e) => Math.round(e.getBoundingClientRect().width)),
    font: Math.min(...[...document.querySelectorAll('td')].map((td) => parseFloat(getComputedStyle(td).fontSize))),
  }))
  t.equal(layout.width, 390, 'the page takes the device width (viewport meta), not a 980 px desktop layout')
  t.ok(layout.overflow <= 0, `no horizontal scrolling at 390 px (${layout.overflow} px over)`)
  t.same(layout.wide, [], 'no element reaches past the right edge')
  t.ok(layout.tables.every((r) => r <= 390), `tables stay within the screen (${layout.tables.join(', ')})`)
  t.ok(layout.maps.length > 0 && layout.maps.every((w) => w > 150 && w <= 390), `coverage maps fit and stay legible (${layout.maps.join(', ')} px)`)
  t.ok(layout.font >= 12, `table text at least 12 px (${layout.font})`)
  const units = p.locator('h2:text-is("Units") + table')
  t.ok(await units.evaluate((e) => e.scrollWidth > e.clientWidth), 'the wide units table scrolls within itself')
})

t.test("the map links to the newest daily bulletin (none weekly: no link)", async (t) => {
  await page.goto(`${h.httpUrl}/`)
  await page.waitForSelector('#report-daily:not([hidden])', { timeout: 20_000 })
  t.equal(await page.getAttribute('#report-daily', 'href'), `/api/v1/reports/bulletins/daily/${PERIOD}?format=html`)
  t.equal(await page.textContent('#report-daily'), "Yesterday's bulletin")
  t.equal(await page.getAttribute('#report-weekly', 'hidden'), '', 'no weekly report stored: hidden')
  const [tab] = await Promise.all([s.context.waitForEvent('page'), page.click('#report-daily')])
  await tab.waitForLoadState()
  t.equal(await tab.title(), `Daily patrol bulletin ${PERIOD}`, 'opens the bulletin')
  await tab.close()
})
