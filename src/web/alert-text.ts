// An alert's one-line text in the page's language, built from its kind and structured fields
// (the engine's `summary` is English, for chat formats and logs). Falls back to the summary
// for a kind the page does not know. Unit, post and zone names come from the page's registry (in
// the page's language: name_en in English) when it knows them; the alert's own `unitName`,
// `postName`, `zoneName` are the configured (often Chinese) names, used only for one it does not.
// Plan and checkpoint names likewise, from the page's plans (Operations.planName / checkpointName).
import { t } from './i18n.js'
import type { Alert } from './model.js'
import type { Store } from './store.js'

type Obj = Record<string, unknown>
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

export function fmtDistance(m: number): string {
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`
}

const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 100)} %`)

function clock(ms: number): string {
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** Names in the page's language by id (undefined: not known to the page). */
export interface LocalNames {
  unit(id: string): string | undefined
  post(id: string): string | undefined
  zone(id: string): string | undefined
  /** `given`: the (engine-locale) name the alert carries; undefined unless the page knows the plan by it. */
  plan?(id: string, given: string | null): string | undefined
  checkpoint?(planId: string, index: number, given: string | null): string | undefined
}

const NO_NAMES: LocalNames = { unit: () => undefined, post: () => undefined, zone: () => undefined }

/** The store's registry as LocalNames (its names were taken in the page's language; plans' are picked now). */
export function storeNames(store: Pick<Store, 'units' | 'posts' | 'zones'> & { ops?: Pick<Store['ops'], 'planName' | 'checkpointName'> }): LocalNames {
  const ops = store.ops
  return {
    unit: (id) => store.units.get(id)?.name,
    post: (id) => store.posts.get(id)?.name,
    zone: (id) => store.zones.get(id)?.info.name,
    ...(ops === undefined ? {} : { plan: (id: string, given: string | null) => ops.planName(id, given), checkpoint: (planId: string, index: number, given: string | null) => ops.checkpointName(planId, index, given) }),
  }
}

/** The checkpoint_missed alert's plan and checkpoint, in the page's language where it knows them. */
function planPlace(d: Obj, c: Obj, names: LocalNames): { plan: string; checkpoint: string } {
  const planId = str(d.planId)
  const index = num(c.index)
  const plan = (planId === null ? undefined : names.plan?.(planId, str(d.planName))) ?? str(d.planName) ?? planId ?? '?'
  const checkpoint = (planId === null || index === null ? undefined : names.checkpoint?.(planId, index, str(c.name))) ?? str(c.name) ?? '?'
  return { plan, checkpoint }
}

/** "Patrol car 17 (P-017)", or the id alone when the unit has no name of its own. */
function unitName(d: Obj, names: LocalNames): string {
  const id = str(d.unitId) ?? '?'
  const name = names.unit(id) ?? str(d.unitName)
  return name === null || name === id ? id : `${name} (${id})`
}

/** A post's or zone's name: the page's, else the alert's, else its id. */
function placeName(id: unknown, given: unknown, local: (id: string) => string | undefined): string {
  const i = str(id)
  return (i === null ? undefined : local(i)) ?? str(given) ?? i ?? '?'
}

export function alertText(a: Alert, names: LocalNames = NO_NAMES): string {
  const d = a.details
  const zone = () => placeName(d.zoneId, d.zoneName, names.zone)
  const dist = num(d.distanceM)
  switch (a.kind) {
    case 'radius_breach':
      if (dist === null || num(d.radiusM) === null) break
      return t('alertText.radius_breach', { unit: unitName(d, names), post: placeName(d.postId, d.postName, names.post), distance: fmtDistance(dist), radius: fmtDistance(num(d.radiusM)!) })
    case 'zone_exit':
      if (dist === null) break
      return t('alertText.zone_exit', { unit: unitName(d, names), zone: zone(), distance: fmtDistance(dist) })
    case 'unit_silent': {
      const last = num(d.lastFixAt)
      return last === null ? t('alertText.unit_silent.never', { unit: unitName(d, names) }) : t('alertText.unit_silent', { unit: unitName(d, names), time: clock(last) })
    }
    case 'unit_sos':
      return t('alertText.unit_sos', { unit: unitName(d, names), time: clock(a.openedAt) })
    case 'coverage_gap':
      if (num(d.ratio) === null) break
      return t('alertText.coverage_gap', { zone: zone(), ratio: pct(num(d.ratio)), cells: num(d.cellCount) ?? 0, min: pct(num(d.minRatio)) })
    case 'checkpoint_missed': {
      const c = (typeof d.checkpoint === 'object' && d.checkpoint !== null ? d.checkpoint : {}) as Obj
      const deadline = num(c.deadline)
      if (deadline === null) break
      return t('alertText.checkpoint_missed', { ...planPlace(d, c, names), time: clock(deadline) })
    }
    case 'response_gap':
      if (num(d.ratio) === null || num(d.radiusM) === null) break
      return t('alertText.response_gap', { zone: zone(), ratio: pct(num(d.ratio)), radius: fmtDistance(num(d.radiusM)!), min: pct(num(d.minRatio)) })
  }
  return a.summary
}
