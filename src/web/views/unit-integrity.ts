// The "Integrity" section of a unit's details: its patrol integrity signals of the last 24 hours
// from `GET /units/{id}/integrity`, each as a fact with its figures (what the positions show, when,
// with which other unit), never a verdict. Loaded when the details open (re-opening them reloads
// it); drawn from that copy, since the details redraw every second.
import { api } from '../api.js'
import { h, clear, fmtTime } from '../dom.js'
import { onLangChange, t, tOr } from '../i18n.js'

interface Signal { id: string; kind: string; from: number; to: number; relatedUnitId: string | null; evidence: Record<string, number> }

export class UnitIntegrity {
  readonly el = h('div', { class: 'integrity', 'data-section': 'integrity' })
  private unitId: string | null = null
  private signals: Signal[] | null = null
  private failed = false

  constructor() {
    onLangChange(() => this.render())
  }

  /** Loads a unit's signals (null: none shown). */
  async load(unitId: string | null): Promise<void> {
    this.unitId = unitId
    this.signals = null
    this.failed = false
    this.render()
    if (unitId === null) return
    try {
      const r = await api.get<{ signals: Signal[] }>(`/api/v1/units/${encodeURIComponent(unitId)}/integrity`)
      if (this.unitId === unitId) this.signals = r.signals
    } catch {
      // No stage (cluster mode) or no answer: the section says so, the rest of the details stand.
      if (this.unitId === unitId) this.failed = true
    }
    this.render()
  }

  private render(): void {
    clear(this.el)
    if (this.unitId === null) return
    this.el.append(h('h3', {}, t('integrity.title')), h('p', { class: 'integrity-note' }, t('integrity.note')))
    if (this.failed) {
      this.el.append(h('p', {}, t('integrity.unavailable')))
      return
    }
    if (this.signals === null) return
    if (this.signals.length === 0) {
      this.el.append(h('p', { 'data-field': 'integrity.none' }, t('integrity.none')))
      return
    }
    const list = h('ul', { class: 'integrity-list' })
    for (const s of this.signals) {
      const facts = Object.entries(s.evidence).map(([k, v]) => `${tOr(`integrity.evidence.${k}`, k)} ${v}`).join(' · ')
      const related = s.relatedUnitId === null ? '' : ` · ${t('integrity.with', { unit: s.relatedUnitId })}`
      list.append(h('li', { 'data-kind': s.kind },
        h('strong', {}, tOr(`integrity.kind.${s.kind}`, s.kind)), ` ${fmtTime(s.from)} – ${fmtTime(s.to)}${related}`,
        h('br'), h('span', { class: 'integrity-evidence' }, facts)))
    }
    this.el.append(list)
  }
}
