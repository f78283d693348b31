// Device authentication and per-device topic ACLs for the embedded broker, decided from config
// once at start-up. Passwords are compared in constant time; a device publishes only to topics
// its ACL patterns allow with %u replaced by its username (Mosquitto `pattern write` semantics).
import type { Config } from '../config/schema.js'
import { HexpatrolError } from '../errors.js'
import { DeviceCredentials } from './device-credentials.js'
import { compileFilter, filterCovers, type TopicMatcher } from './topic-filter.js'

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.')
}

export interface BrokerAuth {
  /** null = anonymous; returns false for a bad password or unknown user. */
  authenticate(username: string | undefined, password: Buffer | undefined): boolean
  canPublish(username: string | null, topic: string): boolean
  canSubscribe(username: string | null, filter: string): boolean
}

export function createBrokerAuth(config: Config, env: NodeJS.ProcessEnv = process.env): BrokerAuth {
  const b = config.broker
  if (b.allow_anonymous && !isLoopbackHost(b.host)) {
    throw new HexpatrolError(
      'HEXP_ERR_BROKER_EXPOSED',
      `broker.host is ${b.host} (not loopback) and broker.allow_anonymous is true: devices could publish without credentials. Set broker.allow_anonymous: false and list devices under broker.users, or bind broker.host to 127.0.0.1.`,
    )
  }
  if (!b.allow_anonymous && b.users.length === 0) {
    throw new HexpatrolError('HEXP_ERR_CONFIG', 'broker.allow_anonymous is false but broker.users is empty: no device could connect. Add broker.users entries.')
  }
  const users = new DeviceCredentials(config, env)
  // Anonymous devices may publish to any configured subscription topic; named ones to their ACL.
  const anonymous = config.mqtt.subscriptions.map((s) => compileFilter(s.topic))
  const subscribeAcl = b.subscribe_acl
  const cache = new Map<string, TopicMatcher[]>()
  const aclFor = (user: string): TopicMatcher[] => {
    let m = cache.get(user)
    if (m === undefined) {
      m = b.acl.map((p) => compileFilter(p.replaceAll('%u', user)))
      cache.set(user, m)
    }
    return m
  }
  return {
    authenticate(username, password) {
      if (username === undefined || username === '') return b.allow_anonymous && password === undefined
      if (password === undefined) return false
      return users.verify(username, password)
    },
    canPublish(username, topic) {
      if (topic.startsWith('$')) return false
      // A username containing a wildcard or separator could widen its ACL: refuse it.
      if (username !== null && /[+#/]/.test(username)) return false
      const matchers = username === null ? anonymous : aclFor(username)
      return matchers.some((m) => m(topic))
    },
    canSubscribe(_username, filter) {
      return subscribeAcl.some((allowed) => filterCovers(allowed, filter))
    },
  }
}
