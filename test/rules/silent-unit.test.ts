import t from 'tap'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { fixedLiveness, initialSilent, isSilentAt, learnedCadenceMs, looksStationary, observeSilent, silentAfterMs, tickSilent } from '../../src/rules/silent-unit.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { BASE, T0, config, feed, fix, ofKind, offset, standardRaw, types } from './helpers.js'

t.test('state machine: measured on arrival time, from when tracking began', async (t) => {
  const s = initialSilent(T0)
  t.equal(tickSilent(s, T0 + 179_999, fixedLiveness(180_000)), null)
  t.notOk(isSilentAt(s, T0 + 179_999, fixedLiveness(180_000)))
  t.equal(tickSilent(s, T0 + 180_000, fixedLiveness(180_000)), 'opened', 'never seen: measured from when tracking began')
  t.equal(tickSilent(s, T0 + 190_000, fixedLiveness(180_000)), null, 'opened once')
  t.ok(isSilentAt(s, T0 + 190_000, fixedLiveness(180_000)))
  t.equal(observeSilent(s, T0 - 60_000, T0 + 200_000), 'resolved', 'any arrival resolves, whatever its device time')
  t.equal(s.lastTs, T0 - 60_000)
  t.equal(s.lastSeenAt, T0 + 200_000)
  t.equal(observeSilent(s, T0 - 70_000, T0 + 199_000), null)
  t.equal(s.lastTs, T0 - 60_000, 'keeps the latest fix time')
  t.equal(s.lastSeenAt, T0 + 200_000, 'keeps the latest arrival')
  t.equal(tickSilent(s, T0 + 379_999, fixedLiveness(180_000)), null)
  t.equal(tickSilent(s, T0 + 380_000, fixedLiveness(180_000)), 'opened', 'measured from the last arrival')
})

t.test('engine: configured units go silent by their own or the default silent_after; a fresh fix resolves', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw())), { startedAt: T0 })
  t.same(e.tick(T0 + 119_000), [])
  const a = e.tick(T0 + 120_000)
  t.same(types(a), ['unit_silent.opened'], 'O-003 has silent_after 120s')
  t.equal(a[0]?.subject, 'unit:O-003')
  t.equal(a[0]?.lastFixAt, null)
  t.match(a[0]?.summary, /^Officer 3 \(O-003\) has sent no fix since hexpatrol started tracking it at 14:00:00Z \(2 min\)$/)
  t.equal(a[0]?.position, undefined)
  const b = e.tick(T0 + 180_000)
  t.same(b.map((x) => x.subject), ['unit:P-017', 'unit:P-020'])
  const r = feed(e, fix('O-003', T0 + 185_000, BASE), T0 + 186_000)
  t.same(types(r), ['unit_silent.resolved'])
  t.equal(r[0]?.at, T0 + 186_000, 'resolved at arrival (engine clock)')
  t.equal(r[0]?.alertId, a[0]?.alertId)
  t.equal(r[0]?.lastFixAt, T0 + 185_000)
  t.match(r[0]?.summary, /^Officer 3 \(O-003\) is reporting again \(fix received at 14:03:06Z\)$/)
  t.equal(e.unit('O-003', T0 + 186_000)?.silent, false)
  t.equal(e.unit('P-017', T0 + 186_000)?.silent, true)
  // Goes quiet again: silent 120 s after its last arrival, with the fix in the alert.
  t.same(e.tick(T0 + 305_999), [])
  const again = e.tick(T0 + 306_000)
  t.same(again.map((x) => x.type), ['unit_silent.opened'])
  t.equal(again[0]?.lastFixAt, T0 + 185_000)
  t.same(again[0]?.position?.ts, T0 + 185_000)
  t.match(again[0]?.summary, /has sent no fix for 2 min, last received at 14:03:06Z/)
})

t.test('unknown units get no unit_silent (only zone-wide rules apply to them)', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw({ units: [] }))), { startedAt: T0 })
  t.same(e.tick(T0 + 1_000_000), [], 'nobody configured, nobody silent')
  feed(e, fix('X-9', T0 + 1_000_000, offset(BASE, 10, 10)))
  t.equal(e.unit('X-9', T0 + 1_000_000)?.known, false)
  t.equal(e.unit('X-9', T0 + 1_000_000)?.kind, 'unknown')
  t.same(e.tick(T0 + 1_180_000), [], 'quiet for silent_after: no alert for an unknown unit')
  t.equal(e.unit('X-9', T0 + 1_180_000)?.silent, true, 'but the view says it is not live')
})

t.test('a delayed fix resolves at its arrival, not at its (older) fix time', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw())), { startedAt: T0 })
  const o = e.tick(T0 + 120_000)
  const r = feed(e, fix('O-003', T0 + 100_000, BASE, { receivedAt: T0 + 125_000 }), T0 + 125_000)
  t.same(types(r), ['unit_silent.resolved'])
  t.equal(r[0]?.at, T0 + 125_000)
  t.ok((r[0]?.at as number) >= (o[0]?.openedAt as number))
})

// Cadence-aware liveness: a unit is silent after cadence_factor × its own reporting interval
// (learned from arrivals, or configured), never sooner than silent_after, never later than the cap.
const POLICY = { floorMs: 180_000, capMs: 1_800_000, factor: 3, stationaryFactor: 2, expectedMs: null }

t.test('liveness: learns the cadence from arrivals; bursts are one arrival; floor, stationary allowance and cap', async (t) => {
  const s = initialSilent(T0)
  t.equal(silentAfterMs(s, POLICY), 180_000, 'nothing learned, nothing configured: silent_after')
  t.equal(silentAfterMs(s, { ...POLICY, expectedMs: 300_000 }), 900_000, 'a configured 300 s interval: 3 × 300 s')
  observeSilent(s, T0, T0)
  t.equal(learnedCadenceMs(s), null, 'one arrival: nothing learned yet')
  observeSilent(s, T0 + 240_000, T0 + 240_000)
  observeSilent(s, T0 + 600_000, T0 + 600_000)
  t.equal(learnedCadenceMs(s), 360_000, 'two gaps: the longer one, until there are three')
  observeSilent(s, T0 + 900_000, T0 + 900_000)
  t.equal(learnedCadenceMs(s), 300_000, 'three gaps: their median')
  // A terminal back from a tunnel flushes 10 buffered fixes within a few ms: one arrival, not ten gaps.
  for (let i = 0; i < 10; i++) observeSilent(s, T0 + 900_000 + i, T0 + 1_200_000 + i)
  t.same(s.gaps, [240_000, 360_000, 300_000, 300_000], 'the burst added one gap')
  t.equal(learnedCadenceMs(s), 300_000, 'learned: 300 s')
  t.equal(silentAfterMs(s, POLICY), 900_000, 'silent after 3 × 300 s')
  t.notOk(isSilentAt(s, T0 + 1_200_009 + 899_999, POLICY), 'live just before 3 × its cadence')
  t.ok(isSilentAt(s, T0 + 1_200_009 + 900_000, POLICY), 'silent at 3 × its cadence')
  t.equal(silentAfterMs(s, { ...POLICY, expectedMs: 60_000 }), 900_000, 'what it does beats what was configured')
  observeSilent(s, T0 + 1_500_000, T0 + 1_500_000, true)
  t.equal(silentAfterMs(s, POLICY), 1_800_000, 'standing still: twice the allowance')
  t.equal(silentAfterMs(s, { ...POLICY, capMs: 1_200_000 }), 1_200_000, 'never beyond the cap')
  const fast = initialSilent(T0)
  for (let i = 0; i <= 8; i++) observeSilent(fast, T0 + i * 5000, T0 + i * 5000)
  t.equal(learnedCadenceMs(fast), 5000)
  t.equal(silentAfterMs(fast, POLICY), 180_000, 'a unit reporting every 5 s: still silent_after, never sooner')
  t.equal(fast.gaps?.length, 8, 'the last 8 gaps are kept')
  const mixed = initialSilent(T0)
  for (const at of [0, 60, 120, 180, 1380, 1440]) observeSilent(mixed, T0, T0 + at * 1000)
  t.equal(learnedCadenceMs(mixed), 60_000, 'one long outage does not stretch the median')
})

t.test('learnedCadenceMs: the median of any gap list (odd, even, a longer restored history) as a plain sort gives it', async (t) => {
  const reference = (g: number[]): number | null => {
    if (g.length === 0) return null
    if (g.length < 3) return Math.max(...g)
    const s = [...g].sort((a, b) => a - b)
    const mid = s.length >> 1
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  }
  let seed = 7
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (let k = 0; k < 500; k++) {
    const n = k % 23
    const gaps = Array.from({ length: n }, () => 1000 + Math.floor(rand() * 600_000) + (rand() < 0.2 ? 0.5 : 0))
    const before = gaps.slice()
    t.equal(learnedCadenceMs({ gaps }), reference(gaps), `gaps ${gaps.join(',')}`)
    t.same(gaps, before, 'the gaps are left as they were')
  }
  t.equal(learnedCadenceMs({}), null, 'no gaps recorded')
  t.equal(learnedCadenceMs({ gaps: [3000, 1000, 2000, 4000] }), 2500, 'even count: the mean of the middle two')
})

t.test('looksStationary: reported speed, else distance from the previous fix', async (t) => {
  t.ok(looksStationary(null, { ...BASE, speed: 0.4 }))
  t.notOk(looksStationary(BASE, { ...BASE, speed: 1.5 }), 'moving by its speed, even at the same place')
  t.ok(looksStationary(BASE, { ...offset(BASE, 30, 0), speed: null }), '30 m from its last fix, no speed')
  t.notOk(looksStationary(BASE, { ...offset(BASE, 80, 0), speed: null }))
  t.notOk(looksStationary(null, { ...BASE, speed: null }), 'nothing to compare with')
})

t.test('engine: a phone at Traccar Client\'s default 300 s is live for hours, silent 3 × 300 s after it stops; map and nearest agree', async (t) => {
  const e = new RuleEngine(compileDeployment(config(standardRaw({ units: [{ id: 'O-7', kind: 'officer', zone: 'grid-2' }] }))), { startedAt: T0 })
  // Six hours of an officer walking, one fix every 300 s ± 20 s of app jitter (seeded), arrivals 1–4 s late.
  let seed = 7
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const events: AlertEvent[] = []
  let at = T0
  let i = 0
  for (; at < T0 + 6 * 3600_000; i++) {
    const p = offset(BASE, ((i % 40) - 20) * 40, 0)
    events.push(...feed(e, fix('O-7', at, p, { speed: 1.3 }), at + 1000 + Math.floor(rnd() * 3000)))
    for (let k = 1; k <= 6; k++) events.push(...e.tick(at + k * 50_000))
    at += 300_000 + Math.floor((rnd() - 0.5) * 40_000)
  }
  // Nothing configured for the kind: between its first and second fix nothing is learned yet, so
  // silent_after applies once; from the second fix on, no flapping (on a 180 s threshold: ~70 pairs).
  t.same(ofKind(events, 'unit_silent').map((x) => x.type), ['unit_silent.opened', 'unit_silent.resolved'], 'one silence in six hours, before its cadence was known')
  t.ok((events.find((x) => x.type === 'unit_silent.opened')?.at as number) - T0 < 300_000, 'and that one before the second fix')
  const last = at - (300_000 + 0)
  const lastArrival = e.unit('O-7', last + 10_000)?.lastSeenAt as number
  t.equal(e.unit('O-7', lastArrival + 600_000)?.silent, false, '10 min after its last fix: live (a 300 s phone)')
  t.equal(e.nearest(BASE.lat, BASE.lon, { k: 5 }, lastArrival + 600_000).length, 1, 'and found by nearest search')
  const quiet: AlertEvent[] = []
  for (let s = lastArrival; s <= lastArrival + 1_000_000; s += 5000) quiet.push(...e.tick(s))
  const opened = ofKind(quiet, 'unit_silent')
  t.equal(opened.length, 1, 'it stopped: unit_silent once')
  const delay = (opened[0]?.at as number) - lastArrival
  t.ok(delay >= 3 * 280_000 && delay <= 3 * 320_000 + 5000, `silent 3 × its learned cadence after it stopped (${delay} ms)`)
  t.equal(e.nearest(BASE.lat, BASE.lon, { k: 5 }, lastArrival + 1_000_000).length, 0, 'silent units drop out of nearest search')
})

t.test('engine: rules.liveness.report_interval per kind and units[].report_interval before anything is learned; the cadence survives a snapshot', async (t) => {
  const raw = standardRaw({
    units: [{ id: 'O-1', kind: 'officer' }, { id: 'O-2', kind: 'officer', report_interval: '120s' }, { id: 'V-1', kind: 'vehicle' }],
    rules: { allowed_lateness: '0s', liveness: { report_interval: { officer: '300s' } } },
  })
  const dep = compileDeployment(config(raw))
  const e = new RuleEngine(dep, { startedAt: T0 })
  const opened = (from: number, to: number) => {
    const out: string[] = []
    for (let s = from; s <= to; s += 10_000) out.push(...ofKind(e.tick(s), 'unit_silent').map((x) => `${x.subject}@${(x.at - T0) / 1000}`))
    return out
  }
  t.same(opened(T0, T0 + 900_000), ['unit:V-1@180', 'unit:O-2@360', 'unit:O-1@900'], 'vehicle: silent_after; officer: 3 × 300 s; O-2: 3 × its own 120 s')
  const e2 = new RuleEngine(dep, { startedAt: T0 })
  for (let k = 0; k < 5; k++) feed(e2, fix('V-1', T0 + k * 600_000, offset(BASE, k * 200, 0)), T0 + k * 600_000)
  const restored = RuleEngine.restore(dep, JSON.parse(JSON.stringify(e2.snapshot())), { startedAt: T0 + 2_400_000 })
  t.equal(restored.unit('V-1', T0 + 2_400_000 + 1_700_000)?.silent, false, 'a 10-minute cadence learned before the restart: live 28 min on')
  t.equal(restored.unit('V-1', T0 + 2_400_000 + 1_800_000)?.silent, true, 'silent at the 30 min cap (3 × 10 min)')
})
