// Owns what the engine knows about ClickHouse's state: whether the schema is created (created at
// start and retried until it is), whether the last call succeeded (hexpatrol_clickhouse_up, one
// log line per change), and a side-effect-free status for /readyz.
import type { Logger } from 'pino'
import type { Config } from '../../config/schema.js'
import type { Metrics } from '../../telemetry/metrics.js'
import type { ClickHouseHandle } from './client.js'
import { migrate } from './schema.js'

export interface SinkStatus { ok: boolean; detail: string; code?: 'HEXP_ERR_CLICKHOUSE_UNAVAILABLE' }

export class ClickHouseHealth {
  readonly #ch: ClickHouseHandle
  readonly #config: Config
  readonly #logger: Logger
  readonly #metrics: Metrics
  #migrated = false
  #up = false

  constructor(ch: ClickHouseHandle, deps: { config: Config; logger: Logger; metrics: Metrics }) {
    this.#ch = ch
    this.#config = deps.config
    this.#logger = deps.logger
    this.#metrics = deps.metrics
  }

  /** True once the schema exists: until then nothing is shipped (the journal keeps it). */
  get migrated(): boolean {
    return this.#migrated
  }

  /** Records the outcome of a ClickHouse call: gauge, and a log line when the state changes. */
  report(up: boolean): void {
    if (up !== this.#up) this.#logger[up ? 'info' : 'warn']({ target: this.#ch.target, ...(up ? {} : { code: 'HEXP_ERR_CLICKHOUSE_UNAVAILABLE' }) }, up ? 'ClickHouse is answering.' : 'ClickHouse is not answering; fixes are kept in the journal.')
    this.#up = up
    this.#metrics.clickhouseUp.set(up ? 1 : 0)
  }

  /** Creates or migrates the schema; a failure is logged and retried by the next call. */
  async ensureSchema(): Promise<void> {
    if (this.#migrated) return
    try {
      const c = this.#config.clickhouse
      await migrate(this.#ch.client, { database: this.#ch.database, ttlDays: c.ttl_days, rejectsTtlDays: c.rejects_ttl_days, cluster: c.cluster })
      this.#migrated = true
      this.report(true)
      this.#logger.info({ database: this.#ch.database }, 'ClickHouse schema is up to date.')
    } catch (err) {
      this.report(false)
      this.#logger.warn({ err }, 'Could not create the ClickHouse schema; retrying every 5 s. Fixes are journaled meanwhile.')
    }
  }

  /**
   * While inserts are failing, asks whether ClickHouse answers again; `onBack` runs when it does
   * (the shipper retries at once instead of waiting out its backoff).
   */
  async probe(onBack: () => void): Promise<void> {
    if (this.#migrated && (await this.#ch.ping())) onBack()
  }

  /** For /readyz: pings, changes nothing. */
  async status(): Promise<SinkStatus> {
    const down = { ok: false, code: 'HEXP_ERR_CLICKHOUSE_UNAVAILABLE' } as const
    if (!this.#migrated) return { ...down, detail: 'schema not created yet (ClickHouse unreachable?)' }
    return (await this.#ch.ping()) ? { ok: true, detail: this.#ch.target } : { ...down, detail: 'not answering' }
  }
}
