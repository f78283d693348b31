// The printable bulletin page: headline figures, a table per zone and per unit (worst first), the
// posts, emergency plans, make-up patrols (per zone and unit), and a small static coverage map per zone. Self-contained HTML (inline CSS, inline SVG);
// every value from data is escaped. Readable on a phone (the map's bulletin link): the page takes
// the device's width, a table wider than the screen scrolls within itself, maps shrink to fit.
// The words are the configured locale's (src/i18n/report-texts.ts),
// dates and times the report's time zone.
import { coverageSvg } from './coverage-svg.js'
import type { Report, Score } from './model.js'
import type { MakeUpFigures } from './make-up.js'
import { reportTexts, type ReportTexts } from '../i18n/report-texts.js'
import type { Locale } from '../i18n/locale.js'
import { integrityTexts } from '../i18n/integrity-texts.js'

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const pct = (x: number | null): string => (x === null ? '–' : `${(Math.round(x * 1000) / 10).toFixed(1)} %`)
const dur = (ms: number | null): string => {
  if (ms === null) return '–'
  const m = Math.round(ms / 60_000)
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`
}

const mmss = (ms: number | null): string => {
  if (ms === null) return '–'
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}
const EN = (tz: string): ReportTexts => reportTexts('en', tz)
/** A score, or "no data" when nothing was measured. */
export const scoreText = (a: Score, tx: ReportTexts = EN('UTC')): string => (a.score === null ? tx.label('noData') : String(a.score))
/** The inputs beside a score: each as a percentage, "no data" where it is missing. */
export const inputsText = (a: Score, tx: ReportTexts = EN('UTC')): string =>
  [...(a.mode === undefined ? [] : [tx.mode(a.mode)]), ...Object.entries(a.inputs).map(([k, v]) => `${tx.input(k)} ${v === null ? tx.label('noData') : pct(v)}`)].join(' · ')

/** Day and time to the minute in the report's zone, in the locale's order (06/12, 08:00 · 12/06 08:00). */
export function localTime(ms: number | null, tz: string, locale: Locale = 'en'): string {
  if (ms === null) return '–'
  return reportTexts(locale, tz).format.dayTime(ms)
}

/** A figure (count, duration, share, score, local time), right-aligned so columns compare at a glance. */
const NUMERIC = /^\d[\d.,:/ ]*(?: ?%| km| \(\d+:\d\d\))?$/

function table(head: string[], rows: string[][], noData: string): string {
  // A column of figures (placeholders '–' and 'no data' aside) is right-aligned, header included.
  const numeric = head.map((_, i) => rows.some((r) => NUMERIC.test(r[i] as string)) && rows.every((r) => r[i] === '–' || r[i] === noData || NUMERIC.test(r[i] as string)))
  const cell = (tag: string, i: number, c: string) => (numeric[i] === true ? `<${tag} class="n">${c}</${tag}>` : `<${tag}>${c}</${tag}>`)
  return `<table><thead><tr>${head.map((h, i) => cell('th', i, esc(h))).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', i, c)).join('')}</tr>`).join('')}</tbody></table>`
}

export function titleOf(r: Pick<Report, 'kind' | 'period'>, locale: Locale = 'en'): string {
  const tx = reportTexts(locale, 'UTC')
  return r.kind === 'daily' ? `${tx.label('dailyTitle')} ${r.period}` : r.kind === 'weekly' ? `${tx.label('weeklyTitle')} ${r.period}` : tx.label('reportTitle')
}

/** The make-up patrols section: a summary line, then the figures per zone and per unit. */
function makeUpHtml(r: Report, tx: ReportTexts, noData: string): string {
  const L = tx.label
  const m = r.makeUp
  if (m === undefined || m.summary.assigned === 0) return `<p>${esc(L('noMakeUp'))}</p>`
  const cols = (['tasksAssigned', 'tasksCompleted', 'tasksExpired', 'tasksCancelled', 'tasksOpen', 'completionRate', 'medianTimeToComplete', 'cellsRecovered'] as const).map(L)
  const figures = (f: MakeUpFigures): string[] => [
    String(f.assigned), String(f.completed), String(f.expired), String(f.cancelled), String(f.open), pct(f.completionRate), dur(f.medianTimeToCompleteMs), `${f.cellsRecovered} / ${f.cellsAssigned}`,
  ]
  return `<p>${esc(tx.makeUpSummary(m.summary, pct(m.summary.completionRate), dur(m.summary.medianTimeToCompleteMs)))}</p>`
    + `<h3>${esc(L('byZone'))}</h3>${table([L('zone'), ...cols], m.zones.map((z) => [esc(z.name), ...figures(z)]), noData)}`
    + `<h3>${esc(L('byUnit'))}</h3>${table([L('unit'), ...cols], m.units.map((u) => [esc(unitName(r, u.unitId)), ...figures(u)]), noData)}`
}

/** "Car 1 (V-01)" as the units table names it, or the id of a unit the report has no row for. */
function unitName(r: Report, id: string): string {
  const name = r.units.find((u) => u.unitId === id)?.name
  return name === undefined || name === id ? id : `${name} (${id})`
}

/** The printable page in `locale` (the configured one; English by default). */
export function reportHtml(r: Report, locale: Locale = 'en'): string {
  const h = r.headline
  const tz = r.timezone
  const tx = reportTexts(locale, tz)
  const L = tx.label
  const noData = L('noData')
  const time = (ms: number | null): string => (ms === null ? '–' : tx.format.dayTime(ms))
  const title = titleOf(r, locale)
  const headline: Array<[string, string]> = [
    [L('unitsReporting'), `${h.unitsReporting} / ${h.unitsConfigured}${h.unknownUnitsReporting > 0 ? ` (+${h.unknownUnitsReporting} ${L('unknownUnits')})` : ''}`],
    [L('distancePatrolled'), `${h.distanceKm} km`],
    [L('meanZoneCoverage'), pct(h.coverageMean)],
    [L('zonesBelowMin'), String(h.zonesBelowMin)],
    [L('coverageGaps'), String(h.coverageGaps)],
    [L('radiusBreaches'), String(h.breaches)],
    [L('zoneExits'), String(h.zoneExits)],
    [L('silences'), String(h.silences)],
    [L('meanUnitScore'), h.meanUnitScore === null ? '–' : String(h.meanUnitScore)],
  ]
  const zones = table(
    (['zone', 'score', 'scoreInputs', 'patrolLevel', 'coverageMean', 'coverageMin', 'belowMin', 'gaps', 'longestGap', 'responseMean', 'priorityOverdue', 'unitsShare'] as const).map(L),
    r.zones.map((z) => [
      esc(z.name), scoreText(z.assessment, tx), esc(inputsText(z.assessment, tx)), esc(z.levels.length === 1 ? tx.level((z.levels[0] as { level: string }).level) : z.levels.map((l) => `${tx.level(l.level)} ${time(l.from)}–${time(l.to)}`).join('; ')), pct(z.coverage.mean), pct(z.coverage.min), dur(z.coverage.belowMinMs), String(z.gaps.count), dur(z.gaps.longestMs), pct(z.response.mean),
      esc(z.priorityCells.filter((p) => p.maxOverdueMs > 0).map((p) => `${p.name ?? p.cell} +${dur(p.maxOverdueMs)}`).join(', ') || '–'),
      esc(z.units.slice(0, 5).map((u) => `${u.unitId} ${Math.round(u.share * 100)} %`).join(', ') || '–'),
    ]),
    noData,
  )
  const units = table(
    (['unit', 'post', 'zone', 'score', 'scoreInputs', 'km', 'reporting', 'moving', 'stationary', 'inRadius', 'inZone', 'cells', 'stops', 'breaches', 'zoneExits', 'silencesHmm', 'firstFix', 'lastFix'] as const).map(L),
    r.units.map((u) => [
      esc(u.name === u.unitId ? u.unitId : `${u.name} (${u.unitId})`), esc(u.postId ?? '–'), esc(u.zoneId ?? '–'), scoreText(u.assessment, tx), esc(inputsText(u.assessment, tx)), String(u.distanceKm),
      dur(u.reportingMs), dur(u.movingMs), dur(u.stationaryMs), dur(u.inRadiusMs), dur(u.inZoneMs), String(u.cellsVisited), String(u.stops),
      `${u.breaches.count} (${dur(u.breaches.totalMs)})`, `${u.zoneExits.count} (${dur(u.zoneExits.totalMs)})`, `${u.silent.count} (${dur(u.silent.totalMs)})`,
      time(u.firstFixAt), time(u.lastFixAt),
    ]),
    noData,
  )
  const posts = table(
    (['post', 'score', 'scoreInputs', 'units', 'uncovered'] as const).map(L),
    r.posts.map((p) => [esc(p.name), scoreText(p.assessment, tx), esc(inputsText(p.assessment, tx)), esc(p.units.join(', ') || '–'), dur(p.uncoveredMs)]),
    noData,
  )
  const plans = r.plans === undefined || r.plans.activations.length === 0
    ? `<p>${esc(L('noPlans'))}</p>`
    : `<p>${esc(tx.plansSummary(r.plans.summary, mmss(r.plans.summary.meanTimeToManMs), mmss(r.plans.summary.maxTimeToManMs)))}</p>` + table(
      (['plan', 'activated', 'incident', 'checkpoint', 'responsible', 'arriveWithin', 'mannedBy', 'timeToMan', 'status'] as const).map(L),
      r.plans.activations.flatMap((a) => a.checkpoints.map((c) => [
        esc(a.planName), esc(time(a.activatedAt)), esc(a.incidentId ?? '–'), esc(c.name), esc(c.responsible.join(', ') || '–'), mmss(c.arriveWithinMs),
        esc(c.mannedBy ?? '–'), mmss(c.timeToManMs), `<span class="st-${c.status}">${esc(L(c.status))}</span>`,
      ])),
      noData,
    )
  const integrity = integrityHtml(r, tx, locale, time, noData)
  const makeUp = makeUpHtml(r, tx, noData)
  const maps = r.zones.map((z) => `<figure>${coverageSvg(z.cells, tx.coverageMapOf(z.name), 240, L('noSnapshots'))}<figcaption>${esc(z.name)}: ${pct(z.coverage.mean)}</figcaption></figure>`).join('')
  return `<!doctype html>
<html lang="${tx.htmlLang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>
body{font:13px/1.4 system-ui,"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:1.5em;color:#111}h1{font-size:1.4em;margin:0}h2{font-size:1.1em;margin-top:1.5em}
.meta{color:#555}dl.head{display:grid;grid-template-columns:repeat(auto-fill,minmax(11em,1fr));gap:.5em}dl.head div{border:1px solid #ccc;padding:.4em}
dt{color:#555;font-size:.85em}dd{margin:0;font-size:1.3em;font-weight:600}table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:2px 4px;text-align:left}
th{background:#f0f0f0}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.legend{color:#333}.key{display:inline-block;width:1em;height:1em;vertical-align:middle;border:1px solid #999}.st-missed,.st-late{color:#b00;font-weight:600}figure{display:inline-block;margin:.5em;max-width:100%}figure svg{max-width:100%;height:auto}.maps{page-break-inside:avoid}@media print{body{margin:0}}
@media screen and (max-width:700px){body{margin:.6em}table{display:block;overflow-x:auto;-webkit-overflow-scrolling:touch}dl.head{grid-template-columns:repeat(auto-fill,minmax(9em,1fr))}figure{margin:.5em 0}}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="meta">${esc(time(r.from))} – ${esc(time(r.to))} (${esc(tz)}) · ${esc(L('generated'))} ${esc(tx.format.stamp(r.generatedAt))} · ${esc(L('worstFirst'))}</p>
<dl class="head">${headline.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
<h2>${esc(L('zones'))}</h2>${zones}
<h2>${esc(L('units'))}</h2>${units}
<h2>${esc(L('posts'))}</h2>${posts}
<h2>${esc(L('plansSection'))}</h2>${plans}
<h2>${esc(L('integritySection'))}</h2>${integrity}
<h2>${esc(L('makeUpSection'))}</h2>${makeUp}
<h2>${esc(L('coverageMaps'))}</h2><p class="legend">${esc(L('legend'))} <span class="key" style="background:hsl(0,70%,50%)"></span> ${esc(L('never'))} <span class="key" style="background:hsl(60,70%,50%)"></span> ${esc(L('halfTheTime'))} <span class="key" style="background:hsl(120,70%,50%)"></span> ${esc(L('always'))}.</p><div class="maps">${maps}</div>
</body></html>
`
}

/** The "Patrol integrity" section: per unit its counts, then every signal with its evidence. */
function integrityHtml(r: Report, tx: ReportTexts, locale: Locale, time: (ms: number | null) => string, noData: string): string {
  const L = tx.label
  const s = r.integrity
  if (s === undefined || s.units.length === 0) return `<p>${esc(L('noIntegrity'))}</p>`
  const it = integrityTexts(locale, r.timezone)
  const kinds = (k: Record<string, number>): string => Object.entries(k).map(([kind, n]) => `${it.kind(kind)} ${n}`).join(', ')
  const name = (u: { unitId: string; name: string }): string => (u.name === u.unitId ? u.unitId : `${u.name} (${u.unitId})`)
  const perUnit = table(
    (['unit', 'signals', 'byKind', 'signalSpan', 'stationaryCounted'] as const).map(L),
    s.units.map((u) => [esc(name(u)), String(u.signals), esc(kinds(u.kinds)), dur(u.spanMs), dur(u.stationaryMs)]),
    noData,
  )
  const facts = table(
    (['unit', 'signal', 'fromTo', 'durationHmm', 'relatedUnit', 'evidence'] as const).map(L),
    s.units.flatMap((u) => u.facts.map((f) => [esc(name(u)), esc(it.kind(f.kind)), esc(`${time(f.from)} – ${time(f.to)}`), dur(f.to - f.from), esc(f.relatedUnitId ?? '–'), esc(it.evidenceLine(f.evidence))])),
    noData,
  )
  return `<p class="legend">${esc(L('integrityNote'))}</p>${perUnit}${facts}`
}
