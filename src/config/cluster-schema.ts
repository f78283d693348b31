// The `cluster` section: cluster mode on NATS JetStream. Without `cluster.url` nothing changes (one
// engine, the local journal). The partition count is fixed when the stream is created; the checks
// that TypeBox cannot phrase well (allowed replica counts, node_id required with url) live here.
import { Type } from '@sinclair/typebox'
import { Duration, Obj } from './schema-parts.js'

export const CLUSTER_DEFAULTS = { partitions: 32, replicas: 1, takeover: '10s' } as const

export const ClusterSchema = Obj({
  /** NATS server URL(s), comma-separated (nats://host:4222,nats://host2:4222). Unset: single-node mode. Not run by this version yet: start-up refuses it (HEXP_ERR_CONFIG) until the engine runs on the cluster log. */
  url: Type.Optional(Type.String({ minLength: 1 })),
  /** This engine's unique, stable name in the cluster (lease holder, metrics label). */
  node_id: Type.Optional(Type.String({ minLength: 1 })),
  /** Partitions of the fix stream; fixed when the stream is created (changing it moves most units). */
  partitions: Type.Integer({ default: CLUSTER_DEFAULTS.partitions }),
  /** JetStream replicas of the stream and the lease bucket: 1 for tests, 3 in production. */
  replicas: Type.Integer({ default: CLUSTER_DEFAULTS.replicas }),
  /** How long a dead engine's partitions wait before another engine takes them (lease expiry). */
  takeover: Duration(CLUSTER_DEFAULTS.takeover),
  /**
   * With an external broker, subscribe as one MQTT shared-subscription group ($share/hexpatrol/…) so
   * each fix reaches one engine. Off by default: Mosquitto keeps sending a dead engine's persistent
   * session its share (lost to the others until it returns) and drops a clean session's in-flight
   * messages, so by default every engine subscribes to every fix and JetStream's dedup keeps one.
   * Turn on with a broker that re-dispatches a dead member's messages (EMQX).
   */
  shared_subscription: Type.Boolean({ default: false }),
})

export interface ClusterConfig {
  url?: string | undefined
  node_id?: string | undefined
  partitions: number
  replicas: number
  takeover: number
  shared_subscription: boolean
}

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/
const SERVER = /^(?:(?:nats|tls|ws|wss):\/\/)?(?:[^\s/@]+@)?[^\s/:,@]+(?::\d{1,5})?$/

/** The NATS server URLs of cluster.url (comma-separated, blanks ignored). */
export function clusterServers(url: string): string[] {
  return url.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
}

/** Returns the first problem as `<key>: <what to do>`, or null when the section is usable. */
export function clusterProblem(c: ClusterConfig): string | null {
  if (c.partitions < 1 || c.partitions > 1024) return `cluster.partitions: ${c.partitions} is out of range; use 1 to 1024 (default ${CLUSTER_DEFAULTS.partitions}; it is fixed once the stream exists)`
  if (![1, 3, 5].includes(c.replicas)) return `cluster.replicas: ${c.replicas} is not allowed; use 1 (one NATS server, tests), 3 (production) or 5`
  if (c.takeover < 1000 || c.takeover > 300_000) return `cluster.takeover: use a duration from 1s to 5m (default ${CLUSTER_DEFAULTS.takeover})`
  if (c.node_id !== undefined && !NODE_ID.test(c.node_id)) return 'cluster.node_id: use 1 to 64 letters, digits, "-" or "_" (it names this engine in lease keys and subjects)'
  if (c.url === undefined) return null
  const servers = clusterServers(c.url)
  if (servers.length === 0) return 'cluster.url: give at least one NATS server, e.g. nats://127.0.0.1:4222 (comma-separated for several)'
  const bad = servers.find((s) => !SERVER.test(s))
  if (bad !== undefined) return `cluster.url: "${bad.slice(0, 80)}" is not a NATS server address; use nats://host:port (comma-separated for several)`
  if (c.node_id === undefined) return 'cluster.node_id: required when cluster.url is set; give each engine a unique, stable name (or set HEXPATROL_NODE_ID)'
  return null
}
