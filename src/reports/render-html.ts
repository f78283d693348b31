// The printable bulletin page: headline figures, a table per zone and per unit (worst first), the
// posts, and a small static coverage map per zone. Self-contained HTML (inline CSS, inline SVG);
// every value from data is escaped. Readable on a phone (the map's bulletin link): the page takes
// the device's width, a table wider than the screen scrolls within itself, maps shrink to fit.
import { coverageSvg } from './coverage-svg.js'
import type { Report, Score } from './model.js'

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
/** A score, or "no data" when nothing was measured. */
const NO_DATA = 'no data'
export const scoreText = (a: Score): string => (a.score === null ? NO_DATA : String(a.score))
/** The inputs beside a score: each as a percentage, "no data" where it is missing. */
export const inputsText = (a: Score): string =>
  [...(a.mode === undefined ? [] : [`${a.mode} mode`]), ...Object.entries(a.inputs).map(([k, v]) => `${k} ${v === null ? NO_DATA : pct(v)}`)].join(' · ')

const STATUS = { on_time: 'manned in time', late: 'manned late', missed: 'missed', pending: 'pending' } as const

export function localTime(ms: number | null, tz: string): string {
  if (ms === null) return '–'
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(ms))
}

/** A figure (count, duration, share, score, local time), right-aligned so columns compare at a glance. */
const NUMERIC = /^\d[\d.,:/ ]*(?: ?%| km| \(\d+:\d\d\))?$/

function table(head: string[], rows: string[][]): string {
  // A column of figures (placeholders '–' and 'no data' aside) is right-aligned, header included.
  const numeric = head.map((_, i) => rows.some((r) => NUMERIC.test(r[i] as string)) && rows.every((r) => r[i] === '–' || r[i] === NO_DATA || NUMERIC.test(r[i] as string)))
  const cell = (tag: string, i: number, c: string) => (numeric[i] === true ? `<${tag} class="n">${c}</${tag}>` : `<${tag}>${c}</${tag}>`)
  return `<table><thead><tr>${head.map((h, i) => cell('th', i, esc(h))).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', i, c)).join('')}</tr>`).join('')}</tbody></table>`
}

/** Date and time in the report's zone, e.g. 2026-12-01 08:00. */
function stamp(ms: number, tz: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(ms))
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

export function titleOf(r: Pick<Report, 'kind' | 'period'>): string {
  return r.kind === 'daily' ? `Daily patrol bulletin ${r.period}` : r.kind === 'weekly' ? `Weekly patrol report ${r.period}` : 'Patrol report'
}

export function reportHtml(r: Report): string {
  const h = r.headline
  const tz = r.timezone
  const title = titleOf(r)
  const headline: Array<[string, string]> = [
    ['Units reporting', `${h.unitsReporting} / ${h.unitsConfigured}${h.unknownUnitsReporting > 0 ? ` (+${h.unknownUnitsReporting} unknown)` : ''}`],
    ['Distance patrolled', `${h.distanceKm} km`],
    ['Mean zone coverage', pct(h.coverageMean)],
    ['Zones below minimum', String(h.zonesBelowMin)],
    ['Coverage gaps', String(h.coverageGaps)],
    ['Radius breaches', String(h.breaches)],
    ['Zone exits', String(h.zoneExits)],
    ['Silences', String(h.silences)],
    ['Mean unit score', h.meanUnitScore === null ? '–' : String(h.meanUnitScore)],
  ]
  const zones = table(
    ['Zone', 'Score', 'Score inputs', 'Patrol level', 'Coverage mean', 'Coverage min', 'Below min (h:mm)', 'Gaps', 'Longest gap', 'Response mean', 'Priority cells overdue', 'Units (share)'],
    r.zones.map((z) => [
      esc(z.name), scoreText(z.assessment), esc(inputsText(z.assessment)), esc(z.levels.length === 1 ? (z.levels[0] as { level: string }).level : z.levels.map((l) => `${l.level} ${localTime(l.from, tz)}–${localTime(l.to, tz)}`).join('; ')), pct(z.coverage.mean), pct(z.coverage.min), dur(z.coverage.belowMinMs), String(z.gaps.count), dur(z.gaps.longestMs), pct(z.response.mean),
      esc(z.priorityCells.filter((p) => p.maxOverdueMs > 0).map((p) => `${p.name ?? p.cell} +${dur(p.maxOverdueMs)}`).join(', ') || '–'),
      esc(z.units.slice(0, 5).map((u) => `${u.unitId} ${Math.round(u.share * 100)} %`).join(', ') || '–'),
    ]),
  )
  const units = table(
    ['Unit', 'Post', 'Zone', 'Score', 'Score inputs', 'km', 'Reporting', 'Moving', 'Stationary', 'In radius', 'In zone', 'Cells', 'Stops', 'Breaches', 'Zone exits', 'Silences (h:mm)', 'First fix', 'Last fix'],
    r.units.map((u) => [
      esc(u.name === u.unitId ? u.unitId : `${u.name} (${u.unitId})`), esc(u.postId ?? '–'), esc(u.zoneId ?? '–'), scoreText(u.assessment), esc(inputsText(u.assessment)), String(u.distanceKm),
      dur(u.reportingMs), dur(u.movingMs), dur(u.stationaryMs), dur(u.inRadiusMs), dur(u.inZoneMs), String(u.cellsVisited), String(u.stops),
      `${u.breaches.count} (${dur(u.breaches.totalMs)})`, `${u.zoneExits.count} (${dur(u.zoneExits.totalMs)})`, `${u.silent.count} (${dur(u.silent.totalMs)})`,
      localTime(u.firstFixAt, tz), localTime(u.lastFixAt, tz),
    ]),
  )
  const posts = table(
    ['Post', 'Score', 'Score inputs', 'Units', 'No unit in radius (h:mm)'],
    r.posts.map((p) => [esc(p.name), scoreText(p.assessment), esc(inputsText(p.assessment)), esc(p.units.join(', ') || '–'), dur(p.uncoveredMs)]),
  )
  const plans = r.plans === undefined || r.plans.activations.length === 0
    ? '<p>No plan activations in this period.</p>'
    : `<p>${plural(r.plans.summary.activations, 'activation')} · ${plural(r.plans.summary.checkpoints, 'checkpoint')}: ${r.plans.summary.onTime} manned in time, ${r.plans.summary.late} late, ${r.plans.summary.missed} missed · time to man mean ${mmss(r.plans.summary.meanTimeToManMs)}, longest ${mmss(r.plans.summary.maxTimeToManMs)}</p>` + table(
      ['Plan', 'Activated', 'Incident', 'Checkpoint', 'Responsible', 'Arrive within', 'Manned by', 'Time to man (m:ss)', 'Status'],
      r.plans.activations.flatMap((a) => a.checkpoints.map((c) => [
        esc(a.planName), esc(localTime(a.activatedAt, tz)), esc(a.incidentId ?? '–'), esc(c.name), esc(c.responsible.join(', ') || '–'), mmss(c.arriveWithinMs),
        esc(c.mannedBy ?? '–'), mmss(c.timeToManMs), `<span class="st-${c.status}">${esc(STATUS[c.status])}</span>`,
      ])),
    )
  const maps = r.zones.map((z) => `<figure>${coverageSvg(z.cells, `Coverage map of ${z.name}`)}<figcaption>${esc(z.name)}: ${pct(z.coverage.mean)}</figcaption></figure>`).join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:1.5em;color:#111}h1{font-size:1.4em;margin:0}h2{font-size:1.1em;margin-top:1.5em}
.meta{color:#555}dl.head{display:grid;grid-template-columns:repeat(auto-fill,minmax(11em,1fr));gap:.5em}dl.head div{border:1px solid #ccc;padding:.4em}
dt{color:#555;font-size:.85em}dd{margin:0;font-size:1.3em;font-weight:600}table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:2px 4px;text-align:left}
th{background:#f0f0f0}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.legend{color:#333}.key{display:inline-block;width:1em;height:1em;vertical-align:middle;border:1px solid #999}.st-missed,.st-late{color:#b00;font-weight:600}figure{display:inline-block;margin:.5em;max-width:100%}figure svg{max-width:100%;height:auto}.maps{page-break-inside:avoid}@media print{body{margin:0}}
@media screen and (max-width:700px){body{margin:.6em}table{display:block;overflow-x:auto;-webkit-overflow-scrolling:touch}dl.head{grid-template-columns:repeat(auto-fill,minmax(9em,1fr))}figure{margin:.5em 0}}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="meta">${esc(localTime(r.from, tz))} – ${esc(localTime(r.to, tz))} (${esc(tz)}) · generated ${esc(stamp(r.generatedAt, tz))} · tables worst first</p>
<dl class="head">${headline.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
<h2>Zones</h2>${zones}
<h2>Units</h2>${units}
<h2>Posts</h2>${posts}
<h2>Emergency plans: time to man each checkpoint</h2>${plans}
<h2>Coverage maps</h2><p class="legend">Each hexagon is a coverage cell, shaded by the share of the period it was fresh (visited within max_interval): <span class="key" style="background:hsl(0,70%,50%)"></span> never <span class="key" style="background:hsl(60,70%,50%)"></span> half the time <span class="key" style="background:hsl(120,70%,50%)"></span> always.</p><div class="maps">${maps}</div>
</body></html>
`
}
