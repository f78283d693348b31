// Stores journal records in ClickHouse through the real sink path (createDeliver: one insert per
// table, the segment's deduplication token), as the shipper would, without a journal on disk.
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import type { ClickHouseClient } from '@clickhouse/client'
import { createDeliver } from '../../src/store/clickhouse/deliver.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { incidentJournal, readIncidents } from '../../src/journal/record.js'
import type { UnshippedIncidents } from '../../src/incidents/unshipped.js'

/** `instanceId` prefixes the tokens (default: a new one, as a new data directory would). */
export function recordDeliverer(client: ClickHouseClient, database: string, instanceId = randomBytes(8).toString('hex')) {
  const deliver = createDeliver({ client, database, instanceId, logger: pino({ level: 'silent' }), metrics: createMetrics({ defaults: false }) })
  let next = 1
  return {
    /** Delivers records as one segment (a new id unless given: the same id re-sends it). */
    async ship(records: Buffer[], segmentId = next++): Promise<void> {
      const status = await deliver({ id: segmentId }, records)
      if (status !== 'delivered') throw new Error(`segment ${segmentId}: ${status}`)
    },
  }
}

/** A service's journal that ships each record at once and tells the read model (for unit tests). */
export function directJournal(client: ClickHouseClient, database: string, unshipped: UnshippedIncidents) {
  const d = recordDeliverer(client, database)
  return incidentJournal(async (record: Buffer): Promise<void> => {
    await d.ship([record])
    unshipped.shipped(Array.from(readIncidents([record]), (r) => r.id))
  })
}
