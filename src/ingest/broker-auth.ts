// Device authentication and per-device topic ACLs for the embedded broker, decided from config
// once at start-up. Passwords are compared in constant time; a device publishes only to topics
// its ACL patterns allow with %u replaced by its username (Mosquitto `pattern write` semantics).
import { timingSafeEqual, createHash } from 'node:crypto'
import type { ResolvedConfig } from '../config/resolve.js'
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

function digest(b: Buffer | string): Buffer {
  return createHash('sha256').update(b).digest()
}

/** The config is resolved: loadConfig refused an exposed anonymous broker and resolved every password. */
export function createBrokerAuth(config: ResolvedConfig): BrokerAuth {
  const b = config.broker
  const users = new Map<string, Buffer>()
  for (const u of b.users) users.set(u.username, digest(u.password))
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
      const expected = users.get(username)
      if (expected === undefined || password === undefined) return false
      return timingSafeEqual(expected, digest(password))
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
