// The HTTP ingest stack the ingest tests drive, built one way: config over device credentials,
// HttpIngest feeding a real Ingestor and decoders into a fake journal, served by the real API
// (closed when the test ends). No sockets are opened here: the test injects or listens.
import type { Test } from 'tap'
import { pino } from 'pino'
import { validateConfig } from '../../src/config/load.js'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { Ingestor, type JournalWriter } from '../../src/ingest/ingestor.js'
import { HttpIngest } from '../../src/ingest/http-ingest.js'
import { StreamHub } from '../../src/api/stream-hub.js'
import { buildApi } from '../../src/api/server.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { groupByTable } from '../../src/journal/record.js'
import type { DecodeResult } from '../../src/decode/fix.js'
import { captureLogger } from './harness.js'

/** A journal in memory: `full` refuses appends until free(), `fail` throws as a closed journal does. */
export class FakeJournal implements JournalWriter {
  records: Buffer[] = []
  full = false
  fail = false
  append(r: Buffer): boolean {
    if (this.fail) throw new Error('journal is closed')
    if (this.full) return false
    this.records.push(r)
    return true
  }
  private waiters: Array<() => void> = []
  whenWritable(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }
  free(): void {
    this.full = false
    for (const w of this.waiters.splice(0)) w()
  }
  rows(table: string): Array<Record<string, unknown>> {
    return (groupByTable(this.records).tables.get(table as 'positions') ?? []).map((l) => JSON.parse(l) as Record<string, unknown>)
  }
}

export interface HttpIngestApiOptions {
  /** broker.users: the device credentials HTTP ingest checks. */
  users: Array<{ username: string; password: string }>
  /** The sink's when-full answer (default: never full). */
  full?: () => boolean
  now: () => number
  /** buildApi's ingestFastPath (default: buildApi's own). */
  fastPath?: boolean
}

/** HttpIngest → Ingestor → FakeJournal behind the API, for units P-1 and P-2 and `raw` over them. */
export async function buildHttpIngestApi(t: Test, raw: Record<string, unknown>, opts: HttpIngestApiOptions) {
  const config = validateConfig({
    broker: { users: opts.users, allow_anonymous: false },
    units: [{ id: 'P-1' }, { id: 'P-2' }],
    ...raw,
  })
  const journal = new FakeJournal()
  const metrics = createMetrics({ defaults: false })
  const logger = pino({ level: 'silent' })
  const now = opts.now
  const ingestLog = captureLogger('info')
  const ingestor = new Ingestor({ decode: createDecoder(decoderOptionsFromConfig(config)), journal, metrics, logger, now })
  // Every decoded report that reached the pipeline, in order.
  const seen: DecodeResult[] = []
  const httpIngest = new HttpIngest({ config, metrics, now, logger: ingestLog.logger, sink: { full: opts.full ?? (() => false), ingest: (r, at) => { seen.push(r); return ingestor.ingest(r, at, 'http') } } })
  const app = await buildApi({ config, logger, registry: metrics.registry, now, readiness: async () => ({}), httpIngest, stream: new StreamHub(), audit: () => undefined, ...(opts.fastPath === undefined ? {} : { ingestFastPath: opts.fastPath }) })
  t.teardown(() => {
    // Keep-alive sockets (fetch, http.request) would otherwise hold the server open until they time out.
    app.server.closeAllConnections()
    return app.close()
  })
  return { app, journal, metrics, seen, httpIngest, config, logs: ingestLog.logs }
}
