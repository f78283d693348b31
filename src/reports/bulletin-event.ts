// A stored bulletin as an outbound event (patrol_bulletin.daily / .weekly) for the delivery stage
// (webhooks, MQTT, live stream), with the concise Markdown summary chat formats show: headline figures, the worst
// zones and units, plans and make-up patrols when there were any, and links to the full report. Pure; the event id is deterministic so a
// re-delivery after a crash carries the same webhook-id.
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { Report } from './model.js'
import { reportTexts } from '../i18n/report-texts.js'
import type { Locale } from '../i18n/locale.js'

export type { OutboundEvent }
/** The delivery stage's publish path (delivery/publish.ts: the webhook outbox is durable before it returns). */
export interface EventPublisher { publishEvent(e: OutboundEvent): unknown }

export interface StoredBulletin { kind: 'daily' | 'weekly'; period: string; generatedAt: number; report: Report }

const WORST = 3
const hours = (ms: number, zh: boolean): string => `${Math.round(ms / 360_000) / 10}${zh ? ' 小时' : ' h'}`

export function reportPath(kind: string, period: string): string {
  return `/api/v1/reports/bulletins/${kind}/${period}`
}

export function links(baseUrl: string | undefined, kind: string, period: string): { html: string; json: string; csv: string } {
  const base = `${(baseUrl ?? '').replace(/\/+$/, '')}${reportPath(kind, period)}`
  return { html: `${base}?format=html`, json: base, csv: `${base}?format=csv` }
}

/** The chat digest in `locale` (the configured one; English by default). */
export function bulletinMarkdown(b: StoredBulletin, baseUrl: string | undefined, locale: Locale = 'en'): string {
  const r = b.report
  const h = r.headline
  const tx = reportTexts(locale, r.timezone)
  const d = tx.digest
  const zh = locale === 'zh-CN'
  const pct = (x: number | null): string => (x === null ? d.na : `${Math.round(x * 1000) / 10} %`)
  const title = tx.label(b.kind === 'daily' ? 'dailyTitle' : 'weeklyTitle')
  const lines = [
    `**${title} ${b.period}** (${r.timezone})`,
    d.headline({ unitsReporting: h.unitsReporting, unitsConfigured: h.unitsConfigured, distanceKm: h.distanceKm, coverage: pct(h.coverageMean), meanScore: h.meanUnitScore === null ? d.na : String(h.meanUnitScore) }),
    d.counts({ zonesBelowMin: h.zonesBelowMin, coverageGaps: h.coverageGaps, breaches: h.breaches, zoneExits: h.zoneExits, silences: h.silences }),
  ]
  const score = (s: number | null): string => (s === null ? tx.label('noData') : String(s))
  const zones = r.zones.slice(0, WORST).map((z) => d.worstZone(z.name, score(z.assessment.score), pct(z.coverage.mean), hours(z.coverage.belowMinMs, zh)))
  if (zones.length > 0) lines.push(d.worstZones(zones))
  const units = r.units.slice(0, WORST).map((u) => d.worstUnit(u.name, score(u.assessment.score), u.distanceKm, hours(u.silent.totalMs, zh)))
  if (units.length > 0) lines.push(d.worstUnits(units))
  const ps = r.plans?.summary
  if (ps !== undefined && ps.activations > 0) lines.push(d.plans(ps, ps.maxTimeToManMs === null ? d.na : `${Math.round(ps.maxTimeToManMs / 1000)}${zh ? ' 秒' : ' s'}`))
  const mu = r.makeUp?.summary
  if (mu !== undefined && mu.assigned > 0) lines.push(d.makeUp(mu, pct(mu.completionRate), mu.medianTimeToCompleteMs === null ? d.na : `${Math.round(mu.medianTimeToCompleteMs / 60_000)}${zh ? ' 分钟' : ' min'}`))
  const l = links(baseUrl, b.kind, b.period)
  lines.push(d.links(l.html, l.csv))
  return lines.join('\n')
}

export function bulletinEvent(b: StoredBulletin, baseUrl: string | undefined, locale: Locale = 'en'): OutboundEvent {
  const r = b.report
  return {
    id: `patrol_bulletin.${b.kind}.${b.period}`,
    type: `patrol_bulletin.${b.kind}`,
    at: b.generatedAt,
    subject: `bulletin:${b.kind}`,
    summary: bulletinMarkdown(b, baseUrl, locale),
    data: {
      kind: b.kind,
      period: b.period,
      from: r.from,
      to: r.to,
      timezone: r.timezone,
      generatedAt: b.generatedAt,
      headline: r.headline,
      plans: r.plans?.summary ?? null,
      worstZones: r.zones.slice(0, WORST).map((z) => ({ zoneId: z.zoneId, name: z.name, score: z.assessment.score, coverageMean: z.coverage.mean, belowMinMs: z.coverage.belowMinMs, gaps: z.gaps.count })),
      worstUnits: r.units.slice(0, WORST).map((u) => ({ unitId: u.unitId, name: u.name, score: u.assessment.score, distanceKm: u.distanceKm, silentMs: u.silent.totalMs, breaches: u.breaches.count })),
      links: links(baseUrl, b.kind, b.period),
    },
  }
}
