// The dispatch card: pick an incident (the last 24 h, open first), see its status and the units
// assigned to it and, with operate scope, the nearest available units (GET …/candidates: distance,
// ETA) with checkboxes and an Assign button (POST …/assign), and Close with an outcome
// (POST …/close). Read scope sees the card without controls. The state shown is the operations
// model's (GET /incidents + incident.assigned / incident.closed from the stream), so it survives a
// reload; candidates are fetched when the card opens and after each change.
import { api } from '../api.js'
import { clear, fmtTime, h } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import { fmtDistance } from '../alert-text.js'
import type { Incident, Operations } from '../operations.js'
import type { MapView } from './map-layers.js'
import { labelOr } from './ops-layers.js'

interface Candidate { unitId: string; name: string; distanceM: number; etaS: number }

const eta = (s: number | null) => (s === null ? '—' : String(Math.ceil(s / 60)))

export class IncidentActions {
  readonly el = h('section', { class: 'panel incident-dispatch', id: 'incident-dispatch' })
  private readonly pick = h('select', { id: 'incident-select' })
  private readonly card = h('div', { class: 'incident-card', id: 'incident-card' })
  private readonly status = h('p', { class: 'hint', id: 'incident-action-status', role: 'status' })
  // Kept across re-renders (the stream re-renders the card while the dispatcher types or ticks).
  private readonly note = h('input', { type: 'text', id: 'incident-note', maxlength: '500', 'data-i18n-placeholder': 'incident.note' })
  private readonly outcome = h('input', { type: 'text', id: 'incident-outcome', maxlength: '2000', 'data-i18n-placeholder': 'incident.outcome' })
  private readonly checked = new Set<string>()
  private selected: string | null = null
  private candidates: Candidate[] = []

  constructor(private readonly ops: Operations, private readonly map: MapView, private readonly canOperate: boolean, private readonly nameOf: (unitId: string, given?: string) => string = (id, given) => given ?? id) {
    this.pick.onchange = () => void this.select(this.pick.value === '' ? null : this.pick.value)
    this.el.append(label(h('h2'), 'incident.dispatchTitle'), this.pick, this.card, this.status)
    ops.subscribe((e) => { if (e.type === 'incidents') this.render() })
    onLangChange(() => this.render())
    this.render()
  }

  /** Shows an incident's card (and, with operate scope, fetches its candidates). */
  async select(id: string | null): Promise<void> {
    this.selected = id
    this.candidates = []
    this.checked.clear()
    this.note.value = ''
    this.outcome.value = ''
    this.status.textContent = ''
    this.render()
    if (id === null) return
    const i = this.ops.incidents.get(id)
    if (i !== undefined) this.map.focus(i.lat, i.lon)
    await this.loadCandidates()
  }

  private async loadCandidates(): Promise<void> {
    const id = this.selected
    if (id === null || !this.canOperate || this.ops.incidents.get(id)?.status === 'closed') return
    try {
      const r = await api.get<{ units: Candidate[] }>(`/api/v1/incidents/${encodeURIComponent(id)}/candidates`)
      if (this.selected !== id) return
      this.candidates = r.units
    } catch (err) {
      this.status.textContent = t('common.error', { message: (err as Error).message })
    }
    this.render()
  }

  private render(): void {
    const list = [...this.ops.incidents.values()].sort((a, b) => (a.status === b.status ? b.ts - a.ts : a.status === 'open' ? -1 : 1))
    const none = h('option', { value: '' }, t('incident.choose'))
    this.pick.replaceChildren(none, ...list.map((i) => h('option', { value: i.id }, `${i.status === 'closed' ? '✓ ' : ''}${labelOr('incidentType', i.type)} · ${i.id}`)))
    this.pick.value = this.selected !== null && this.ops.incidents.has(this.selected) ? this.selected : ''
    clear(this.card)
    const i = this.selected === null ? undefined : this.ops.incidents.get(this.selected)
    if (i === undefined) return
    this.card.dataset.incident = i.id
    this.card.dataset.status = i.status
    this.card.append(
      h('div', { class: 'incident-kind' }, `${labelOr('incidentType', i.type)} · ${t('ops.priority', { p: i.priority })} · `, h('span', { class: 'incident-status' }, t(i.status === 'open' ? 'incident.open' : 'incident.closed'))),
      h('div', { class: 'alert-time' }, `${fmtTime(i.ts)}${i.address === '' ? '' : ` · ${i.address}`}`),
    )
    if (i.outcome !== null) this.card.append(h('div', { class: 'incident-outcome', id: 'incident-outcome-text' }, t('incident.outcomeIs', { outcome: i.outcome })))
    this.card.append(label(h('h3'), 'incident.assigned'), this.assignedList(i))
    if (!this.canOperate || i.status === 'closed') return
    this.card.append(label(h('h3'), 'incident.candidates'), this.candidateForm(i), this.closeForm(i))
  }

  private assignedList(i: Incident): HTMLElement {
    const ul = h('ul', { class: 'incident-assigned', id: 'incident-assigned' })
    if (i.assignments.length === 0) ul.append(h('li', { class: 'empty' }, t('incident.noneAssigned')))
    for (const a of i.assignments) {
      const where = a.distanceM === null ? t('incident.noPosition') : t('incident.whenAssigned', { distance: fmtDistance(a.distanceM), eta: eta(a.etaS) })
      ul.append(h('li', { 'data-unit': a.unitId }, h('strong', {}, this.nameOf(a.unitId)), ` · ${where} · ${a.by} ${fmtTime(a.at)}`))
    }
    return ul
  }

  private candidateForm(i: Incident): HTMLElement {
    const ul = h('ul', { class: 'incident-candidates', id: 'incident-candidates' })
    if (this.candidates.length === 0) ul.append(h('li', { class: 'empty' }, t('search.none')))
    const boxes: HTMLInputElement[] = []
    for (const c of this.candidates) {
      const cb = h('input', { type: 'checkbox', 'data-unit': c.unitId })
      cb.checked = this.checked.has(c.unitId)
      cb.onchange = () => { if (cb.checked) this.checked.add(c.unitId); else this.checked.delete(c.unitId) }
      boxes.push(cb)
      ul.append(h('li', { 'data-unit': c.unitId }, h('label', {}, cb, ' ', h('strong', {}, this.nameOf(c.unitId, c.name)), ` · ${t('incident.distanceEta', { distance: fmtDistance(c.distanceM), eta: eta(c.etaS) })}`)))
    }
    const note = this.note
    note.placeholder = t('incident.note')
    const assign = label(h('button', { type: 'submit', id: 'incident-assign' }), 'incident.assign')
    const form = h('form', { class: 'incident-assign-form' }, ul, note, assign)
    form.onsubmit = (e) => {
      e.preventDefault()
      const units = boxes.filter((b) => b.checked).map((b) => b.dataset.unit as string)
      if (units.length === 0) {
        this.status.textContent = t('incident.pickUnits')
        return
      }
      void this.change(i.id, 'assign', { units, ...(note.value === '' ? {} : { note: note.value }) })
    }
    return form
  }

  private closeForm(i: Incident): HTMLElement {
    const outcome = this.outcome
    outcome.placeholder = t('incident.outcome')
    const close = label(h('button', { type: 'submit', id: 'incident-close' }), 'incident.close')
    const form = h('form', { class: 'incident-close-form' }, outcome, close)
    form.onsubmit = (e) => {
      e.preventDefault()
      if (outcome.value.trim() === '') {
        this.status.textContent = t('incident.needOutcome')
        return
      }
      void this.change(i.id, 'close', { outcome: outcome.value.trim() })
    }
    return form
  }

  /** Sends the change, then re-reads the incident (the stream's event does too) and the candidates. */
  private async change(id: string, what: 'assign' | 'close', body: Record<string, unknown>): Promise<void> {
    try {
      await api.post(`/api/v1/incidents/${encodeURIComponent(id)}/${what}`, body)
      this.checked.clear()
      this.note.value = ''
      this.status.textContent = t(what === 'assign' ? 'incident.assignedOk' : 'incident.closedOk')
    } catch (err) {
      this.status.textContent = t('common.error', { message: (err as Error).message })
    }
    await this.ops.loadIncident(id)
    await this.loadCandidates()
  }
}
