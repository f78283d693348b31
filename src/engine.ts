// Wires the stages into one running engine: MQTT source → Ingestor (decode, rules) → Journal →
// Shipper → ClickHouse; rule ticks and coverage snapshots; alert delivery (webhooks + MQTT);
// the HTTP API. start() and stop() are used by main.ts and by the integration tests.
import { ensurePrivateDir } from './private-files.js'
import { join, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from 'pino'
import type { Config } from './config/schema.js'
import { createMetrics, type Metrics } from './telemetry/metrics.js'
import { createDecoder, decoderOptionsFromConfig } from './decode/decoder.js'
import { Journal } from './journal/journal.js'
import { Shipper } from './journal/shipper.js'
import { openClickHouse, type ClickHouseHandle } from './sink/clickhouse/client.js'
import { migrate } from './sink/clickhouse/schema.js'
import { createDeliver } from './sink/clickhouse/deliver.js'
import { Ingestor } from './ingest/ingestor.js'
import { createBrokerAuth } from './ingest/broker-auth.js'
import { startEmbeddedBroker, type EmbeddedBroker } from './ingest/embedded-broker.js'
import { startMqttSubscriber, type MqttSubscriber } from './ingest/mqtt-subscriber.js'
import type { Publish } from './ingest/message-handler.js'
import { compileDeployment } from './rules/deployment.js'
import { RuleEngine } from './rules/engine.js'
import { RuleStateStore } from './rules/state-store.js'
import { Dispatcher } from './alerts/dispatcher.js'
import { MqttAlertPublisher } from './alerts/mqtt-publisher.js'
import { ALERT_KINDS, type AlertEvent } from './rules/alert-event.js'
import { buildApi } from './api/server.js'
import { StreamHub } from './api/stream-hub.js'
import { AuditLog } from './sink/clickhouse/audit.js'
import type { ComponentStatus, TrackPoint } from './api/context.js'
import { instanceId } from './instance-id.js'
import { RecentFixes, fixKey } from './ingest/recent-fixes.js'
import { coverageRecord } from './sink/clickhouse/coverage-record.js'
import { alertsRecord } from './sink/clickhouse/rows.js'
import { recoverVisits } from './sink/clickhouse/recover.js'
import { compileIncidents } from './incidents/compile.js'
import { createFanout } from './incidents/fanout.js'
import { IncidentService } from './incidents/service.js'
import { IncidentStore } from './incidents/store.js'

/** How many recent fixes are remembered to recognise a broker's re-deliveries. */
const RECENT_FIXES = 200_000
const RECENT_WINDOW_S = 120
const RECENT_SEGMENTS = 4
/** Segments inserted in parallel: each has its own deduplication token, so order does not matter. */
const SHIP_CONCURRENCY = 2

export interface EngineOptions {
  config: Config
  logger: Logger
  env?: NodeJS.ProcessEnv
  now?: () => number
  /** Start the HTTP API (default true). */
  http?: boolean
  /** Evaluate patrol rules (default true). */
  rules?: boolean
  /** Wraps the ClickHouse client (fault injection in tests; instrumentation). */
  wrapClickHouse?: (client: ClickHouseClient) => ClickHouseClient
}

export class Engine {
  readonly config: Config
  readonly logger: Logger
  readonly metrics: Metrics
  private readonly env: NodeJS.ProcessEnv
  private readonly now: () => number
  private readonly opts: EngineOptions
  ch!: ClickHouseHandle
  journal!: Journal
  shipper!: Shipper
  ingestor!: Ingestor
  rules: RuleEngine | undefined
  dispatcher: Dispatcher | undefined
  broker: EmbeddedBroker | undefined
  subscriber: MqttSubscriber | undefined
  api: FastifyInstance | undefined
  /** The live stream's hub (API): alert transitions are published here; other stages publish theirs. */
  readonly stream: StreamHub
  private auditLog: AuditLog | undefined
  private stateStore: RuleStateStore | undefined
  /** Incidents, hotspots, patrol levels, plans (with the rules). */
  incidents: IncidentService | undefined
  private incidentStore: IncidentStore | undefined
  private alertPublisher: MqttAlertPublisher | undefined
  private migrated = false
  private readonly maxIntervals: ReadonlyMap<string, number>
  private clickhouseUp = false
  private timers: NodeJS.Timeout[] = []
  private stopping: Promise<void> | null = null

  constructor(opts: EngineOptions) {
    this.opts = opts
    this.config = opts.config
    this.logger = opts.logger
    this.env = opts.env ?? process.env
    this.now = opts.now ?? Date.now
    this.metrics = createMetrics()
    this.stream = new StreamHub({ bufferBytes: this.config.api.stream_buffer_bytes, heartbeatMs: this.config.api.stream_heartbeat, now: this.now, registry: this.metrics.registry })
    this.maxIntervals = new Map(this.config.zones.map((z) => [z.id, z.coverage.max_interval]))
  }

  get dataDir(): string {
    return resolve(this.config.data_dir)
  }

  async start(): Promise<void> {
    const { config, logger, metrics } = this
    ensurePrivateDir(this.dataDir)
    const instance = instanceId(this.dataDir)

    // Journal first: whatever a previous run acknowledged but did not ship is recovered now.
    const j = config.journal
    this.journal = Journal.open(
      { dir: join(this.dataDir, 'journal'), maxBytes: j.max_bytes, segmentMaxRecords: j.segment_max_records, segmentMaxAgeMs: j.segment_max_age, fsync: j.fsync, fsyncIntervalMs: j.fsync_interval, now: this.now },
      { logger: logger.child({ component: 'journal' }), metrics },
    )

    this.ch = openClickHouse(config, this.env)
    if (this.opts.wrapClickHouse !== undefined) this.ch = { ...this.ch, client: this.opts.wrapClickHouse(this.ch.client) }
    logger.info({ target: this.ch.target, where: this.ch.where, database: this.ch.database }, 'ClickHouse target.')
    const deliver = createDeliver({
      client: this.ch.client,
      database: this.ch.database,
      instanceId: instance,
      logger: logger.child({ component: 'sink' }),
      metrics,
      now: this.now,
      onHealth: (up) => this.setClickhouseUp(up),
    })
    this.shipper = new Shipper(this.journal, async (seg, records) => {
      if (!this.migrated) return 'retriable'
      return deliver(seg, records)
    }, { retryMinMs: j.retry_min, retryMaxMs: j.retry_max, concurrency: SHIP_CONCURRENCY, logger: logger.child({ component: 'shipper' }) })
    await this.ensureSchema()

    // Rules and alert delivery.
    if (this.opts.rules !== false) {
      const dep = compileDeployment(config)
      this.stateStore = new RuleStateStore(join(this.dataDir, 'rules'))
      const snap = this.stateStore.load()
      this.rules = snap === null ? new RuleEngine(dep, { startedAt: this.now() }) : RuleEngine.restore(dep, snap, { startedAt: this.now() })
      if (snap === null && this.migrated) {
        const visits = await recoverVisits(this.ch, config, this.now(), logger).catch((err: Error) => {
          logger.warn({ err: err.message }, 'Could not recover coverage visits from ClickHouse; coverage starts from the grace period.')
          return []
        })
        this.rules.seedVisits(visits)
      }
    }
    this.dispatcher = new Dispatcher({
      dir: this.dataDir,
      webhooks: config.webhooks,
      delivery: config.delivery,
      logger: logger.child({ component: 'webhooks' }),
      registry: metrics.registry,
      env: this.env,
      now: this.now,
    })
    this.dispatcher.start()

    const recent = await this.seedRecentFixes()
    this.ingestor = new Ingestor({
      recent,
      decode: createDecoder(decoderOptionsFromConfig(config)),
      journal: this.journal,
      rules: this.rules,
      onAlerts: (events) => this.deliverAlerts(events),
      metrics,
      logger: logger.child({ component: 'ingest' }),
      now: this.now,
    })
    this.shipper.start()

    // MQTT source: external broker when configured, else the embedded one.
    let publish: Publish
    if (config.mqtt.url !== undefined) {
      this.subscriber = startMqttSubscriber(config, this.ingestor.handle, logger, metrics)
      publish = this.subscriber.publish
    } else {
      this.broker = await startEmbeddedBroker(config, createBrokerAuth(config, this.env), this.ingestor.handle, logger)
      metrics.mqttConnected.set(1)
      publish = this.broker.publish
    }
    this.alertPublisher = new MqttAlertPublisher(publish, config.mqtt.alerts_topic_prefix, logger.child({ component: 'alerts-mqtt' }))
    if (this.rules !== undefined) this.startIncidents()

    if (this.rules !== undefined) {
      this.every(config.rules.tick, () => this.tick())
      this.every(config.rules.coverage_snapshot_interval, () => this.snapshotCoverage())
    }
    if (!this.migrated) this.every(5000, () => void this.ensureSchema())
    // While inserts are failing, probe ClickHouse every second and retry at once when it answers,
    // so a backlog starts draining the moment the server is back, not after the backoff.
    this.every(1000, () => {
      this.metrics.queueDepth.set(this.journal.pending().reduce((n, seg) => n + seg.records, 0))
      if (this.shipper.healthy) return
      void this.ch.ping().then((ok) => {
        if (ok && this.migrated) this.shipper.retryNow()
      })
    })

    if (this.opts.http !== false) {
      const auditLog = (this.auditLog = new AuditLog({ client: this.ch.client, database: this.ch.database, logger: logger.child({ component: 'audit' }), now: this.now }))
      this.api = await buildApi({
        config,
        logger,
        registry: metrics.registry,
        now: this.now,
        readiness: () => this.readiness(),
        engine: this.rules,
        dispatcher: this.dispatcher,
        track: (unit, from, to, limit) => this.track(unit, from, to, limit),
        emit: (events) => this.emit(events),
        incidents: this.incidents,
        stream: this.stream,
        audit: (e) => auditLog.write(e),
        clickhouse: this.ch,
      }, this.env)
      await this.api.listen({ port: config.http.port, host: config.http.host })
    }
    logger.info({ http: this.httpAddress(), mqtt: config.mqtt.url ?? `mqtt://${config.broker.host}:${this.broker?.port}`, rules: this.rules !== undefined }, 'hexpatrol started.')
  }

  /**
   * Fixes accepted just before a crash are in the journal's newest segments or already in
   * ClickHouse; remembering them lets the broker's re-deliveries be recognised and dropped.
   */
  private async seedRecentFixes(): Promise<RecentFixes> {
    const recent = new RecentFixes(RECENT_FIXES)
    if (this.migrated) {
      try {
        const rs = await this.ch.client.query({
          query: `SELECT unit_id, toUnixTimestamp64Milli(ts) AS ts_ms, lat, lon FROM ${this.ch.database}.positions
                  WHERE received_at >= (SELECT max(received_at) FROM ${this.ch.database}.positions) - INTERVAL ${RECENT_WINDOW_S} SECOND
                  ORDER BY received_at LIMIT ${RECENT_FIXES}`,
          format: 'JSONEachRow',
        })
        for (const r of await rs.json<{ unit_id: string; ts_ms: string | number; lat: number; lon: number }>()) recent.add(fixKey(r.unit_id, Number(r.ts_ms), r.lat, r.lon))
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'Could not read recent positions from ClickHouse; re-delivered fixes from before the restart may be stored twice.')
      }
    }
    const pending = this.journal.pending()
    for (const seg of pending.slice(-RECENT_SEGMENTS)) recent.seedFromRecords(this.journal.readSegment(seg))
    if (recent.size > 0) this.logger.info({ fixes: recent.size }, 'Remembering recently accepted fixes to recognise re-deliveries.')
    return recent
  }

  httpAddress(): string | null {
    const a = this.api?.server.address()
    return typeof a === 'object' && a !== null ? `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : null
  }

  async readiness(): Promise<Record<string, ComponentStatus>> {
    const mqttOk = this.subscriber !== undefined ? this.subscriber.subscribed : this.broker?.listening === true
    const chOk = this.migrated && (await this.ch.ping())
    this.setClickhouseUp(chOk)
    return {
      mqtt: { ok: mqttOk, detail: mqttOk ? 'subscribed' : this.subscriber !== undefined ? 'not subscribed to the broker' : 'embedded broker not listening' },
      clickhouse: { ok: chOk, detail: chOk ? this.ch.target : this.migrated ? 'not answering' : 'schema not created yet (ClickHouse unreachable?)' },
      journal: { ok: !this.journal.full, detail: this.journal.full ? `full (${this.journal.bytes} bytes): MQTT acknowledgements are paused until ClickHouse catches up` : `${this.journal.bytes} bytes pending` },
    }
  }

  private setClickhouseUp(up: boolean): void {
    if (up !== this.clickhouseUp) this.logger[up ? 'info' : 'warn']({ target: this.ch.target }, up ? 'ClickHouse is answering.' : 'ClickHouse is not answering; fixes are kept in the journal.')
    this.clickhouseUp = up
    this.metrics.clickhouseUp.set(up ? 1 : 0)
  }

  private async ensureSchema(): Promise<void> {
    if (this.migrated) return
    try {
      await migrate(this.ch.client, { database: this.ch.database, ttlDays: this.config.clickhouse.ttl_days, rejectsTtlDays: this.config.clickhouse.rejects_ttl_days })
      this.migrated = true
      this.setClickhouseUp(true)
      this.logger.info({ database: this.ch.database }, 'ClickHouse schema is up to date.')
    } catch (err) {
      this.setClickhouseUp(false)
      this.logger.warn({ err: (err as Error).message }, 'Could not create the ClickHouse schema; retrying every 5 s. Fixes are journaled meanwhile.')
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms)
    t.unref()
    this.timers.push(t)
  }

  private startIncidents(): void {
    const setup = compileIncidents(this.config)
    const log = this.logger.child({ component: 'incidents' })
    this.incidents = new IncidentService({
      setup,
      dep: compileDeployment(this.config),
      rules: this.rules as RuleEngine,
      store: () => (this.migrated ? (this.incidentStore ??= new IncidentStore(this.ch.client, this.ch.database)) : null),
      dir: join(this.dataDir, 'incidents'),
      now: this.now,
      logger: log,
      publish: createFanout({ webhooks: this.dispatcher, mqtt: this.alertPublisher, hub: this.stream, logger: log }),
    })
    const recompute = () => void this.incidents?.recomputeHotspots()
    recompute()
    this.every(setup.hotspots.recomputeEveryMs, recompute)
  }

  /** Rule timers: silence, coverage, response coverage, release of held fixes. */
  tick(): void {
    if (this.rules === undefined) return
    const now = this.now()
    const started = performance.now()
    const events = this.rules.tick(now)
    this.metrics.ruleTickSeconds.observe((performance.now() - started) / 1000)
    // With events, emit() persists the state once they are journaled (deliverAlerts).
    if (events.length > 0) this.emit(events)
    else this.stateStore?.save(this.rules.snapshot())
    this.incidents?.tick(now)
    this.exportRuleGauges(now)
  }

  private exportRuleGauges(now: number): void {
    const rules = this.rules!
    const m = this.metrics
    for (const z of rules.zones(now)) {
      m.zoneCoverage.set({ zone: z.id }, z.ratio)
      if (z.responseRatio !== null) m.zoneResponse.set({ zone: z.id }, z.responseRatio)
    }
    const open = new Map<string, number>(ALERT_KINDS.map((k) => [k, 0]))
    for (const a of rules.openAlerts()) open.set(a.kind, (open.get(a.kind) ?? 0) + 1)
    for (const [kind, n] of open) m.alertsOpen.set({ kind }, n)
    m.unitsLive.set(rules.units(now).filter((u) => u.lastFix !== null && !u.silent).length)
  }

  snapshotCoverage(): void {
    if (this.rules === undefined) return
    const rec = coverageRecord(this.rules, this.now(), this.maxIntervals)
    if (rec !== null) void this.ingestor.writeRecord(rec)
  }

  /** Journals alert transitions made outside a message (ticks, API) and delivers them. */
  emit(events: AlertEvent[]): void {
    const done = this.ingestor.writeRecord(alertsRecord(events))
    if (done === undefined) this.deliverAlerts(events)
    else void done.then(() => this.deliverAlerts(events))
  }

  private deliverAlerts(events: AlertEvent[]): void {
    // Persist rule state at every transition, not only every tick: after a kill -9 the engine
    // must not open again an alert it already opened (and delivered).
    if (this.rules !== undefined && events.length > 0) this.stateStore?.save(this.rules.snapshot())
    for (const e of events) {
      this.metrics.alertTransitions.inc({ kind: e.kind, state: e.state })
      this.logger.info({ alert: e.alertId, type: e.type, subject: e.subject }, e.summary)
      this.dispatcher?.publish(e)
      this.alertPublisher?.publish(e)
      this.stream.publish('alert', e, { zone: e.zoneId, unit: e.unitId })
    }
  }

  private async track(unitId: string, from: number, to: number, limit: number): Promise<TrackPoint[]> {
    const rs = await this.ch.client.query({
      // Aliases must not shadow column names used in WHERE (ClickHouse resolves aliases there).
      query: `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, lat, lon, speed, accuracy, h3ToString(h3) AS cell, flags FROM ${this.ch.database}.positions
              WHERE unit_id = {unit:String} AND ts BETWEEN fromUnixTimestamp64Milli({from:Int64}) AND fromUnixTimestamp64Milli({to:Int64})
              ORDER BY ts LIMIT {limit:UInt32}`,
      query_params: { unit: unitId, from, to, limit },
      format: 'JSONEachRow',
    })
    const rows = await rs.json<{ ts_ms: string | number; lat: number; lon: number; speed: number | null; accuracy: number | null; cell: string; flags: number }>()
    return rows.map((r) => ({ ts: Number(r.ts_ms), lat: r.lat, lon: r.lon, speed: r.speed, accuracy: r.accuracy, h3: r.cell, flags: r.flags }))
  }

  /** Graceful stop: no new messages, flush what is held, ship the journal (bounded), save rule state. */
  stop(timeoutMs = 15_000): Promise<void> {
    this.stopping ??= this.doStop(timeoutMs)
    return this.stopping
  }

  private async doStop(timeoutMs: number): Promise<void> {
    const log = this.logger
    log.info('Stopping: no new messages; flushing the journal to ClickHouse.')
    for (const t of this.timers) clearInterval(t)
    await this.subscriber?.close().catch(() => undefined)
    await this.broker?.close().catch(() => undefined)
    if (this.rules !== undefined) {
      this.tick()
      this.stateStore?.save(this.rules.snapshot())
    }
    if (this.shipper !== undefined) {
      const drained = this.migrated ? await this.shipper.drain(timeoutMs) : false
      if (!drained) log.warn({ pending: this.shipper.backlog }, 'Journal not fully shipped before the shutdown timeout; it is kept and shipped at the next start.')
      await this.shipper.stop()
    }
    this.journal?.close()
    await this.dispatcher?.stop()
    await this.api?.close()
    await this.auditLog?.close()
    // Hotspot queries and plan-event inserts still running must finish before the client closes.
    await this.incidents?.idle()
    await this.ch?.close()
    log.info('hexpatrol stopped.')
  }
}
