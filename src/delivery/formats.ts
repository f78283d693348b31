// Renders one delivery of an alert for a subscription's format: the Standard Webhooks body, or a
// readable message for Slack, DingTalk or WeCom robots. Pure: time comes in as a parameter.
import { createHmac } from 'node:crypto'
import type { AlertEvent, StaleCell } from '../rules/alert-event.js'

export type WebhookFormat = 'standard' | 'slack' | 'dingtalk' | 'wecom'

export interface RenderOptions {
  /** The subscription URL (DingTalk signing appends to it). */
  url: string
  /** DingTalk robot signing secret (SEC…). */
  dingtalkSecret?: string
  /** Attempt time, epoch ms (DingTalk's signed URL is recomputed per attempt). */
  now: number
}

export interface RenderedDelivery {
  body: string
  urlOverride?: string
  headers: Record<string, string>
}

/** Standard Webhooks advises bodies under ~20 kB; stale cells are cut to fit. */
export const MAX_BODY_BYTES = 20_000
/** Chat messages list at most this many stale cells. */
const CHAT_CELLS = 10

export type StandardData = AlertEvent & { staleCellsTruncated?: number }

export interface StandardBody {
  type: AlertEvent['type']
  timestamp: string
  data: StandardData
}

/** The standard body object; `staleCells` is cut so the JSON stays under `maxBytes`. */
export function standardBodyObject(event: AlertEvent, maxBytes = MAX_BODY_BYTES): StandardBody {
  const body: StandardBody = { type: event.type, timestamp: new Date(event.at).toISOString(), data: event }
  const cells = event.staleCells
  if (cells === undefined || cells.length === 0 || Buffer.byteLength(JSON.stringify(body)) <= maxBytes) return body
  // Cut proportionally, then shrink until it fits (the count field itself costs a few bytes).
  const overhead = Buffer.byteLength(JSON.stringify({ ...body, data: { ...event, staleCells: [], staleCellsTruncated: cells.length } }))
  const perCell = Math.max(1, (Buffer.byteLength(JSON.stringify(cells)) - 2) / cells.length)
  let keep = Math.max(0, Math.min(cells.length - 1, Math.floor((maxBytes - overhead) / perCell)))
  for (;;) {
    const data: StandardData = { ...event, staleCells: cells.slice(0, keep), staleCellsTruncated: cells.length - keep }
    const out = { ...body, data }
    if (keep === 0 || Buffer.byteLength(JSON.stringify(out)) <= maxBytes) return out
    keep = Math.floor(keep * 0.9)
  }
}

/** The standard body JSON (also the MQTT alert payload). */
export function standardBody(event: AlertEvent): string {
  return JSON.stringify(standardBodyObject(event))
}

const KIND_TITLES: Record<AlertEvent['kind'], string> = {
  radius_breach: 'Radius breach',
  zone_exit: 'Zone exit',
  coverage_gap: 'Coverage gap',
  response_gap: 'Response gap',
  unit_silent: 'Unit silent',
  unit_sos: 'SOS',
}
const STATE_ICONS: Record<AlertEvent['state'], string> = { opened: '🚨', acknowledged: '👀', resolved: '✅' }

export function title(event: AlertEvent): string {
  return `${KIND_TITLES[event.kind]} ${event.state}`
}

const iso = (ms: number): string => new Date(ms).toISOString()
const named = (id: string | undefined, name: string | undefined): string | undefined =>
  id === undefined ? undefined : name !== undefined && name !== id ? `${name} (${id})` : id
const pct = (r: number): string => `${Math.round(r * 1000) / 10} %`

export function mapLink(lat: number, lon: number): string {
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`
}

/** Label/value lines shared by the chat formats: what a supervisor needs to act. */
export function facts(event: AlertEvent): Array<[string, string]> {
  const out: Array<[string, string | undefined]> = [
    ['Unit', named(event.unitId, event.unitName)],
    ['Zone', named(event.zoneId, event.zoneName)],
    ['Post', named(event.postId, event.postName)],
  ]
  if (event.distanceM !== undefined) {
    out.push(['Distance', `${Math.round(event.distanceM)} m${event.radiusM !== undefined ? ` (radius ${Math.round(event.radiusM)} m)` : ''}`])
  }
  if (event.ratio !== undefined) {
    out.push(['Coverage', `${pct(event.ratio)}${event.minRatio !== undefined ? ` (minimum ${pct(event.minRatio)})` : ''}`])
  }
  if (event.staleCells !== undefined) out.push(['Stale cells', `${event.staleCells.length}${event.cellCount !== undefined ? ` of ${event.cellCount}` : ''}`])
  if (event.position !== undefined) {
    const p = event.position
    out.push(['Position', `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}${p.accuracy !== null ? ` ±${Math.round(p.accuracy)} m` : ''} at ${iso(p.ts)}`])
  }
  if (event.lastFixAt !== undefined) out.push(['Last fix', event.lastFixAt === null ? 'never' : iso(event.lastFixAt)])
  if (event.via !== undefined) out.push(['Raised by', event.via === 'jt808' ? 'vehicle terminal (JT/T 808 emergency alarm)' : event.via === 'osmand' ? 'Traccar Client (alarm=sos)' : 'device (sos: true)'])
  if (event.acknowledgedBy !== undefined) out.push(['Acknowledged by', event.acknowledgedBy])
  if (event.resolvedBy !== undefined) out.push(['Resolved by', `${event.resolvedBy}${event.note !== undefined ? `: ${event.note}` : ''}`])
  out.push(['Opened', iso(event.openedAt)])
  return out.filter((f): f is [string, string] => f[1] !== undefined)
}

function cellLine(c: StaleCell): string {
  const label = c.name ?? c.cell
  return `${label}${c.priority === true ? ' (priority)' : ''}: last visit ${c.lastVisit === null ? 'never' : iso(c.lastVisit)}`
}

function staleLines(event: AlertEvent): string[] {
  const cells = event.staleCells ?? []
  const lines = cells.slice(0, CHAT_CELLS).map(cellLine)
  if (cells.length > CHAT_CELLS) lines.push(`… and ${cells.length - CHAT_CELLS} more`)
  return lines
}

/** Slack mrkdwn treats &, < and > as control characters. */
const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function slackBody(event: AlertEvent): Record<string, unknown> {
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `${STATE_ICONS[event.state]} ${title(event)}`, emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: slackEscape(event.summary) } },
    // Slack allows at most 10 fields per section.
    { type: 'section', fields: facts(event).slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${slackEscape(v)}` })) },
  ]
  const stale = staleLines(event)
  if (stale.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackEscape(stale.join('\n')) } })
  const links = event.position !== undefined ? ` · <${mapLink(event.position.lat, event.position.lon)}|map>` : ''
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${event.type} · alert ${slackEscape(event.alertId)} · ${iso(event.at)}${links}` }] })
  return { text: `${STATE_ICONS[event.state]} ${title(event)}: ${slackEscape(event.summary)}`, blocks }
}

function markdownLines(event: AlertEvent): string[] {
  const lines = facts(event).map(([k, v]) => `- **${k}**: ${v}`)
  if (event.position !== undefined) lines.push(`- [Map](${mapLink(event.position.lat, event.position.lon)})`)
  const stale = staleLines(event)
  if (stale.length > 0) lines.push('', '**Stale cells**', ...stale.map((l) => `- ${l}`))
  lines.push('', `${event.type} · alert ${event.alertId} · ${iso(event.at)}`)
  return lines
}

export function dingtalkBody(event: AlertEvent): Record<string, unknown> {
  const t = title(event)
  return { msgtype: 'markdown', markdown: { title: t, text: [`### ${STATE_ICONS[event.state]} ${t}`, '', event.summary, '', ...markdownLines(event)].join('\n') } }
}

/** WeCom limits markdown content to 4096 bytes. */
const WECOM_MAX_BYTES = 4096
const WECOM_COLOURS: Record<AlertEvent['state'], string> = { opened: 'warning', acknowledged: 'comment', resolved: 'info' }

export function wecomBody(event: AlertEvent): Record<string, unknown> {
  let content = [`### <font color="${WECOM_COLOURS[event.state]}">${title(event)}</font>`, event.summary, '', ...markdownLines(event)].join('\n')
  if (Buffer.byteLength(content) > WECOM_MAX_BYTES) {
    content = Buffer.from(content).subarray(0, WECOM_MAX_BYTES - 4).toString('utf8').replace(/\uFFFD$/, '') + '\n…'
  }
  return { msgtype: 'markdown', markdown: { content } }
}

/** DingTalk's signed robot URL: `&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256("timestamp\nsecret")>`. */
export function dingtalkSignedUrl(url: string, secret: string, nowMs: number): string {
  const sign = createHmac('sha256', secret).update(`${nowMs}\n${secret}`).digest('base64')
  const u = new URL(url)
  u.searchParams.set('timestamp', String(nowMs))
  u.searchParams.set('sign', sign)
  return u.toString()
}

export function renderDelivery(format: WebhookFormat, event: AlertEvent, opts: RenderOptions): RenderedDelivery {
  const headers = { 'content-type': 'application/json' }
  switch (format) {
    case 'standard':
      return { body: standardBody(event), headers }
    case 'slack':
      return { body: JSON.stringify(slackBody(event)), headers }
    case 'wecom':
      return { body: JSON.stringify(wecomBody(event)), headers }
    case 'dingtalk': {
      const out: RenderedDelivery = { body: JSON.stringify(dingtalkBody(event)), headers: { 'content-type': 'application/json;charset=utf-8' } }
      if (opts.dingtalkSecret !== undefined) out.urlOverride = dingtalkSignedUrl(opts.url, opts.dingtalkSecret, opts.now)
      return out
    }
  }
}
