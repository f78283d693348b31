// Emergency plans on the dispatcher's console: the plans that can be activated (name, version and
// where it comes from: config or set at run time, and whether it is active), and, for operate
// sessions only, a plan picker that activates a plan (optionally for an incident from the incident
// list: a scene plan is centred on it) and a "Stand down" button on each active plan. Who goes
// where with ETAs stays in the incidents-and-plans panel (ops-panel.ts), fed by the same
// Operations. Read sessions see the list without controls. Everything through the public API.
// Plan names in the page's language (nameEn on an English page, plan-names.ts).
import { api, canOperate, type Session } from '../api.js'
import { clear, h } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { Operations } from '../operations.js'
import { incidentLabel } from './ops-layers.js'
import { local, named, type Named } from '../plan-names.js'

interface PlanRow extends Named { id: string; version: number; origin: string; positions: string; active: boolean }

/** Incidents offered in the picker, newest first. */
const PICKER_INCIDENTS = 30

export class PlanControls {
  readonly el = h('section', { class: 'panel plan-controls', id: 'plan-controls' })
  private readonly list = h('ul', { class: 'plan-defs', id: 'plan-defs' })
  private readonly pick = h('select', { id: 'plan-pick' })
  private readonly incident = h('select', { id: 'plan-incident' })
  private readonly activate = label(h('button', { type: 'button', id: 'plan-activate' }), 'plan.activate')
  private readonly status = h('p', { class: 'hint', id: 'plan-status', role: 'status' })
  private rows: PlanRow[] = []
  private readonly operate: boolean
  /** Active plan ids last seen, to re-read the definitions when another console changes them. */
  private activeKey = ''

  constructor(private readonly ops: Operations, session: Session, private readonly announce: (text: string) => void = () => undefined, private readonly nameOf: (unitId: string, given?: string) => string = (id, given) => given ?? id) {
    this.operate = canOperate(session)
    const refresh = label(h('button', { type: 'button', id: 'plan-refresh', class: 'link' }), 'plan.refresh')
    refresh.onclick = () => void this.load()
    this.el.append(h('h3', {}, label(h('span'), 'plan.title'), ' ', refresh))
    if (this.operate) {
      this.activate.onclick = () => void this.activateSelected()
      this.el.append(h('div', { class: 'plan-form' },
        h('label', {}, label(h('span'), 'plan.pick'), ' ', this.pick),
        h('label', {}, label(h('span'), 'plan.incident'), ' ', this.incident),
        this.activate))
    }
    this.el.append(this.status, this.list)
    ops.subscribe((e) => {
      if (e.type === 'incidents') this.renderIncidents()
      else if (e.type === 'plans') {
        const key = [...ops.plans.keys()].sort().join(',')
        if (key !== this.activeKey) {
          this.activeKey = key
          void this.load()
        }
      }
    })
    onLangChange(() => this.render())
    this.render()
    void this.load()
  }

  async load(): Promise<void> {
    try {
      const r = await api.get<{ plans?: Array<Record<string, unknown>> }>('/api/v1/plans')
      this.rows = (r.plans ?? []).map((p) => ({
        id: String(p.id),
        ...named(p, String(p.id)),
        version: typeof p.version === 'number' ? p.version : 1,
        origin: p.origin === 'api' ? 'api' : 'config',
        positions: String(p.positions),
        active: p.active === true,
      }))
    } catch {
      // No incidents stage (or not ready): no plans to show.
      this.rows = []
    }
    this.render()
  }

  private render(): void {
    this.renderList()
    this.renderPicker()
    this.renderIncidents()
  }

  private renderList(): void {
    clear(this.list)
    if (this.rows.length === 0) this.list.append(h('li', { class: 'empty' }, t('plan.none')))
    for (const p of this.rows) {
      const li = h('li', { class: `plan-def${p.active ? ' active' : ''}`, 'data-plan': p.id, 'data-version': String(p.version) },
        h('span', { class: 'plan-name' }, local(p)),
        h('span', { class: 'hint' }, ` · ${t('plan.versionOf', { v: p.version, origin: t(p.origin === 'api' ? 'plan.originApi' : 'plan.originConfig') })}${p.active ? ` · ${t('plan.active')}` : ''}`))
      if (this.operate && p.active) {
        const stand = label(h('button', { type: 'button', class: 'plan-standdown', 'data-plan': p.id }), 'plan.standDown')
        stand.onclick = () => void this.standDown(p)
        li.append(' ', stand)
      }
      this.list.append(li)
    }
  }

  private renderPicker(): void {
    if (!this.operate) return
    const was = this.pick.value
    clear(this.pick)
    const idle = this.rows.filter((p) => !p.active)
    for (const p of idle) this.pick.append(h('option', { value: p.id }, `${local(p)} (${p.id})`))
    if (idle.some((p) => p.id === was)) this.pick.value = was
    this.activate.disabled = idle.length === 0
  }

  private renderIncidents(): void {
    if (!this.operate) return
    const was = this.incident.value
    clear(this.incident)
    this.incident.append(h('option', { value: '' }, t('plan.noIncident')))
    const list = [...this.ops.incidents.values()].sort((a, b) => b.ts - a.ts).slice(0, PICKER_INCIDENTS)
    for (const i of list) this.incident.append(h('option', { value: i.id }, `${i.id} · ${incidentLabel(i, this.nameOf)}`))
    if (list.some((i) => i.id === was)) this.incident.value = was
  }

  private async activateSelected(): Promise<void> {
    const plan = this.rows.find((p) => p.id === this.pick.value)
    if (plan === undefined) return
    const incidentId = this.incident.value
    await this.act(plan, `/api/v1/plans/${encodeURIComponent(plan.id)}/activate`, incidentId === '' ? {} : { incident_id: incidentId }, 'plan.activated')
  }

  private async standDown(plan: PlanRow): Promise<void> {
    await this.act(plan, `/api/v1/plans/${encodeURIComponent(plan.id)}/deactivate`, {}, 'plan.stoodDown')
  }

  private async act(plan: PlanRow, path: string, body: unknown, done: 'plan.activated' | 'plan.stoodDown'): Promise<void> {
    this.activate.disabled = true
    try {
      await api.post(path, body)
      this.status.className = 'hint'
      this.status.textContent = t(done, { name: local(plan) })
      this.announce(this.status.textContent)
    } catch (err) {
      this.status.className = 'error'
      this.status.textContent = t('plan.failed', { message: (err as Error).message })
    }
    // The active plan's checkpoints (ops panel, map) and this list, read again.
    await this.ops.loadPlan(plan.id)
    await this.load()
  }
}
