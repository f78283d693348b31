// How schema.ts names and builds each table: on one server (clickhouse.cluster unset) a table is a
// MergeTree under its own name, byte for byte the DDL of earlier releases; on a ClickHouse cluster
// it is a Replicated*MergeTree `<table>_local` on every host (ON CLUSTER) plus a Distributed table
// under the usual name, so every query and insert of the engine stays as it is.
// Pure text: no client here, so the DDL can be checked as SQL without a server.

/** The ZooKeeper/Keeper path of a replicated local table; {shard} and {replica} are server macros. */
export function replicaPath(table: string): string {
  return `/clickhouse/tables/{shard}/{database}/${table}_local`
}

/**
 * Settings the engine sends with every query when clickhouse.cluster is set.
 * - distributed_foreground_insert (alias insert_distributed_sync before 23.10): an INSERT into a
 *   Distributed table returns only once every shard has stored its rows, and the shard's insert
 *   carries the query's settings, insert_deduplication_token among them. The default background
 *   mode acknowledges rows spooled on the initiator's disk, and its sender may batch several
 *   inserts into one block, so a journal segment could be marked shipped before it is stored and a
 *   retried segment's token would not be the one the shard saw.
 * - distributed_product_mode = 'global': two queries read a Distributed table inside an IN
 *   subquery on another (replay's latest coverage snapshot, the reports' plan events); ClickHouse
 *   refuses those on a multi-shard cluster unless told how to run them. GLOBAL runs the subquery
 *   once and ships its small result to every shard, right whatever the sharding keys are.
 */
export const CLUSTER_QUERY_SETTINGS = {
  distributed_foreground_insert: 1,
  distributed_product_mode: 'global',
} as const

/**
 * Settings of the ON CLUSTER DDL at start-up: wait for the hosts that are up and fail on their
 * errors, but do not wait out a host that is down (it runs the queued DDL when it is back), so one
 * stopped replica does not keep every engine from creating or migrating its schema.
 */
export const CLUSTER_DDL_SETTINGS = { distributed_ddl_output_mode: 'throw_only_active' } as const

/**
 * Each table's Distributed sharding key. Every key is a deterministic function of the row (never
 * rand()), so a retried insert splits across shards exactly as the first one did and each shard's
 * part still deduplicates by its token. Rows that a query folds or compares together stay on one
 * shard, so per-shard FINAL and per-shard merges give the same answer as one server.
 */
export const SHARDING_KEYS: Readonly<Record<string, string>> = {
  // A unit's track on one shard: track and replay queries touch one shard, and the materialized
  // view feeds positions_latest on the same shard as the position it saw.
  positions: 'cityHash64(unit_id)',
  // Must match positions: ReplacingMergeTree folds a unit's rows only within one shard, so
  // `positions_latest FINAL` yields one row per unit only if all of them land together.
  positions_latest: 'cityHash64(unit_id)',
  // A device's rejects beside its positions; the topic spreads the rejects of unknown units
  // (unit_id '', e.g. unparseable payloads) instead of piling them on one shard.
  rejects: 'cityHash64(unit_id, topic)',
  // An alert's transitions together: the history groups by alert_id and picks the last state.
  alerts: 'cityHash64(alert_id)',
  // A zone's cells together: replay takes each zone's latest snapshot.
  coverage: 'cityHash64(zone_id)',
  coverage_zones: 'cityHash64(zone_id)',
  // A period's generations together: readers take the newest of a (kind, period).
  bulletins: 'cityHash64(kind, period)',
  // One target's changes together (a zone's level history reads in order).
  audit: 'cityHash64(target)',
  // ReplacingMergeTree folds by id only within one shard.
  incidents: 'cityHash64(id)',
  // An activation's events together: FINAL folds a retried event_id, and the report reads whole activations.
  plan_events: 'cityHash64(activation_id)',
  // A unit's signals together: FINAL folds a repeated signal, and readers ask per unit and period.
  integrity_signals: 'cityHash64(unit_id)',
  // A task's events together: FINAL folds a retried event_id, and the report reads whole tasks.
  patrol_tasks: 'cityHash64(task_id)',
}

export interface DdlDialect {
  readonly cluster: string | undefined
  /** `CREATE DATABASE IF NOT EXISTS …`. */
  createDatabase(): string
  /** The target of CREATE TABLE: `db.t`, or `db.t_local ON CLUSTER c`. */
  createTarget(table: string): string
  /** The target of CREATE MATERIALIZED VIEW: `db.v`, or `db.v ON CLUSTER c` (a view lives beside the local tables). */
  viewTarget(view: string): string
  /** Where rows physically live, for a materialized view's TO and FROM: `db.t` or `db.t_local`. */
  storage(table: string): string
  /** The engine clause: `MergeTree`, `ReplacingMergeTree(ts)`, or their Replicated forms. */
  engine(table: string, family: 'MergeTree' | 'ReplacingMergeTree', version?: string): string
  /** The insert deduplication window setting's name for this engine family. */
  readonly dedupWindowSetting: string
  /** Extra table settings after the dedup window (`, …`), '' on one server. */
  readonly dedupExtra: string
  /** Statements that follow a table's CREATE: its Distributed table on a cluster, none on one server. */
  after(table: string): string[]
  /** The target of ALTER TABLE: `db.t`, or `db.t_local ON CLUSTER c`. */
  alterTarget(table: string): string
}

/** Seconds a replicated insert's token is remembered: a week, so a journal segment retried after a long outage still folds. */
export const REPLICATED_DEDUP_SECONDS = 7 * 24 * 3600

export function ddlDialect(database: string, cluster?: string): DdlDialect {
  if (cluster === undefined) {
    return {
      cluster,
      createDatabase: () => `CREATE DATABASE IF NOT EXISTS ${database}`,
      createTarget: (t) => `${database}.${t}`,
      viewTarget: (v) => `${database}.${v}`,
      storage: (t) => `${database}.${t}`,
      engine: (_t, family, version) => (version === undefined ? family : `${family}(${version})`),
      dedupWindowSetting: 'non_replicated_deduplication_window',
      dedupExtra: '',
      after: () => [],
      alterTarget: (t) => `${database}.${t}`,
    }
  }
  const on = `ON CLUSTER ${cluster}`
  return {
    cluster,
    createDatabase: () => `CREATE DATABASE IF NOT EXISTS ${database} ${on}`,
    createTarget: (t) => `${database}.${t}_local ${on}`,
    viewTarget: (v) => `${database}.${v} ${on}`,
    storage: (t) => `${database}.${t}_local`,
    engine: (t, family, version) => `Replicated${family}('${replicaPath(t)}', '{replica}'${version === undefined ? '' : `, ${version}`})`,
    dedupWindowSetting: 'replicated_deduplication_window',
    dedupExtra: `, replicated_deduplication_window_seconds = ${REPLICATED_DEDUP_SECONDS}`,
    after: (t) => {
      const key = SHARDING_KEYS[t]
      if (key === undefined) throw new Error(`no sharding key for table ${t}: add it to SHARDING_KEYS`)
      return [`CREATE TABLE IF NOT EXISTS ${database}.${t} ${on} AS ${database}.${t}_local ENGINE = Distributed(${cluster}, ${database}, ${t}_local, ${key})`]
    },
    alterTarget: (t) => `${database}.${t}_local ${on}`,
  }
}
