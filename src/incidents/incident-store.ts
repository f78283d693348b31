// What the incidents stage reads back from storage, as a small interface: the stage owns the
// contract, the storage module (src/store/clickhouse/incidents.ts) implements it, so nothing
// here depends on ClickHouse and the service is tested with fakes.
import type { CellScore, HotspotSpec } from './hotspots.js'
import type { Incident } from './incident.js'

/** An incident as stored: the record plus the zone it fell in. */
export interface IncidentRow extends Incident {
  zone: string
}

export interface IncidentQuery { from: number; to: number; type?: string; zone?: string; id?: string; limit: number }

export interface IncidentStore {
  /** Which of `ids` are stored already. */
  existing(ids: readonly string[]): Promise<Set<string>>
  /** Incidents timed in [from, to] matching the filters, newest first, then by id. */
  query(q: IncidentQuery): Promise<IncidentRow[]>
  get(id: string): Promise<IncidentRow | null>
  /** Incidents of a zone timed at or after `from` (the rate window after a restart), oldest first. */
  zonedSince(from: number): Promise<Array<{ id: string; zoneId: string; ts: number }>>
  /** Incident density per cell at `now` (hotspots.ts scoreIncidents() is the reference), best first. */
  hotspotScores(spec: HotspotSpec, now: number, limit: number): Promise<CellScore[]>
}
