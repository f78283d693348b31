// Level suggestions in cluster mode, two engines in this process on one nats-server and one
// ClickHouse endpoint: incidents created through engine A cross the rate threshold and the
// suggestion is open on both; accepted through B (the level changes on both, A then answers 409),
// a second one dismissed through A (patrol_level.suggestion_dismissed delivered once).
import t from 'tap'
import { waitFor, type Harness } from '../helpers/harness.js'
import { startEngineCluster, startEnginePair } from '../helpers/cluster.js'
import { square } from '../rules/helpers.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OP = 'cluster-suggestions-operate-token-0123456789'
const CENTRE = { lat: 36.5, lon: 117.9 }
const EAST = { lat: 36.5, lon: 117.95 }

t.test('two engines: a suggestion accepted on one, another dismissed on the other', { timeout: 300_000 }, async (t) => {
  const cluster = await startEngineCluster(t, { secret: SECRET, token: OP, events: ['patrol_level.*'], config: {
    units: [{ id: 'P-1', zone: 'grid-1' }],
    zones: [
      { id: 'grid-1', name: 'Grid 1', geometry: square(CENTRE, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.5 } },
      { id: 'grid-2', name: 'Grid 2', geometry: square(EAST, 1000), coverage: { resolution: 9, max_interval: '30m', min_ratio: 0.5 } },
    ],
    incidents: { rate: { threshold: 2, window: '1h', suggest_level: 'high' } },
    rules: { tick: '1s' },
  } })
  if (cluster === null) return
  const { rx, call } = cluster
  const [a, b] = await startEnginePair(cluster)

  type Levels = { zones: Array<{ zoneId: string; level: string }>; suggestions: Array<{ id: string; zoneId: string }> }
  const levels = async (h: Harness) => await (await call(h, 'GET', '/api/v1/levels')).json() as Levels

  const now = Date.now()
  const incidents = [CENTRE, EAST].flatMap((p, z) => [0, 1].map((i) => ({ id: `I-${z}-${i}`, type: 'robbery', lat: p.lat + i * 0.001, lon: p.lon, time: now - i * 1000 })))
  t.equal((await call(a, 'POST', '/api/v1/incidents', incidents)).status, 200)
  const open = (await levels(b)).suggestions
  t.same(open.map((s) => s.zoneId).sort(), ['grid-1', 'grid-2'], 'both open on engine B')
  const one = open.find((s) => s.zoneId === 'grid-1')!
  const two = open.find((s) => s.zoneId === 'grid-2')!

  const ok = await call(b, 'POST', `/api/v1/levels/suggestions/${encodeURIComponent(one.id)}/accept`, {})
  t.equal(ok.status, 200)
  t.match((await levels(a)).zones.find((z) => z.zoneId === 'grid-1'), { level: 'high' }, 'accepted through B: the level changed on A')
  t.equal((await call(a, 'POST', `/api/v1/levels/suggestions/${encodeURIComponent(one.id)}/accept`, {})).status, 409, 'accepted again through A: closed')
  const no = await call(a, 'POST', `/api/v1/levels/suggestions/${encodeURIComponent(two.id)}/dismiss`, { reason: 'a fair' })
  t.equal(no.status, 200)
  t.same((await levels(b)).suggestions, [], 'none open on B')
  await waitFor(() => rx.received.find((r) => r.type === 'patrol_level.suggestion_dismissed'), 30_000)
  await new Promise((r) => setTimeout(r, 1500))
  const count = (type: string) => rx.received.filter((r) => r.type === type).length
  t.same([count('patrol_level.suggested'), count('patrol_level.changed'), count('patrol_level.suggestion_dismissed')], [2, 1, 1], 'each event delivered once by the two engines')
})
