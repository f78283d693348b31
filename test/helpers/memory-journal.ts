// The ingestor's journal kept in memory: every appended record, and a switch that makes it full
// (append refused) until free() wakes the writers waiting in whenWritable().
import type { JournalWriter } from '../../src/ingest/ingestor.js'
import { groupByTable } from '../../src/journal/record.js'

export class MemoryJournal implements JournalWriter {
  records: Buffer[] = []
  full = false
  private waiters: Array<() => void> = []
  append(r: Buffer): boolean {
    if (this.full) return false
    this.records.push(r)
    return true
  }
  whenWritable(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }
  free(): void {
    this.full = false
    for (const w of this.waiters.splice(0)) w()
  }
  /** The journaled rows of one table, parsed. */
  rows(table: 'positions' | 'rejects'): Array<Record<string, unknown>> {
    return (groupByTable(this.records).tables.get(table) ?? []).map((l) => JSON.parse(l) as Record<string, unknown>)
  }
}
