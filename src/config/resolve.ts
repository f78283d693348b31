// The checks and resolutions that need no I/O beyond reading the environment, run once by
// validateConfig: secrets (`*_env` references) resolved to their values, pairs that exclude each
// other, the API's /metrics exposure. What comes out is a ResolvedConfig: no `*_env` key is left,
// so no stage reads the environment again. Compiling it into what the stages need (geometry, the
// broker's exposure, JT/T 808 terminals, incidents, webhooks) is src/boot.ts's job.
import type { Config, WebhookConfig } from './schema.js'
import { HexpatrolError } from '../errors.js'
import { isLoopbackHost } from '../net/addresses.js'

type BrokerUser = Config['broker']['users'][number]

/** The config after resolution: every secret is a value (or absent), never an env reference. */
export type ResolvedConfig = Omit<Config, 'http' | 'mqtt' | 'broker' | 'clickhouse' | 'webhooks'> & {
  http: Omit<Config['http'], 'admin_token_env'>
  mqtt: Omit<Config['mqtt'], 'password_env'>
  broker: Omit<Config['broker'], 'users'> & { users: Array<Omit<BrokerUser, 'password_env' | 'password'> & { password: string }> }
  clickhouse: Omit<Config['clickhouse'], 'password_env'>
  webhooks: Array<Omit<WebhookConfig, 'secret_env'>>
}

/** Config keys whose values are secrets (any key ending in password, secret or token: also
 * metrics_token, session_secret, dingtalk_secret): an error message names them, never prints their value. */
export const SECRET_KEY = /(^|[._])(password|secret|token)$/

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
  // /metrics shows live coverage per zone and unit counts: beyond this machine only with a token.
  if (!isLoopbackHost(h.host) && h.metrics_token === undefined && h.metrics_token_env === undefined) {
    throw configError(`http.metrics_token_env: unset while http.host is ${h.host} (not loopback): GET /metrics (live coverage per zone) would be public. Set http.metrics_token_env (or HEXPATROL_METRICS_TOKEN) and give the scraper that bearer token, or bind http.host to 127.0.0.1.`)
  }

  for (const w of c.webhooks) {
    const key = `webhooks.${w.id}`
    one(key, 'secret', 'secret_env', w.secret, w.secret_env)
    const v = resolveSecret(`${key}.secret_env`, undefined, w.secret_env, env)
    // The variable may hold two secrets (rotation), separated by a space or comma.
    if (v !== undefined) {
      const secrets = v.split(/[\s,]+/).filter((s) => s !== '')
      w.secret = secrets.length === 1 ? secrets[0]! : secrets
    }
    delete w.secret_env
  }
  return config as ResolvedConfig
}

/** Shortest API token accepted (api.tokens[].token_env, http.admin_token). */
export const MIN_TOKEN_LENGTH = 16

/** An API token from its environment variable, checked for length; the message names the key. */
export function apiTokenFromEnv(key: string, envName: string, env: NodeJS.ProcessEnv): string {
  const v = resolveSecret(key, undefined, envName, env) as string
  if (v.length < MIN_TOKEN_LENGTH) throw configError(`${key}: the token in ${envName} is shorter than ${MIN_TOKEN_LENGTH} characters`)
  return v
}

/**
 * The secrets the API reads from the environment when it starts (api.tokens[].token_env,
 * http.session_secret_env, http.metrics_token_env), checked when the config file is loaded, so a
 * missing one stops `npm start` before any file is opened rather than after the journal and
 * ClickHouse are. The API still reads them itself (validateConfig alone leaves them to it).
 */
export function checkApiSecrets(config: ResolvedConfig, env: NodeJS.ProcessEnv): void {
  for (const [i, t] of config.api.tokens.entries()) {
    if (t.token_env !== undefined && t.token_sha256 === undefined) apiTokenFromEnv(`api.tokens.${i}.token_env`, t.token_env, env)
  }
  const h = config.http
  if (h.session_secret === undefined) resolveSecret('http.session_secret_env', undefined, h.session_secret_env, env)
  if (h.metrics_token === undefined) resolveSecret('http.metrics_token_env', undefined, h.metrics_token_env, env)
}

function setSecret<T extends object>(obj: T, inlineKey: keyof T & string, envKey: keyof T & string, value: string | undefined): void {
  const o = obj as Record<string, unknown>
  delete o[envKey]
  if (value === undefined) delete o[inlineKey]
  else o[inlineKey] = value
}
