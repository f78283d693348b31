// A stored bulletin as an outbound event (patrol_bulletin.daily / .weekly) for the delivery stage
// (webhooks, MQTT, live stream), with the concise Markdown summary chat formats show: headline figures, the worst
// zones and units, and links to the full report. Pure; the event id is deterministic so a
// re-delivery after a crash carries the same webhook-id.
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { Report } from './model.js'

export type { OutboundEvent }
/** The delivery stage's publish path (delivery/publish.ts: the webhook outbox is durable before it returns). */
export interface EventPublisher { publishEvent(e: OutboundEvent): unknown }

export interface StoredBulletin { kind: 'daily' | 'weekly'; period: string; generatedAt: number; report: Report }

const WORST = 3
const pct = (x: number | null): string => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10} %`)
const hours = (ms: number): string => `${Math.round(ms / 360_000) / 10} h`

export function reportPath(kind: string, period: string): string {
  return `/api/v1/reports/bulletins/${kind}/${period}`
}

export function links(baseUrl: string | undefined, kind: string, period: string): { html: string; json: string; csv: string } {
  const base = `${(baseUrl ?? '').replace(/\/+$/, '')}${reportPath(kind, period)}`
  return { html: `${base}?format=html`, json: base, csv: `${base}?format=csv` }
}

export function bulletinMarkdown(b: StoredBulletin, baseUrl: string | undefined): string {
  const r = b.report
  const h = r.headline
  const title = b.kind === 'daily' ? 'Daily patrol bulletin' : 'Weekly patrol report'
  const lines = [
    `**${title} ${b.period}** (${r.timezone})`,
    `Units reporting ${h.unitsReporting}/${h.unitsConfigured} · ${h.distanceKm} km · coverage ${pct(h.coverageMean)} · mean score ${h.meanUnitScore ?? 'n/a'}`,
    `Zones below minimum ${h.zonesBelowMin} · coverage gaps ${h.coverageGaps} · radius breaches ${h.breaches} · zone exits ${h.zoneExits} · silences ${h.silences}`,
  ]
  const zones = r.zones.slice(0, WORST).map((z) => `${z.name} ${z.assessment.score ?? 'no data'} (coverage ${pct(z.coverage.mean)}, below min ${hours(z.coverage.belowMinMs)})`)
  if (zones.length > 0) lines.push(`Worst zones: ${zones.join('; ')}`)
  const units = r.units.slice(0, WORST).map((u) => `${u.name} ${u.assessment.score ?? 'no data'} (${u.distanceKm} km, silent ${hours(u.silent.totalMs)})`)
  if (units.length > 0) lines.push(`Worst units: ${units.join('; ')}`)
  const ps = r.plans?.summary
  if (ps !== undefined && ps.activations > 0) lines.push(`Plan activations ${ps.activations} · checkpoints ${ps.checkpoints}: in time ${ps.onTime}, late ${ps.late}, missed ${ps.missed} · longest time to man ${ps.maxTimeToManMs === null ? 'n/a' : `${Math.round(ps.maxTimeToManMs / 1000)} s`}`)
  const l = links(baseUrl, b.kind, b.period)
  lines.push(`[Full report](${l.html}) · [CSV](${l.csv})`)
  return lines.join('\n')
}

export function bulletinEvent(b: StoredBulletin, baseUrl: string | undefined): OutboundEvent {
  const r = b.report
  return {
    id: `patrol_bulletin.${b.kind}.${b.period}`,
    type: `patrol_bulletin.${b.kind}`,
    at: b.generatedAt,
    subject: `bulletin:${b.kind}`,
    summary: bulletinMarkdown(b, baseUrl),
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
