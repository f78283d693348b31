// Opens cluster mode's connections and buckets from the validated config: the JetStream log (one
// NATS connection, reconnecting forever), the progress marks, the fleet snapshot store and the
// ownership (membership + leases), all replicated `cluster.replicas` times. NATS not answering yet
// is tried again for a minute (retry-open.ts); then it fails with LogUnavailableError naming what
// to check, so the engine does not start half-clustered.
import { createHash } from 'node:crypto'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import type { ResolvedConfig } from '../config/resolve.js'
import { clusterServers } from '../config/cluster-schema.js'
import type { Deployment } from '../rules/deployment.js'
import type { Metrics } from '../telemetry/metrics.js'
import { JetStreamLog } from '../log/jetstream-log.js'
import { retryOpen } from './retry-open.js'
import { PartitionMarks } from './marks.js'
import { SnapshotStore } from './snapshot-store.js'
import { Ownership } from './ownership.js'
import { SCHEDULE_ROLE, type ClusterLog, type MarksPort, type OwnershipPort, type SnapshotPort } from './cluster-node.js'

export interface ClusterHandles {
  log: ClusterLog
  ownership: OwnershipPort
  marks: MarksPort
  snapshots: SnapshotPort
  configHash: string
  /** The log's NATS connection, for stores kept beside the marks (the bulletin schedule's state). */
  nc: NatsConnection
  close(): Promise<void>
}

/**
 * What the replicated rule state depends on: a snapshot made under another configuration is not
 * restored (the log is replayed instead). Every engine of a cluster must run the same one.
 */
export function rulesConfigHash(config: ResolvedConfig): string {
  const { units, posts, zones, rules, h3 } = config
  return createHash('sha256').update(JSON.stringify({ units, posts, zones, rules, h3 })).digest('hex').slice(0, 32)
}

/**
 * The lease time behind cluster.takeover: survivors claim a dead engine's lease between the lease
 * time and the lease time + two rounds (a round is lease time / 6) after its last renewal, and own
 * it after a confirming read half a round later (leases.ts), so a lease of 0.7 of cluster.takeover
 * (0.7 x 17/12 < 1) keeps the whole takeover within it.
 */
export function leaseTime(takeoverMs: number): number {
  return Math.floor(takeoverMs * 0.7)
}

export async function openCluster(o: { config: ResolvedConfig; dep: Deployment; logger: Logger; metrics: Metrics }): Promise<ClusterHandles> {
  const c = o.config.cluster
  const nodeId = c.node_id!
  // NATS may be starting with us (a compose stack): try again for a minute before giving up.
  const log = await retryOpen(() => JetStreamLog.open({ servers: clusterServers(c.url!), partitions: c.partitions, replicas: c.replicas, name: `hexpatrol-${nodeId}` }), {
    onRetry: (attempt, err, pauseMs) => o.logger.warn({ attempt, err: err.message, retryInMs: pauseMs }, 'NATS JetStream is not answering yet; trying again (for up to a minute) before the engine gives up.'),
  })
  log.onPublished = (s) => o.metrics.jetstreamPublishSeconds.observe(s)
  log.onResubscribed = (filter, handled, last) => {
    o.metrics.clusterLogResubscribed.inc()
    o.logger.warn({ filter, handled: String(handled), last: String(last) }, 'Following the cluster log stalled (its consumer was lost in a NATS leader change?); it was created again from the last record applied.')
  }
  try {
    const nc = log.connection
    const marks = await PartitionMarks.open({ nc, replicas: c.replicas, onWarning: (p, reason) => o.logger.warn({ partition: p, reason }, 'A partition progress mark is unreadable; it counts as zero (its side effects stay pending until the owner writes it again).') })
    const snapshots = await SnapshotStore.open({ nc, replicas: c.replicas })
    const ownership = await Ownership.open({
      nc, nodeId, partitions: c.partitions, roles: [SCHEDULE_ROLE], takeoverMs: leaseTime(c.takeover), replicas: c.replicas,
      hooks: {
        renewed: () => o.metrics.clusterLeaseRenewals.inc(),
        lost: () => o.metrics.clusterLeaseLosses.inc(),
        tookOver: (_key: string, _from: string, waitedMs: number) => o.metrics.clusterTakeoverSeconds.observe(waitedMs / 1000),
      },
    })
    return {
      log,
      marks: {
        get: (p) => marks.get(p),
        set: async (p, m) => { await marks.set(p, m) },
        watch: (onMark) => marks.watch(onMark, (err) => o.logger.warn({ err }, 'Watching the partition progress marks failed; pending side effects are dropped when it resumes.')),
      },
      snapshots: {
        save: async (data, meta) => { await snapshots.save(data, meta) },
        load: () => snapshots.load(),
      },
      ownership,
      configHash: rulesConfigHash(o.config),
      nc,
      close: () => log.close(),
    }
  } catch (err) {
    await log.close()
    throw err
  }
}
