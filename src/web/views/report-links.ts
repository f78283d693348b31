// Links from the map to the newest stored daily bulletin ("yesterday's") and weekly report, as the
// printable HTML page (GET /api/v1/reports/bulletins/{kind}/{period}?format=html, scope read).
// The newest stored one, not a date computed here: periods are days in the reports' time zone,
// which need not be the browser's. A link shows only when such a bulletin is stored.
import { api } from '../api.js'
import { h } from '../dom.js'
import { label } from '../i18n.js'

interface BulletinList { bulletins: Array<{ kind: string; period: string }> }

export function bulletinHref(kind: string, period: string): string {
  return `/api/v1/reports/bulletins/${encodeURIComponent(kind)}/${encodeURIComponent(period)}?format=html`
}

export class ReportLinks {
  readonly el = h('span', { class: 'reports', id: 'report-links' })

  constructor() {
    for (const [kind, key] of [['daily', 'reports.daily'], ['weekly', 'reports.weekly']] as const) {
      const a = label(h('a', { id: `report-${kind}`, target: '_blank', rel: 'noopener', hidden: '' }), key)
      this.el.append(a)
      // No bulletin yet, or no ClickHouse (503): the link stays hidden.
      api.get<BulletinList>(`/api/v1/reports/bulletins?kind=${kind}&limit=1`).then((r) => {
        const b = r.bulletins[0]
        if (b === undefined) return
        a.href = bulletinHref(kind, b.period)
        a.dataset.period = b.period
        a.hidden = false
      }).catch(() => undefined)
    }
  }
}
