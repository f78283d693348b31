// The `audit` table: one row per state-changing API request (who, what, when, from where).
// Rows are queued in memory (bounded) and inserted in small batches; a failed insert is retried
// with the next batch, so a ClickHouse restart loses no audit row unless the queue overflows
// (counted and logged).
import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from 'pino'

export interface AuditEntry {
  /** Token name, or `anonymous` for a failed login. */
  actor: string
  /** What was done, e.g. `alert.acknowledge`, `POST /api/v1/webhooks`. */
  action: string
  /** The resource acted on (alert id, webhook id), '' when none. */
  target: string
  details: Record<string, unknown>
  /** Client address. */
  ip: string
}

export function auditTableStatement(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.audit (
      at DateTime64(3, 'UTC'),
      actor LowCardinality(String),
      action LowCardinality(String),
      target String,
      ip String,
      details String CODEC(ZSTD(3))
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(at)
    ORDER BY (at, actor)`
}

export interface AuditLogOptions {
  client: ClickHouseClient
  database: string
  logger: Logger
  now?: () => number
  /** Rows kept while ClickHouse is away; older ones are dropped beyond this. */
  maxQueued?: number
  retryMs?: number
}

export class AuditLog {
  private readonly o: Required<Omit<AuditLogOptions, 'logger' | 'client'>> & Pick<AuditLogOptions, 'logger' | 'client'>
  private queue: Array<Record<string, unknown>> = []
  private flushing: Promise<void> | null = null
  private retry: NodeJS.Timeout | null = null
  dropped = 0

  constructor(o: AuditLogOptions) {
    this.o = { now: Date.now, maxQueued: 10_000, retryMs: 5000, ...o }
  }

  write(e: AuditEntry): void {
    this.queue.push({ at: this.o.now(), actor: e.actor, action: e.action, target: e.target, ip: e.ip, details: JSON.stringify(e.details) })
    if (this.queue.length > this.o.maxQueued) {
      this.queue.shift()
      this.dropped++
      this.o.logger.error({ dropped: this.dropped }, 'Audit queue full (ClickHouse not taking rows): the oldest audit row was dropped.')
    }
    void this.flush()
  }

  /** Inserts what is queued; resolves when the queue is empty or an insert failed (retried later). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null
    })
    return this.flushing
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const rows = this.queue
      this.queue = []
      try {
        await this.o.client.insert({ table: `${this.o.database}.audit`, values: rows, format: 'JSONEachRow' })
      } catch (err) {
        const all = rows.concat(this.queue)
        this.dropped += Math.max(0, all.length - this.o.maxQueued)
        this.queue = all.slice(-this.o.maxQueued)
        this.o.logger.warn({ err: (err as Error).message, queued: this.queue.length }, 'Could not write audit rows to ClickHouse; retrying.')
        if (this.retry === null) {
          this.retry = setTimeout(() => {
            this.retry = null
            void this.flush()
          }, this.o.retryMs)
          this.retry.unref()
        }
        return
      }
    }
  }

  get pending(): number {
    return this.queue.length
  }

  async close(): Promise<void> {
    if (this.retry !== null) clearTimeout(this.retry)
    this.retry = null
    await this.flush()
  }
}
