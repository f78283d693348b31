// HTTP ingest for phones: OwnTracks HTTP mode (POST owntracks_path) and the OsmAnd protocol of
// Traccar Client and many trackers (GET|POST osmand_path, optionally on its own port). The routes
// declare `config: { scope: 'device' }`: the API token hook skips them and they authenticate the
// device themselves, before decoding anything, through the engine's credential throttle (per
// address and per username, shared with MQTT and the API login): a client in its back-off gets 429
// with Retry-After and its password is not checked. OsmAnd needs the device password by default;
// `osmand_auth: units` (any request naming a configured unit) is an opt-in warned about at start-up. Fixes then take the MQTT path (decode → rules →
// journal) and the response is sent only once the journal append is durable: an answered request
// is kept. A journal at its bound answers 503 with Retry-After and takes nothing.
// The policy lives in HttpIngest and answers through an IngestAnswer: the plugin below writes it
// with fastify, http-fast-path.ts (in front of fastify, for the common requests) on the raw response.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import type { ResolvedConfig } from '../config/resolve.js'
import { ERRORS, type ErrorCode } from '../errors.js'
import type { DecodeResult } from '../decode/fix.js'
import { decoderOptionsFromConfig } from '../decode/decoder.js'
import { createHttpDecoders, type HttpDecoders } from '../decode/http-decoders.js'
import { isValidUnitId } from '../decode/topic-router.js'
import type { Metrics } from '../telemetry/metrics.js'
import { telemetryEvent } from '../telemetry/events.js'
import { boundCounter } from '../telemetry/bound-counter.js'
import { DeviceCredentials } from './device-credentials.js'
import { CidrList } from '../net/addresses.js'
import { basicCredentials, owntracksUnit } from './owntracks-device.js'
import { KeyedBuckets, TokenBucket } from './token-bucket.js'
import { AuthThrottle, throttleOptions, type TransportThrottle } from './auth-throttle.js'
import { IngestFastPath, frontServer } from './http-fast-path.js'
import type { IngestAnswer, IngestPolicy } from './ingest-answer.js'
import { AnswerGroup } from './answer-group.js'
import type { GroupCommit } from './message-handler.js'

/** The pipeline as HTTP ingest sees it (the engine's Ingestor and journal). */
export interface HttpIngestSink {
  /** True while the journal is at its bound: nothing is taken. */
  full(): boolean
  /** Decoded request → rules → journal; settles once durable (throws when it could not be kept). */
  ingest(result: DecodeResult, receivedAt: number): void | Promise<void>
}

export interface HttpIngestDeps {
  /** Resolved by loadConfig: device passwords are values. */
  config: ResolvedConfig
  sink: HttpIngestSink
  metrics: Metrics
  now: () => number
  /** The engine's credential throttle shared with the other transports; default: HTTP ingest's own. */
  throttle?: AuthThrottle
  /** For the start-up warning of `osmand_auth: units` and the events below (refusals, failures). */
  logger?: Pick<Logger, 'warn' | 'error'>
  /**
   * The journal's group commit: one turn's requests are written together and answered after the
   * write (answer-group.ts). Without it each request is written (and answered) on its own.
   */
  commit?: GroupCommit
}

type Endpoint = 'owntracks' | 'osmand'
export type { IngestAnswer }


const NOT_JOURNALED = 'HTTP ingest could not journal a request; it was not acknowledged.'

/**
 * HTTP ingest's named telemetry events (telemetry/events.ts), each counting and logging with the
 * same labels: hexpatrol_http_ingest_auth_failures_total{endpoint, reason} for refusals (logged at
 * most once a second: a misconfigured fleet must not flood the log; never the secret), and
 * hexpatrol_http_ingest_requests_total{endpoint, status} for requests that failed inside.
 */
function httpIngestEvents(logger: HttpIngestDeps['logger'], metrics: Metrics, now: () => number) {
  return {
    refused: telemetryEvent(logger, { counter: metrics.httpIngestAuthFailures, level: 'warn', logEvery: { ms: 1000, now },
      message: 'Refused an HTTP ingest request (counted in hexpatrol_http_ingest_auth_failures_total).' }),
    /** An OwnTracks request the journal could not take: the connection is closed unanswered. */
    aborted: telemetryEvent(logger, { counter: metrics.httpIngestRequests, level: 'error', message: NOT_JOURNALED, fixed: { status: 'aborted' } }),
    /** A request that failed with a 5xx (4xx are only counted). */
    failed: telemetryEvent(logger, { counter: metrics.httpIngestRequests, level: 'error', message: 'HTTP ingest request failed.' }),
  }
}

/** Everything fixed at start-up and shared by the API's routes and the dedicated OsmAnd port. */
export class HttpIngest implements IngestPolicy {
  readonly config: Config['http_ingest']
  readonly decoders: HttpDecoders
  readonly credentials: DeviceCredentials
  /** Per device (unit id). */
  readonly limiter: KeyedBuckets
  /** All devices together. */
  readonly globalLimiter: TokenBucket
  /** Refused requests per client address: their own budget, never the API's. */
  readonly refusedLimiter: KeyedBuckets
  readonly allow: CidrList
  readonly units: ReadonlySet<string>
  readonly sink: HttpIngestSink
  readonly metrics: Metrics
  readonly now: () => number
  readonly bodyLimit: number
  readonly throttles: Record<Endpoint, TransportThrottle>
  readonly events: ReturnType<typeof httpIngestEvents>
  private readonly log: HttpIngestDeps['logger']
  /** hexpatrol_http_ingest_requests_total{endpoint, status="200"}, bound once. */
  private readonly ok: Record<Endpoint, { inc(): void }>
  private readonly group: AnswerGroup | null

  constructor(deps: HttpIngestDeps) {
    const c = deps.config
    this.config = c.http_ingest
    this.decoders = createHttpDecoders(decoderOptionsFromConfig(c))
    this.credentials = new DeviceCredentials(c)
    this.now = deps.now
    this.limiter = new KeyedBuckets({ perSecond: this.config.rate_limit_per_minute / 60, burst: this.config.rate_limit_burst }, this.now)
    this.globalLimiter = new TokenBucket({ perSecond: this.config.rate_limit_global_per_second, burst: this.config.rate_limit_global_per_second }, this.now)
    this.refusedLimiter = new KeyedBuckets({ perSecond: this.config.rate_limit_refused_per_minute / 60, burst: this.config.rate_limit_refused_per_minute }, this.now)
    this.allow = new CidrList('http_ingest.osmand_allow_ips', this.config.osmand_allow_ips)
    this.units = new Set(c.units.map((u) => u.id))
    this.sink = deps.sink
    this.metrics = deps.metrics
    this.bodyLimit = this.config.body_limit_bytes
    this.log = deps.logger
    this.events = httpIngestEvents(deps.logger, this.metrics, this.now)
    this.group = deps.commit === undefined ? null : new AnswerGroup(deps.commit)
    this.ok = { owntracks: boundCounter(this.metrics.httpIngestRequests, { endpoint: 'owntracks', status: '200' }), osmand: boundCounter(this.metrics.httpIngestRequests, { endpoint: 'osmand', status: '200' }) }
    const throttle = deps.throttle ?? new AuthThrottle({ ...throttleOptions(c.broker.limits), now: this.now })
    this.throttles = { owntracks: throttle.forTransport('owntracks'), osmand: throttle.forTransport('osmand') }
    if (this.config.enabled && this.config.osmand_auth === 'units') {
      deps.logger?.warn({ osmand_path: this.config.osmand_path, osmand_port: this.config.osmand_port ?? null, units: this.units.size },
        'http_ingest.osmand_auth is "units": anyone who can reach the OsmAnd endpoint and knows a unit id can post positions as that unit. Use osmand_auth: credentials (the default) to require the device password.')
    }
  }

  /** The throttle's verdict before a password is checked: true (and the request answered 429 with Retry-After) when refused unchecked. */
  throttled(a: IngestAnswer, endpoint: Endpoint, username: string): boolean {
    const v = this.throttles[endpoint].check(a.ip, username)
    if (v === null) return false
    a.header('retry-after', String(Math.max(1, Math.ceil(v.waitMs / 1000))))
    this.refuse(a, endpoint, 'HEXP_ERR_RATE_LIMITED', 'auth_backoff', `too many wrong credentials ${v.reason === 'address_backoff' ? 'from this address' : 'for this device'}; nothing was checked, retry later`)
    return true
  }

  /** Checks a device password, counting the outcome in the throttle. */
  verify(a: IngestAnswer, endpoint: Endpoint, username: string, password: string): boolean {
    const ok = this.credentials.verify(username, password)
    if (ok) this.throttles[endpoint].succeed(a.ip, username)
    else this.throttles[endpoint].fail(a.ip, username)
    return ok
  }

  /**
   * Answers an error `{ code, message }` and counts it; refusals before decoding also count their
   * reason. A refused request (bad id, credentials, address) spends its address's refused budget;
   * past it the answer is 429 with Retry-After (a good device at the same address is not refused).
   */
  refuse(a: IngestAnswer, endpoint: Endpoint, code: ErrorCode, reason: string, message: string): void {
    if (code !== 'HEXP_ERR_RATE_LIMITED' && code !== 'HEXP_ERR_JOURNAL_FULL') {
      const wait = this.refusedLimiter.take(a.ip)
      if (wait > 0) {
        a.header('retry-after', String(Math.ceil(wait / 1000)))
        code = 'HEXP_ERR_RATE_LIMITED'
        message = `too many refused requests from this address (http_ingest.rate_limit_refused_per_minute); the last was: ${message}`
      }
    }
    const status = ERRORS[code].status
    this.metrics.httpIngestRequests.inc({ endpoint, status: String(status) })
    if (code !== 'HEXP_ERR_JOURNAL_FULL') this.events.refused({ endpoint, reason }, { ip: a.ip, reqId: a.reqId })
    if (code === 'HEXP_ERR_DEVICE_UNAUTHORIZED' && endpoint === 'owntracks') a.header('www-authenticate', 'Basic realm="hexpatrol", charset="UTF-8"')
    if (code === 'HEXP_ERR_JOURNAL_FULL') a.header('retry-after', String(Math.ceil(this.config.retry_after / 1000)))
    a.error(status, { code, message })
  }

  /** Rate limits (the device's, then all devices'), then a full journal: each refuses before any state changes. */
  admit(a: IngestAnswer, endpoint: Endpoint, unit: string): boolean {
    const wait = this.limiter.take(unit)
    if (wait > 0) {
      a.header('retry-after', String(Math.ceil(wait / 1000)))
      this.refuse(a, endpoint, 'HEXP_ERR_RATE_LIMITED', 'rate_limited', `unit ${unit} is over http_ingest.rate_limit_per_minute`)
      return false
    }
    const all = this.globalLimiter.take()
    if (all > 0) {
      a.header('retry-after', String(Math.ceil(all / 1000)))
      this.refuse(a, endpoint, 'HEXP_ERR_RATE_LIMITED', 'global_rate_limited', 'all devices together are over http_ingest.rate_limit_global_per_second')
      return false
    }
    if (this.sink.full()) {
      this.refuse(a, endpoint, 'HEXP_ERR_JOURNAL_FULL', 'journal_full', 'the journal is at its bound (ClickHouse is not taking rows); nothing was taken, retry later')
      return false
    }
    return true
  }

  /**
   * Hands the decoded request to the pipeline, then answers 200 once it is kept, else 503 (OsmAnd)
   * or closes the connection (OwnTracks). With the group commit, at the end of the turn once the
   * group's one write is made; without it, synchronously when the journal took it at once.
   */
  keep(a: IngestAnswer, endpoint: Endpoint, result: DecodeResult, receivedAt: number): void | Promise<void> {
    if (this.group !== null) {
      // Answered at the end of the turn, after the group's one write (fastify waits on the promise).
      return new Promise<void>((resolve) => this.group!.keep(() => this.sink.ingest(result, receivedAt), () => {
        this.answer(a, endpoint)
        resolve()
      }, (err) => {
        this.notKept(a, endpoint, err)
        resolve()
      }))
    }
    let pending: void | Promise<void>
    try {
      pending = this.sink.ingest(result, receivedAt)
    } catch (err) {
      return this.notKept(a, endpoint, err)
    }
    if (pending === undefined) return this.answer(a, endpoint)
    return pending.then(() => this.answer(a, endpoint), (err: unknown) => this.notKept(a, endpoint, err))
  }

  /** A request the journal could not take: answered 503 (OsmAnd) or aborted (OwnTracks). */
  private notKept(a: IngestAnswer, endpoint: Endpoint, err: unknown): void {
    if (endpoint === 'owntracks') {
      // The OwnTracks app takes any response as delivered: close the connection unanswered so it retries.
      this.events.aborted({ endpoint }, { err, reqId: a.reqId })
      a.abort()
    } else {
      // Counted (and its refusal logged) as a 503 by refuse(); this line keeps the cause.
      this.log?.error({ err, endpoint, reqId: a.reqId }, NOT_JOURNALED)
      this.refuse(a, endpoint, 'HEXP_ERR_JOURNAL_FULL', 'journal_error', 'the position could not be journaled; nothing was taken, retry later')
    }
  }

  /** Answers 200 and counts it (a bound counter: no label hashing per request). */
  private answer(a: IngestAnswer, endpoint: Endpoint): void {
    this.ok[endpoint].inc()
    if (endpoint === 'owntracks') a.owntracksOk()
    else a.osmandOk()
  }

  /**
   * OwnTracks authentication, before the body is read: the unit the request reports as, or null
   * when it was refused (and answered).
   */
  owntracksUnit(a: IngestAnswer, authorization: string | undefined, limitU: string | undefined): string | null {
    const basic = basicCredentials(authorization)
    if (basic === null) {
      this.refuse(a, 'owntracks', 'HEXP_ERR_DEVICE_UNAUTHORIZED', 'missing_credentials', 'send HTTP Basic auth with the device credentials of broker.users')
      return null
    }
    if (this.throttled(a, 'owntracks', basic.user)) return null
    if (!this.verify(a, 'owntracks', basic.user, basic.password)) {
      this.refuse(a, 'owntracks', 'HEXP_ERR_DEVICE_UNAUTHORIZED', 'bad_credentials', 'unknown user or wrong password')
      return null
    }
    const who = owntracksUnit(basic.user, limitU)
    if ('mismatch' in who) {
      this.refuse(a, 'owntracks', 'HEXP_ERR_DEVICE_FORBIDDEN', 'unit_mismatch', who.mismatch)
      return null
    }
    return who.unit
  }

  /** An authenticated OwnTracks request's body: rate limits, decode, journal, answer. */
  owntracks(a: IngestAnswer, unit: string, body: Buffer): void | Promise<void> {
    if (!this.admit(a, 'owntracks', unit)) return
    const receivedAt = this.now()
    return this.keep(a, 'owntracks', this.decoders.owntracks(unit, body, receivedAt), receivedAt)
  }

  /** An OsmAnd request (query string and body): id, authentication, rate limits, decode, journal, answer. */
  osmand(a: IngestAnswer, query: string, body: Buffer, authorization: string | undefined): void | Promise<void> {
    const cfg = this.config
    const r = this.decoders.osmandRequest(query, body, cfg.osmand_secret_param)
    if (r === null || r.id === null || r.id === '') return this.refuse(a, 'osmand', 'HEXP_ERR_BAD_REQUEST', 'no_id', 'id (or deviceid, or device_id in a JSON body) is required')
    const id = r.id
    if (!isValidUnitId(id)) return this.refuse(a, 'osmand', 'HEXP_ERR_BAD_REQUEST', 'invalid_id', 'id must be 1-64 characters of A-Z a-z 0-9 _ . : -')
    if (cfg.osmand_auth === 'units') {
      if (!this.units.has(id)) return this.refuse(a, 'osmand', 'HEXP_ERR_DEVICE_FORBIDDEN', 'unknown_unit', 'this id is not a configured unit')
    } else {
      const basic = basicCredentials(authorization)
      const secret = r.secret ?? (basic !== null && basic.user === id ? basic.password : null)
      if (secret === null) return this.refuse(a, 'osmand', 'HEXP_ERR_DEVICE_UNAUTHORIZED', 'missing_credentials', `send the device password as the ${cfg.osmand_secret_param} parameter or HTTP Basic auth`)
      if (this.throttled(a, 'osmand', id)) return
      if (!this.verify(a, 'osmand', id, secret)) return this.refuse(a, 'osmand', 'HEXP_ERR_DEVICE_UNAUTHORIZED', 'bad_credentials', 'unknown device or wrong password')
    }
    if (!this.admit(a, 'osmand', id)) return
    const receivedAt = this.now()
    return this.keep(a, 'osmand', this.decoders.osmand(r, id, receivedAt), receivedAt)
  }

  /** The dedicated port's address check: true (and the request answered 403) when refused. */
  forbiddenAddress(a: IngestAnswer): boolean {
    if (this.allow.empty || this.allow.has(a.ip)) return false
    this.refuse(a, 'osmand', 'HEXP_ERR_DEVICE_FORBIDDEN', 'ip_not_allowed', 'this address is not in http_ingest.osmand_allow_ips')
    return true
  }
}

const EMPTY = Buffer.alloc(0)
const bodyOf = (req: FastifyRequest): Buffer => (Buffer.isBuffer(req.body) ? req.body : EMPTY)
const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name]
  return typeof v === 'string' ? v : undefined
}

/** An ingest decision answered through fastify (the requests the fast path leaves to it). */
class FastifyAnswer implements IngestAnswer {
  constructor(private readonly req: FastifyRequest, private readonly reply: FastifyReply) {}
  get ip(): string {
    return this.req.ip
  }
  get reqId(): string {
    return this.req.id
  }
  header(name: string, value: string): void {
    this.reply.header(name, value)
  }
  error(status: number, body: { code: ErrorCode; message: string }): void {
    this.reply.status(status).send(body)
  }
  osmandOk(): void {
    this.reply.status(200).send()
  }
  owntracksOk(): void {
    // The app reads the answer as an array of commands/cards/friends' locations: none.
    this.reply.status(200).header('content-type', 'application/json; charset=utf-8').send('[]')
  }
  abort(): void {
    this.reply.hijack()
    this.reply.raw.destroy()
  }
}

/**
 * A route handler's result as fastify takes it: a request answered synchronously returns nothing
 * (fastify would send a returned reply again), one still waiting for the journal its promise.
 */
const settled = (r: void | Promise<void>, reply: FastifyReply): Promise<FastifyReply> | undefined => (r instanceof Promise ? r.then(() => reply) : undefined)

/** The unit an OwnTracks request authenticated as, set by its onRequest hook. */
const owntracksUnits = new WeakMap<FastifyRequest, string>()

/** Options: the shared HttpIngest; `dedicated` serves OsmAnd on every path (its own port) behind the IP allow-list. */
export interface HttpIngestPluginOptions {
  ingest: HttpIngest
  dedicated?: boolean
}

/** The encapsulated plugin: raw-body parsing and its error handler stay inside it. */
export const httpIngestPlugin: FastifyPluginAsync<HttpIngestPluginOptions> = async (app, { ingest, dedicated = false }) => {
  const cfg = ingest.config
  // Decoders read raw bytes (size, UTF-8 and JSON checks are theirs), whatever the content type.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ingest.bodyLimit }, (_req, body, done) => done(null, body))
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode ?? 500
    const endpoint: Endpoint = req.url.startsWith(cfg.owntracks_path) && !dedicated ? 'owntracks' : 'osmand'
    if (status >= 500) ingest.events.failed({ endpoint, status: String(status) }, { err, reqId: req.id })
    else ingest.metrics.httpIngestRequests.inc({ endpoint, status: String(status) })
    const code: ErrorCode = status >= 500 ? 'HEXP_ERR_INTERNAL' : 'HEXP_ERR_BAD_REQUEST'
    return reply.status(status).send({ code, message: status === 413 ? `body larger than http_ingest.body_limit_bytes (${ingest.bodyLimit})` : status >= 500 ? 'Internal error; see the engine log.' : err.message })
  })

  if (dedicated) {
    app.addHook('onRequest', async (req, reply) => {
      if (ingest.forbiddenAddress(new FastifyAnswer(req, reply))) return reply
      return undefined
    })
  } else {
    app.post(cfg.owntracks_path, {
      config: { scope: 'device' as const },
      bodyLimit: ingest.bodyLimit,
      // Authentication before the body is read or anything is validated.
      onRequest: async (req, reply) => {
        const unit = ingest.owntracksUnit(new FastifyAnswer(req, reply), header(req, 'authorization'), header(req, 'x-limit-u'))
        if (unit === null) return reply
        owntracksUnits.set(req, unit)
        return undefined
      },
    }, (req, reply) => settled(ingest.owntracks(new FastifyAnswer(req, reply), owntracksUnits.get(req)!, bodyOf(req)), reply))
  }

  const osmand = (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> | undefined => {
    const q = req.url.indexOf('?')
    return settled(ingest.osmand(new FastifyAnswer(req, reply), q < 0 ? '' : req.url.slice(q + 1), bodyOf(req), header(req, 'authorization')), reply)
  }
  const route = { config: { scope: 'device' as const }, bodyLimit: ingest.bodyLimit }
  if (dedicated) {
    // Traccar Client posts to the server URL as given (usually `/`): any path.
    app.route({ method: ['GET', 'POST'], url: '/', ...route, handler: osmand })
    app.route({ method: ['GET', 'POST'], url: '/*', ...route, handler: osmand })
  } else {
    app.route({ method: ['GET', 'POST'], url: cfg.osmand_path, ...route, handler: osmand })
  }
}

/** The dedicated OsmAnd listener on http_ingest.osmand_port (Traccar's default is 5055); started only when it is set. */
export async function startOsmandListener(ingest: HttpIngest, config: Config, logger: Logger): Promise<FastifyInstance> {
  const h = config.http
  const app = Fastify({
    loggerInstance: logger.child({ component: 'osmand' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ingest.bodyLimit,
    requestTimeout: h.request_timeout,
    connectionTimeout: h.request_timeout,
    keepAliveTimeout: 5000,
    return503OnClosing: true,
  })
  await app.register(httpIngestPlugin, { ingest, dedicated: true })
  // OsmAnd on any path is answered in front of fastify (http-fast-path.ts); fastify keeps the rest.
  const fast = new IngestFastPath(ingest, { dedicated: true })
  frontServer(app.server, fast)
  app.addHook('preClose', async () => {
    fast.closing = true
  })
  await app.listen({ port: config.http_ingest.osmand_port!, host: config.http_ingest.osmand_host ?? h.host })
  return app
}
