import t from 'tap'
import { readConfigFile, validateConfig } from '../../src/config/load.js'
import { haversineM } from '../../src/geo/distance.js'
import { demoOverlay } from '../../src/demo/overlay.js'
import { DemoScript, type DemoMessage } from '../../src/demo/script.js'
import { offsetM } from '../../src/demo/tracks.js'

const config = validateConfig(demoOverlay(readConfigFile('config/hexpatrol.yaml'), () => 'pw'), undefined, {})
const START = Date.UTC(2026, 11, 6, 2)
const post = (id: string) => config.posts.find((p) => p.id === id)!

/** Every message of the first `untilS` seconds, a second at a time as the simulator asks. */
function run(script: DemoScript, untilS: number): DemoMessage[] {
  const out: DemoMessage[] = []
  for (let s = 0; s <= untilS; s++) out.push(...script.messages(s, START))
  return out
}
const pos = (m: DemoMessage) => JSON.parse(m.payload) as { lat: number; lon: number; ts?: number; tst?: number; sos?: boolean; _type?: string }
const fixTime = (m: DemoMessage) => { const p = pos(m); return p.ts ?? (p.tst ?? 0) * 1000 }

t.test('the scripted district', async (t) => {
  const script = new DemoScript(config)
  t.equal(script.units.length, 38, 'every unit with a post')
  t.equal(script.events.length, 4)
  const msgs = run(script, 600)
  t.same(msgs, run(new DemoScript(config), 600), 'deterministic')
  const of = (u: string) => msgs.filter((m) => m.unit === u && pos(m).sos !== true)
  t.ok(of('P-001').every((m) => m.topic === 'fleet/P-001/position'), 'cars report native JSON')
  t.ok(of('O-123').every((m) => m.topic === 'owntracks/O-123/phone' && pos(m)._type === 'location'), 'officers report as OwnTracks phones, the unit being the user')
  t.equal(of('P-001').length, 121, 'a car every 5 s')
  t.equal(of('O-123').length, 60, 'an officer every 10 s')

  // Radius breach: P-001 beyond station-01's 1.5 km (+ hysteresis) for minutes, then back.
  const s1 = post('station-01')
  const d = (m: DemoMessage) => haversineM(s1.lat, s1.lon, pos(m).lat, pos(m).lon)
  const away = of('P-001').filter((m) => d(m) > 1600).map((m) => (fixTime(m) - START) / 1000)
  t.ok(away.length > 40 && away[0]! < 200 && away.at(-1)! <= 480, `out from ${away[0]} s to ${away.at(-1)} s`)
  t.ok(of('P-001').filter((m) => (fixTime(m) - START) / 1000 > 520).every((m) => d(m) < 1200), 'back on patrol')
  t.ok(of('P-002').every((m) => d(m) < 1200), 'its colleague stays in')
  const later = run(new DemoScript(config), 700).filter((m) => m.unit === 'P-001' && (fixTime(m) - START) / 1000 > 640)
  t.ok(later.length > 5 && later.every((m) => d(m) < 1200), 'and back on its sweep for good')

  // SOS, once.
  const sos = msgs.filter((m) => pos(m).sos === true)
  t.equal(sos.length, 1)
  t.equal(sos[0]?.topic, 'fleet/O-124/position')
  // Coverage gap: grid-6's units stay at their posts, away from the railway station square.
  const square = config.zones.find((z) => z.id === 'grid-6')!.coverage.priority_cells[0]!
  for (const u of ['P-011', 'P-012', 'O-133', 'O-134']) t.ok(of(u).every((m) => haversineM(square.lat!, square.lon!, pos(m).lat, pos(m).lon) > 800), `${u} never near the square`)
  // The school in grid-1 has a walker.
  const school = config.zones.find((z) => z.id === 'grid-1')!.coverage.priority_cells[0]!
  t.ok(of('O-123').every((m) => haversineM(school.lat!, school.lon!, pos(m).lat, pos(m).lon) < 300), 'O-123 walks around the school')
  // The incident and its responders at their checkpoints by the end.
  const inc = script.incident!
  t.same(inc.responders, ['P-003', 'P-004'])
  const north = offsetM(inc, 600, 0)
  const last = of('P-003').at(-1)!
  t.ok(haversineM(north.lat, north.lon, pos(last).lat, pos(last).lon) < 60, 'P-003 at the north checkpoint')
})

t.test('a configuration without posts, priority cells or responders', async (t) => {
  const c = validateConfig({ units: [{ id: 'X' }, { id: 'Y', post: 'p', kind: 'officer' }], posts: [{ id: 'p', lat: 36.47, lon: 117.81, radius_m: 500 }] }, undefined, {})
  const s = new DemoScript(c)
  t.same(s.units, ['Y'], 'a unit without a post is not driven')
  t.equal(s.incident, null)
  t.same(s.events, ['150 s: Y presses SOS'], 'no car to breach, no incident, no gap')
})
