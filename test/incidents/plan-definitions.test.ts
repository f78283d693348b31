// The service's plan definitions: created and replaced at run time (refused while active), the
// nearest available units picked at activation for `nearest: N` checkpoints (not committed
// elsewhere, not twice), and both kept across a restart from the state files.
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { compileIncidents } from '../../src/incidents/compile.js'
import { IncidentService } from '../../src/incidents/service.js'
import type { IncidentStore } from '../../src/incidents/incident-store.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import { PlanError } from '../../src/incidents/plans.js'
import { incidentJournal } from '../../src/journal/record.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { captureLogger, tempDir } from '../helpers/harness.js'
import { BASE, T0, config, feed, fix, offset, standardRaw } from '../rules/helpers.js'

const units = ['U1', 'U2', 'U3', 'U4'].map((id) => ({ id, kind: 'vehicle' }))
const raw = standardRaw({
  units: [...(standardRaw().units as object[]), ...units],
  plans: [{ id: 'other', checkpoints: [{ name: 'Depot', lat: BASE.lat, lon: BASE.lon, units: ['U4'] }] }],
})
const store = { existing: async () => new Set<string>(), hotspotScores: async () => [], query: async () => [], get: async () => null, zonedSince: async () => [] } as unknown as IncidentStore

function setup(dir = tempDir()) {
  const cfg = config(raw)
  const rules = new RuleEngine(compileDeployment(cfg), { startedAt: T0 })
  const now = { t: T0 }
  const { logger } = captureLogger()
  const svc = new IncidentService({ setup: compileIncidents(cfg), dep: compileDeployment(cfg), rules, store: () => store, dir, now: () => now.t, logger, publish: () => undefined, journal: incidentJournal(() => undefined), unshipped: new UnshippedIncidents() })
  // Where each unit is: P-017 at the scene, U1/U2 east of it, U3 west, U4 east but manning "other".
  const at: Record<string, [number, number]> = { 'P-017': [0, 0], U1: [0, 200], U2: [0, 400], U3: [0, -300], U4: [0, 260] }
  for (const [id, [n, e]] of Object.entries(at)) feed(rules, fix(id, now.t, offset(BASE, n, e)))
  return { svc, rules, now, dir }
}

const ring = {
  id: 'ring', name: 'Ring', positions: 'scene', dwell: '10s',
  checkpoints: [
    { name: 'North', north_m: 300, units: ['P-017'] },
    { name: 'East', east_m: 250, nearest: 2 },
    { name: 'West', east_m: -250, nearest: 1, units: ['U1'] },
  ],
}
const planCode = async (p: Promise<unknown>) => p.then(() => 'ok', (err: unknown) => (err instanceof PlanError ? err.code : String(err)))

t.test('nearest at activation: the N nearest available, committed and already responsible units skipped, recorded and shown', async (t) => {
  const { svc, dir, now } = setup()
  t.match(await svc.definePlan(ring, 'create', 'sgt.wang'), { planId: 'ring', version: 1, origin: 'api', by: 'sgt.wang', at: T0 })
  t.ok(existsSync(join(dir, 'plan-defs.json')), 'versions saved')
  await svc.activate('other', { by: 'x', incidentId: null, centre: null })
  const a = await svc.activate('ring', { by: 'sgt.wang', incidentId: 'R-1', centre: BASE })
  // East (250 m east): U1 (50 m) is fixed at West so skipped, U4 mans "other", P-017 is North's:
  // U2 (150 m) and U3 (550 m). West then gets the nearest left: nobody (P-020 and O-003 have no fix).
  t.same(a?.checkpoints[1]?.picked, ['U2', 'U3'])
  t.same(a?.checkpoints[2]?.units, ['U1'], 'no available unit left for West: only its fixed one')
  t.same(a?.checkpoints[2]?.picked, [])
  const st = svc.planStatus('ring')
  t.match(st?.checkpoints[1], { picked: ['U2', 'U3'], responsible: ['U2', 'U3'], units: [{ unitId: 'U2', live: true, distanceM: 150 }, { unitId: 'U3', live: true, distanceM: 550 }] })
  t.ok((st?.checkpoints[1]?.units[0]?.etaS ?? 0) > 0, 'an ETA per unit')
  t.same(svc.search(BASE.lat, BASE.lon, now.t, 10).map((p) => p.unitId), [], 'every live unit is committed now')

  // Restart from the state files: the run-time plan and the picked units are still there.
  const again = setup(dir)
  t.equal(again.svc.plans.get('ring')?.name, 'Ring')
  t.same(again.svc.board.get('ring')?.checkpoints.map((c) => c.picked), [[], ['U2', 'U3'], []])
})

t.test('a second nearest checkpoint takes the next units; fewer available than asked is not an error', async (t) => {
  const { svc } = setup()
  await svc.definePlan({ ...ring, checkpoints: [{ name: 'East', east_m: 250, nearest: 2 }, { name: 'West', east_m: -250, nearest: 9 }] }, 'create', 'x')
  const a = await svc.activate('ring', { by: 'x', incidentId: null, centre: BASE })
  t.same(a?.checkpoints.map((c) => c.picked), [['U4', 'U1'], ['U3', 'P-017', 'U2']], 'nearest first; West gets the 3 left of the 9 it asks for')
})

t.test('changes refused while active; versions; deletion; a scene plan without a centre picks nothing and is refused', async (t) => {
  const { svc, dir } = setup()
  t.equal(await planCode(svc.definePlan(ring, 'create', 'x')), 'ok')
  t.equal(await planCode(svc.definePlan(ring, 'create', 'x')), 'conflict', 'exists already')
  t.equal(await planCode(svc.definePlan({ ...ring, id: 'nope' }, 'replace', 'x', 'nope')), 'not_found')
  t.equal(await planCode(svc.definePlan({ ...ring, dwell: 'x' }, 'create', 'x')), 'bad_request')
  t.equal(await planCode(svc.activate('ring', { by: 'x', incidentId: null, centre: null })), 'bad_request', 'a scene plan needs a centre')
  await svc.activate('ring', { by: 'x', incidentId: null, centre: BASE })
  t.equal(await planCode(svc.definePlan({ ...ring, name: 'Ring 2' }, 'replace', 'x', 'ring')), 'conflict', 'no change while active')
  t.equal(await planCode(svc.deletePlan('ring', 'x')), 'conflict', 'no deletion while active')
  await svc.deactivate('ring', 'x')
  t.match(await svc.definePlan({ ...ring, name: 'Ring 2' }, 'replace', 'insp.li', 'ring'), { version: 2, by: 'insp.li' })
  t.match(await svc.deletePlan('other', 'insp.li'), { planId: 'other', version: 2, spec: null })
  t.same(svc.planSpecs().map((p) => p.id), ['ring'], 'a config plan deleted at run time')
  t.equal(await svc.activate('other', { by: 'x', incidentId: null, centre: null }), null, 'a deleted plan cannot be activated')
  const again = setup(dir)
  t.same(again.svc.planSpecs().map((p) => [p.id, p.name]), [['ring', 'Ring 2']], 'the run-time versions win over the config after a restart')
  t.same(again.svc.plans.versions('other').map((v) => [v.version, v.origin, v.spec === null]), [[1, 'config', false], [2, 'api', true]])
})
