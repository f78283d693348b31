// Part of `npm run screenshots`: make-up patrols and patrol integrity as a dispatcher sees them, in
// Chinese (the page's primary language), into docs/: the map with a proposal (its cells and visit
// order) beside an accepted task in progress (make-up-patrols-map.png); a phone's unit details with
// its integrity signal after mocked OsmAnd fixes (Traccar Client's mock=true)
// (patrol-integrity-unit.png); and the daily bulletin's integrity and make-up sections
// (bulletin-make-up-integrity.png). The engine's clock runs six minutes ahead of the wall clock so
// the zone's grace period is skipped, not waited for.
import { join } from 'node:path'
import { cellCentre } from '../src/geo/cells.js'
import type { Engine } from '../src/engine.js'
import { integrityRow, rowsRecord } from '../src/journal/record.js'
import { startEngine, waitFor } from '../test/helpers/harness.js'
import { buildWeb, chromiumPath, openPage } from '../test/helpers/browser.js'
import { PERIOD, READ, bulletinEngine } from '../test/helpers/bulletin-day.js'
import { recordDeliverer } from '../test/helpers/journal-rows.js'
import { freePort } from '../test/helpers/mosquitto.js'
import { M, at } from '../test/fixtures/patrol-day.js'
import { BASE, offset, square } from '../test/rules/helpers.js'

const docs = join(import.meta.dirname, '..', 'docs')
const TOKEN = 'screenshot-token-0123456789'
const PHONE_KEY = 'o01-phone-secret'
const MIN = 60_000

if (chromiumPath() === null) {
  console.error('No Chromium binary (/usr/bin/chromium): cannot take screenshots.')
  process.exit(1)
}
buildWeb()

// ---- The live map: a proposal and a task in progress, then a phone's integrity signal. ----
let ahead = 0
const clock = () => Date.now() + ahead
const osmand = await freePort()
const h = await startEngine({
  log_level: 'warn',
  locale: 'zh-CN',
  units: [
    { id: 'V-01', kind: 'vehicle', name: '巡逻车 01', name_en: 'Car 01', callsign: '东城 01', zone: 'g1' },
    { id: 'V-02', kind: 'vehicle', name: '巡逻车 02', name_en: 'Car 02', callsign: '东城 02', zone: 'g1' },
    { id: 'V-03', kind: 'vehicle', name: '巡逻车 03', name_en: 'Car 03', callsign: '东城 03', zone: 'g1' },
    { id: 'O-01', kind: 'officer', name: '民警 李明', name_en: 'Officer Li', zone: 'g1' },
  ],
  zones: [{ id: 'g1', name: '城东一网格', name_en: 'East Grid 1', geometry: square(BASE, 650), coverage: { max_interval: '5m', min_ratio: 0.9, credit: 'any', make_up: 'propose' } }],
  rules: { tick: '250ms', allowed_lateness: '0s', coverage_gap: { dwell: '0s' } },
  incidents: { hotspots: { enabled: false } },
  patrol_tasks: { refresh_every: '2s', max_cells: 8 },
  broker: { users: [{ username: 'O-01', password: PHONE_KEY }] },
  http_ingest: { osmand_port: osmand, osmand_host: '127.0.0.1' },
  api: { tokens: [{ name: 'sgt.wang', scope: 'operate', token_env: 'SHOT_TOKEN' }] },
}, { env: { SHOT_TOKEN: TOKEN }, now: clock })
// Past the zone's grace period (max_interval) at once.
ahead = 6 * MIN

const send = (e: Engine, unit: string, p: { lat: number; lon: number }, ts = clock()) =>
  e.testHandle().ingestor.handle(`fleet/${unit}/position`, Buffer.from(JSON.stringify({ ts, lat: p.lat, lon: p.lon, accuracy: 6, speed: 8 })))
const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${h.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.json() as Promise<T>
}
interface Board {
  proposals: Array<{ id: string; unit: { id: string } | null }>
  tasks: Array<{ id: string; unitId: string; status: string; visited: number; cells: Array<{ cell: string }> }>
}

// Car 03 swept the western half over the last four minutes: the holes are in the east.
const sweep: Array<{ lat: number; lon: number }> = []
for (let north = -600; north <= 600; north += 400) {
  for (let east = -620; east <= 0; east += 60) sweep.push(offset(BASE, north, north % 800 === 0 ? east : -620 - east))
}
const start = clock() - 4 * MIN
for (const [i, p] of sweep.entries()) await send(h.engine, 'V-03', p, start + i * Math.floor((3.5 * MIN) / sweep.length))
await send(h.engine, 'V-01', offset(BASE, -900, 500))
await send(h.engine, 'V-02', offset(BASE, 900, 900))
await send(h.engine, 'O-01', offset(BASE, 100, -300), clock() - 5 * MIN)

const board = await waitFor(async () => {
  const b = await call<Board>('GET', '/api/v1/patrol-tasks')
  return b.proposals.filter((p) => p.unit !== null).length >= 2 ? b : undefined
}, 60_000, 500)
// The dispatcher accepted Car 01's proposal; the car has done the first cells.
const first = board.proposals.find((p) => p.unit?.id === 'V-01') ?? board.proposals[0]!
await call('POST', `/api/v1/patrol-tasks/proposals/${encodeURIComponent(first.id)}/accept`)
const task = (await call<Board>('GET', '/api/v1/patrol-tasks')).tasks[0]!
for (const c of task.cells.slice(0, 3)) {
  await send(h.engine, task.unitId, cellCentre(c.cell))
  await new Promise((r) => setTimeout(r, 400))
}
await waitFor(async () => ((await call<Board>('GET', '/api/v1/patrol-tasks')).tasks[0]?.visited ?? 0) >= 3, 30_000, 300)

const s = await openPage(h.httpUrl, { width: 1500, height: 900, locale: 'zh-CN' })
const { page } = s
const shot = async (name: string) => {
  await page.waitForTimeout(800)
  await page.screenshot({ path: join(docs, name) })
  console.log(`docs/${name}`)
}
await page.goto(`${h.httpUrl}/`)
await page.fill('#login-token', TOKEN)
await page.click('#login-submit')
await page.waitForSelector('#conn.live', { timeout: 30_000 })
await page.selectOption('#lang', 'zh-CN')
// Configured names are taken in the page's language when loaded: load again in Chinese.
await page.reload()
await page.waitForSelector('#conn.live', { timeout: 30_000 })
await page.waitForSelector('#task-proposals li[data-proposal]', { timeout: 30_000 })
await page.waitForSelector('#task-tasks li[data-task][data-status="started"]', { timeout: 30_000 })
await page.evaluate(([lat, lon]) => {
  const m = (window as unknown as { hexpatrol: { map: { map: { setView(ll: [number, number], z: number): void } } } }).hexpatrol.map
  document.querySelector('#patrol-tasks')?.scrollIntoView()
  m.map.setView([lat!, lon!], 15)
}, [BASE.lat, BASE.lon + 0.003])
await page.waitForTimeout(1500)
await shot('make-up-patrols-map.png')

// The officer's phone (Traccar Client over OsmAnd) reports mocked positions, then a real one.
const t0 = clock() - 3 * MIN
const osm = (i: number, mock: boolean) => {
  const p = offset(BASE, 100 + i * 25, -300)
  return fetch(`http://127.0.0.1:${osmand}/?id=O-01&key=${PHONE_KEY}&timestamp=${t0 + i * 30_000}&lat=${p.lat.toFixed(6)}&lon=${p.lon.toFixed(6)}&accuracy=8${mock ? '&mock=true' : ''}`)
}
for (let i = 0; i < 5; i++) await osm(i, true)
await osm(5, false)
await waitFor(async () => ((await call<{ signals: unknown[] }>('GET', '/api/v1/units/O-01/integrity')).signals.length > 0 ? true : undefined), 30_000, 300)
await page.evaluate(() => (window as unknown as { hexpatrol: { map: { onUnitClick(id: string): void } } }).hexpatrol.map.onUnitClick('O-01'))
await page.waitForSelector('#unit-details:not([hidden]) [data-section="integrity"] li', { timeout: 30_000 })
await shot('patrol-integrity-unit.png')
if (s.external.length > 0) console.error('requests left the machine:', s.external)
if (s.errors.length > 0) console.error('page errors:', s.errors)
await s.close()
await h.engine.stop()
ahead = 0

// ---- The bulletin: the scripted patrol day with make-up tasks and integrity signals. ----
let n = 0
/** A task's assignment row and (unless open) its outcome row, as the engine journals them. */
function taskRows(zone: string, unit: string, end: 'completed' | 'abandoned' | 'expired' | 'cancelled' | 'open', hour: number, minutes: number, visited: number, total: number): string[] {
  const id = `task:${zone}:${++n}`
  const assignedAt = at(hour)
  const base = { task_id: id, zone_id: zone, unit_id: unit, by: n % 3 === 0 ? 'auto' : 'dispatcher', assigned_at: assignedAt, total, eta_s: 240, summary: '', data: '{}' }
  const rows = [{ ...base, at: assignedAt, event_id: `${id}:assigned`, type: 'patrol_task.assigned', status: 'assigned', reason: '', started_at: null, ended_at: null, visited: 0 }]
  if (end !== 'open') {
    const endAt = assignedAt + minutes * M
    rows.push({ ...base, at: endAt, event_id: `${id}:${end}`, type: end === 'abandoned' ? 'patrol_task.expired' : `patrol_task.${end}`, status: end, reason: end === 'abandoned' ? 'abandoned' : end === 'expired' ? 'deadline' : '', started_at: (assignedAt + 4 * M) as never, ended_at: endAt as never, visited })
  }
  return rows.map((r) => JSON.stringify(r))
}
const b = await bulletinEngine({
  extra: { locale: 'zh-CN' },
  stage: async (bh) => {
    const ch = bh.engine.testHandle().ch
    const tasks = [
      ...taskRows('g1', 'DRIVE', 'completed', 9, 22, 6, 6),
      ...taskRows('g1', 'DRIVE', 'completed', 11, 35, 8, 8),
      ...taskRows('g1', 'PARK', 'abandoned', 13, 40, 2, 7),
      ...taskRows('g1', 'PARK', 'completed', 16, 18, 4, 4),
      ...taskRows('g1', 'DRIVE', 'cancelled', 19, 6, 1, 5),
      ...taskRows('g1', 'PARK', 'expired', 21, 120, 3, 6),
    ]
    const signals = [
      integrityRow(at(11, 1), { unitId: 'PARK', kind: 'mock_location', from: at(9), to: at(11), evidence: { fixes: 240, durationMinutes: 120 } }),
      integrityRow(at(20, 1), { unitId: 'PARK', kind: 'stationary_share', from: at(8), to: at(20), evidence: { stationaryShare: 0.75, stationaryMinutes: 540, reportingMinutes: 720, periods: 2, longestMinutes: 300 } }),
      integrityRow(at(13, 46), { unitId: 'DRIVE', kind: 'frozen_position', from: at(13), to: at(13, 45), evidence: { fixes: 90, durationMinutes: 45, maxOffsetM: 0 } }),
    ]
    await recordDeliverer(ch.client, ch.database).ship([rowsRecord('t', tasks), rowsRecord('g', signals)])
  },
})
const bs = await openPage(b.httpUrl, { width: 1280, height: 900, locale: 'zh-CN' })
const login = await bs.context.request.post(`${b.httpUrl}/api/v1/session`, { data: { token: READ } })
if (login.status() !== 204) throw new Error(`login: ${login.status()}`)
await bs.page.goto(`${b.httpUrl}/api/v1/reports/bulletins/daily/${PERIOD}?format=html`)
// From the integrity heading down to the coverage maps' heading: the two sections.
const clip = await bs.page.evaluate(() => {
  const hs = [...document.querySelectorAll('h2')]
  const i = hs.findIndex((x) => x.textContent?.includes('巡逻真实性') || x.textContent?.includes('Patrol integrity'))
  const top = (hs[i] ?? hs[0]!).getBoundingClientRect().top + window.scrollY - 12
  const end = hs[i + 2]
  const bottom = end === undefined ? document.body.scrollHeight : end.getBoundingClientRect().top + window.scrollY - 8
  return { x: 0, y: top, width: document.documentElement.clientWidth, height: bottom - top }
})
await bs.page.screenshot({ path: join(docs, 'bulletin-make-up-integrity.png'), fullPage: true, clip })
console.log('docs/bulletin-make-up-integrity.png')
await bs.close()
await b.engine.stop()
