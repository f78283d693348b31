// The make-up patrols panel: proposals (zone, cells, the proposed unit with its ETA, the route) and
// tasks (unit, zone, cells visited of total, age; ended ones fade out). With operate scope a
// proposal is accepted, reassigned to another unit (a short list of the nearest live units without
// an open task; the engine refuses a busy one and the refusal is announced) or dismissed, and an
// open task cancelled. A click on a row focuses the map on its cells.
import type * as L from 'leaflet'
import { fmtDistance } from '../alert-text.js'
import { canOperate, type Session } from '../api.js'
import { clear, h } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { MessageKey } from '../messages/en.js'
import { isOpen, taskOpacity, type PatrolTaskBoard, type Proposal, type Task } from '../patrol-task-board.js'
import type { Store } from '../store.js'
import { unitLabel } from '../unit-finder.js'
import type { MapView } from './map-layers.js'

/** Units offered for a reassignment. */
export const REASSIGN_CHOICES = 5
const R = 6_371_000
const rad = (d: number) => (d * Math.PI) / 180

function metres(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const x = Math.sin(rad(b.lat - a.lat) / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(rad(b.lon - a.lon) / 2) ** 2
  return 2 * R * Math.asin(Math.sqrt(x))
}

/** The nearest live units to the proposal's first cell, without an open task and other than the proposed one. */
export function reassignChoices(store: Store, board: PatrolTaskBoard, p: Proposal): Array<{ id: string; label: string; distanceM: number }> {
  const first = p.cells[0]
  if (first === undefined) return []
  const held = new Set(board.tasks.filter(isOpen).map((x) => x.unitId))
  const out: Array<{ id: string; label: string; distanceM: number }> = []
  for (const u of store.units.values()) {
    if (u.lat === null || u.lon === null || u.silent || held.has(u.id) || u.id === p.unit?.id) continue
    out.push({ id: u.id, label: unitLabel(u), distanceM: metres(first, { lat: u.lat, lon: u.lon }) })
  }
  return out.sort((a, b) => a.distanceM - b.distanceM || (a.id < b.id ? -1 : 1)).slice(0, REASSIGN_CHOICES)
}

export class PatrolTasksPanel {
  readonly el = h('section', { class: 'panel tasks', id: 'patrol-tasks' })
  private readonly proposalList = h('ul', { class: 'task-list', id: 'task-proposals' })
  private readonly taskList = h('ul', { class: 'task-list', id: 'task-tasks' })
  private readonly operate: boolean
  /** The unit picked for a reassignment, per proposal: kept across redraws. */
  private readonly picked = new Map<string, string>()

  constructor(
    private readonly board: PatrolTaskBoard,
    private readonly store: Store,
    private readonly map: MapView,
    session: Session | null,
    private readonly announce: (text: string) => void,
    layer?: L.LayerGroup,
  ) {
    this.operate = canOperate(session)
    this.el.append(label(h('h2'), 'task.title'), label(h('h3'), 'task.proposals'), this.proposalList, label(h('h3'), 'task.tasks'), this.taskList)
    if (layer !== undefined) {
      const cb = h('input', { type: 'checkbox', id: 'layer-tasks' })
      cb.checked = true
      cb.onchange = () => { if (cb.checked) layer.addTo(map.map); else layer.remove() }
      this.el.append(h('div', { class: 'toggles' }, h('label', {}, cb, ' ', label(h('span'), 'layers.tasks'))))
    }
    this.el.hidden = true
    board.subscribe(() => this.render())
    onLangChange(() => this.render())
  }

  private nameOf(id: string): string {
    const u = this.store.units.get(id)
    return u === undefined ? id : unitLabel(u)
  }

  private zoneName(id: string): string {
    return this.store.zones.get(id)?.info.name ?? id
  }

  render(now = Date.now()): void {
    this.el.hidden = !this.board.available
    clear(this.proposalList)
    clear(this.taskList)
    if (this.board.proposals.length === 0) this.proposalList.append(h('li', { class: 'empty' }, t('task.noProposals')))
    for (const p of this.board.proposals) this.proposalList.append(this.proposalRow(p))
    const tasks = this.board.shown(now)
    if (tasks.length === 0) this.taskList.append(h('li', { class: 'empty' }, t('task.noTasks')))
    for (const x of tasks) this.taskList.append(this.taskRow(x, now))
  }

  private proposalRow(p: Proposal): HTMLLIElement {
    const who = p.unit === null
      ? t('task.noUnit')
      : t('task.proposedUnit', { unit: this.nameOf(p.unit.id), distance: fmtDistance(p.unit.distanceM), eta: Math.ceil(p.unit.etaS / 60) })
    const li = h('li', { class: 'proposal', 'data-proposal': p.id, 'data-unit': p.unit?.id ?? '' },
      h('div', { class: 'task-head' }, t('task.proposalHead', { zone: this.zoneName(p.zoneId), n: p.cells.length })),
      h('div', { class: 'task-unit' }, who),
      h('div', { class: 'hint' }, t('task.route', { distance: fmtDistance(p.routeM), priority: p.priorityCells })))
    li.onclick = () => this.focus(p.cells)
    if (this.operate) li.append(this.proposalControls(p))
    return li
  }

  private proposalControls(p: Proposal): HTMLElement {
    const box = h('div', { class: 'task-controls' })
    box.onclick = (e) => e.stopPropagation()
    const accept = h('button', { type: 'button', class: 'task-accept' }, t('task.accept'))
    accept.disabled = p.unit === null
    accept.onclick = () => this.act(this.board.accept(p.id), 'task.accepted')
    const pick = h('select', { class: 'task-unit-choice', 'aria-label': t('task.reassignTo') })
    for (const c of reassignChoices(this.store, this.board, p)) pick.append(h('option', { value: c.id }, `${c.label} · ${fmtDistance(c.distanceM)}`))
    const reassign = h('button', { type: 'button', class: 'task-reassign' }, t('task.reassign'))
    const kept = this.picked.get(p.id)
    if (kept !== undefined && [...pick.options].some((o) => o.value === kept)) pick.value = kept
    pick.onchange = () => this.picked.set(p.id, pick.value)
    reassign.disabled = pick.options.length === 0
    reassign.onclick = () => { if (pick.value !== '') this.act(this.board.accept(p.id, pick.value), 'task.accepted') }
    const dismiss = h('button', { type: 'button', class: 'task-dismiss' }, t('task.dismiss'))
    dismiss.onclick = () => this.act(this.board.dismiss(p.id), 'task.dismissed')
    box.append(accept, ' ', pick, ' ', reassign, ' ', dismiss)
    return box
  }

  private taskRow(x: Task, now: number): HTMLLIElement {
    const ageMin = Math.max(0, Math.floor((now - x.assignedAt) / 60_000))
    const li = h('li', { class: `task ${isOpen(x) ? 'open' : 'ended'}`, 'data-task': x.id, 'data-status': x.status, 'data-unit': x.unitId },
      h('div', { class: 'task-head' }, `${this.nameOf(x.unitId)} · ${this.zoneName(x.zoneId)}`),
      h('div', { class: 'task-progress' }, t('task.progress', { visited: x.visited, total: x.total, status: t(`task.status.${x.status}` as MessageKey) })),
      h('div', { class: 'hint' }, t(x.by === 'auto' ? 'task.ageAuto' : 'task.age', { min: ageMin })))
    li.style.opacity = String(Math.max(0.25, taskOpacity(x, now)))
    li.onclick = () => this.focus(x.cells)
    if (this.operate && isOpen(x)) {
      const cancel = h('button', { type: 'button', class: 'task-cancel' }, t('task.cancel'))
      cancel.onclick = (e) => {
        e.stopPropagation()
        this.act(this.board.cancel(x.id), 'task.cancelled')
      }
      li.append(h('div', { class: 'task-controls' }, cancel))
    }
    return li
  }

  private act(p: Promise<unknown>, done: MessageKey): void {
    p.then(() => this.announce(t(done))).catch((err: Error) => this.announce(t('common.error', { message: err.message })))
  }

  private focus(cells: ReadonlyArray<{ lat: number; lon: number }>): void {
    const c = cells[0]
    if (c !== undefined) this.map.focus(c.lat, c.lon)
  }
}
