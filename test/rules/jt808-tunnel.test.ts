// Realism kit, issue 22: a JT/T 808 terminal back from a tunnel with 10 minutes of buffered fixes.
// A seeded noisy track (test/helpers/gps-realism.ts) is sent as the terminal would: 0x0200 frames
// while it has network, nothing for 10 min, then live 0x0200 reports again and, 30 s later, the
// buffered fixes in 0x0704 blind-area batches. Every frame goes through the JT/T 808 codec
// (frame → message → batch → location → Fix) into the rule engine. The late fixes all arrive and
// are flagged too late (stored and counted by the ingestor); they open no alert (not even for the
// excursion they show), re-open nothing, do not move the live position back, and the unit is not
// silent after the flush; a real breach afterwards is still raised.
import t from 'tap'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import { FixFlag, type Fix } from '../../src/decode/fix.js'
import { readFrame } from '../../src/decode/jt808/message.js'
import { MsgId, parseBatch } from '../../src/decode/jt808/bodies.js'
import { locationFix } from '../../src/decode/jt808/to-fix.js'
import { drive, generateTrack, offsetM, waypoints, type RealFix } from '../helpers/gps-realism.js'
import { Terminal, type LocationSpec } from '../helpers/jt808-terminal.js'
import { BASE, T0, config, standardRaw } from './helpers.js'

const LIM = { maxFutureSkewMs: 120_000, maxAgeMs: 7 * 86_400_000, h3Resolution: 9, rejectNullIsland: true }
const TUNNEL: [number, number] = [1200, 1800]
const BATCH_AT = T0 + (TUNNEL[1] + 30) * 1000
const HOUR = 3_600_000

/** The Fixes the gateway would make of one frame. */
function decode(frame: Buffer, receivedAt: number): Fix[] {
  const m = readFrame(frame.subarray(1, frame.length - 1))
  if (typeof m === 'string') throw new Error(m)
  const items = m.header.msgId === MsgId.LocationBatch ? parseBatch(m.body, 1000)!.items : [[0, m.body.length] as [number, number]]
  return items.map(([from, to]) => locationFix(m.body, from, to, 'P-020', 'jt808:13800000001', receivedAt, 480, LIM, 1000).fix).filter((f): f is Fix => f !== null)
}

t.test('a terminal back from a tunnel with 10 minutes of buffered fixes', async (t) => {
  const far = offsetM(BASE, 3000, 0)
  const away = offsetM(BASE, 6000, 0)
  // Parked near the post; through a tunnel 3 km out (10 min without network); back at the post;
  // at 2100 s drives 6 km away (36 km/h) and stays (a real breach, after the flush).
  const truth = waypoints([[0, offsetM(BASE, 200, 0)], [1100, offsetM(BASE, 200, 0)], [1250, far], [1750, far], [1900, offsetM(BASE, 200, 0)], [2100, offsetM(BASE, 200, 0)], [2700, away]])
  const track = generateTrack({ seed: 808, unitId: 'P-020', start: T0, durationS: 3600, periodS: 10, truth, noise: { multipathRate: 0, lostLockRate: 0 } })

  const term = new Terminal('13800000001')
  const spec = (f: Fix): LocationSpec => ({ ts: f.ts, lat: f.lat, lon: f.lon, speedKmh: 40 })
  const inTunnel = (r: RealFix) => r.tS >= TUNNEL[0] && r.tS < TUNNEL[1]
  const buffered = track.filter(inTunnel)
  const arrivals: RealFix[] = []
  for (const r of track.filter((x) => !inTunnel(x))) {
    for (const f of decode(term.location(spec(r.fix)), r.fix.receivedAt)) arrivals.push({ ...r, fix: f })
  }
  // A body holds at most 1023 bytes: 25 locations per 0x0704, sent back to back.
  const batch: Fix[] = []
  for (let i = 0; i < buffered.length; i += 25) batch.push(...decode(term.batch(buffered.slice(i, i + 25).map((r) => spec(r.fix))), BATCH_AT))
  t.equal(batch.length, 60, 'ten minutes of fixes every 10 s in three 0x0704 batches')
  arrivals.push(...batch.map((f, i) => ({ ...buffered[i]!, fix: f })))
  arrivals.sort((a, b) => a.fix.receivedAt - b.fix.receivedAt)

  const e = new RuleEngine(compileDeployment(config(standardRaw({ rules: { allowed_lateness: '0s' } }))), { startedAt: T0 })
  const late: number[] = []
  const duringFlush: AlertEvent[] = []
  const evs = drive({
    classify: (f) => {
      const flags = e.classify(f)
      if (f.receivedAt === BATCH_AT) late.push(flags)
      return flags
    },
    ingest: (f, now) => {
      const out = e.ingest(f, now)
      if (now === BATCH_AT) duringFlush.push(...out)
      return out
    },
    tick: (now) => e.tick(now),
  }, arrivals, { start: T0, until: T0 + HOUR })

  t.equal(late.length, 60, 'every buffered fix reached the rules')
  t.ok(late.every((f) => (f & FixFlag.TooLate) !== 0), 'all flagged too late (stored, counted as too_late)')
  t.same(duringFlush.filter((x) => x.state === 'opened'), [], 'the flush opens nothing, not even for the excursion it shows')
  const mine = evs.filter((x) => x.subject.startsWith('unit:P-020'))
  const opened = (kind: string, after = 0) => mine.filter((x) => x.kind === kind && x.state === 'opened' && x.at >= after).length
  t.equal(opened('radius_breach', T0 + TUNNEL[0] * 1000) - opened('radius_breach', T0 + 2100_000), 0, 'no breach for the tunnel, late or live')
  t.equal(opened('unit_silent', BATCH_AT), 0, 'not silent after the flush')
  t.equal(opened('radius_breach', T0 + 2100_000), 1, 'the real breach afterwards is raised: the rules go on')
  // Control: had the same fixes arrived live, the tunnel excursion would have been a breach.
  const live = new RuleEngine(compileDeployment(config(standardRaw({ rules: { allowed_lateness: '0s' } }))), { startedAt: T0 })
  const liveEvs = drive(live, track.filter((r) => r.tS < 2100), { start: T0, until: T0 + 2100_000 })
  t.equal(liveEvs.filter((x) => x.subject.startsWith('unit:P-020') && x.kind === 'radius_breach' && x.state === 'opened').length, 1, 'control: live, the tunnel excursion opens a breach')
  const v = e.unit('P-020', T0 + HOUR)
  t.ok((v?.lastFix?.ts as number) > T0 + HOUR - 60_000, 'the live position keeps up after the flush')
  t.ok((v?.distanceFromPostM as number) > 5000, `and shows the unit where it is (${Math.round(v?.distanceFromPostM as number)} m)`)
})
