// Renders one delivery of any outbound event for a subscription's format. An alert keeps its rich
// rendering (formats.ts: facts, stale cells, map link); any other event is sent as the Standard
// Webhooks body `{ type, timestamp, data }`, and the chat formats show its `summary` (written in
// the configured locale where the event is made) over a footer in that locale. Pure.
import { DEFAULT_CHAT_TEXTS, type ChatTexts } from '../i18n/chat-texts.js'
import { dingtalkSignedUrl, renderDelivery, standardBodyObject, type RenderOptions, type RenderedDelivery, type WebhookFormat } from './formats.js'
import { alertOf, type OutboundEvent } from './outbound-event.js'

export interface EventBody {
  type: string
  timestamp: string
  data: Record<string, unknown>
}

/** The Standard Webhooks body object of any event (an alert's stale cells cut to fit 20 kB). */
export function eventBodyObject(e: OutboundEvent): EventBody {
  const alert = alertOf(e)
  if (alert !== null) return standardBodyObject(alert) as unknown as EventBody
  return { type: e.type, timestamp: new Date(e.at).toISOString(), data: e.data }
}

/** The standard body JSON: the webhook body of the `standard` format and the MQTT payload. */
export function eventBody(e: OutboundEvent): string {
  return JSON.stringify(eventBodyObject(e))
}

/** Slack mrkdwn treats &, < and > as control characters. */
const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
/** WeCom limits markdown content to 4096 bytes. */
const WECOM_MAX_BYTES = 4096

function footer(e: OutboundEvent, tx: ChatTexts): string {
  return tx.eventFooter(e.type, e.subject, e.at)
}

export function genericSlackBody(e: OutboundEvent, tx: ChatTexts = DEFAULT_CHAT_TEXTS): Record<string, unknown> {
  return {
    text: slackEscape(e.summary),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: slackEscape(e.summary) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(footer(e, tx)) }] },
    ],
  }
}

export function genericDingtalkBody(e: OutboundEvent, tx: ChatTexts = DEFAULT_CHAT_TEXTS): Record<string, unknown> {
  return { msgtype: 'markdown', markdown: { title: e.type, text: [`### ${e.summary}`, '', footer(e, tx)].join('\n') } }
}

export function genericWecomBody(e: OutboundEvent, tx: ChatTexts = DEFAULT_CHAT_TEXTS): Record<string, unknown> {
  let content = [`### ${e.summary}`, '', footer(e, tx)].join('\n')
  if (Buffer.byteLength(content) > WECOM_MAX_BYTES) {
    content = Buffer.from(content).subarray(0, WECOM_MAX_BYTES - 4).toString('utf8').replace(/\uFFFD$/, '') + '\n…'
  }
  return { msgtype: 'markdown', markdown: { content } }
}

export function renderEvent(format: WebhookFormat, e: OutboundEvent, opts: RenderOptions): RenderedDelivery {
  const alert = alertOf(e)
  if (alert !== null) return renderDelivery(format, alert, opts)
  const headers = { 'content-type': 'application/json' }
  switch (format) {
    case 'standard':
      return { body: eventBody(e), headers }
    case 'slack':
      return { body: JSON.stringify(genericSlackBody(e, opts.texts)), headers }
    case 'wecom':
      return { body: JSON.stringify(genericWecomBody(e, opts.texts)), headers }
    case 'dingtalk': {
      const out: RenderedDelivery = { body: JSON.stringify(genericDingtalkBody(e, opts.texts)), headers: { 'content-type': 'application/json;charset=utf-8' } }
      if (opts.dingtalkSecret !== undefined) out.urlOverride = dingtalkSignedUrl(opts.url, opts.dingtalkSecret, opts.now)
      return out
    }
  }
}
