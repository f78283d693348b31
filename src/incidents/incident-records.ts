// Where the incidents stage writes incidents and reads them back: journaled (the read model of
// those not shipped yet holds them before the append, so a fast delivery cannot miss them), read
// from ClickHouse plus those not shipped yet. One owner for this I/O, out of service.ts; a
// ClickHouse that cannot be asked is logged and answered with what is known (get() alone throws).
import type { Logger } from 'pino'
import { HexpatrolError } from '../errors.js'
import type { IncidentJournal, IncidentRecord } from './incident-journal.js'
import type { IncidentQuery, IncidentRow, IncidentStore } from './incident-store.js'
import { byTimeDesc, type UnshippedIncidents } from './unshipped.js'

/** Incident rows per journal record (a bulk import of 100,000 is 100 records). */
export const INCIDENTS_PER_RECORD = 1000

export interface IncidentRecordsDeps {
  /** null while ClickHouse is not migrated: reads see only the incidents not shipped yet. */
  store: () => IncidentStore | null
  journal: IncidentJournal
  unshipped: UnshippedIncidents
  logger: Logger
}

export class IncidentRecords {
  constructor(private readonly d: IncidentRecordsDeps) {}

  /** Which ids ClickHouse holds; none when it cannot be asked (logged). */
  async storedIds(ids: string[]): Promise<Set<string>> {
    const store = this.d.store()
    if (store === null || ids.length === 0) return new Set()
    try {
      return await store.existing(ids)
    } catch (err) {
      this.d.logger.warn({ err: (err as Error).message, incidents: ids.length }, 'ClickHouse could not be asked which incidents it holds; they are journaled as new.')
      return new Set()
    }
  }

  /** Journals incidents in records of INCIDENTS_PER_RECORD; a failed append forgets its rows and the rest, then throws. */
  async journal(rows: IncidentRecord[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INCIDENTS_PER_RECORD) {
      const chunk = rows.slice(i, i + INCIDENTS_PER_RECORD)
      for (const r of chunk) this.d.unshipped.add(r)
      try {
        await this.d.journal.incidents(chunk)
      } catch (err) {
        this.d.unshipped.drop(rows.slice(i).map((r) => r.id))
        throw err
      }
    }
  }

  /**
   * Stored incidents plus those not shipped yet. While ClickHouse cannot be read, the ones not
   * shipped yet only, marked partial.
   */
  async query(q: IncidentQuery): Promise<{ rows: IncidentRow[]; partial: boolean }> {
    const mine = this.d.unshipped.query(q)
    const store = this.d.store()
    let stored: IncidentRow[]
    try {
      if (store === null) throw new Error('ClickHouse is not ready')
      stored = await store.query(q)
    } catch (err) {
      this.d.logger.warn({ err: (err as Error).message }, 'Incidents could not be read from ClickHouse; answering with those not shipped yet.')
      return { rows: mine, partial: true }
    }
    const ids = new Set(mine.map((r) => r.id))
    return { rows: mine.concat(stored.filter((r) => !ids.has(r.id))).sort(byTimeDesc).slice(0, q.limit), partial: false }
  }

  /** One incident, from those not shipped yet first; throws NOT_READY/ClickHouse errors otherwise. */
  async get(id: string): Promise<IncidentRow | null> {
    const mine = this.d.unshipped.get(id)
    if (mine !== null) return mine
    const store = this.d.store()
    if (store === null) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'ClickHouse is not ready; only incidents not shipped yet can be read.')
    return store.get(id)
  }
}
