// The ClickHouse schema, every table of the engine in one place, created or migrated idempotently
// at start-up. Works on the embedded engine (ClickHouse 26.x) and on ClickHouse server >= 24. Every
// statement is IF NOT EXISTS, and later additions are ALTER … ADD COLUMN IF NOT EXISTS, so start-up
// can run it every time. With clickhouse.cluster set, the same tables are created ON CLUSTER as
// replicated local tables behind Distributed ones (ddl-dialect.ts); unset, the DDL is unchanged.
import type { ClickHouseClient } from '@clickhouse/client'
import { CLUSTER_DDL_SETTINGS, ddlDialect, type DdlDialect } from './ddl-dialect.js'

export interface SchemaOptions {
  database: string
  /** positions TTL in days; 0 keeps rows forever. */
  ttlDays: number
  rejectsTtlDays: number
  /** clickhouse.cluster: the server's remote_servers cluster to create the tables on. */
  cluster?: string | undefined
}

/** Dedup window for retried inserts (insert_deduplication_token), in inserts per table (per shard on a cluster). */
export const DEDUP_WINDOW = 10_000

function ttl(column: string, days: number): string {
  return days > 0 ? `TTL toDateTime(${column}) + INTERVAL ${days} DAY` : ''
}

/** A table's CREATE followed by what the dialect adds (its Distributed table on a cluster). */
function table(d: DdlDialect, name: string, create: string): string[] {
  return [create, ...d.after(name)]
}

function dedup(d: DdlDialect): string {
  return `${d.dedupWindowSetting} = ${DEDUP_WINDOW}${d.dedupExtra}`
}

export function schemaStatements(o: SchemaOptions): string[] {
  const d = ddlDialect(o.database, o.cluster)
  return [
    d.createDatabase(),
    // Read pattern: one unit's track over a time range, or everything in a time range. ORDER BY
    // (unit_id, ts): the low-cardinality key first, then time, so a unit's track is one contiguous
    // range and ts compresses as deltas within it. Monthly partitions keep the part count low at
    // fleet rates and let TTL drop whole parts.
    ...table(d, 'positions', `CREATE TABLE IF NOT EXISTS ${d.createTarget('positions')} (
      unit_id LowCardinality(String),
      ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
      received_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
      lat Float64 CODEC(Gorilla, ZSTD(1)),
      lon Float64 CODEC(Gorilla, ZSTD(1)),
      h3 UInt64 CODEC(ZSTD(1)),
      speed Nullable(Float32) CODEC(ZSTD(1)),
      heading Nullable(Float32) CODEC(ZSTD(1)),
      accuracy Nullable(Float32) CODEC(ZSTD(1)),
      altitude Nullable(Float32) CODEC(ZSTD(1)),
      battery Nullable(Float32) CODEC(ZSTD(1)),
      seq Nullable(UInt64) CODEC(ZSTD(1)),
      source LowCardinality(String),
      topic String CODEC(ZSTD(1)),
      flags UInt8 CODEC(ZSTD(1))
    ) ENGINE = ${d.engine('positions', 'MergeTree')}
    PARTITION BY toYYYYMM(ts)
    ORDER BY (unit_id, ts)
    ${ttl('ts', o.ttlDays)}
    SETTINGS ${dedup(d)}, ttl_only_drop_parts = 1`),
    ...table(d, 'rejects', `CREATE TABLE IF NOT EXISTS ${d.createTarget('rejects')} (
      received_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
      topic String CODEC(ZSTD(1)),
      unit_id LowCardinality(String),
      reason LowCardinality(String),
      detail String CODEC(ZSTD(1)),
      payload String CODEC(ZSTD(3))
    ) ENGINE = ${d.engine('rejects', 'MergeTree')}
    PARTITION BY toYYYYMMDD(received_at)
    ORDER BY (reason, received_at)
    ${ttl('received_at', o.rejectsTtlDays)}
    SETTINGS ${dedup(d)}`),
    // Latest position per unit: a ReplacingMergeTree keyed by unit, versioned by fix time, fed by a
    // materialized view. Read it with FINAL (a few hundred rows). Flagged fixes never become "latest".
    ...table(d, 'positions_latest', `CREATE TABLE IF NOT EXISTS ${d.createTarget('positions_latest')} (
      unit_id LowCardinality(String),
      ts DateTime64(3, 'UTC'),
      received_at DateTime64(3, 'UTC'),
      lat Float64, lon Float64, h3 UInt64,
      speed Nullable(Float32), heading Nullable(Float32), accuracy Nullable(Float32),
      altitude Nullable(Float32), battery Nullable(Float32),
      source LowCardinality(String)
    ) ENGINE = ${d.engine('positions_latest', 'ReplacingMergeTree', 'ts')}
    ORDER BY unit_id`),
    // On a cluster the view sits beside the local tables on each host: it sees the rows the shard
    // stores, and writes the unit's latest row on that same shard.
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${d.viewTarget('positions_latest_mv')} TO ${d.storage('positions_latest')} AS
      SELECT unit_id, ts, received_at, lat, lon, h3, speed, heading, accuracy, altitude, battery, source
      FROM ${d.storage('positions')} WHERE flags = 0`,
    // Full history of alert transitions (opened / acknowledged / resolved).
    ...table(d, 'alerts', `CREATE TABLE IF NOT EXISTS ${d.createTarget('alerts')} (
      at DateTime64(3, 'UTC'),
      alert_id String,
      event_id String,
      kind LowCardinality(String),
      state LowCardinality(String),
      subject String,
      opened_at DateTime64(3, 'UTC'),
      unit_id LowCardinality(String),
      zone_id LowCardinality(String),
      post_id LowCardinality(String),
      lat Nullable(Float64), lon Nullable(Float64),
      ratio Nullable(Float64),
      summary String,
      data String CODEC(ZSTD(3))
    ) ENGINE = ${d.engine('alerts', 'MergeTree')}
    PARTITION BY toYYYYMM(at)
    ORDER BY (kind, subject, at)
    SETTINGS ${dedup(d)}`),
    // Coverage snapshots: one row per zone cell per snapshot, for coverage maps and history.
    ...table(d, 'coverage', `CREATE TABLE IF NOT EXISTS ${d.createTarget('coverage')} (
      snapshot_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
      zone_id LowCardinality(String),
      cell UInt64,
      lat Float64, lon Float64,
      last_visit Nullable(DateTime64(3, 'UTC')),
      fresh UInt8
    ) ENGINE = ${d.engine('coverage', 'MergeTree')}
    PARTITION BY toYYYYMMDD(snapshot_at)
    ORDER BY (zone_id, cell, snapshot_at)
    TTL toDateTime(snapshot_at) + INTERVAL 30 DAY
    SETTINGS ${dedup(d)}`),
    // Per-zone coverage and response ratios over time (time series for Grafana).
    ...table(d, 'coverage_zones', `CREATE TABLE IF NOT EXISTS ${d.createTarget('coverage_zones')} (
      at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
      zone_id LowCardinality(String),
      ratio Float64 CODEC(Gorilla, ZSTD(1)),
      fresh UInt32,
      cells UInt32,
      response_ratio Nullable(Float64),
      live_units UInt32
    ) ENGINE = ${d.engine('coverage_zones', 'MergeTree')}
    PARTITION BY toYYYYMM(at)
    ORDER BY (zone_id, at)
    SETTINGS ${dedup(d)}`),
    // Patrol bulletins (src/reports/): one row per generation of a period's bulletin; readers take
    // the newest (ORDER BY generated_at DESC LIMIT 1), so a regeneration never loses the first one.
    ...table(d, 'bulletins', `CREATE TABLE IF NOT EXISTS ${d.createTarget('bulletins')} (
      kind LowCardinality(String),
      period String,
      period_from DateTime64(3, 'UTC'),
      period_to DateTime64(3, 'UTC'),
      generated_at DateTime64(3, 'UTC'),
      timezone String,
      body String CODEC(ZSTD(3))
    ) ENGINE = ${d.engine('bulletins', 'MergeTree')}
    ORDER BY (kind, period, generated_at)
    SETTINGS ${dedup(d)}`),
    // Who changed what through the API: one row per state-changing request (who, what, when, from
    // where), journaled before the response is sent (journal/record.ts auditRow, code `u`) and
    // shipped like fixes: a crash or a ClickHouse outage loses none, and each is stored once.
    ...table(d, 'audit', `CREATE TABLE IF NOT EXISTS ${d.createTarget('audit')} (
      at DateTime64(3, 'UTC'),
      actor LowCardinality(String),
      action LowCardinality(String),
      target String,
      ip String,
      details String CODEC(ZSTD(3))
    ) ENGINE = ${d.engine('audit', 'MergeTree')}
    PARTITION BY toYYYYMM(at)
    ORDER BY (at, actor)
    SETTINGS ${dedup(d)}`),
  ]
}

/** The incidents stage's tables (read through incidents.ts) and the make-up patrols' (patrol_tasks); their rows are written through the journal. */
export function incidentSchemaStatements(db: string, cluster?: string): string[] {
  const d = ddlDialect(db, cluster)
  return [
    // Idempotent by id: the service journals only ids it does not hold (journal/record.ts
    // incidentRow, shipped like fixes); ReplacingMergeTree ordered by id also folds a repeat. A few hundred thousand rows a year: no partitioning needed.
    ...table(d, 'incidents', `CREATE TABLE IF NOT EXISTS ${d.createTarget('incidents')} (
      id String,
      type LowCardinality(String),
      priority UInt8,
      ts DateTime64(3, 'UTC'),
      lat Float64,
      lon Float64,
      h3 UInt64,
      zone_id LowCardinality(String),
      address String CODEC(ZSTD(1)),
      description String CODEC(ZSTD(3)),
      source LowCardinality(String),
      created_at DateTime64(3, 'UTC')
    ) ENGINE = ${d.engine('incidents', 'ReplacingMergeTree', 'created_at')}
    ORDER BY id
    SETTINGS ${dedup(d)}`),
    // Plan activations, arrivals, misses, completion and deactivation; event_id folds retries.
    ...table(d, 'plan_events', `CREATE TABLE IF NOT EXISTS ${d.createTarget('plan_events')} (
      at DateTime64(3, 'UTC'),
      event_id String,
      type LowCardinality(String),
      activation_id String,
      plan_id LowCardinality(String),
      incident_id String,
      checkpoint String,
      unit_id LowCardinality(String),
      elapsed_ms Nullable(Int64),
      summary String,
      data String CODEC(ZSTD(3))
    ) ENGINE = ${d.engine('plan_events', 'ReplacingMergeTree')}
    PARTITION BY toYYYYMM(at)
    ORDER BY (plan_id, activation_id, event_id)
    SETTINGS ${dedup(d)}`),
    // Make-up patrol tasks: assignment and outcome (completed, expired, cancelled); event_id folds retries.
    ...table(d, 'patrol_tasks', `CREATE TABLE IF NOT EXISTS ${d.createTarget('patrol_tasks')} (
      at DateTime64(3, 'UTC'),
      event_id String,
      type LowCardinality(String),
      task_id String,
      zone_id LowCardinality(String),
      unit_id LowCardinality(String),
      by LowCardinality(String),
      status LowCardinality(String),
      reason LowCardinality(String),
      assigned_at DateTime64(3, 'UTC'),
      started_at Nullable(DateTime64(3, 'UTC')),
      ended_at Nullable(DateTime64(3, 'UTC')),
      visited UInt32,
      total UInt32,
      eta_s Float64,
      summary String,
      data String CODEC(ZSTD(3))
    ) ENGINE = ${d.engine('patrol_tasks', 'ReplacingMergeTree')}
    PARTITION BY toYYYYMM(at)
    ORDER BY (zone_id, task_id, event_id)
    SETTINGS ${dedup(d)}`),
  ]
}

/** Patrol integrity's table; its rows are written through the journal (journal/record.ts integrityRow, code `g`). */
export function integritySchemaStatements(db: string, cluster?: string): string[] {
  const d = ddlDialect(db, cluster)
  return [
    // One row per signal a detector closed (src/integrity/stage.ts): a fact about one unit over a
    // stretch of fix time, with its figures (evidence, JSON). ReplacingMergeTree ordered by
    // (unit_id, kind, started_at) folds a signal stored twice; the bulletin reads a period's rows by time.
    ...table(d, 'integrity_signals', `CREATE TABLE IF NOT EXISTS ${d.createTarget('integrity_signals')} (
      detected_at DateTime64(3, 'UTC'),
      event_id String,
      unit_id LowCardinality(String),
      kind LowCardinality(String),
      started_at DateTime64(3, 'UTC'),
      ended_at DateTime64(3, 'UTC'),
      related_unit_id LowCardinality(String),
      evidence String
    ) ENGINE = ${d.engine('integrity_signals', 'ReplacingMergeTree', 'detected_at')}
    PARTITION BY toYYYYMM(started_at)
    ORDER BY (unit_id, kind, started_at)
    SETTINGS ${dedup(d)}`),
  ]
}

/** TTLs follow the config on every start (MODIFY TTL is idempotent). */
export function ttlStatements(o: SchemaOptions): string[] {
  const d = ddlDialect(o.database, o.cluster)
  const positions = d.alterTarget('positions')
  const rejects = d.alterTarget('rejects')
  const out: string[] = []
  out.push(o.ttlDays > 0 ? `ALTER TABLE ${positions} MODIFY TTL toDateTime(ts) + INTERVAL ${o.ttlDays} DAY` : `ALTER TABLE ${positions} REMOVE TTL`)
  out.push(o.rejectsTtlDays > 0 ? `ALTER TABLE ${rejects} MODIFY TTL toDateTime(received_at) + INTERVAL ${o.rejectsTtlDays} DAY` : `ALTER TABLE ${rejects} REMOVE TTL`)
  return out
}

export interface MigrationStep {
  query: string
  settings?: Record<string, number | string>
  /** REMOVE TTL on a table without one raises "no TTL": nothing to do. */
  ttl?: true
}

/** Every statement start-up runs, in order: tables, late settings, TTLs. */
export function migrationStatements(o: SchemaOptions): MigrationStep[] {
  const d = ddlDialect(o.database, o.cluster)
  const steps: MigrationStep[] = [
    ...schemaStatements(o).map((query) => ({ query })),
    ...incidentSchemaStatements(o.database, o.cluster).map((query) => ({ query })),
    ...integritySchemaStatements(o.database, o.cluster).map((query) => ({ query })),
    // Tables created before their rows went through the journal had no deduplication window (one
    // server only: cluster tables came later, with the window).
    ...(o.cluster === undefined ? ['incidents', 'plan_events', 'audit'] : []).map((table) => ({ query: `ALTER TABLE ${d.alterTarget(table)} MODIFY SETTING ${d.dedupWindowSetting} = ${DEDUP_WINDOW}` })),
    ...ttlStatements(o).map((query) => ({ query, settings: { materialize_ttl_after_modify: 0 }, ttl: true as const })),
  ]
  return o.cluster === undefined ? steps : steps.map((s) => ({ ...s, settings: { ...s.settings, ...CLUSTER_DDL_SETTINGS } }))
}

export async function migrate(client: ClickHouseClient, o: SchemaOptions): Promise<void> {
  for (const step of migrationStatements(o)) {
    try {
      await client.command({ query: step.query, ...(step.settings === undefined ? {} : { clickhouse_settings: step.settings }) })
    } catch (err) {
      if (!(step.ttl === true && /TTL/i.test((err as Error).message))) throw err
    }
  }
}
