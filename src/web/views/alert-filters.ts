// The alert kinds a user can filter by, and the kind and zone choices both alert views show (the
// open alerts and the history): one list, refilled on a language switch keeping the selection.
import { h, clear } from '../dom.js'
import { t } from '../i18n.js'
import type { MessageKey } from '../messages/en.js'
import type { Store } from '../store.js'

export const ALERT_KINDS = ['unit_sos', 'radius_breach', 'zone_exit', 'coverage_gap', 'response_gap', 'unit_silent', 'checkpoint_missed'] as const

/** Fills the kind and zone selects in the page's language, keeping what was selected. */
export function fillAlertFilters(kind: HTMLSelectElement, zone: HTMLSelectElement, store: Store): void {
  const keepK = kind.value
  const keepZ = zone.value
  clear(kind)
  clear(zone)
  kind.append(h('option', { value: '' }, t('alerts.allKinds')), ...ALERT_KINDS.map((k) => h('option', { value: k }, t(`alert.${k}` as MessageKey))))
  zone.append(h('option', { value: '' }, t('alerts.allZones')), ...[...store.zones.values()].map((z) => h('option', { value: z.info.id }, z.info.name)))
  kind.value = keepK
  zone.value = keepZ
}
