// Make-up patrols on the live map, in headless Chromium against a real engine (embedded broker and
// ClickHouse): a zone never patrolled (short max_interval) opens its coverage gap; the proposal
// appears in the panel and on the map with the nearest unit (a read-only session sees it without
// controls); the dispatcher reassigns it to the other unit from the short list; that unit drives
// through the cells (MQTT fixes) and the task shows its progress and then completed, fading on the map. The engine's clock runs ahead of the
// wall clock (the zone's grace period is skipped, not waited for).
import t from 'tap'
import { cellCentre } from '../../src/geo/cells.js'
import { connect } from '../helpers/publisher.js'
import { consoleTokens, logIn, openConsole, requireChromium } from '../helpers/browser.js'
import { startConsole } from '../helpers/console.js'
import { BASE, offset, square } from '../rules/helpers.js'

requireChromium(t, 'the make-up patrols browser test')

const { operate: OPERATE, read: READ } = consoleTokens
let ahead = 0
const clock = () => Date.now() + ahead
const config = {
  units: [
    { id: 'V-01', kind: 'vehicle', name: 'Car 1', zone: 'g1' },
    { id: 'V-02', kind: 'vehicle', name: 'Car 2', zone: 'g1' },
  ],
  zones: [{ id: 'g1', name: 'Grid One', geometry: square(BASE, 300), coverage: { max_interval: '5m', min_ratio: 0.9, credit: 'any', make_up: 'propose' } }],
  rules: { tick: '250ms', allowed_lateness: '0s', coverage_gap: { dwell: '0s' } },
  incidents: { hotspots: { enabled: false } },
  patrol_tasks: { refresh_every: '2s' },
}

const { h, s } = await startConsole(t, config, { now: clock })
const { page } = s
const pub = await connect(h.mqttUrl, { clientId: 'tasks-e2e' })
t.teardown(() => pub.end(true))

const send = async (unit: string, p: { lat: number; lon: number }) => {
  await pub.publishAsync(`fleet/${unit}/position`, JSON.stringify({ ts: clock(), lat: p.lat, lon: p.lon, accuracy: 6, speed: 5 }), { qos: 1 })
}
type Drawn = { kind: string; opacity: number; cells: number; status: string | null } | null
type Probe = { tasksProbe: { drawn(id: string): Drawn } }
const drawn = (id: string) => page.evaluate((i) => (window as unknown as { hexpatrol: Probe }).hexpatrol.tasksProbe.drawn(i), id)

// Past the zone's grace period (max_interval) at once; V-01 700 m south, V-02 1.8 km south.
ahead = 6 * 60_000
await send('V-01', offset(BASE, -700, 0))
await send('V-02', offset(BASE, -1800, 0))

await logIn(page, h.httpUrl, OPERATE)

let proposalId = ''
t.test('the zone\'s proposal is listed and drawn, with the nearest unit and its ETA', async (t) => {
  // A proposal computed before the units' first fixes were taken has no unit yet (data-unit=""):
  // wait for the one made once they are live, then check which unit it chose.
  const li = await page.waitForSelector('#task-proposals li[data-proposal]:not([data-unit=""])', { timeout: 60_000 })
  proposalId = (await li.getAttribute('data-proposal')) ?? ''
  t.match(proposalId, /^makeup:g1:/)
  t.equal(await li.getAttribute('data-unit'), 'V-01', 'the nearest free unit by ETA')
  t.match(await li.textContent(), /Grid One · \d+ cells overdue.*Car 1: \d+ m, ETA \d+ min/)
  const d = await page.waitForFunction((id) => (window as unknown as { hexpatrol: Probe }).hexpatrol.tasksProbe.drawn(id), proposalId, { timeout: 30_000 })
  t.match(await d.jsonValue(), { kind: 'proposal', opacity: 1 })
  t.same(await page.$$eval(`#task-proposals li[data-proposal="${proposalId}"] .task-unit-choice option`, (os) => os.map((o) => (o as HTMLOptionElement).value)), ['V-02'], 'the other live unit is offered for a reassignment')
})

t.test('a read-only session sees the proposal, without controls', async (t) => {
  const viewer = await openConsole(t, s.browser, h.httpUrl, READ, { until: `#task-proposals li[data-proposal="${proposalId}"]` })
  t.equal(await viewer.locator('#patrol-tasks .task-controls').count(), 0, 'no accept, reassign or dismiss')
})

t.test('reassigned to Car 2, which drives through the cells: the task completes', async (t) => {
  await page.selectOption(`#task-proposals li[data-proposal="${proposalId}"] .task-unit-choice`, 'V-02')
  await page.click(`#task-proposals li[data-proposal="${proposalId}"] .task-reassign`)
  const li = await page.waitForSelector('#task-tasks li[data-task][data-unit="V-02"]', { timeout: 30_000 })
  const taskId = (await li.getAttribute('data-task')) ?? ''
  t.equal(await li.getAttribute('data-status'), 'assigned')
  t.match(await page.textContent('#alert-banner'), /Make-up patrol assigned/)
  const r = await fetch(`${h.httpUrl}/api/v1/patrol-tasks`, { headers: { authorization: `Bearer ${OPERATE}` } })
  const board = await r.json() as { tasks: Array<{ id: string; unitId: string; cells: Array<{ cell: string }> }> }
  const task = board.tasks.find((x) => x.id === taskId)!
  t.equal(task.unitId, 'V-02', 'the API holds the reassignment')
  t.match(await drawn(taskId), { kind: 'task', opacity: 1, status: 'assigned' })

  for (const c of task.cells) {
    await send('V-02', cellCentre(c.cell))
    await new Promise((r) => setTimeout(r, 300))
  }
  await page.waitForSelector(`#task-tasks li[data-task="${taskId}"][data-status="completed"]`, { timeout: 30_000 })
  t.match(await page.textContent(`#task-tasks li[data-task="${taskId}"] .task-progress`), new RegExp(`^${task.cells.length} of ${task.cells.length} cells visited · completed$`))
  t.equal(await page.getAttribute(`#task-tasks li[data-task="${taskId}"]`, 'class'), 'task ended')
  t.match(await drawn(taskId), { kind: 'task', status: 'completed' })
  t.notOk(await page.$(`#task-tasks li[data-task="${taskId}"] .task-cancel`), 'no cancel button on an ended task')
})

t.test('Chinese labels', async (t) => {
  await page.selectOption('#lang', 'zh-CN')
  t.equal(await page.textContent('#patrol-tasks h2'), '补巡任务')
  t.match(await page.textContent('#task-tasks li.task .task-progress'), /^已巡 \d+\/\d+ 个网格 · 已完成$/)
  t.same(s.errors, [], 'no page errors')
  t.same(s.external, [], 'nothing fetched from outside')
})
