// The `audit` table: one row per state-changing API request (who, what, when, from where).
// Rows are journaled before the response is sent (journal/record.ts auditRow, code `u`) and
// shipped like fixes: a crash or a ClickHouse outage loses none, and each is stored once.

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

/** `dedupWindow`: see DEDUP_WINDOW in schema.ts (a re-sent journal segment is stored once). */
export function auditTableStatement(db: string, dedupWindow: number): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.audit (
      at DateTime64(3, 'UTC'),
      actor LowCardinality(String),
      action LowCardinality(String),
      target String,
      ip String,
      details String CODEC(ZSTD(3))
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(at)
    ORDER BY (at, actor)
    SETTINGS non_replicated_deduplication_window = ${dedupWindow}`
}
