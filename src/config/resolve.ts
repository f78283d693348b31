// The checks and resolutions that need no I/O beyond reading the environment, run once by
// validateConfig: secrets (`*_env` references) resolved to their values, pairs that exclude each
// other, the API's /metrics exposure. What comes out is a ResolvedConfig: no `*_env` key is left
// (API tokens, session and metrics secrets, passwords, webhook secrets all hold their values), so no
// stage reads the environment again. The one exception, a webhook added at run time with
// `secret_env`, goes through webhookSecretSource. Compiling the config into what the stages need
// (geometry, the broker's exposure, JT/T 808 terminals, incidents, webhooks) is src/boot.ts's job.
import type { Config, WebhookConfig } from './schema.js'
import { HexpatrolError } from '../errors.js'
import { isLoopbackHost } from '../net/addresses.js'
import { dropExposedExampleLogins } from './example-logins.js'

type BrokerUser = Config['broker']['users'][number]
type ApiToken = Config['api']['tokens'][number]

/** The config after resolution: every secret is a value (or absent), never an env reference. */
export type ResolvedConfig = Omit<Config, 'http' | 'mqtt' | 'broker' | 'clickhouse' | 'webhooks' | 'api' | 'geocoder'> & {
  http: Omit<Config['http'], 'admin_token_env' | 'metrics_token_env' | 'session_secret_env'>
  api: Omit<Config['api'], 'tokens'> & { tokens: Array<Omit<ApiToken, 'token_env'> & { token?: string }> }
  mqtt: Omit<Config['mqtt'], 'password_env'>
  broker: Omit<Config['broker'], 'users'> & { users: Array<Omit<BrokerUser, 'password_env' | 'password'> & { password: string }> }
  /** Warnings found while resolving, logged once at start-up (e.g. example logins left out). */
  startup_warnings?: string[]
  clickhouse: Omit<Config['clickhouse'], 'password_env'>
  webhooks: Array<Omit<WebhookConfig, 'secret_env'>>
  geocoder: Omit<Config['geocoder'], 'key_env'>
}

/** Config keys whose values are secrets (any key ending in password, secret or token: also
 * metrics_token, session_secret, dingtalk_secret; and the geocoder's key): an error message names
 * them, never prints their value. */
export const SECRET_KEY = /(^|[._])(password|secret|token)$|^geocoder[.]key$/

export function configError(message: string): HexpatrolError {
  return new HexpatrolError('HEXP_ERR_CONFIG', message)
}

/** Reads an environment-variable secret reference, failing with a message that names the key. */
export function resolveSecret(key: string, inline: string | undefined, envName: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (inline !== undefined) return inline
  if (envName === undefined) return undefined
  const v = env[envName]
  if (v === undefined || v === '') throw configError(`${key}: environment variable ${envName} is not set`)
  return v
}

function one(key: string, inlineKey: string, envKey: string, inline: unknown, envName: unknown): void {
  if (inline !== undefined && envName !== undefined) throw configError(`${key}: give ${inlineKey} or ${envKey}, not both`)
}

/**
 * Resolves every secret in place (the config is not frozen yet) and checks what needs no I/O.
 * Throws HexpatrolError naming the key.
 */
export function resolveConfig(config: Config, env: NodeJS.ProcessEnv): ResolvedConfig {
  const c = config as Config & Record<string, unknown>
  const h = c.http
  one('http', 'admin_token', 'admin_token_env', h.admin_token, h.admin_token_env)
  const token = resolveSecret('http.admin_token_env', h.admin_token, h.admin_token_env, env)
  if (token !== undefined && token.length < 16) throw configError(`http.admin_token_env: the token in ${h.admin_token_env} is shorter than 16 characters`)
  setSecret(h, 'admin_token', 'admin_token_env', token)

  const m = c.mqtt
  one('mqtt', 'password', 'password_env', m.password, m.password_env)
  setSecret(m, 'password', 'password_env', resolveSecret('mqtt.password_env', m.password, m.password_env, env))

  const ch = c.clickhouse
  one('clickhouse', 'password', 'password_env', ch.password, ch.password_env)
  setSecret(ch, 'password', 'password_env', resolveSecret('clickhouse.password_env', ch.password, ch.password_env, env))

  const b = c.broker
  for (const [i, u] of b.users.entries()) {
    const key = `broker.users.${i}`
    one(key, 'password', 'password_env', u.password, u.password_env)
    const pw = resolveSecret(`${key}.password_env`, u.password, u.password_env, env)
    if (pw === undefined) throw configError(`${key} (${u.username}): give password or password_env`)
    setSecret(u, 'password', 'password_env', pw)
  }
  const exampleWarning = dropExposedExampleLogins(c)
  if (exampleWarning !== null) (c as { startup_warnings?: string[] }).startup_warnings = [exampleWarning]
  // /metrics shows live coverage per zone and unit counts: beyond this machine only with a token.
  if (!isLoopbackHost(h.host) && h.metrics_token === undefined && h.metrics_token_env === undefined) {
    throw configError(`http.metrics_token_env: unset while http.host is ${h.host} (not loopback): GET /metrics (live coverage per zone) would be public. Set http.metrics_token_env (or HEXPATROL_METRICS_TOKEN) and give the scraper that bearer token, or bind http.host to 127.0.0.1.`)
  }

  // Inline wins over the variable (as it always has for these two).
  setSecret(h, 'metrics_token', 'metrics_token_env', resolveSecret('http.metrics_token_env', h.metrics_token, h.metrics_token_env, env))
  setSecret(h, 'session_secret', 'session_secret_env', resolveSecret('http.session_secret_env', h.session_secret, h.session_secret_env, env))

  for (const [i, t] of c.api.tokens.entries()) {
    const key = `api.tokens.${i}`
    if ((t.token_env === undefined) === (t.token_sha256 === undefined)) {
      throw configError(`${key}: give exactly one of token_env (an environment variable holding the token) or token_sha256 (its SHA-256, hex)`)
    }
    if (t.token_env !== undefined) setSecret(t as ApiToken & { token?: string }, 'token', 'token_env', apiTokenFromEnv(`${key}.token_env`, t.token_env, env))
  }

  for (const w of c.webhooks) {
    const key = `webhooks.${w.id}`
    one(key, 'secret', 'secret_env', w.secret, w.secret_env)
    if (w.secret_env !== undefined) {
      const secrets = webhookSecretFromEnv(key, w.secret_env, env)
      w.secret = secrets.length === 1 ? secrets[0]! : secrets
    }
    delete w.secret_env
  }

  const g = c.geocoder
  one('geocoder', 'key', 'key_env', g.key, g.key_env)
  setSecret(g, 'key', 'key_env', resolveSecret('geocoder.key_env', g.key, g.key_env, env))
  if (g.provider !== 'none' && g.key === undefined) throw configError(`geocoder.key_env: geocoder.provider is ${g.provider}, which needs the provider's key; set key_env to an environment variable holding it, or set provider: none (offline places only)`)
  return config as ResolvedConfig
}

/** Shortest API token accepted (api.tokens[].token_env, http.admin_token). */
export const MIN_TOKEN_LENGTH = 16

/** An API token from its environment variable, checked for length; the message names the key. */
function apiTokenFromEnv(key: string, envName: string, env: NodeJS.ProcessEnv): string {
  const v = resolveSecret(key, undefined, envName, env) as string
  if (v.length < MIN_TOKEN_LENGTH) throw configError(`${key}: the token in ${envName} is shorter than ${MIN_TOKEN_LENGTH} characters`)
  return v
}

/** A webhook secret variable: one secret, or two (rotation) separated by a space or comma. */
function webhookSecretFromEnv(key: string, envName: string, env: NodeJS.ProcessEnv): string[] {
  return (resolveSecret(`${key}.secret_env`, undefined, envName, env) as string).split(/[\s,]+/).filter((s) => s !== '')
}

/**
 * Resolves the `secret_env` of a webhook subscription added at run time (the admin API, or such an
 * addition persisted and loaded again at start): the one place outside start-up that reads the
 * environment, and only for that. Throws HEXP_ERR_CONFIG naming `webhooks.<id>.secret_env` when the
 * variable is unset.
 */
export type WebhookSecretSource = (webhookId: string, envName: string) => string[]

/** The WebhookSecretSource over an environment (the process's unless one is given, e.g. by the CLI or a test). */
export function webhookSecretSource(env: NodeJS.ProcessEnv = process.env): WebhookSecretSource {
  return (webhookId, envName) => webhookSecretFromEnv(`webhooks.${webhookId}`, envName, env)
}

function setSecret<T extends object>(obj: T, inlineKey: keyof T & string, envKey: keyof T & string, value: string | undefined): void {
  const o = obj as Record<string, unknown>
  delete o[envKey]
  if (value === undefined) delete o[inlineKey]
  else o[inlineKey] = value
}
