// Deterministic synthetic traffic for integration tests and benchmarks: native single fixes,
// native batches and OwnTracks messages, with a known share of invalid payloads, plus the exact
// rows each should produce. Every fix carries a unique (unit, seq) so checks compare against
// what was published, never against the engine's own counters.
import { latLngToCell } from 'h3-js'
import { rng } from '../../src/demo/tracks.js'

export interface ExpectedFix { unit: string; ts: number; lat: number; lon: number; h3: string; seq: number | null }
export interface Message { topic: string; payload: string }
export interface Workload { messages: Message[]; fixes: ExpectedFix[]; rejects: Map<string, number>; ignored: number }

export { rng }

const INVALID: Array<[string, (unit: string, ts: number) => string]> = [
  ['invalid_json', () => '{"ts": 1, "lat": '],
  ['lat_out_of_range', (u, ts) => JSON.stringify({ unit: u, ts, lat: 91.5, lon: 117.8 })],
  ['lon_out_of_range', (_u, ts) => JSON.stringify({ ts, lat: 36.5, lon: -181 })],
  ['not_finite', (_u, ts) => `{"ts":${ts},"lat":1e999,"lon":117.8}`],
  ['missing_field', (_u, ts) => JSON.stringify({ ts, lat: 36.5 })],
  ['wrong_type', (_u, ts) => JSON.stringify({ ts, lat: '36.5', lon: 117.8 })],
  ['ts_in_future', (_u, ts) => JSON.stringify({ ts: ts + 3_600_000, lat: 36.5, lon: 117.8 })],
  ['unit_mismatch', (_u, ts) => JSON.stringify({ unit: 'someone-else', ts, lat: 36.5, lon: 117.8 })],
]

/**
 * `owntracksUnit`: how the engine names the unit of `owntracks/<user>/<device>`: `user` by default
 * (the OwnTracks user is the unit on every broker and over HTTP), `user-device` for a subscription
 * with unit_from: all_levels.
 */
export function makeWorkload(opts: { messages: number; units?: number; seed?: number; invalidShare?: number; now?: number; h3Resolution?: number; owntracksUnit?: 'user' | 'user-device' }): Workload {
  const r = rng(opts.seed ?? 1)
  const units = opts.units ?? 50
  const res = opts.h3Resolution ?? 9
  const now = opts.now ?? Date.now()
  const invalidShare = opts.invalidShare ?? 0.05
  const seq = new Map<string, number>()
  const messages: Message[] = []
  const fixes: ExpectedFix[] = []
  const rejects = new Map<string, number>()
  let ignored = 0
  const nextFix = (unit: string) => {
    const s = (seq.get(unit) ?? 0) + 1
    seq.set(unit, s)
    // Fix times unique per unit: a millisecond grid below now.
    const ts = now - 600_000 + s * 7 + Math.floor(r() * 5)
    const lat = Math.round((36.43 + r() * 0.12) * 1e7) / 1e7
    const lon = Math.round((117.77 + r() * 0.18) * 1e7) / 1e7
    return { unit, ts, lat, lon, h3: latLngToCell(lat, lon, res), seq: s }
  }
  for (let i = 0; i < opts.messages; i++) {
    const u = `U-${String(Math.floor(r() * units)).padStart(4, '0')}`
    const kind = r()
    if (r() < invalidShare) {
      const [reason, make] = INVALID[Math.floor(r() * INVALID.length)]!
      messages.push({ topic: `fleet/${u}/position`, payload: make(u, now - 1000) })
      rejects.set(reason, (rejects.get(reason) ?? 0) + 1)
    } else if (kind < 0.6) {
      const f = nextFix(u)
      fixes.push(f)
      messages.push({ topic: `fleet/${u}/position`, payload: JSON.stringify({ unit: u, ts: f.ts, lat: f.lat, lon: f.lon, speed: 8.5, heading: 90, accuracy: 5, seq: f.seq }) })
    } else if (kind < 0.8) {
      // A buffered flush: a batch with one bad element that must not drop the others.
      const batch: unknown[] = []
      for (let k = 0; k < 9; k++) {
        const f = nextFix(u)
        fixes.push(f)
        batch.push({ ts: new Date(f.ts).toISOString(), lat: f.lat, lon: f.lon, seq: f.seq })
      }
      batch.splice(4, 0, { ts: now - 1000, lat: 'north', lon: 117.8 })
      rejects.set('wrong_type', (rejects.get('wrong_type') ?? 0) + 1)
      messages.push({ topic: `fleet/${u}/position`, payload: JSON.stringify(batch) })
    } else if (kind < 0.97) {
      // OwnTracks: tst in seconds, so fix times are whole seconds; the unit is the user.
      const s = (seq.get(`ot-${u}`) ?? 0) + 1
      seq.set(`ot-${u}`, s)
      const tst = Math.floor(now / 1000) - 3000 + s
      const lat = Math.round((36.43 + r() * 0.12) * 1e7) / 1e7
      const lon = Math.round((117.77 + r() * 0.18) * 1e7) / 1e7
      const user = u.toLowerCase()
      fixes.push({ unit: opts.owntracksUnit === 'user-device' ? `${user}-phone` : user, ts: tst * 1000, lat, lon, h3: latLngToCell(lat, lon, res), seq: null })
      messages.push({ topic: `owntracks/${user}/phone`, payload: JSON.stringify({ _type: 'location', lat, lon, tst, acc: 12, vel: 36, batt: 80, tid: 'ph' }) })
    } else {
      ignored++
      messages.push({ topic: `owntracks/${u.toLowerCase()}/phone`, payload: JSON.stringify({ _type: 'lwt', tst: Math.floor(now / 1000) }) })
    }
  }
  return { messages, fixes, rejects, ignored }
}
