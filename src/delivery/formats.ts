// Renders one delivery of an alert for a subscription's format: the Standard Webhooks body, or a
// readable message for Slack, DingTalk or WeCom robots, in the configured locale (the words from
// src/i18n/chat-texts.ts; the summary is already in it). Pure: time comes in as a parameter.
import { createHmac } from 'node:crypto'
import { DEFAULT_CHAT_TEXTS, type ChatTexts } from '../i18n/chat-texts.js'
import type { AlertEvent, StaleCell } from '../rules/alert-event.js'

export type WebhookFormat = 'standard' | 'slack' | 'dingtalk' | 'wecom'

export interface RenderOptions {
  /** The subscription URL (DingTalk signing appends to it). */
  url: string
  /** DingTalk robot signing secret (SEC…). */
  dingtalkSecret?: string
  /** Attempt time, epoch ms (DingTalk's signed URL is recomputed per attempt). */
  now: number
  /** The chat formats' words and times: the configured locale and time zone (default English, UTC). */
  texts?: ChatTexts
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

const STATE_ICONS: Record<AlertEvent['state'], string> = { opened: '🚨', acknowledged: '👀', resolved: '✅' }

export function title(event: AlertEvent, tx: ChatTexts = DEFAULT_CHAT_TEXTS): string {
  return tx.title(event.kind, event.state)
}

const named = (id: string | undefined, name: string | undefined, zh: boolean): string | undefined =>
  id === undefined ? undefined : name !== undefined && name !== id ? (zh ? `${name}（${id}）` : `${name} (${id})`) : id

/** Where the alert points on a map: its fix, else its checkpoint. */
function placeOf(event: AlertEvent): { lat: number; lon: number } | undefined {
  return event.position ?? event.checkpoint
}

export function mapLink(lat: number, lon: number): string {
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`
}

/** Label/value lines shared by the chat formats: what a supervisor needs to act. */
export function facts(event: AlertEvent, tx: ChatTexts = DEFAULT_CHAT_TEXTS): Array<[string, string]> {
  const zh = tx.locale === 'zh-CN'
  const L = tx.label
  const out: Array<[string, string | undefined]> = [
    [L('unit'), named(event.unitId, event.unitName, zh)],
    [L('zone'), named(event.zoneId, event.zoneName, zh)],
    [L('post'), named(event.postId, event.postName, zh)],
  ]
  if (event.distanceM !== undefined) out.push([L('distance'), tx.distance(event.distanceM, event.radiusM)])
  if (event.ratio !== undefined) out.push([L('coverage'), tx.coverage(event.ratio, event.minRatio)])
  if (event.staleCells !== undefined) out.push([L('staleCells'), tx.staleCount(event.staleCells.length, event.cellCount)])
  if (event.position !== undefined) {
    const p = event.position
    out.push([L('position'), tx.position(p.lat, p.lon, p.accuracy, p.ts)])
  }
  if (event.lastFixAt !== undefined) out.push([L('lastFix'), event.lastFixAt === null ? tx.never : tx.format.dateTime(event.lastFixAt)])
  if (event.via !== undefined) out.push([L('raisedBy'), tx.via(event.via)])
  if (event.checkpoint !== undefined) {
    const c = event.checkpoint
    out.push([L('plan'), named(event.planId, event.planName, zh)], [L('checkpoint'), c.name], [L('deadline'), tx.format.dateTime(c.deadline)])
    if (event.responsible !== undefined && event.responsible.length > 0) out.push([L('responsible'), event.responsible.join(zh ? '、' : ', ')])
    out.push([L('position'), `${c.lat.toFixed(5)}, ${c.lon.toFixed(5)}`])
    if (event.reachedBy !== undefined) out.push([L('mannedBy'), event.reachedAt === undefined ? event.reachedBy : `${event.reachedBy} · ${tx.format.dateTime(event.reachedAt)}`])
    if (event.deactivatedBy !== undefined) out.push([L('deactivatedBy'), event.deactivatedBy])
  }
  if (event.acknowledgedBy !== undefined) out.push([L('acknowledgedBy'), event.acknowledgedBy])
  if (event.resolvedBy !== undefined) out.push([L('resolvedBy'), tx.resolvedBy(event.resolvedBy, event.note)])
  out.push([L('opened'), tx.format.dateTime(event.openedAt)])
  return out.filter((f): f is [string, string] => f[1] !== undefined)
}

function cellLine(c: StaleCell, tx: ChatTexts): string {
  return tx.staleCell(c.name ?? c.cell, c.priority === true, c.lastVisit)
}

function staleLines(event: AlertEvent, tx: ChatTexts): string[] {
  const cells = event.staleCells ?? []
  const lines = cells.slice(0, CHAT_CELLS).map((c) => cellLine(c, tx))
  if (cells.length > CHAT_CELLS) lines.push(tx.more(cells.length - CHAT_CELLS))
  return lines
}

/** Slack mrkdwn treats &, < and > as control characters. */
const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function slackBody(event: AlertEvent, tx: ChatTexts = DEFAULT_CHAT_TEXTS): Record<string, unknown> {
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `${STATE_ICONS[event.state]} ${title(event, tx)}`, emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: slackEscape(event.summary) } },
    // Slack allows at most 10 fields per section.
    { type: 'section', fields: facts(event, tx).slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${slackEscape(v)}` })) },
  ]
  const stale = staleLines(event, tx)
  if (stale.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackEscape(stale.join('\n')) } })
  const place = placeOf(event)
  const links = place !== undefined ? ` · <${mapLink(place.lat, place.lon)}|${tx.map.toLowerCase()}>` : ''
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${slackEscape(tx.footer(event.type, event.alertId, event.at))}${links}` }] })
  return { text: `${STATE_ICONS[event.state]} ${title(event, tx)}: ${slackEscape(event.summary)}`, blocks }
}

function markdownLines(event: AlertEvent, tx: ChatTexts): string[] {
  const lines = facts(event, tx).map(([k, v]) => `- **${k}**: ${v}`)
  const place = placeOf(event)
  if (place !== undefined) lines.push(`- [${tx.map}](${mapLink(place.lat, place.lon)})`)
  const stale = staleLines(event, tx)
  if (stale.length > 0) lines.push('', `**${tx.label('staleCells')}**`, ...stale.map((l) => `- ${l}`))
  lines.push('', tx.footer(event.type, event.alertId, event.at))
  return lines
}

export function dingtalkBody(event: AlertEvent, tx: ChatTexts = DEFAULT_CHAT_TEXTS): Record<string, unknown> {
  const t = title(event, tx)
  return { msgtype: 'markdown', markdown: { title: t, text: [`### ${STATE_ICONS[event.state]} ${t}`, '', event.summary, '', ...markdownLines(event, tx)].join('\n') } }
}

/** WeCom limits markdown content to 4096 bytes. */
const WECOM_MAX_BYTES = 4096
const WECOM_COLOURS: Record<AlertEvent['state'], string> = { opened: 'warning', acknowledged: 'comment', resolved: 'info' }

export function wecomBody(event: AlertEvent, tx: ChatTexts = DEFAULT_CHAT_TEXTS): Record<string, unknown> {
  let content = [`### <font color="${WECOM_COLOURS[event.state]}">${title(event, tx)}</font>`, event.summary, '', ...markdownLines(event, tx)].join('\n')
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
      return { body: JSON.stringify(slackBody(event, opts.texts)), headers }
    case 'wecom':
      return { body: JSON.stringify(wecomBody(event, opts.texts)), headers }
    case 'dingtalk': {
      const out: RenderedDelivery = { body: JSON.stringify(dingtalkBody(event, opts.texts)), headers: { 'content-type': 'application/json;charset=utf-8' } }
      if (opts.dingtalkSecret !== undefined) out.urlOverride = dingtalkSignedUrl(opts.url, opts.dingtalkSecret, opts.now)
      return out
    }
  }
}
