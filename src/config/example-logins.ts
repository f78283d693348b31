// Example device logins (`broker.users[].example: true`): the sample configuration ships a few
// logins whose passwords are published in the README, so the quick start's device examples work as
// shipped. A published password is only safe where nobody else can reach the device listeners, so
// example logins count only while every listener that checks device passwords (the embedded broker,
// HTTP ingest on http.host, the OsmAnd port) is bound to loopback. Otherwise they are left out, with
// a start-up warning naming the listener: the engine then runs exactly as if they were not listed
// (e.g. the Docker image, which binds 0.0.0.0, takes none of them).
import type { Config } from './schema.js'
import { isLoopbackHost } from '../net/addresses.js'

type Listeners = Pick<Config, 'mqtt' | 'broker' | 'http' | 'http_ingest'>

/** The first device listener bound beyond loopback, as `key (host)`, or null when all are loopback. */
export function exposedDeviceListener(c: Listeners): string | null {
  if (c.mqtt.url === undefined && !isLoopbackHost(c.broker.host)) return `broker.host (${c.broker.host})`
  if (!c.http_ingest.enabled) return null
  if (!isLoopbackHost(c.http.host)) return `http.host (${c.http.host})`
  const osmand = c.http_ingest.osmand_host ?? c.http.host
  if (c.http_ingest.osmand_port !== undefined && !isLoopbackHost(osmand)) return `http_ingest.osmand_host (${osmand})`
  return null
}

/**
 * Drops the example logins from `users` (in place) when a device listener is exposed; returns the
 * start-up warning to log, or null when nothing was dropped.
 */
export function dropExposedExampleLogins(c: Listeners): string | null {
  const users = c.broker.users
  const examples = users.filter((u) => u.example === true)
  if (examples.length === 0) return null
  const exposed = exposedDeviceListener(c)
  if (exposed === null) return null
  const kept = users.filter((u) => u.example !== true)
  users.splice(0, users.length, ...kept)
  const names = examples.map((u) => u.username).join(', ')
  return `broker.users: the example login(s) ${names} are left out because ${exposed} is not loopback: their passwords are published. Give those devices their own passwords (password_env) without example: true.`
}
