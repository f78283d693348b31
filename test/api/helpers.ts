// A real rule engine and dispatcher behind the API (no MQTT, no ClickHouse), three tokens (one
// per scope), captured audit rows, and a check that a response matches its route's schema and
// that serialization lost nothing the handler returned.
import type { Test } from 'tap'
import { pino } from 'pino'
import { latLngToCell } from 'h3-js'
import { Value } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { validateConfig } from '../../src/config/load.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { Dispatcher } from '../../src/delivery/dispatcher.js'
import { buildApi, routesOf } from '../../src/api/server.js'
import { StreamHub } from '../../src/api/stream-hub.js'
import { ErrorBody } from '../../src/api/schemas.js'
import type { ApiContext, AuditEntry } from '../../src/api/context.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'
import type { Fix } from '../../src/decode/fix.js'
import { createMetrics } from '../../src/telemetry/metrics.js'
import { tempDir } from '../helpers/harness.js'

export const T0 = 1_800_000_000_000
export const TOKENS = { read: 'read-token-0123456789', operate: 'operate-token-0123456789', admin: 'admin-token-0123456789' }
export const ENV = { HEXP_T_READ: TOKENS.read, HEXP_T_OPERATE: TOKENS.operate }
export const as = (scope: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[scope]}` })

/** `env`: the environment the config's secrets are read from (token_env, session/metrics secrets). */
export function testConfig(extra: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = ENV) {
  return validateConfig({
    data_dir: tempDir(),
    http: { admin_token: TOKENS.admin, body_limit_bytes: 4096, ...(extra.http as object | undefined) },
    api: { tokens: [{ name: 'desk', scope: 'read', token_env: 'HEXP_T_READ' }, { name: 'sgt.wang', scope: 'operate', token_env: 'HEXP_T_OPERATE' }], ...(extra.api as object | undefined) },
    units: [{ id: 'P-1', name: 'Car 1', post: 's1', zone: 'g1' }, { id: 'O-2', kind: 'officer', zone: 'g1' }],
    posts: [{ id: 's1', name: 'Station 1', lat: 36.49, lon: 117.86, radius_m: 1500 }],
    zones: [{ id: 'g1', name: 'Grid 1', geometry: { type: 'Polygon', coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]] }, coverage: { response_radius_m: 1500, priority_cells: [{ lat: 36.49, lon: 117.86, name: 'Station gate', max_interval: '10m' }] } }],
    webhooks: [{ id: 'desk', url: 'https://duty.example.org/hook', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
    // Gaps open at the first tick that sees them: these tests are about the API, not the gap dwell.
    rules: { coverage_gap: { dwell: '0s' }, response_gap: { dwell: '0s' } },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'http' && k !== 'api')),
  }, undefined, env)
}

export function fix(unit: string, ts: number, lat: number, lon: number, receivedAt = ts): Fix {
  return { unitId: unit, ts, receivedAt, lat, lon, h3: latLngToCell(lat, lon, 9), speed: null, heading: null, accuracy: 5, altitude: null, battery: null, seq: null, source: 'native', topic: `fleet/${unit}/position`, flags: 0 }
}

export interface Rig {
  app: FastifyInstance
  ctx: ApiContext
  engine: RuleEngine
  emitted: AlertEvent[]
  audits: AuditEntry[]
  clock: { now: number }
  ingest(f: Fix): AlertEvent[]
}

export async function rig(opts: { config?: ReturnType<typeof testConfig>; ctx?: Partial<ApiContext> } = {}): Promise<Rig> {
  const config = opts.config ?? testConfig()
  const clock = { now: T0 }
  const engine = new RuleEngine(compileDeployment(config), { startedAt: T0 })
  const dispatcher = new Dispatcher({ dir: tempDir(), webhooks: config.webhooks, delivery: config.delivery, logger: pino({ level: 'silent' }), now: () => clock.now })
  const emitted: AlertEvent[] = []
  const audits: AuditEntry[] = []
  const metrics = createMetrics({ defaults: false })
  const ctx: ApiContext = {
    config,
    logger: pino({ level: 'silent' }),
    registry: metrics.registry,
    now: () => clock.now,
    readiness: async () => ({ mqtt: { ok: true, detail: 'subscribed' } }),
    engine,
    dispatcher,
    track: async (_unit, from, _to, limit) => [
      { ts: from, lat: 36.49, lon: 117.86, speed: null, accuracy: 5, h3: latLngToCell(36.49, 117.86, 9), flags: 0 },
      { ts: from + 5000, lat: 36.491, lon: 117.861, speed: 3, accuracy: 5, h3: latLngToCell(36.491, 117.861, 9), flags: 0 },
    ].slice(0, limit),
    emit: (events) => emitted.push(...events),
    stream: new StreamHub(),
    audit: (e) => { audits.push(e) },
    ...opts.ctx,
  }
  const app = await buildApi(ctx)
  // What the last handler returned before serialization, for conforms() (fastify drops undeclared fields).
  app.addHook('onRequest', async () => { lastPayload.set(app, undefined) })
  app.addHook('preSerialization', async (_req, _reply, payload) => {
    lastPayload.set(app, payload)
    return payload
  })
  const ingest = (f: Fix) => {
    f.flags = engine.classify(f)
    const out = [...engine.ingest(f, clock.now), ...engine.tick(clock.now)]
    emitted.push(...out)
    return out
  }
  return { app, ctx, engine, emitted, audits, clock, ingest }
}

const lastPayload = new WeakMap<FastifyInstance, unknown>()

function routeOf(app: FastifyInstance, method: string, url: string) {
  const path = url.split('?')[0] as string
  return routesOf(app).find((r) => r.method === method && new RegExp(`^${r.url.replace(/[.]/g, '\\.').replace(/:[A-Za-z]+/g, '[^/]+').replace(/\*/g, '.*')}$`).test(path))
}

/** Asserts the response body matches the schema the route declares for its status. */
export function conforms(t: Test, app: FastifyInstance, method: string, url: string, res: LightMyRequestResponse): void {
  const route = routeOf(app, method, url)
  const schema = route?.response?.[String(res.statusCode)] as TSchema | undefined
  if (schema === undefined) {
    t.fail(`${method} ${url}: no response schema for ${res.statusCode}`)
    return
  }
  if (res.statusCode === 204) return
  const body = /json/.test(String(res.headers['content-type'])) ? res.json() : res.body
  const errors = [...Value.Errors(schema, [ErrorBody], body)].slice(0, 3).map((e) => `${e.path}: ${e.message}`)
  t.same(errors, [], `${method} ${url} ${res.statusCode} matches its response schema`)
  const raw = lastPayload.get(app)
  if (res.statusCode < 300 && raw !== undefined && typeof body !== 'string') t.same(body, JSON.parse(JSON.stringify(raw)), `${method} ${url}: the serializer dropped or changed nothing`)
}
