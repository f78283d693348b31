// Past alerts for a period, from the stored history (GET /api/v1/alerts?state=all, ClickHouse):
// a period (default the last 24 hours), a kind and a zone; newest first, each with its state, who
// acknowledged it and their note. Folded away until opened: it queries only when asked.
import { alertText, storeNames } from '../alert-text.js'
import { api } from '../api.js'
import { h, clear, fmtTime } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { MessageKey } from '../messages/en.js'
import { toAlert, type Alert } from '../model.js'
import type { Store } from '../store.js'
import { fillAlertFilters } from './alert-filters.js'
import { subjectText, type AlertPanel } from './alert-panel.js'

const LIMIT = 200
const DAY = 86_400_000

/** A datetime-local input's value (local time, minutes) for an epoch ms. */
export function localInput(ms: number): string {
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
}

export class AlertHistory {
  readonly el = h('details', { class: 'panel history', id: 'alert-history' })
  private readonly from = h('input', { type: 'datetime-local', id: 'history-from' })
  private readonly to = h('input', { type: 'datetime-local', id: 'history-to' })
  private readonly kind = h('select', { id: 'history-kind' })
  private readonly zone = h('select', { id: 'history-zone' })
  private readonly go = h('button', { type: 'button', id: 'history-show' })
  private readonly note = h('div', { class: 'hint', id: 'history-note' })
  private readonly list = h('ul', { class: 'alert-list history-list', id: 'history-list' })
  /** Set once the dispatcher edits the period; until then it follows the clock. */
  private picked = false
  private shown: Alert[] = []
  private more = false

  constructor(private readonly store: Store, private readonly panel: AlertPanel) {
    this.follow(Date.now())
    // Until the dispatcher picks a period, it is the last day up to the moment of each query: the
    // inputs hold minutes, and a period fixed when the page opened hid every alert since.
    this.from.addEventListener('input', () => { this.picked = true })
    this.to.addEventListener('input', () => { this.picked = true })
    this.el.append(
      label(h('summary'), 'alerts.history'),
      h('div', { class: 'row' }, label(h('label', { for: 'history-from' }), 'alerts.historyFrom'), this.from),
      h('div', { class: 'row' }, label(h('label', { for: 'history-to' }), 'alerts.historyTo'), this.to),
      h('div', { class: 'filters' }, this.kind, this.zone, label(this.go, 'alerts.historyShow')),
      this.note, this.list,
    )
    this.go.onclick = () => void this.load()
    this.el.addEventListener('toggle', () => { if ((this.el as HTMLDetailsElement).open) this.fillFilters() })
    store.subscribe((e) => { if (e.type === 'loaded') this.fillFilters() })
    onLangChange(() => {
      this.fillFilters()
      this.draw()
    })
  }

  private fillFilters(): void {
    fillAlertFilters(this.kind, this.zone, this.store)
  }

  /** Shows the default period (the last day) ending at `now`, rounded up to the next minute. */
  private follow(now: number): void {
    this.from.value = localInput(now - DAY)
    this.to.value = localInput(now + 60_000)
  }

  async load(): Promise<void> {
    const now = Date.now()
    if (!this.picked) this.follow(now)
    const from = this.picked ? new Date(this.from.value).getTime() : now - DAY
    const to = this.picked ? new Date(this.to.value).getTime() : now + 1
    const q = new URLSearchParams({ state: 'all', limit: String(LIMIT) })
    if (Number.isFinite(from)) q.set('from', String(from))
    if (Number.isFinite(to)) q.set('to', String(to))
    if (this.kind.value !== '') q.set('kind', this.kind.value)
    if (this.zone.value !== '') q.set('zone', this.zone.value)
    this.go.disabled = true
    try {
      const res = await api.get<{ alerts: unknown[]; nextCursor: string | null }>(`/api/v1/alerts?${q}`)
      this.shown = res.alerts.map(toAlert).filter((a): a is Alert => a !== null)
      this.more = res.nextCursor !== null
      this.draw()
    } catch (err) {
      this.shown = []
      clear(this.list)
      this.note.textContent = t('common.error', { message: (err as Error).message })
    } finally {
      this.go.disabled = false
    }
  }

  private draw(): void {
    clear(this.list)
    this.note.textContent = this.more ? t('alerts.historyMore', { n: LIMIT }) : ''
    if (this.shown.length === 0) this.list.append(h('li', { class: 'empty' }, t('alerts.historyNone')))
    for (const a of this.shown) {
      const li = h('li', { class: `alert ${a.kind} ${a.state}`, 'data-alert': a.id, 'data-kind': a.kind, 'data-state': a.state },
        h('div', { class: 'alert-kind' }, `${t(`alert.${a.kind}` as MessageKey)} · ${t(`alertState.${a.state}` as MessageKey)}`),
        h('div', { class: 'alert-summary' }, alertText(a, storeNames(this.store))),
        h('div', { class: 'alert-time' }, `${fmtTime(a.openedAt)} · ${subjectText(a.subject, this.store)}`),
      )
      if (a.acknowledgedBy !== null) li.append(h('div', { class: 'alert-acked' }, a.ackNote === null ? t('alerts.acked', { by: a.acknowledgedBy }) : t('alerts.ackedNote', { by: a.acknowledgedBy, note: a.ackNote })))
      li.onclick = () => this.panel.focus(a)
      this.list.append(li)
    }
  }
}
