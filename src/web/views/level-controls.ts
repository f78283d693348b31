// Patrol levels for operate sessions (issue 24): open patrol_level.suggested proposals as a card
// at the top of the page with Accept / Dismiss, and per zone its level, who set it, why and until
// when, with a form to raise or lower it (a level from the ladder, a reason, an expiry). Every
// action is an API call (audited there); the page then shows what the stream's patrol_level.*
// events make the store re-read, so two dispatchers see the same. Read sessions get none of it.
import { api, ApiError } from '../api.js'
import { clear, fmtTime, h } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { LevelSuggestion, Operations } from '../operations.js'
import type { Store } from '../store.js'
import { labelOr } from './ops-layers.js'

/** The expiry choices besides "none" and "custom", in hours. */
const EXPIRY_HOURS = [1, 4, 12] as const

export class LevelControls {
  /** Open suggestions: placed first on the page, hidden while there is none. */
  readonly banner = h('section', { class: 'panel level-suggestions', id: 'level-suggestions', role: 'region', hidden: '' })
  readonly el = h('section', { class: 'panel level-controls', id: 'level-controls' })
  private readonly cards = h('div', { class: 'cards' })
  private readonly table = h('table', { class: 'level-table' })
  private readonly form = h('form', { class: 'level-form', id: 'level-form', hidden: '' })
  private readonly formZone = h('div', { class: 'level-form-zone' })
  private readonly levelSelect = h('select', { id: 'level-select' })
  private readonly reason = h('input', { id: 'level-reason', type: 'text', maxlength: '500' })
  private readonly expiry = h('select', { id: 'level-expiry' })
  private readonly until = h('input', { id: 'level-until', type: 'datetime-local', hidden: '' })
  private readonly error = h('p', { class: 'error', id: 'level-error' })
  /** Suggestion id → its card, kept across redraws (a reason being typed survives an update). */
  private readonly cardOf = new Map<string, HTMLElement>()
  private zone: string | null = null

  constructor(private readonly store: Store, private readonly ops: Operations) {
    this.banner.append(label(h('h2'), 'levels.suggested'), this.cards)
    this.buildForm()
    this.el.append(label(h('h2'), 'levels.title'), this.table, this.form, this.error)
    ops.subscribe((e) => { if (e.type === 'levels') this.render() })
    store.subscribe((e) => { if (e.type === 'zones' || e.type === 'loaded') this.render() })
    onLangChange(() => {
      this.fillExpiry()
      for (const c of this.cardOf.values()) c.remove()
      this.cardOf.clear()
      this.render()
    })
    this.render()
  }

  private zoneName(id: string): string {
    return this.store.zones.get(id)?.info.name ?? id
  }

  render(): void {
    this.renderSuggestions()
    this.renderTable()
  }

  private renderSuggestions(): void {
    const open = this.ops.suggestions
    const ids = new Set(open.map((s) => s.id))
    for (const [id, c] of this.cardOf) {
      if (ids.has(id)) continue
      c.remove()
      this.cardOf.delete(id)
    }
    for (const s of open) {
      let c = this.cardOf.get(s.id)
      if (c === undefined) this.cardOf.set(s.id, (c = this.card(s)))
      this.cards.append(c)
    }
    this.banner.hidden = open.length === 0
  }

  private card(s: LevelSuggestion): HTMLElement {
    const until = h('select', { class: 'suggestion-until', 'aria-label': t('levels.expiry') })
    until.append(h('option', { value: '' }, t('levels.expiryNone')), ...EXPIRY_HOURS.map((n) => h('option', { value: String(n) }, t(`levels.expiry${n}h`))))
    const reason = h('input', { class: 'suggestion-reason', type: 'text', maxlength: '500', placeholder: t('levels.dismissReason'), 'aria-label': t('levels.dismissReason') })
    const accept = h('button', { type: 'button', class: 'accept' }, t('levels.accept'))
    const dismiss = h('button', { type: 'button', class: 'dismiss' }, t('levels.dismiss'))
    const err = h('p', { class: 'error' })
    const text = t('levels.suggestion', { zone: this.zoneName(s.zone), from: labelOr('level', s.from), to: labelOr('level', s.to), n: s.incidents, h: Math.round(s.windowMs / 3_600_000) })
    const card = h('div', { class: 'level-suggestion', 'data-suggestion': s.id, 'data-zone': s.zone },
      h('div', { class: 'text' }, text), h('div', { class: 'row' }, until, accept), h('div', { class: 'row' }, reason, dismiss), err)
    const path = `/api/v1/levels/suggestions/${encodeURIComponent(s.id)}`
    const act = (action: string, body: Record<string, string>) => {
      accept.disabled = dismiss.disabled = true
      err.textContent = ''
      api.post(`${path}/${action}`, body).then(() => this.ops.loadLevels(), (e: Error) => {
        accept.disabled = dismiss.disabled = false
        err.textContent = t('levels.failed', { message: e.message })
        // Closed meanwhile (another dispatcher): the re-read drops the card.
        if (e instanceof ApiError && (e.status === 409 || e.status === 404)) void this.ops.loadLevels()
      })
    }
    accept.onclick = () => act('accept', until.value === '' ? {} : { until: String(Date.now() + Number(until.value) * 3_600_000) })
    dismiss.onclick = () => act('dismiss', reason.value.trim() === '' ? {} : { reason: reason.value.trim() })
    return card
  }

  private renderTable(): void {
    clear(this.table)
    for (const z of this.store.zones.values()) {
      const id = z.info.id
      const l = this.ops.levels.get(id)
      if (l === undefined) continue
      const o = this.ops.overrides.get(id)
      const detail = o === undefined
        ? t('levels.base')
        : `${t('levels.override', { by: o.by, reason: o.reason })} · ${o.expiresAt === null ? t('levels.noExpiry') : t('levels.until', { time: fmtTime(o.expiresAt) })}`
      const change = h('button', { type: 'button', class: 'level-change' }, t('levels.change'))
      change.onclick = () => this.open(id)
      this.table.append(h('tr', { 'data-zone': id },
        h('td', {}, z.info.name), h('td', { class: 'level-now' }, labelOr('level', l.level)), h('td', { class: 'level-detail' }, detail), h('td', {}, change)))
    }
  }

  private fillExpiry(): void {
    const v = this.expiry.value
    clear(this.expiry)
    this.expiry.append(h('option', { value: '' }, t('levels.expiryNone')), ...EXPIRY_HOURS.map((n) => h('option', { value: String(n) }, t(`levels.expiry${n}h`))), h('option', { value: 'custom' }, t('levels.expiryCustom')))
    this.expiry.value = v
  }

  private buildForm(): void {
    this.fillExpiry()
    this.expiry.onchange = () => { this.until.hidden = this.expiry.value !== 'custom' }
    const submit = label(h('button', { type: 'submit', id: 'level-apply' }), 'levels.apply')
    const cancel = label(h('button', { type: 'button', id: 'level-cancel' }), 'levels.cancel')
    cancel.onclick = () => this.close()
    this.form.append(this.formZone,
      h('label', {}, label(h('span'), 'levels.level'), ' ', this.levelSelect),
      h('label', {}, label(h('span'), 'levels.reason'), ' ', this.reason),
      h('label', {}, label(h('span'), 'levels.expiry'), ' ', this.expiry, this.until),
      h('div', { class: 'row' }, submit, cancel))
    this.form.onsubmit = (ev) => {
      ev.preventDefault()
      void this.apply()
    }
  }

  private open(zone: string): void {
    this.zone = zone
    this.formZone.textContent = this.zoneName(zone)
    clear(this.levelSelect)
    for (const n of this.ops.levelNames()) this.levelSelect.append(h('option', { value: n }, labelOr('level', n)))
    this.levelSelect.value = this.ops.levels.get(zone)?.level ?? ''
    this.reason.value = ''
    this.expiry.value = ''
    this.until.hidden = true
    this.until.value = ''
    this.error.textContent = ''
    this.form.dataset.zone = zone
    this.form.hidden = false
    this.reason.focus()
  }

  private close(): void {
    this.zone = null
    this.form.hidden = true
    this.error.textContent = ''
  }

  /** The chosen expiry as epoch ms, null for none, or a message when the custom time is missing. */
  private expiresAt(): number | null | string {
    const v = this.expiry.value
    if (v === '') return null
    if (v !== 'custom') return Date.now() + Number(v) * 3_600_000
    const ms = new Date(this.until.value).getTime()
    return Number.isFinite(ms) ? ms : t('levels.untilRequired')
  }

  private async apply(): Promise<void> {
    const zone = this.zone
    if (zone === null) return
    const reason = this.reason.value.trim()
    if (reason === '') {
      this.error.textContent = t('levels.reasonRequired')
      return
    }
    const until = this.expiresAt()
    if (typeof until === 'string') {
      this.error.textContent = until
      return
    }
    try {
      await api.put(`/api/v1/zones/${encodeURIComponent(zone)}/level`, { level: this.levelSelect.value, reason, ...(until === null ? {} : { until: String(until) }) })
      this.close()
      await this.ops.loadLevels()
    } catch (e) {
      this.error.textContent = t('levels.failed', { message: (e as Error).message })
    }
  }
}
