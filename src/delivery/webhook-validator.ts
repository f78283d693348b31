// The one validator of a webhook subscription, used by the config loader (file subscriptions) and
// the admin API (added ones), so both refuse exactly the same things. Beyond the schema it bounds
// every admin-supplied identifier (ids become file names), the `events` patterns, and which
// environment variables `secret_env` may name (a configured prefix, so a subscription can never
// be keyed with the admin token or probe which variables exist).
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type WebhookConfig } from '../config/schema.js'
import { HexpatrolError } from '../errors.js'
import { checkLiteralHost, type AllowList } from './ssrf.js'

export const WEBHOOK_LIMITS = {
  /** Ids name outbox files (`<16-digit seq>-<id>.json`): far below any file-name limit. */
  idLength: 64,
  urlLength: 2048,
  patterns: 32,
  patternLength: 128,
  zones: 256,
  maxConcurrency: 64,
} as const

const ID = /^[A-Za-z0-9_.-]+$/
const PATTERN = /^[A-Za-z0-9_.*-]+$/
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/

export interface WebhookRules {
  /** `secret_env` must start with this (delivery.secret_env_prefix). */
  secretEnvPrefix: string
  /** Known zone ids; when given, `zones` must name only these. */
  zones?: ReadonlySet<string>
  /** When given, a literal private/loopback host outside it is refused (HEXP_ERR_WEBHOOK_DESTINATION). */
  allow?: AllowList
}

export interface WebhookProblem {
  /** The key under the subscription, e.g. `url`, `events.2`. */
  key: string
  message: string
  code: 'HEXP_ERR_BAD_REQUEST' | 'HEXP_ERR_WEBHOOK_DESTINATION'
}

const bad = (key: string, message: string): WebhookProblem => ({ key, message, code: 'HEXP_ERR_BAD_REQUEST' })
/** An identifier quoted in a message, cut so a hostile one cannot flood logs. */
export const quoted = (s: string): string => JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s)

/** The first problem of a schema-valid subscription, or null. */
export function webhookProblem(w: WebhookConfig, rules: WebhookRules): WebhookProblem | null {
  if (w.id.length > WEBHOOK_LIMITS.idLength || !ID.test(w.id)) return bad('id', `must be 1–${WEBHOOK_LIMITS.idLength} characters of A-Z a-z 0-9 _ . - (got ${quoted(w.id)})`)
  if (w.url.length > WEBHOOK_LIMITS.urlLength) return bad('url', `longer than ${WEBHOOK_LIMITS.urlLength} characters`)
  let url: URL
  try {
    url = new URL(w.url)
  } catch {
    return bad('url', 'is not a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('url', 'only http and https are supported')
  if (rules.allow !== undefined) {
    const literal = checkLiteralHost(url.hostname, rules.allow)
    if (literal !== null && !literal.ok) return { key: 'url', message: literal.reason, code: 'HEXP_ERR_WEBHOOK_DESTINATION' }
  }
  if (w.events.length > WEBHOOK_LIMITS.patterns) return bad('events', `at most ${WEBHOOK_LIMITS.patterns} patterns`)
  for (const [i, p] of w.events.entries()) {
    if (p.length === 0 || p.length > WEBHOOK_LIMITS.patternLength || !PATTERN.test(p)) {
      return bad(`events.${i}`, `a pattern is 1–${WEBHOOK_LIMITS.patternLength} characters of A-Z a-z 0-9 _ . - and * (got ${quoted(p)})`)
    }
  }
  const zones = w.zones ?? []
  if (zones.length > WEBHOOK_LIMITS.zones) return bad('zones', `at most ${WEBHOOK_LIMITS.zones} zones`)
  if (rules.zones !== undefined) {
    for (const z of zones) if (!rules.zones.has(z)) return bad('zones', `no zone with id ${quoted(z)}`)
  }
  if (w.secret !== undefined && w.secret_env !== undefined) return bad('secret_env', 'give secret or secret_env, not both')
  if (w.secret_env !== undefined) {
    const name = w.secret_env
    if (!ENV_NAME.test(name) || !name.startsWith(rules.secretEnvPrefix) || name.length === rules.secretEnvPrefix.length) {
      return bad('secret_env', `must name a variable ${rules.secretEnvPrefix}<NAME> (delivery.secret_env_prefix; upper case, digits, _), got ${quoted(name)}`)
    }
  }
  if (w.max_concurrency > WEBHOOK_LIMITS.maxConcurrency) return bad('max_concurrency', `at most ${WEBHOOK_LIMITS.maxConcurrency}`)
  return null
}

const WebhookSchema = ConfigSchema.properties.webhooks.items

/**
 * An admin-supplied subscription: the config schema (unknown keys refused, defaults applied), then
 * webhookProblem. Throws HexpatrolError (HEXP_ERR_BAD_REQUEST or HEXP_ERR_WEBHOOK_DESTINATION).
 */
export function parseWebhook(raw: unknown, rules: WebhookRules): WebhookConfig {
  const doc = Value.Default(WebhookSchema, structuredClone(raw ?? {}))
  const first = [...Value.Errors(WebhookSchema, doc)][0]
  if (first !== undefined) throw new HexpatrolError('HEXP_ERR_BAD_REQUEST', `webhook${first.path.replace(/\//g, '.')}: ${first.message}`)
  const cfg = Value.Decode(WebhookSchema, doc) as WebhookConfig
  const problem = webhookProblem(cfg, rules)
  if (problem !== null) throw new HexpatrolError(problem.code, `webhook.${problem.key}: ${problem.message}`)
  return cfg
}
