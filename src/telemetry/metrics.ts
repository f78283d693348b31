// The prom-client registry and every metric the engine exports. Names follow Prometheus
// practice: hexpatrol_ prefix, base units, counters end in _total. No unbounded labels.
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client'

export function createMetrics(opts: { defaults?: boolean } = {}) {
  const registry = new Registry()
  if (opts.defaults !== false) {
    collectDefaultMetrics({ register: registry, prefix: 'hexpatrol_process_' })
    // prom-client exports three gauges named *_total, which Prometheus reserves for counters
    // (promtool check metrics fails the whole scrape on them). Each is the sum of its per-type
    // gauge (`…_active_handles{type}` and so on), which stays: dropping them loses nothing.
    for (const n of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`hexpatrol_process_nodejs_active_${n}_total`)
  }
  const r = [registry]
  const metrics = {
    registry,
    messagesReceived: new Counter({ name: 'hexpatrol_messages_received_total', help: 'Messages received (MQTT messages, HTTP ingest requests), by decode route format and transport.', labelNames: ['format', 'transport'] as const, registers: r }),
    messagesIgnored: new Counter({ name: 'hexpatrol_messages_ignored_total', help: 'Messages accepted that carry no position (e.g. OwnTracks lwt), by type.', labelNames: ['type'] as const, registers: r }),
    fixesAccepted: new Counter({ name: 'hexpatrol_fixes_accepted_total', help: 'Position fixes that passed validation, by payload format and transport.', labelNames: ['format', 'transport'] as const, registers: r }),
    rejects: new Counter({ name: 'hexpatrol_rejects_total', help: 'Rejected payloads or batch elements, by reason.', labelNames: ['reason'] as const, registers: r }),
    rejectsNotStored: new Counter({ name: 'hexpatrol_rejects_not_stored_total', help: 'Rejects counted but not stored in the rejects table because their message had more than validation.max_rejects_per_message, by reason.', labelNames: ['reason'] as const, registers: r }),
    clusterPartitionsOwned: new Gauge({ name: 'hexpatrol_cluster_partitions_owned', help: 'Cluster mode: partitions whose side effects (ClickHouse rows, alert delivery) this engine carries out now.', registers: r }),
    clusterMembers: new Gauge({ name: 'hexpatrol_cluster_members', help: 'Cluster mode: engines this engine sees alive (membership heartbeats).', registers: r }),
    clusterLeaseRenewals: new Counter({ name: 'hexpatrol_cluster_lease_renewals_total', help: 'Cluster mode: lease renewals written by this engine.', registers: r }),
    clusterLeaseLosses: new Counter({ name: 'hexpatrol_cluster_lease_losses_total', help: 'Cluster mode: leases this engine held and lost without releasing them (fenced, taken over).', registers: r }),
    clusterTakeoverSeconds: new Histogram({ name: 'hexpatrol_cluster_takeover_seconds', help: 'Cluster mode: for each lease this engine took over from another, the time from the last renewal it saw to its claim.', buckets: [1, 2, 5, 10, 15, 20, 30, 60], registers: r }),
    clusterLogResubscribed: new Counter({ name: 'hexpatrol_cluster_log_resubscribed_total', help: 'Cluster mode: times following the log stalled while the stream was ahead and its consumer was created again.', registers: r }),
    clusterLogLag: new Gauge({ name: 'hexpatrol_cluster_log_lag_records', help: 'Cluster mode: records of the JetStream log this engine has not applied yet.', registers: r }),
    clusterPendingEffects: new Gauge({ name: 'hexpatrol_cluster_pending_effects', help: 'Cluster mode: log entries per partition whose side effects no owner has confirmed yet (the owner\'s lag), by partition.', labelNames: ['partition'] as const, registers: r }),
    jetstreamPublishSeconds: new Histogram({ name: 'hexpatrol_jetstream_publish_seconds', help: 'Cluster mode: time from publishing a batch of records to JetStream to its publish acknowledgement.', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: r }),
    redeliveries: new Counter({ name: 'hexpatrol_redelivered_fixes_dropped_total', help: 'Exact re-deliveries of an already journaled fix (same unit, time and position), dropped.', registers: r }),
    mqttConnected: new Gauge({ name: 'hexpatrol_mqtt_connected', help: '1 while the MQTT subscription is active.', registers: r }),
    mqttReconnects: new Counter({ name: 'hexpatrol_mqtt_reconnects_total', help: 'MQTT reconnect attempts.', registers: r }),
    heapTrimSeconds: new Histogram({ name: 'hexpatrol_heap_trim_seconds', help: 'Pause of each memory-reducing garbage collection that gave the heap\'s unused memory back to the system (at most one an hour; the count is the trims).', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: r }),
    ackWaitSeconds: new Histogram({ name: 'hexpatrol_ack_wait_seconds', help: 'Time an MQTT acknowledgement was held back for backpressure.', buckets: [0.001, 0.01, 0.1, 1, 10, 60], registers: r }),
    journalBytes: new Gauge({ name: 'hexpatrol_journal_bytes', help: 'Bytes in the local journal not yet confirmed by ClickHouse.', registers: r }),
    journalSegments: new Gauge({ name: 'hexpatrol_journal_segments', help: 'Journal segments not yet confirmed by ClickHouse.', registers: r }),
    journalFull: new Gauge({ name: 'hexpatrol_journal_full', help: '1 while the journal is at its bound and MQTT acks are paused.', registers: r }),
    journalCorruptRecords: new Counter({ name: 'hexpatrol_journal_corrupt_records_total', help: 'Journal records skipped at recovery because of a bad checksum or a torn tail.', registers: r }),
    journalReplayedRecords: new Counter({ name: 'hexpatrol_journal_replayed_records_total', help: 'Journal records replayed at start-up.', registers: r }),
    batchRows: new Histogram({ name: 'hexpatrol_sink_batch_rows', help: 'Rows per ClickHouse insert.', labelNames: ['table'] as const, buckets: [1, 10, 100, 1000, 5000, 10000, 20000, 50000, 100000], registers: r }),
    insertSeconds: new Histogram({ name: 'hexpatrol_sink_insert_duration_seconds', help: 'ClickHouse insert duration.', labelNames: ['table'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r }),
    insertErrors: new Counter({ name: 'hexpatrol_sink_insert_errors_total', help: 'Failed ClickHouse inserts, by kind (retriable | permanent).', labelNames: ['table', 'kind'] as const, registers: r }),
    rowsCommitted: new Counter({ name: 'hexpatrol_sink_rows_committed_total', help: 'Rows confirmed by ClickHouse.', labelNames: ['table'] as const, registers: r }),
    queueDepth: new Gauge({ name: 'hexpatrol_sink_queue_records', help: 'Journal records (messages) in sealed segments not yet confirmed by ClickHouse.', registers: r }),
    lagSeconds: new Histogram({ name: 'hexpatrol_end_to_end_lag_seconds', help: 'Fix time to ClickHouse commit.', buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600], registers: r }),
    fixesFlagged: new Counter({ name: 'hexpatrol_fixes_flagged_total', help: 'Fixes stored but kept from the rules, by flag (impossible_speed | duplicate | too_late | future_ts | mock).', labelNames: ['flag'] as const, registers: r }),
    alertTransitions: new Counter({ name: 'hexpatrol_alert_transitions_total', help: 'Alert transitions, by kind and state.', labelNames: ['kind', 'state'] as const, registers: r }),
    alertsOpen: new Gauge({ name: 'hexpatrol_alerts_open', help: 'Open (or acknowledged, unresolved) alerts, by kind.', labelNames: ['kind'] as const, registers: r }),
    zoneCoverage: new Gauge({ name: 'hexpatrol_zone_coverage_ratio', help: 'Share of a zone\'s cells visited within its max_interval, 0..1.', labelNames: ['zone'] as const, registers: r }),
    zoneResponse: new Gauge({ name: 'hexpatrol_zone_response_ratio', help: 'Share of a zone\'s cells within response_radius_m of a live unit, 0..1.', labelNames: ['zone'] as const, registers: r }),
    unitsLive: new Gauge({ name: 'hexpatrol_units_live', help: 'Units that reported within their silent_after.', registers: r }),
    ruleTickSeconds: new Histogram({ name: 'hexpatrol_rules_tick_duration_seconds', help: 'Time of one rule tick (silence, coverage, response coverage).', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: r }),
    httpIngestRequests: new Counter({ name: 'hexpatrol_http_ingest_requests_total', help: 'HTTP ingest requests, by endpoint (owntracks | osmand) and response status.', labelNames: ['endpoint', 'status'] as const, registers: r }),
    httpIngestAuthFailures: new Counter({ name: 'hexpatrol_http_ingest_auth_failures_total', help: 'HTTP ingest requests refused before decoding, by endpoint and reason.', labelNames: ['endpoint', 'reason'] as const, registers: r }),
    uncaughtConnectionErrors: new Counter({ name: 'hexpatrol_uncaught_connection_errors_total', help: 'Errors of a client connection (EPIPE, ECONNRESET, write after end) that reached the process without a handler: logged and ignored, never fatal.', registers: r }),
    authFailures: new Counter({ name: 'hexpatrol_auth_failures_total', help: 'Wrong device passwords or API tokens, checked and refused, by transport (mqtt | owntracks | osmand | api).', labelNames: ['transport'] as const, registers: r }),
    authRefused: new Counter({ name: 'hexpatrol_auth_refused_total', help: 'Authentications refused unchecked because the client address or the username is in its back-off, by transport and reason.', labelNames: ['transport', 'reason'] as const, registers: r }),
    jt808Frames: new Counter({ name: 'hexpatrol_jt808_frames_total', help: 'JT/T 808 frames read, by result (ok | bad_escape | bad_check | bad_header | bad_length | too_large).', labelNames: ['result'] as const, registers: r }),
    jt808JunkBytes: new Counter({ name: 'hexpatrol_jt808_junk_bytes_total', help: 'JT/T 808 bytes received outside any 0x7e frame, skipped.', registers: r }),
    jt808Messages: new Counter({ name: 'hexpatrol_jt808_messages_total', help: 'JT/T 808 messages handled, by message id (hex; `other` past the first 64 ids seen).', labelNames: ['msg_id'] as const, registers: r }),
    jt808Refused: new Counter({ name: 'hexpatrol_jt808_refused_total', help: 'JT/T 808 messages or connections refused, by reason.', labelNames: ['reason'] as const, registers: r }),
    jt808Connections: new Gauge({ name: 'hexpatrol_jt808_connections', help: 'Open JT/T 808 terminal connections.', registers: r }),
    geocoderLookups: new Counter({ name: 'hexpatrol_geocoder_lookups_total', help: 'Place lookups of the online geocoder (geocoder.provider), by provider and outcome: ok | failed (a request sent), cached (answered from the cache or an identical request in flight).', labelNames: ['provider', 'outcome'] as const, registers: r }),
    clickhouseUp: new Gauge({ name: 'hexpatrol_clickhouse_up', help: '1 when the last ClickHouse call succeeded.', registers: r }),
  }
  return metrics
}

export type Metrics = ReturnType<typeof createMetrics>
