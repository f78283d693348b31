// What the incidents stage writes to the journal, as a small interface: the stage owns the
// contract, the journal's record format (incidentJournal() in src/journal/record.ts) implements
// it, so nothing here knows the record layout and the service is tested with fakes.
import type { OutboundEvent } from '../delivery/outbound-event.js'
import type { IncidentRow } from './incident-store.js'

/** An incident as journaled and stored: the row (the record and its zone), its source, when stored. */
export interface IncidentRecord extends IncidentRow {
  source: string
  createdAt: number
}

/** Each call appends one journal record; it settles once the record is durable (throws: not written). */
export interface IncidentJournal {
  /** Incidents, as `incidents` rows. */
  incidents(rows: readonly IncidentRecord[]): void | Promise<void>
  /** Plan events (activation, arrival, miss, completion, deactivation), as `plan_events` rows. */
  planEvents(events: readonly OutboundEvent[]): void | Promise<void>
}
