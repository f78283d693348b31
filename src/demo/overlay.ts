// Demo mode's changes to the configuration document, applied before validation (`hexpatrol
// --demo`): its own data directory (simulated positions never mix with real ones), every unit named
// "(simulated)" on the map and in alerts, one login per unit with a password made at start-up and
// known only to the in-process simulator (the file's own logins are dropped: no real device reports
// into a demo), a scene plan to activate, and
// coverage timings short enough to show a gap within minutes. Pure: the caller makes the secrets.
export const DEMO_PLAN_ID = 'demo-ring'
export const SIMULATED = '(simulated)'
/** Plan checkpoints, metres from the scene. */
export const DEMO_CHECKPOINTS = [{ name: 'North checkpoint', north_m: 600, east_m: 0 }, { name: 'East checkpoint', north_m: 0, east_m: 600 }] as const

type Doc = Record<string, unknown>

export interface DemoUnit { id: string; kind: string; post?: string; zone?: string }

const asDocs = (v: unknown): Doc[] => (Array.isArray(v) ? v.filter((x): x is Doc => typeof x === 'object' && x !== null) : [])
const asDoc = (v: unknown): Doc => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Doc : {})

/** The units as the demo reads them from a raw document (ids that are not strings are left to validation). */
export function demoUnits(raw: Doc): DemoUnit[] {
  return asDocs(raw.units).filter((u) => typeof u.id === 'string').map((u) => ({
    id: u.id as string,
    kind: typeof u.kind === 'string' ? u.kind : 'vehicle',
    ...(typeof u.post === 'string' ? { post: u.post } : {}),
    ...(typeof u.zone === 'string' ? { zone: u.zone } : {}),
  }))
}

/** The two vehicles that answer the demo incident: the first vehicles sharing the second post (or any post). */
export function responders(units: readonly DemoUnit[]): [string, string] | null {
  const withPost = units.filter((u) => u.kind === 'vehicle' && u.post !== undefined)
  const posts = [...new Set(withPost.map((u) => u.post))]
  for (const post of [posts[1], ...posts]) {
    const at = withPost.filter((u) => u.post === post)
    if (at.length >= 2) return [at[0]!.id, at[1]!.id]
  }
  return null
}

export function demoOverlay(raw: Doc, passwordFor: (unitId: string) => string): Doc {
  const units = demoUnits(raw)
  const out: Doc = { ...raw }
  out.data_dir = `${typeof raw.data_dir === 'string' ? raw.data_dir : './data'}/demo`
  out.units = asDocs(raw.units).map((u) => ({ ...u, name: `${typeof u.name === 'string' ? u.name : String(u.id)} ${SIMULATED}` }))
  out.broker = { ...asDoc(raw.broker), users: units.map((u) => ({ username: u.id, password: passwordFor(u.id), example: true })) }
  // A handful of units cannot sweep a grid in minutes: no gap on the fresh share (min_ratio 0), but
  // a priority cell left unvisited for 5 minutes opens one.
  out.zones = asDocs(raw.zones).map((z) => {
    const c = asDoc(z.coverage)
    return { ...z, coverage: { ...c, max_interval: '5m', min_ratio: 0, priority_cells: asDocs(c.priority_cells).map((p) => ({ ...p, max_interval: '5m' })) } }
  })
  const rules = asDoc(raw.rules)
  out.rules = { ...rules, coverage_gap: { ...asDoc(rules.coverage_gap), dwell: '30s' } }
  const pair = responders(units)
  if (pair !== null && !asDocs(raw.plans).some((p) => p.id === DEMO_PLAN_ID)) {
    out.plans = [...asDocs(raw.plans), {
      id: DEMO_PLAN_ID,
      name: `Ring around the scene ${SIMULATED}`,
      positions: 'scene',
      checkpoints: DEMO_CHECKPOINTS.map((c, i) => ({ name: c.name, north_m: c.north_m, east_m: c.east_m, units: [pair[i]], arrive_within: '5m', radius_m: 150 })),
    }]
  }
  return out
}
