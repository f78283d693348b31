// Open alerts, newest first, filterable by kind and zone. A click focuses the map on the alert's
// subject; users with operate scope acknowledge from here. New alerts announce themselves: a
// banner (role=alert, read by screen readers) and, when switched on, a short tone. An SOS
// (unit_sos) is listed above everything else, always beeps (three WebAudio tones, no asset) and
// is resolved from here with a note (operate scope): no device closes its own SOS.
import { alertText } from '../alert-text.js'
import { api, canOperate, type Session } from '../api.js'
import { h, clear, fmtTime } from '../dom.js'
import { label, onLangChange, t } from '../i18n.js'
import type { MessageKey } from '../messages/en.js'
import { subjectParts, type Alert } from '../model.js'
import type { Store } from '../store.js'
import type { MapView } from './map-layers.js'

const KINDS = ['unit_sos', 'radius_breach', 'zone_exit', 'coverage_gap', 'response_gap', 'unit_silent']
const BANNER_MS = 8000

/** Sort key: an SOS before every other alert. */
const sosFirst = (a: Alert) => (a.kind === 'unit_sos' ? 0 : 1)

export class AlertPanel {
  readonly el = h('section', { class: 'panel alerts', id: 'alerts' })
  private readonly list = h('ul', { class: 'alert-list' })
  private readonly kind = h('select', { id: 'alert-kind' })
  private readonly zone = h('select', { id: 'alert-zone' })
  private readonly sound = h('input', { type: 'checkbox', id: 'alert-sound' })
  private readonly banner = h('div', { class: 'banner', role: 'alert', 'aria-live': 'assertive', id: 'alert-banner', hidden: '' })
  private bannerTimer = 0
  private audio: AudioContext | null = null

  constructor(private readonly store: Store, private readonly map: MapView, private readonly session: Session | null) {
    const soundLabel = h('label', {}, this.sound, ' ', label(h('span'), 'alerts.sound'))
    this.el.append(label(h('h2'), 'alerts.title'), h('div', { class: 'filters' }, this.kind, this.zone, soundLabel), this.list)
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
    onLangChange(() => this.render())
  }

  private fillFilters(): void {
    const keepK = this.kind.value
    const keepZ = this.zone.value
    clear(this.kind)
    clear(this.zone)
    this.kind.append(h('option', { value: '' }, t('alerts.allKinds')), ...KINDS.map((k) => h('option', { value: k }, t(`alert.${k}` as MessageKey))))
    this.zone.append(h('option', { value: '' }, t('alerts.allZones')), ...[...this.store.zones.values()].map((z) => h('option', { value: z.info.id }, z.info.name)))
    this.kind.value = keepK
    this.zone.value = keepZ
  }

  private zoneOf(a: Alert): string | null {
    return a.zoneId ?? subjectParts(a.subject).zone ?? (a.unitId === null ? null : this.store.units.get(a.unitId)?.zone ?? null)
  }

  render(): void {
    this.fillFilters()
    clear(this.list)
    const alerts = [...this.store.alerts.values()]
      .filter((a) => (this.kind.value === '' || a.kind === this.kind.value) && (this.zone.value === '' || this.zoneOf(a) === this.zone.value))
      .sort((a, b) => sosFirst(a) - sosFirst(b) || b.openedAt - a.openedAt)
    if (alerts.length === 0) this.list.append(h('li', { class: 'empty' }, t('alerts.none')))
    for (const a of alerts) this.list.append(this.item(a))
  }

  private item(a: Alert): HTMLLIElement {
    const li = h('li', { class: `alert ${a.kind} ${a.state}`, 'data-alert': a.id, 'data-kind': a.kind, 'data-state': a.state },
      h('div', { class: 'alert-kind' }, t(`alert.${a.kind}` as MessageKey)),
      h('div', { class: 'alert-summary' }, alertText(a)),
      h('div', { class: 'alert-time' }, `${fmtTime(a.openedAt)} · ${a.subject}`),
    )
    if (a.kind === 'unit_sos' && canOperate(this.session)) li.append(this.resolveForm(a))
    if (a.state === 'acknowledged') li.append(h('div', { class: 'alert-acked' }, t('alerts.acked', { by: a.acknowledgedBy ?? '?' })))
    else if (canOperate(this.session)) {
      const b = h('button', { class: 'ack', type: 'button' }, t('alerts.ack'))
      b.onclick = (ev) => {
        ev.stopPropagation()
        b.disabled = true
        api.post<unknown>(`/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, {}).then((res) => {
          this.store.applyAlerts([res ?? { ...a, state: 'acknowledged' }], false)
        }).catch((err: Error) => {
          b.disabled = false
          this.flash(t('common.error', { message: err.message }))
        })
      }
      li.append(b)
    }
    li.onclick = () => this.focus(a)
    return li
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
    this.flash(t('alerts.new', { summary: alertText(a) }))
    if (a.kind === 'unit_sos') {
      this.sos()
      return
    }
    if (this.sound.checked && this.audio !== null) {
      const osc = this.audio.createOscillator()
      const gain = this.audio.createGain()
      osc.frequency.value = a.kind === 'radius_breach' || a.kind === 'zone_exit' ? 880 : 660
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
    this.banner.textContent = text
    this.banner.hidden = false
    clearTimeout(this.bannerTimer)
    this.bannerTimer = window.setTimeout(() => {
      this.banner.hidden = true
      this.banner.classList.remove('sos')
    }, BANNER_MS)
  }
}
