// The composition root: wires the stages into one running engine and stops them in the order
// data flows. MQTT source → Ingestor (decode, rules) → Journal → Shipper → ClickHouse; the rule
// scheduler; delivery (alerts journaled first; every event through one publish path to webhooks,
// MQTT and the live stream); make-up patrol tasks (single node); the HTTP API. One starter per stage,
// each returning its stop. It takes the configuration as src/boot.ts compiled it and compiles
// nothing itself. No SQL, no policy: each stage owns its own (see the modules imported below).
import { join, resolve } from 'node:path'
import { ensurePrivateDir } from './private-files.js'
import type { FastifyInstance } from 'fastify'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from 'pino'
import type { ResolvedConfig, WebhookSecretSource } from './config/resolve.js'
import { createMetrics, type Metrics } from './telemetry/metrics.js'
import { exportRuleGauges } from './rules/rule-gauges.js'
import { createDecoder, decoderOptionsFromConfig } from './decode/decoder.js'
import { rejectUnknownUnits } from './decode/known-units.js'
import { Journal } from './journal/journal.js'
import { Shipper } from './journal/shipper.js'
import { alertsRecord, auditRow, incidentJournal, integrityRow, patrolTaskJournal, readIncidents, rowsRecord } from './journal/record.js'
import { openClickHouse, type ClickHouseHandle } from './store/clickhouse/client.js'
import { ClickHouseHealth } from './store/clickhouse/health.js'
import { createDeliver } from './store/clickhouse/deliver.js'

type Deliver = ReturnType<typeof createDeliver>
import { readTrack } from './store/clickhouse/track-queries.js'
import { coverageRecord } from './journal/coverage-record.js'
import { recoverVisits } from './store/clickhouse/recover.js'
import { clickHouseAlertHistory } from './store/clickhouse/alert-history.js'
import { replaySource } from './store/clickhouse/replay-queries.js'
import { clickHouseReportQueries } from './store/clickhouse/report-queries.js'
import { Ingestor, type RuleSink } from './ingest/ingestor.js'
import { startMqttSource, type MqttSource } from './ingest/mqtt-source.js'
import { LogGroup } from './ingest/log-group.js'
import { HttpIngest, startOsmandListener } from './ingest/http-ingest.js'
import { AuthThrottle, throttleOptions } from './ingest/auth-throttle.js'
import { seedRecentFixes } from './ingest/recent-fixes.js'
import { flagCounter } from './decode/flag-counter.js'
import { Jt808Gateway } from './ingest/jt808/gateway.js'
import type { Deployment } from './rules/deployment.js'
import { RuleEngine } from './rules/engine.js'
import { RuleScheduler } from './rules/scheduler.js'
import { RuleStateStore } from './state/rule-state-store.js'
import { Dispatcher } from './delivery/dispatcher.js'
import { MqttPublisher } from './delivery/mqtt-publisher.js'
import { AlertFanOut } from './delivery/alert-fan-out.js'
import { createPublisher, type Publish } from './delivery/publish.js'
import { DEVICE_TOPIC_PREFIX, topicBuilder } from './delivery/topics.js'
import { createReports, type Reports } from './reports/index.js'
import { KvScheduleState } from './reports/schedule-state-kv.js'
import { IncidentService } from './incidents/service.js'
import { PatrolTaskService, type PatrolTaskDesk } from './patrol-tasks/service.js'
import { clusterTaskDesk, replicatedBoard } from './cluster/replicated-tasks.js'
import { IntegrityStage } from './integrity/stage.js'
import { IntegrityDetection, signalId, type IntegrityDetectionDeps } from './integrity/detection.js'
import { IntegrityMonitor } from './integrity/monitor.js'
import { TaskStateFile } from './patrol-tasks/state-file.js'
import { ClickHouseIncidentStore } from './store/clickhouse/incidents.js'
import type { IncidentStore } from './incidents/incident-store.js'
import { UnshippedIncidents } from './incidents/unshipped.js'
import { placeFinderFor } from './incidents/place-finder.js'
import { buildApi } from './api/server.js'
import type { ComponentStatus } from './api/context.js'
import { StreamHub } from './api/stream-hub.js'
import { instanceId } from './instance-id.js'
import { compileStages, type CompiledStages } from './boot.js'
import { DeliveryTracker } from './delivery/delivery-tracker.js'
import { ClusterNode, SCHEDULE_ROLE } from './cluster/cluster-node.js'
import { openCluster, type ClusterHandles } from './cluster/open.js'
import { effectEventId, isAlertEffect } from './cluster/effects.js'
import { rowsByTable, tableToken } from './cluster/effect-rows.js'
import type { Fix } from './decode/fix.js'
import type { AlertPosition } from './rules/alert-event.js'
import { HeapTrimmer } from './heap-trim.js'

/** How long an incident POST waits for its rows to reach ClickHouse (hotspots) while it is up. */
export const INCIDENT_SHIP_WAIT_MS = 3000
/** Segments inserted in parallel: each has its own deduplication token, so order does not matter. */
const SHIP_CONCURRENCY = 2
/**
 * Shipped segments kept on disk (not counted against journal.max_bytes): with the pending ones they
 * hold every fix accepted in the last seconds before a crash, which seeds the re-delivery filter
 * without querying ClickHouse (the cost does not grow with the positions table).
 */
const KEEP_SHIPPED_SEGMENTS = 4

export interface EngineOptions {
  /** From loadConfig/validateConfig: checked, secrets resolved, frozen. */
  config: ResolvedConfig
  /** The config compiled for the stages at boot (src/boot.ts); compiled from `config` when absent (tests, tools). */
  stages?: CompiledStages
  logger: Logger
  /** Reads secret_env of webhook subscriptions added through the API (config's webhookSecretSource; default the process environment). Every other secret is in `config`. */
  webhookSecrets?: WebhookSecretSource
  now?: () => number
  /** Start the HTTP API (default true). */
  http?: boolean
  /** Evaluate patrol rules (default true). */
  rules?: boolean
  /** Wraps the ClickHouse client (fault injection in tests; instrumentation). */
  wrapClickHouse?: (client: ClickHouseClient) => ClickHouseClient
}

/** A started stage's stop; `timeoutMs` bounds what it waits for (in-flight input, the journal's shipping). */
type Stop = (timeoutMs: number) => Promise<void>

/** Read-only views of the running stages, for tests and benchmarks (see Engine.testHandle). */
export interface EngineTestHandle {
  readonly ch: ClickHouseHandle
  readonly journal: Journal
  readonly ingestor: Ingestor
  readonly rules: RuleEngine | undefined
  readonly dispatcher: Dispatcher | undefined
  readonly source: MqttSource
  /** The JT/T 808 gateway's address, when it runs. */
  readonly jt808: { host: string; port: number } | undefined
  /** Runs one rule tick now, as the timer would. */
  tick(): void
}

/** Patrol integrity's detectors and texts, as a single engine's stage and a cluster replica both run them. */
function integrityDetectionDeps(stages: CompiledStages): IntegrityDetectionDeps {
  const { integrity } = stages
  return {
    monitor: new IntegrityMonitor(integrity.options, integrity.units),
    dayOf: integrity.units.dayOf,
    summary: (s) => stages.texts.integrity.summary(s, integrity.nameOf(s.unitId)),
    zoneOf: integrity.zoneOf,
  }
}

export class Engine {
  readonly config: ResolvedConfig
  readonly logger: Logger
  readonly metrics: Metrics
  /** The live stream's hub (API): alert transitions are published here; other stages publish theirs. */
  readonly stream: StreamHub
  readonly #now: () => number
  readonly #opts: EngineOptions
  #ch: ClickHouseHandle | undefined
  #health: ClickHouseHealth | undefined
  #journal: Journal | undefined
  #ingestor: Ingestor | undefined
  #rules: RuleEngine | undefined
  #scheduler: RuleScheduler | undefined
  #stateStore: RuleStateStore | undefined
  #dispatcher: Dispatcher | undefined
  #mqttPublisher: MqttPublisher | undefined
  #source: MqttSource | undefined
  #api: FastifyInstance | undefined
  #osmandListener: FastifyInstance | undefined
  #jt808: Jt808Gateway | undefined
  #reports: Reports | undefined
  #clusterHandles: ClusterHandles | undefined
  /** Cluster mode (cluster.url): the replica, the log and the partitions this engine owns. */
  #cluster: ClusterNode | undefined
  /** Cluster mode: when an event's webhook deliveries are done (a partition's alerts mark). */
  #tracker: DeliveryTracker | undefined
  /** Incidents, hotspots, patrol levels, plans (with the rules). */
  #incidents: IncidentService | undefined
  /** Make-up patrols (single node, with the rules): proposals and tasks. */
  #tasks: PatrolTaskService | undefined
  /** Patrol integrity (single node, with the rules): the detectors fed every accepted fix. */
  #integrity: IntegrityStage | undefined
  /** Cluster mode: the replica's make-up patrol board as the API drives it. */
  #taskDesk: PatrolTaskDesk | undefined
  /** Cluster mode: patrol integrity as the replica runs it (its signals for the API). */
  #clusterIntegrity: IntegrityDetection | undefined
  readonly #stages: CompiledStages
  readonly #timers: NodeJS.Timeout[] = []
  /** The stops of the stages started so far, in start order (stop() runs them in reverse). */
  readonly #started: Stop[] = []
  /**
   * One credential throttle (per address and per username) for the embedded broker, HTTP ingest and
   * the API login; a new transport (e.g. a JT/T 808 gateway) takes `authThrottle.forTransport('jt808')`
   * and calls check(address, username) before a password, then fail() or succeed().
   */
  readonly authThrottle: AuthThrottle
  #stopping: Promise<void> | null = null

  constructor(opts: EngineOptions) {
    this.#opts = opts
    this.config = opts.config
    this.#stages = opts.stages ?? compileStages(opts.config)
    this.logger = opts.logger
    this.#now = opts.now ?? Date.now
    this.metrics = createMetrics()
    this.authThrottle = new AuthThrottle({ ...throttleOptions(this.config.broker.limits), now: this.#now, metrics: { failures: this.metrics.authFailures, refused: this.metrics.authRefused } })
    this.stream = new StreamHub({ bufferBytes: this.config.api.stream_buffer_bytes, heartbeatMs: this.config.api.stream_heartbeat, now: this.#now, registry: this.metrics.registry, logger: this.logger.child({ component: 'stream' }) })
  }

  get dataDir(): string {
    return resolve(this.config.data_dir)
  }

  /**
   * Starts the stages, each consumer before its producer: storage (ClickHouse), the journal, alert
   * delivery, the rules, ingest, incidents, the rule schedule, the API. Each starter returns its
   * stop; stop() runs them in reverse, so input stops first and storage closes last (data-flow order).
   */
  async start(): Promise<void> {
    ensurePrivateDir(this.dataDir)
    const instance = instanceId(this.dataDir)
    const stages = this.#stages
    this.#started.push(this.#startStore())
    const { journal, shipper, unshipped, deliver } = await this.#startJournal(instance)
    const { dispatcher, fanOut, publish } = this.#startDelivery()
    const clustered = this.config.cluster.url !== undefined
    // Cluster mode: the incidents stage is built inside the replica (#startCluster), before the replay.
    if (clustered) await this.#startCluster(stages, fanOut, deliver, publish)
    await this.#startReports(publish)
    const reconcile = clustered ? false : await this.#startRules(stages.deployment)
    if (!clustered) this.#startIntegrity(stages, publish)
    const ingestor = await this.#startIngest(journal, shipper, fanOut)
    if (!clustered) this.#startIncidents(stages, { journal, shipper, unshipped, ingestor, publish, fanOut })
    if (!clustered) this.#startPatrolTasks(stages, publish, ingestor)
    this.#startSchedule(reconcile, journal, shipper, ingestor, fanOut)
    await this.#startApi(journal, ingestor, dispatcher, fanOut)
    // Cluster mode: every stage is up, so partitions may be owned (and delivered) from now on.
    this.#cluster?.join()
    this.logger.info({ http: this.httpAddress(), mqtt: this.#source!.address, rules: this.#rules !== undefined }, 'hexpatrol started.')
  }

  /** ClickHouse (server or embedded) and its health; closed last, after the hotspot queries. */
  #startStore(): Stop {
    const { config, logger, metrics } = this
    let ch = openClickHouse(config)
    // Fault injection wraps the HTTP-shaped client, so inserts go through it (not the direct path).
    if (this.#opts.wrapClickHouse !== undefined) ch = { ...ch, client: this.#opts.wrapClickHouse(ch.client), insertJsonLines: undefined }
    this.#ch = ch
    logger.info({ target: ch.target, where: ch.where, database: ch.database }, 'ClickHouse target.')
    this.#health = new ClickHouseHealth(ch, { config, logger, metrics })
    // Plan events still waiting for journal space were released by the journal's close and delivered.
    return async () => {
      await this.#incidents?.idle()
      await ch.close()
    }
  }

  /**
   * The journal (what a previous run acknowledged but did not ship is recovered now) and its
   * shipper to ClickHouse, then the schema. Stopped by shipping what it holds (bounded), then
   * sealing and fsyncing it. The shipper starts with ingest, after the re-delivery filter is seeded.
   */
  async #startJournal(instance: string): Promise<{ journal: Journal; shipper: Shipper; unshipped: UnshippedIncidents; deliver: Deliver }> {
    const { config, logger, metrics } = this
    const now = this.#now
    const ch = this.#ch!
    const health = this.#health!
    const j = config.journal
    const journal = this.#journal = Journal.open(
      { dir: join(this.dataDir, 'journal'), maxBytes: j.max_bytes, segmentMaxRecords: j.segment_max_records, segmentMaxAgeMs: j.segment_max_age, fsync: j.fsync, fsyncIntervalMs: j.fsync_interval, keepShipped: KEEP_SHIPPED_SEGMENTS, now },
      { logger: logger.child({ component: 'journal' }), metrics },
    )
    const deliver = createDeliver({ client: ch.client, insertJsonLines: ch.insertJsonLines, database: ch.database, instanceId: instance, logger: logger.child({ component: 'sink' }), metrics, now, onHealth: (up) => health.report(up) })
    // Incidents journaled but not in ClickHouse yet (a previous run's pending segments included).
    const unshipped = new UnshippedIncidents()
    for (const seg of journal.pending()) for (const r of readIncidents(journal.readSegment(seg))) unshipped.add(r)
    const shipper = new Shipper(journal, async (seg, records) => {
      if (!health.migrated) return 'retriable'
      const status = await deliver(seg, records)
      if (status !== 'retriable') unshipped.shipped(Array.from(readIncidents(records), (r) => r.id))
      return status
    }, {
      retryMinMs: j.retry_min, retryMaxMs: j.retry_max, concurrency: SHIP_CONCURRENCY, logger: logger.child({ component: 'shipper' }),
    })
    this.#started.push(async (timeoutMs) => {
      const drained = health.migrated ? await shipper.drain(timeoutMs) : false
      if (!drained) logger.warn({ pending: shipper.backlog }, 'Journal not fully shipped before the shutdown timeout; it is kept and shipped at the next start.')
      await shipper.stop()
      journal.close()
    })
    await health.ensureSchema()
    return { journal, shipper, unshipped, deliver }
  }

  /**
   * Delivery: one publish path for every outbound event (webhook outbox, MQTT once the source is up,
   * live stream); alert transitions are journaled first. The bulletins publish through it
   * (#startReports, after the cluster, whose KV holds their schedule's progress in cluster mode).
   * Stopped by draining publication (webhooks are in the outbox already), then closing MQTT.
   */
  #startDelivery(): { dispatcher: Dispatcher; fanOut: AlertFanOut; publish: Publish } {
    const { config, logger, metrics } = this
    const now = this.#now
    const dispatcher = this.#dispatcher = new Dispatcher({
      dir: this.dataDir, webhooks: config.webhooks, delivery: config.delivery, logger: logger.child({ component: 'webhooks' }), registry: metrics.registry, ...(this.#opts.webhookSecrets === undefined ? {} : { webhookSecrets: this.#opts.webhookSecrets }), now,
      chatTexts: this.#stages.texts.chat,
    })
    dispatcher.start()
    const tracker = this.#tracker = config.cluster.url === undefined ? undefined : new DeliveryTracker(dispatcher)
    const publish = createPublisher({
      webhooks: tracker === undefined ? dispatcher : { publishEvent: tracker.track((e) => dispatcher.publishEvent(e)) },
      mqtt: { publishEvent: (topic, e, opts) => this.#mqttPublisher?.publishEvent(topic, e, opts) },
      topics: topicBuilder({ alerts: config.mqtt.alerts_topic_prefix, events: config.mqtt.events_topic_prefix, devices: DEVICE_TOPIC_PREFIX }),
      stream: this.stream,
      metrics,
      logger,
    })
    const fanOut = new AlertFanOut({
      journal: (events) => this.#ingestor!.writeRecord(alertsRecord(events)),
      // Cluster mode keeps no local rule state: the log and the fleet snapshot are the state.
      beforeDeliver: () => (this.#cluster === undefined ? this.#saveRuleState() : undefined),
      publish,
      logger,
    })
    this.#started.push(async () => {
      await this.#reports?.runner.stop()
      await fanOut.idle()
      await this.#mqttPublisher?.idle()
      await dispatcher.stop()
      // The MQTT connection stayed open for alert publication until now.
      await this.#source?.close().catch((err: unknown) => logger.warn({ err }, 'Closing the MQTT connection failed.'))
    })
    return { dispatcher, fanOut, publish }
  }

  /**
   * Cluster mode: joins the cluster on NATS JetStream (src/cluster/). The replica restores the
   * fleet snapshot and replays the log (the engine's rules are the replica's), then competes for
   * partitions; the partitions it owns have their position rows inserted into ClickHouse and their
   * alert events delivered (journaled, then published; the alerts mark moves once the webhooks
   * answered). The schedule role (ticks, coverage snapshots, bulletins, the fleet snapshot, hotspot
   * recomputation) runs on one engine at a time. Incidents, patrol levels and plans are replicated
   * too: their API changes are commands through the log, their events and rows the partitions'
   * effects (src/incidents/service.ts in cluster mode). Stopped after ingest: the leases are
   * released so others take over at once.
   */
  async #startCluster(stages: CompiledStages, fanOut: AlertFanOut, deliver: Deliver, publish: Publish): Promise<void> {
    const { config, logger, metrics } = this
    const dep = stages.deployment
    const log = logger.child({ component: 'cluster' })
    const health = this.#health!
    const handles: ClusterHandles = this.#clusterHandles = await openCluster({ config, dep, logger: log, metrics })
    const tracker = this.#tracker!
    const node: ClusterNode = this.#cluster = new ClusterNode({
      ...handles,
      nodeId: config.cluster.node_id!,
      dep,
      insertRows: async (rows, token) => {
        if (!health.migrated) throw new Error('the ClickHouse schema is not in place yet')
        const { tables, unknown } = rowsByTable(rows)
        if (unknown > 0) log.warn({ rows: unknown }, 'Partition rows of no known table were skipped (written by a newer engine? run one version across the cluster).')
        for (const [table, list] of tables) await deliver.tableRows(table, list, tableToken(token, table))
      },
      deliver: async (events) => {
        // Alert transitions are journaled (the `alerts` table) by the fan-out; incident, plan and
        // level events are published as they are (their rows are the partition's rows).
        fanOut.emit(events.filter(isAlertEffect))
        for (const e of events) if (!isAlertEffect(e)) publish(e)
        await tracker.whenDone(events.map(effectEventId))
      },
      integrity: this.#clusterIntegrity = new IntegrityDetection(integrityDetectionDeps(stages)),
      incidents: (rules, restored): IncidentService => {
        const incidents: IncidentService = this.#incidents = this.#clusterIncidents(stages, rules, node)
        incidents.restoreState(restored)
        return incidents
      },
      // Built after the incidents stage: units committed to its plans are busy.
      tasks: (rules, restored) => {
        const incidents = this.#incidents
        const { service, replica } = replicatedBoard({ setup: stages.patrolTasks, rules, busy: () => incidents?.committedUnits() ?? new Set<string>(), restored })
        this.#taskDesk = clusterTaskDesk(service, (op, id, unitId) => node.taskCommand(op, id, unitId))
        return replica
      },
      logger: log,
      now: this.#now,
      onTick: (at) => exportRuleGauges(metrics, node.rules, at),
      onFlagged: flagCounter(metrics.fixesFlagged),
      onRole: (role, held) => this.#onRole(role, held),
      onOwnership: () => metrics.clusterPartitionsOwned.set(handles.ownership.ownedPartitions().length),
    })
    this.#started.push(async () => {
      this.#incidents?.stop()
      await node.stop(true)
      await handles.close()
    })
    await node.start()
    this.#rules = node.rules
    this.#every(stages.incidents.hotspots.recomputeEveryMs, () => {
      if (node.holdsRole(SCHEDULE_ROLE)) void this.#incidents?.recomputeHotspots()
    })
    this.#every(1000, () => {
      metrics.clusterMembers.set(handles.ownership.members().length)
      for (const [p, n] of node.pending()) metrics.clusterPendingEffects.set({ partition: String(p) }, n)
      void node.status().then((s) => { if (s.lag !== null) metrics.clusterLogLag.set(s.lag) })
    })
  }

  /**
   * The reports stage (unless disabled): bulletins produced on schedule and for periods missed
   * while down, delivered as events through the one publish path. The schedule's progress is a
   * private file on one engine; in cluster mode a KV key every engine shares, and a period is done
   * only once its delivery settled, so the next schedule holder owes exactly what is not. The
   * schedule starts with MQTT publication (#startIngest) and stops first in delivery's stop.
   */
  async #startReports(publish: Publish): Promise<void> {
    const { config, logger } = this
    if (!config.reports.enabled) return
    const log = logger.child({ component: 'reports' })
    const cluster = this.#clusterHandles
    const state = cluster === undefined
      ? undefined
      : await KvScheduleState.open({ nc: cluster.nc, replicas: config.cluster.replicas, onWarning: (reason) => log.warn({ reason }, 'The shared bulletin schedule state is unreadable; the schedule starts afresh.') })
    const tracker = this.#tracker
    this.#reports = createReports({
      config, queries: clickHouseReportQueries(this.#ch!), dataDir: this.dataDir, publisher: { publishEvent: publish }, logger: log, now: this.#now, compiled: this.#stages,
      ...(state === undefined || tracker === undefined ? {} : { state, settled: (id: string) => tracker.whenDone([id]) }),
    })
  }


  /**
   * Cluster mode: the incidents stage on the replica's rules. Reads (incidents, levels, plans,
   * hotspots) answer from this engine's replicated state and ClickHouse; changes go through the log.
   */
  #clusterIncidents(stages: CompiledStages, rules: RuleEngine, node: ClusterNode): IncidentService {
    const health = this.#health!
    const ch = this.#ch!
    let store: IncidentStore | undefined
    const unused = () => { throw new Error('cluster mode: incidents are written by the partitions\' owners, not journaled') }
    return new IncidentService({
      setup: stages.incidents,
      dep: stages.deployment,
      rules,
      store: () => (health.migrated ? (store ??= new ClickHouseIncidentStore(ch.client, ch.database)) : null),
      journal: { incidents: unused, planEvents: unused },
      // The incidents applied lately (RECENT_INCIDENTS_MS): answered before ClickHouse has them.
      unshipped: new UnshippedIncidents(),
      dir: join(this.dataDir, 'incidents'),
      now: this.#now,
      logger: this.logger.child({ component: 'incidents' }),
      publish: () => undefined,
      texts: stages.texts.incidents,
      cluster: {
        command: (cmd) => node.incidentCommand(cmd),
        hotspots: (zones, at) => node.appendHotspots(zones, at),
        leads: () => node.holdsRole(SCHEDULE_ROLE),
      },
    })
  }

  /** Cluster mode: the schedule role came or went (bulletins and hotspot recomputation run on its holder only). */
  #onRole(role: string, held: boolean): void {
    if (role !== SCHEDULE_ROLE) return
    this.logger.info({ component: 'cluster', role, held }, held ? 'This engine now runs the schedule (rule ticks, coverage snapshots, bulletins, hotspots, fleet snapshot).' : 'This engine no longer runs the schedule.')
    if (held) {
      this.#reports?.runner.start()
      void this.#incidents?.recomputeHotspots()
    } else void this.#reports?.runner.stop()
  }

  /**
   * The rules (unless disabled): restored from the last snapshot, else coverage visits recovered
   * from ClickHouse. Stopped by a final tick (its transitions are journaled, then delivered) and
   * saving the rule state. Returns whether a snapshot was restored (alerts to reconcile).
   */
  async #startRules(dep: Deployment): Promise<boolean> {
    if (this.#opts.rules === false) return false
    const { config, logger } = this
    const now = this.#now
    const ch = this.#ch!
    const stateStore = this.#stateStore = new RuleStateStore(join(this.dataDir, 'rules'), {
      onError: (err) => this.logger.error({ err }, 'Saving the rule state failed; the engine runs on and saves it again at the next change (check the data directory\'s disk space and permissions).'),
    })
    const snap = stateStore.load()
    const rules = this.#rules = snap === null ? new RuleEngine(dep, { startedAt: now() }) : RuleEngine.restore(dep, snap, { startedAt: now() })
    this.#started.push(async () => {
      this.#scheduler?.tick(this.#now())
      this.#saveRuleState()
      await stateStore.flush()
    })
    if (snap === null && this.#health!.migrated) {
      rules.seedVisits(await recoverVisits(ch, config, now(), logger).catch((err: unknown) => {
        logger.warn({ err }, 'Could not recover coverage visits from ClickHouse; coverage starts from the grace period.')
        return []
      }))
    }
    return snap !== null
  }

  /**
   * Input: the Ingestor (decode → journal → rules) fed by MQTT (the external broker when
   * configured, else the embedded one) and JT/T 808 terminals (TCP, when jt808.port is set).
   * Stopped first: MQTT messages are no longer acknowledged (the broker re-sends them after the
   * restart; the connection stays for alert publication), the gateway closes, and what is in
   * flight completes (an acknowledgement is journaled and delivered).
   */
  async #startIngest(journal: Journal, shipper: Shipper, fanOut: AlertFanOut): Promise<Ingestor> {
    const { config, logger, metrics } = this
    const now = this.#now
    const cluster = this.#cluster
    const ingestor = this.#ingestor = new Ingestor({
      log: cluster === undefined ? undefined : { append: (fixes, format, transport) => cluster.appendFixes(fixes, format, transport) },
      recent: seedRecentFixes(journal, logger),
      decode: config.rules.known_units_only
        ? rejectUnknownUnits(createDecoder(decoderOptionsFromConfig(config)), new Set(config.units.map((u) => u.id)), config.validation.reject_payload_bytes)
        : createDecoder(decoderOptionsFromConfig(config)),
      journal,
      // Each accepted fix reaches the make-up patrol tasks after the rules (single node).
      rules: cluster === undefined ? this.#withTasks(this.#rules) : undefined,
      onAlerts: (events) => fanOut.deliver(events),
      // A unit's SOS (native sos: true, OsmAnd alarm=sos) opens unit_sos once its message is journaled.
      // Cluster mode: the SOS is a record of the unit's partition; the device is acked once it is stored.
      onSos: cluster !== undefined ? (signals) => Promise.all(signals.map((s) => cluster.appendSos(s.unitId, s.at, s.via, positionOf(s.fix)))) : (signals) => {
        for (const s of signals) {
          const ev = this.#rules?.sos(s.unitId, s.at, s.via, positionOf(s.fix), now()) ?? []
          if (ev.length > 0) fanOut.emit(ev)
        }
      },
      metrics,
      logger: logger.child({ component: 'ingest' }),
      now,
      maxRejectsPerMessage: config.validation.max_rejects_per_message,
    })
    shipper.start()
    this.#started.push(async (timeoutMs) => {
      this.#source?.pause()
      await this.#jt808?.close()
      await ingestor.idle(timeoutMs)
    })

    const throttle = this.authThrottle
    this.#every(60_000, this.#summariseAuth.bind(this))
    const trimmer = new HeapTrimmer({ logger, observePause: (s) => metrics.heapTrimSeconds.observe(s) })
    this.#every(60_000, () => trimmer.check())
    // Cluster mode: a turn's messages are appended to JetStream together, acknowledged once all are stored.
    const commit = this.#cluster === undefined ? journal : new LogGroup(journal)
    const source = this.#source = await startMqttSource(config, ingestor.handle, logger, metrics, throttle, commit)
    if (config.jt808.port !== undefined) {
      this.#jt808 = await Jt808Gateway.start({
        config, terminals: this.#stages.terminals, dataDir: this.dataDir, metrics, logger, now, throttle: throttle.forTransport('jt808'),
        ingest: (r, at) => ingestor.ingest(r, at, 'jt808'),
        // An emergency alarm opens unit_sos at once, after its report is journaled.
        emergency: (e) => {
          if (cluster !== undefined) {
            void cluster.appendSos(e.unitId, e.at, 'jt808', e.position).catch((err: unknown) => logger.error({ err, unit: e.unitId }, 'A JT/T 808 emergency alarm could not be appended to the cluster log; the terminal repeats it while the alarm lasts.'))
            return
          }
          const ev = this.#rules?.sos(e.unitId, e.at, 'jt808', e.position, now()) ?? []
          if (ev.length > 0) fanOut.emit(ev)
        },
      })
    }
    this.#mqttPublisher = new MqttPublisher(source.publish, logger.child({ component: 'alerts-mqtt' }))
    // The bulletin schedule starts once MQTT publication is up, so a bulletin owed at start-up reaches MQTT too.
    // Cluster mode: on the schedule role's holder only (#onRole), which may be this engine already.
    if (cluster === undefined) this.#reports?.runner.start()
    else if (cluster.holdsRole(SCHEDULE_ROLE)) this.#reports?.runner.start()
    return ingestor
  }

  /**
   * Incidents steer the rules (hotspot priority cells, patrol levels) and watch plans' checkpoints;
   * only with the rules. Nothing to stop: the store waits for their queries before it closes.
   */
  #startIncidents(stages: CompiledStages, d: { journal: Journal; shipper: Shipper; unshipped: UnshippedIncidents; ingestor: Ingestor; publish: Publish; fanOut: AlertFanOut }): void {
    if (this.#rules === undefined) return
    const health = this.#health!
    const ch = this.#ch!
    const log = this.logger.child({ component: 'incidents' })
    let store: IncidentStore | undefined
    const incidents = this.#incidents = new IncidentService({
      setup: stages.incidents,
      dep: stages.deployment,
      texts: stages.texts.incidents,
      rules: this.#rules,
      store: () => (health.migrated ? (store ??= new ClickHouseIncidentStore(ch.client, ch.database)) : null),
      journal: incidentJournal((record) => d.ingestor.writeRecord(record)),
      unshipped: d.unshipped,
      shipSoon: async (ids) => {
        // Not while inserts are failing (ClickHouse away or not migrated): the POST is answered now.
        if (!d.shipper.healthy) return
        d.journal.sealActive()
        await d.unshipped.whenShipped(ids, INCIDENT_SHIP_WAIT_MS)
      },
      dir: join(this.dataDir, 'incidents'),
      now: this.#now,
      logger: log,
      publish: d.publish,
      // checkpoint_missed: journaled (the `alerts` table), the rule state saved, then delivered.
      alerts: (events) => d.fanOut.emit(events),
    })
    // The plans and the alert book are saved apart: a crash between the two is mended now.
    incidents.reconcileAlerts()
    const recompute = () => void incidents.recomputeHotspots()
    recompute()
    this.#every(stages.incidents.hotspots.recomputeEveryMs, recompute)
  }

  /** The rules as the ingestor sees them, each fix then handed to the make-up patrol tasks. */
  #withTasks(rules: RuleEngine | undefined): RuleSink | undefined {
    if (rules === undefined) return undefined
    return {
      classify: (fix) => rules.classify(fix),
      ingest: (fix, at) => {
        const ev = rules.ingest(fix, at)
        this.#tasks?.observe(fix)
        this.#integrity?.observe(fix)
        return ev
      },
    }
  }

  /**
   * Patrol integrity (single node, with the rules; in cluster mode the replica's, #startCluster): every accepted fix
   * after the rules (#withTasks); each signal journaled (`integrity_signals`), then published
   * (`integrity.signal`); open stretches closed at the reports' local midnight (rule tick) and at
   * the stop, which runs after ingest's (no fix arrives any more) while the journal is open.
   */
  #startIntegrity(stages: CompiledStages, publish: Publish): void {
    if (this.#rules === undefined) return
    const log = this.logger.child({ component: 'integrity' })
    const stage = this.#integrity = new IntegrityStage({
      ...integrityDetectionDeps(stages),
      journal: (signals) => this.#ingestor!.writeRecord(rowsRecord('g', signals.map((s) => integrityRow(this.#now(), s)))),
      publish,
      onError: (err, signals) => log.error({ err, signals: signals.map(signalId) }, 'Integrity signals could not be journaled (they will be missing from integrity_signals); publishing them anyway.'),
    })
    this.#started.push(async () => {
      stage.flush()
      await stage.idle()
    })
  }

  /**
   * Make-up patrols (single node; in cluster mode the replica's board, #startCluster): the task board fed from the rules'
   * open coverage gaps and stale cells, the live units and the units committed to plans or open
   * incidents; refreshed and ticked with the rule ticks (#startSchedule), fed every accepted fix
   * (#withTasks); its events are journaled (`patrol_tasks`), then go through the one publish path.
   * The board is kept in <data_dir>/patrol-tasks (open tasks survive a restart); every save is
   * synchronous, the stop saves visits not yet saved.
   */
  #startPatrolTasks(stages: CompiledStages, publish: Publish, ingestor: Ingestor): void {
    const rules = this.#rules
    if (rules === undefined) return
    const incidents = this.#incidents
    const log = this.logger.child({ component: 'patrol-tasks' })
    const file = new TaskStateFile(join(this.dataDir, 'patrol-tasks'), log)
    this.#tasks = new PatrolTaskService({
      setup: stages.patrolTasks,
      rules,
      busy: () => incidents?.committedUnits() ?? new Set<string>(),
      publish,
      // Task events are journaled (the bulletin's `patrol_tasks` rows) before they are delivered.
      journal: patrolTaskJournal((record) => ingestor.writeRecord(record)),
      journalFailed: (err, events) => log.error({ err: (err as Error).message, events: events.map((e) => e.id) }, 'Make-up patrol events could not be journaled (they will be missing from patrol_tasks and the bulletin); delivering them anyway.'),
      restored: file.read(),
      save: (state) => {
        try {
          file.write(state)
        } catch (err) {
          log.error({ err }, 'The make-up patrol board could not be saved (disk full or read-only?); tasks changed since the last save are lost on a restart.')
        }
      },
    })
    const tasks = this.#tasks
    this.#started.push(async () => tasks.flush())
    if (tasks.restoredTasks > 0) log.info({ tasks: tasks.restoredTasks }, 'Make-up patrol tasks restored from the last run.')
  }

  /**
   * The clocks: the rule scheduler (ticks, coverage snapshots), the schema retry and the ClickHouse
   * probe. Timers are cleared when the stop begins.
   */
  #startSchedule(reconcile: boolean, journal: Journal, shipper: Shipper, ingestor: Ingestor, fanOut: AlertFanOut): void {
    const { config, metrics } = this
    const now = this.#now
    const health = this.#health!
    const rules = this.#rules
    const cluster = this.#cluster
    if (cluster !== undefined && rules !== undefined) {
      // The schedule role's holder appends the ticks; every engine applies them from the log.
      const log = this.logger.child({ component: 'cluster' })
      const scheduler = this.#scheduler = new RuleScheduler({
        rules: { tick: (at) => { void cluster.appendTick(at).catch((err: unknown) => log.warn({ err }, 'A rule tick could not be appended to the cluster log (NATS away?); the next one is tried.')); return [] } },
        tickMs: config.rules.tick,
        snapshotMs: config.rules.coverage_snapshot_interval,
        emit: () => undefined,
        persist: () => undefined,
        snapshot: (at) => {
          const rec = coverageRecord(rules, at)
          if (rec !== null) void ingestor.writeRecord(rec)
        },
      }, now())
      this.#every(scheduler.periodMs, () => {
        if (cluster.holdsRole(SCHEDULE_ROLE)) scheduler.beat(now())
      })
    } else if (rules !== undefined) {
      // Alerts the changed deployment can no longer decide resolve now (config_changed), delivered like any transition.
      if (reconcile) {
        const resolved = rules.reconcile(now())
        if (resolved.length > 0) fanOut.emit(resolved)
      }
      const scheduler = this.#scheduler = new RuleScheduler({
        rules,
        tickMs: config.rules.tick,
        snapshotMs: config.rules.coverage_snapshot_interval,
        emit: (events) => fanOut.emit(events),
        persist: () => void this.#saveRuleState(),
        snapshot: (at) => {
          const rec = coverageRecord(rules, at)
          if (rec !== null) void ingestor.writeRecord(rec)
        },
        ticked: (at, seconds) => {
          this.#incidents?.tick(at)
          this.#tasks?.tick(at)
          this.#integrity?.tick(at)
          metrics.ruleTickSeconds.observe(seconds)
          exportRuleGauges(metrics, rules, at)
        },
      }, now())
      this.#every(scheduler.periodMs, () => scheduler.beat(now()))
    }
    if (!health.migrated) this.#every(5000, () => void health.ensureSchema())
    // While inserts are failing, probe ClickHouse every second and retry at once when it answers,
    // so a backlog starts draining the moment the server is back, not after the backoff.
    this.#every(1000, () => {
      metrics.queueDepth.set(journal.pending().reduce((n, seg) => n + seg.records, 0))
      if (!shipper.healthy) void health.probe(() => shipper.retryNow())
    })
  }

  /**
   * The HTTP API (unless disabled) with HTTP ingest (the same Ingestor as MQTT) and the OsmAnd
   * listener. Stopped first: new requests get 503, requests in flight complete.
   */
  async #startApi(journal: Journal, ingestor: Ingestor, dispatcher: Dispatcher, fanOut: AlertFanOut): Promise<void> {
    if (this.#opts.http === false) return
    const { config, logger, metrics } = this
    const now = this.#now
    const ch = this.#ch!
    const throttle = this.authThrottle
    const httpIngest = config.http_ingest.enabled
      ? new HttpIngest({ config, metrics, now, throttle, logger: logger.child({ component: 'http-ingest' }), commit: journal, sink: { full: () => journal.full, ingest: (r, at) => ingestor.ingest(r, at, 'http') } })
      : undefined
    this.#started.push(async () => {
      await this.#osmandListener?.close()
      await this.#api?.close()
    })
    this.#api = await buildApi({
      httpIngest,
      authThrottle: throttle,
      incidents: this.#incidents,
      places: placeFinderFor(config, { logger: logger.child({ component: 'places' }), gazetteer: this.#stages.places, counter: metrics.geocoderLookups, now }),
      patrolTasks: this.#tasks ?? this.#taskDesk,
      integrity: this.#integrity ?? this.#clusterIntegrity,
      stream: this.stream,
      audit: (e) => ingestor.writeRecord(rowsRecord('u', [auditRow(now(), e)])),
      alertHistory: clickHouseAlertHistory(ch),
      replay: replaySource(ch),
      reports: this.#reports?.api,
      config,
      logger,
      registry: metrics.registry,
      now,
      readiness: () => this.readiness(),
      engine: this.#rules,
      dispatcher,
      track: (unit, from, to, limit) => readTrack(ch, unit, from, to, limit),
      emit: (events) => fanOut.emit(events),
      alertCommands: this.#cluster === undefined ? undefined : {
        acknowledge: (alertId, by, note) => this.#cluster!.command({ k: 'ack', alertId, by, ...(note === undefined ? {} : { note }) }),
        resolveSos: (alertId, by, note) => this.#cluster!.command({ k: 'resolve_sos', alertId, by, note }),
      },
    })
    await this.#api.listen({ port: config.http.port, host: config.http.host })
    if (httpIngest !== undefined && config.http_ingest.osmand_port !== undefined) this.#osmandListener = await startOsmandListener(httpIngest, config, logger)
  }

  httpAddress(): string | null {
    const a = this.#api?.server.address()
    return typeof a === 'object' && a !== null ? `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : null
  }

  /** The embedded broker's URL once started (null with an external broker): the demo simulator publishes there. */
  brokerUrl(): string | null {
    const port = this.#source?.broker?.port
    const host = this.config.broker.host
    return port === undefined ? null : `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`
  }

  /** Component → ready? Reads state only (a ClickHouse ping); changes nothing. */
  async readiness(): Promise<Record<string, ComponentStatus>> {
    const journal = this.#journal!
    const cluster: Record<string, ComponentStatus> = this.#cluster === undefined ? {} : { cluster: await this.#clusterStatus() }
    return {
      ...cluster,
      mqtt: this.#source?.status() ?? { ok: false, detail: 'not started' },
      clickhouse: await this.#health!.status(),
      journal: journal.full
        ? { ok: false, code: 'HEXP_ERR_JOURNAL_FULL', detail: `full (${journal.bytes} bytes): MQTT acknowledgements are paused until ClickHouse catches up` }
        : { ok: true, detail: `${journal.bytes} bytes pending` },
    }
  }

  async #clusterStatus(): Promise<ComponentStatus> {
    const s = await this.#cluster!.status()
    return s.ok ? { ok: true, detail: s.detail } : { ok: false, code: 'HEXP_ERR_LOG_UNAVAILABLE', detail: s.detail }
  }

  /** Cluster mode: this engine's replica, ownership and log (tests, benchmarks). */
  get cluster(): ClusterNode | undefined {
    return this.#cluster
  }

  /**
   * The deliberate seam for tests and benchmarks: read-only views of the running stages. Not for
   * production code, which talks to the engine through start(), stop(), readiness() and the API.
   */
  testHandle(): EngineTestHandle {
    if (this.#source === undefined) throw new Error('the engine is not started')
    const self = this
    return {
      ch: this.#ch!,
      journal: this.#journal!,
      ingestor: this.#ingestor!,
      rules: this.#rules,
      dispatcher: this.#dispatcher,
      source: this.#source,
      jt808: this.#jt808?.address,
      tick: () => self.#scheduler?.tick(self.#now()),
    }
  }

  #saveRuleState(): Promise<void> | undefined {
    if (this.#rules !== undefined) return this.#stateStore?.save(this.#rules.takeDelta())
    return undefined
  }

  #every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms)
    t.unref()
    this.#timers.push(t)
  }

  /** Logs what the credential throttle refused since the last summary (each minute, and at stop). */
  #summariseAuth(): void {
    const s = this.authThrottle.drain()
    if (s !== null) this.logger.warn({ component: 'auth', ...s }, 'Refused device and API authentications since the last summary (wrong credentials, or an address or username in its back-off).')
  }

  /** Graceful stop in data-flow order; ships the journal within timeoutMs (the rest waits for the next start). */
  stop(timeoutMs = 15_000): Promise<void> {
    this.#stopping ??= this.#doStop(timeoutMs)
    return this.#stopping
  }

  async #doStop(timeoutMs: number): Promise<void> {
    const log = this.logger
    log.info('Stopping: no new input; final rule tick; flushing alerts and the journal.')
    for (const t of this.#timers) clearInterval(t)
    this.#summariseAuth()
    // The started stages in reverse: API and input, rules, delivery, journal, storage.
    for (const stop of this.#started.reverse()) await stop(timeoutMs)
    log.info('hexpatrol stopped.')
  }
}

/** An SOS's fix as the alert's position (null when the report had no accepted fix). */
function positionOf(f: Fix | null): AlertPosition | null {
  return f === null ? null : { lat: f.lat, lon: f.lon, ts: f.ts, accuracy: f.accuracy, h3: f.h3 }
}
