// Open alerts, newest first, filterable by kind and zone, with the acknowledged ones in a section
// of their own (who acknowledged, and their note). A click focuses the map on the alert's
// subject; users with operate scope acknowledge from here, with an optional note. New alerts
// announce themselves: a banner in the page's language (role=alert, read by screen readers;
// re-worded when the language switches) and, when switched on, a short tone. An SOS (unit_sos)
// is listed above everything else, always beeps (three WebAudio tones, no asset) and is
// resolved from here with a note (operate scope): no device closes its own SOS. Subjects show
// names (unit, post, zone), not ids. Read-only on the wall screen: no filters, no buttons.
import { alertText, storeNames } from '../alert-text.js'
import { api, canOperate, type Session } from '../api.js'
import { h, clear, fmtTime } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { MessageKey } from '../messages/en.js'
import { subjectParts, type Alert } from '../model.js'
import type { Store } from '../store.js'
import { fillAlertFilters } from './alert-filters.js'
import type { MapView } from './map-layers.js'
import { unitLabel } from '../unit-finder.js'

const BANNER_MS = 8000

/** Sort key: an SOS before every other alert. */
const sosFirst = (a: Alert) => (a.kind === 'unit_sos' ? 0 : 1)

export class AlertPanel {
  readonly el = h('section', { class: 'panel alerts', id: 'alerts' })
  private readonly list = h('ul', { class: 'alert-list', id: 'alerts-open' })
  private readonly acked = h('ul', { class: 'alert-list acked', id: 'alerts-acked' })
  private readonly kind = h('select', { id: 'alert-kind' })
  private readonly zone = h('select', { id: 'alert-zone' })
  private readonly sound = h('input', { type: 'checkbox', id: 'alert-sound' })
  private readonly banner = h('div', { class: 'banner', role: 'alert', 'aria-live': 'assertive', id: 'alert-banner', hidden: '' })
  private bannerTimer = 0
  /** What the banner says, worded again when the language switches while it shows. */
  private bannerText: () => string = () => ''
  private audio: AudioContext | null = null

  constructor(private readonly store: Store, private readonly map: MapView, private readonly session: Session | null, private readonly readOnly = false) {
    const soundLabel = h('label', {}, this.sound, ' ', label(h('span'), 'alerts.sound'))
    this.el.append(label(h('h2'), 'alerts.title'))
    if (!readOnly) this.el.append(h('div', { class: 'filters' }, this.kind, this.zone, soundLabel))
    this.el.append(this.list, label(h('h3'), 'alerts.acknowledged'), this.acked)
    document.body.append(this.banner)
    this.kind.onchange = () => this.render()
    this.zone.onchange = () => this.render()
    this.sound.onchange = () => {
      if (this.sound.checked) this.audio ??= new AudioContext()
    }
    store.subscribe((e) => {
      if (e.type === 'alerts') {
        this.render()
        for (const a of e.opened) this.announce(a)
      } else if (e.type === 'loaded') this.render()
    })
    onLangChange(() => {
      this.render()
      if (!this.banner.hidden) this.banner.textContent = this.bannerText()
    })
  }

  private fillFilters(): void {
    fillAlertFilters(this.kind, this.zone, this.store)
  }

  private zoneOf(a: Alert): string | null {
    return a.zoneId ?? subjectParts(a.subject).zone ?? (a.unitId === null ? null : this.store.units.get(a.unitId)?.zone ?? null)
  }

  render(): void {
    if (!this.readOnly) this.fillFilters()
    // A note being typed survives the redraw (alerts arrive while an operator writes).
    const typing = new Map([...this.list.querySelectorAll<HTMLInputElement>('input[data-for]')].map((i) => [i.dataset.for!, i.value]))
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.for
    clear(this.list)
    clear(this.acked)
    const alerts = [...this.store.alerts.values()]
      .filter((a) => this.readOnly || ((this.kind.value === '' || a.kind === this.kind.value) && (this.zone.value === '' || this.zoneOf(a) === this.zone.value)))
      .sort((a, b) => sosFirst(a) - sosFirst(b) || b.openedAt - a.openedAt)
    const open = alerts.filter((a) => a.state !== 'acknowledged')
    const acked = alerts.filter((a) => a.state === 'acknowledged')
    if (open.length === 0) this.list.append(h('li', { class: 'empty' }, t('alerts.none')))
    if (acked.length === 0) this.acked.append(h('li', { class: 'empty' }, t('alerts.noneAcked')))
    for (const a of open) this.list.append(this.item(a))
    for (const a of acked) this.acked.append(this.item(a))
    for (const [id, value] of typing) {
      const input = this.list.querySelector<HTMLInputElement>(`input[data-for="${CSS.escape(id)}"]`)
      if (input === null) continue
      input.value = value
      if (focused === id) input.focus()
    }
  }

  private item(a: Alert): HTMLLIElement {
    const li = h('li', { class: `alert ${a.kind} ${a.state}`, 'data-alert': a.id, 'data-kind': a.kind, 'data-state': a.state },
      h('div', { class: 'alert-kind' }, t(`alert.${a.kind}` as MessageKey)),
      h('div', { class: 'alert-summary' }, alertText(a, storeNames(this.store))),
      h('div', { class: 'alert-time' }, `${fmtTime(a.openedAt)} · ${subjectText(a.subject, this.store)}`),
    )
    const operate = canOperate(this.session) && !this.readOnly
    if (a.kind === 'unit_sos' && operate) li.append(this.resolveForm(a))
    if (a.state === 'acknowledged') li.append(ackLine(a))
    else if (operate) li.append(this.ackForm(a))
    li.onclick = () => this.focus(a)
    return li
  }

  /** An optional note and an acknowledge button: POST /api/v1/alerts/{id}/ack. */
  private ackForm(a: Alert): HTMLElement {
    const note = h('input', { class: 'ack-note', type: 'text', maxlength: '1000', 'data-for': a.id, placeholder: t('alerts.ackNote'), 'aria-label': t('alerts.ackNote') })
    const b = h('button', { class: 'ack', type: 'button' }, t('alerts.ack'))
    note.onclick = (ev) => ev.stopPropagation()
    note.onkeydown = (ev) => { if (ev.key === 'Enter') b.click() }
    b.onclick = (ev) => {
      ev.stopPropagation()
      b.disabled = true
      const text = note.value.trim()
      api.post<unknown>(`/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, text === '' ? {} : { note: text }).then((res) => {
        this.store.applyAlerts([res ?? { ...a, state: 'acknowledged' }], false)
      }).catch((err: Error) => {
        b.disabled = false
        this.flash(t('common.error', { message: err.message }))
      })
    }
    return h('div', { class: 'alert-ack' }, note, b)
  }

  /** A note and a resolve button: POST /api/v1/alerts/{id}/resolve. */
  private resolveForm(a: Alert): HTMLElement {
    const note = h('input', { class: 'resolve-note', type: 'text', maxlength: '1000', placeholder: t('alerts.resolveNote'), 'aria-label': t('alerts.resolveNote') })
    const b = h('button', { class: 'resolve', type: 'button' }, t('alerts.resolve'))
    note.onclick = (ev) => ev.stopPropagation()
    b.onclick = (ev) => {
      ev.stopPropagation()
      const text = note.value.trim()
      if (text === '') {
        note.focus()
        this.flash(t('alerts.resolveNoteNeeded'))
        return
      }
      b.disabled = true
      api.post<unknown>(`/api/v1/alerts/${encodeURIComponent(a.id)}/resolve`, { note: text }).then((res) => {
        this.store.applyAlerts([res ?? { ...a, state: 'resolved' }], false)
      }).catch((err: Error) => {
        b.disabled = false
        this.flash(t('common.error', { message: err.message }))
      })
    }
    return h('div', { class: 'alert-resolve' }, note, b)
  }

  focus(a: Alert): void {
    const parts = subjectParts(a.subject)
    const u = this.store.units.get(a.unitId ?? parts.unit ?? '')
    if (u?.lat != null && u.lon != null) this.map.focus(u.lat, u.lon)
    else if (a.position !== null) this.map.focus(a.position.lat, a.position.lon)
    else if (parts.zone !== null) this.map.focusZone(parts.zone)
  }

  private announce(a: Alert): void {
    this.say(() => t('alerts.new', { summary: alertText(a, storeNames(this.store)) }))
    if (a.kind === 'unit_sos') {
      this.sos()
      return
    }
    if (this.sound.checked && this.audio !== null) {
      const osc = this.audio.createOscillator()
      const gain = this.audio.createGain()
      // A unit out of place or a checkpoint left unmanned: the higher tone.
      osc.frequency.value = a.kind === 'radius_breach' || a.kind === 'zone_exit' || a.kind === 'checkpoint_missed' ? 880 : 660
      gain.gain.value = 0.15
      osc.connect(gain).connect(this.audio.destination)
      osc.start()
      osc.stop(this.audio.currentTime + 0.35)
    }
  }

  /** Three high tones, whether or not the sound box is ticked: an SOS is never silent. */
  private sos(): void {
    this.banner.classList.add('sos')
    try {
      this.audio ??= new AudioContext()
      const at = this.audio.currentTime
      for (let i = 0; i < 3; i++) {
        const osc = this.audio.createOscillator()
        const gain = this.audio.createGain()
        osc.frequency.value = 1200
        gain.gain.value = 0.2
        osc.connect(gain).connect(this.audio.destination)
        osc.start(at + i * 0.3)
        osc.stop(at + i * 0.3 + 0.2)
      }
    } catch {
      // No audio device: the banner and the list still show it.
    }
  }

  /** Shows a line in the banner for a few seconds (new alerts, new incidents, errors). */
  flash(text: string): void {
    this.say(() => text)
  }

  /** The banner, worded by `text` now and again if the language switches while it shows. */
  private say(text: () => string): void {
    this.bannerText = text
    this.banner.textContent = text()
    this.banner.hidden = false
    clearTimeout(this.bannerTimer)
    this.bannerTimer = window.setTimeout(() => {
      this.banner.hidden = true
      this.banner.classList.remove('sos')
    }, BANNER_MS)
  }
}

/** "acknowledged by sgt.wang: on the way" (the note when there is one). */
function ackLine(a: Alert): HTMLElement {
  const by = a.acknowledgedBy ?? '?'
  return h('div', { class: 'alert-acked' }, a.ackNote === null ? t('alerts.acked', { by }) : t('alerts.ackedNote', { by, note: a.ackNote }))
}

/** `unit:P-017/post:station-03` as "Car 17 · Station 3": names where the page knows them, ids otherwise. */
export function subjectText(subject: string, store: Store): string {
  return subject.split('/').map((part) => {
    const i = part.indexOf(':')
    const kind = part.slice(0, i)
    const id = part.slice(i + 1)
    if (kind === 'unit') {
      const u = store.units.get(id)
      return u === undefined ? id : unitLabel(u)
    }
    if (kind === 'post') return store.posts.get(id)?.name ?? id
    if (kind === 'zone') return store.zones.get(id)?.info.name ?? id
    return part
  }).join(' · ')
}
