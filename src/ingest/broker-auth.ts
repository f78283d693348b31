// Device authentication and per-device topic ACLs for the embedded broker, decided from config
// once at start-up. Passwords are compared in constant time. A device reports only as itself: on
// an ingested topic (one of mqtt.subscriptions) it may publish only where the topic router names
// exactly its username as the unit id (`owntracks/<user>/<device>` is unit <user>; with
// unit_from: all_levels `P` cannot publish `owntracks/P/002`, which would be unit P-002); other topics follow its ACL patterns with %u replaced by its username (Mosquitto
// `pattern write` semantics), where %u must stand for a whole topic level. A device subscribes
// only within broker.subscribe_acl, %u replaced the same way (by default its own
// `hexpatrol/devices/<unit>/#`); an integration login publishes nothing and subscribes within
// broker.integration_subscribe_acl, as do anonymous clients (loopback only, and already trusted to
// report as any unit).
import type { Config } from '../config/schema.js'
import type { ResolvedConfig } from '../config/resolve.js'
import { createTopicRouter, subscriptionSpecs } from '../decode/topic-router.js'
import { DeviceCredentials } from './device-credentials.js'
import { compileFilter, filterCovers, type TopicMatcher } from '../decode/topic-filter.js'

/** Anonymous devices: as configured, else only while no device has credentials. */
export function anonymousAllowed(b: Config['broker']): boolean {
  const explicit = b.allow_anonymous
  return explicit ?? b.users.length === 0
}

export interface BrokerAuth {
  /** Anonymous devices are accepted (see anonymousAllowed). */
  readonly anonymous: boolean
  /** null = anonymous; returns false for a bad password or unknown user. */
  authenticate(username: string | undefined, password: Buffer | undefined): boolean
  canPublish(username: string | null, topic: string): boolean
  canSubscribe(username: string | null, filter: string): boolean
}

/** The config is resolved: loadConfig refused conflicting or exposed anonymous settings and resolved every password. */
export function createBrokerAuth(config: ResolvedConfig): BrokerAuth {
  const b = config.broker
  const anonymousOk = anonymousAllowed(b)
  const users = new DeviceCredentials(config, ['device', 'integration'])
  const integrations = new Set(b.users.filter((u) => u.role === 'integration').map((u) => u.username))
  const integrationAcl = b.integration_subscribe_acl
  // Anonymous devices may publish to any configured subscription topic; named ones to their ACL.
  const anonymous = config.mqtt.subscriptions.map((s) => compileFilter(s.topic))
  // The decoder's own routes (OwnTracks: the <user> level unless unit_from says otherwise).
  const router = createTopicRouter(subscriptionSpecs(config.mqtt))
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
  const subscribeCache = new Map<string, string[]>()
  const subscribeAclFor = (user: string): string[] => {
    let f = subscribeCache.get(user)
    if (f === undefined) subscribeCache.set(user, (f = subscribeAcl.map((p) => p.replaceAll('%u', user))))
    return f
  }
  return {
    anonymous: anonymousOk,
    authenticate(username, password) {
      if (username === undefined || username === '') return anonymousOk && password === undefined
      if (password === undefined) return false
      return users.verify(username, password)
    },
    canPublish(username, topic) {
      if (topic.startsWith('$')) return false
      // A username containing a wildcard or separator could widen its ACL: refuse it.
      if (username !== null && /[+#/]/.test(username)) return false
      if (username === null) return anonymous.some((m) => m(topic))
      if (integrations.has(username)) return false
      // Ingested: the unit the router derives must be the device itself, exactly (case included).
      const route = router(topic)
      if (route !== null) return route.unitId === username
      return aclFor(username).some((m) => m(topic))
    },
    canSubscribe(username, filter) {
      if (username === null || integrations.has(username)) return integrationAcl.some((allowed) => filterCovers(allowed, filter))
      if (/[+#/]/.test(username)) return false
      return subscribeAclFor(username).some((allowed) => filterCovers(allowed, filter))
    },
  }
}
