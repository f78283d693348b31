// Builds the fastify app: limits against hostile requests, security headers, authentication
// before anything else, coded errors, OpenAPI from the TypeBox schemas, and one plugin per area.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import cookie from '@fastify/cookie'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { ApiContext } from './context.js'
import { installErrorHandler } from './errors.js'
import { installJsonParser } from './json-body.js'
import { installStrictQuery } from './strict-query.js'
import { healthPlugin, metricsPlugin } from './health.js'
import { authPlugin, hostOf } from './auth.js'
import { readGatePlugin } from './read-gate.js'
import { TokenBook } from './tokens.js'
import { SessionCodec } from './session-cookie.js'
import { sessionPlugin } from './session.js'
import { installAudit } from './audit-hook.js'
import { DEVICE_HEADERS, securityHeadersPlugin } from './security-headers.js'
import { unitsPlugin } from './units.js'
import { zonesPlugin } from './zones.js'
import { alertsPlugin } from './alerts.js'
import { streamPlugin } from './stream.js'
import { webhooksPlugin } from './webhooks.js'
import { replayPlugin } from './replay.js'
import { webPlugin } from './web.js'
import { incidentsPlugin } from './incidents.js'
import { patrolTasksPlugin } from './patrol-tasks.js'
import { integrityPlugin } from './integrity.js'
import { placesPlugin } from './places.js'
import { ErrorBody } from './schemas.js'
import type { RouteScope } from './scopes.js'
import { httpIngestPlugin } from '../ingest/http-ingest.js'
import { IngestFastPath, frontServer } from '../ingest/http-fast-path.js'
import { AuthThrottle, throttleOptions } from '../ingest/auth-throttle.js'
import { reportsPlugin } from './reports.js'

export interface RouteInfo {
  method: string
  url: string
  scope: RouteScope
  /** Response schemas by status (TypeBox), for conformance tests. */
  response: Record<string, unknown> | undefined
}

const routeTables = new WeakMap<FastifyInstance, RouteInfo[]>()

/** Every route registered on an app built by buildApi, with the scope it requires. */
export function routesOf(app: FastifyInstance): RouteInfo[] {
  return routeTables.get(app) ?? []
}

/** The origin of an absolute XYZ tile URL template (for the CSP), or nothing for a same-origin path. */
export function tileOrigin(template: string | undefined, subdomains = 'abc'): string[] {
  if (template === undefined || !/^https?:\/\//i.test(template)) return []
  // One origin per tile server the {s} placeholder names (t0…t7.tianditu.gov.cn, webrd01…04.is.autonavi.com).
  const servers = template.includes('{s}') ? [...subdomains] : ['']
  return [...new Set(servers.map((s) => new URL(template.replaceAll('{s}', s).replace(/\{-?[a-z]+\}/gi, '0')).origin))]
}

/** Every origin the configured basemap's tiles come from (its template and its overlay's). */
export function tileOrigins(tiles: { url?: string | undefined; overlay_url?: string | undefined; subdomains?: string | undefined } | undefined): string[] {
  if (tiles === undefined) return []
  return [...new Set([tiles.url, tiles.overlay_url].flatMap((u) => tileOrigin(u, tiles.subdomains)))]
}

/** http.trust_proxy as fastify takes it: a hop count trusts the `n` addresses nearest the engine (proxy-addr's index). */
export function trustProxyOption(v: boolean | string[] | number): boolean | string[] | ((addr: string, hop: number) => boolean) {
  return typeof v === 'number' ? (_addr, hop) => hop < v : v
}

export async function buildApi(ctx: ApiContext): Promise<FastifyInstance> {
  const h = ctx.config.http
  const tokens = TokenBook.fromConfig(ctx.config, ctx.logger)
  // Without a configured secret every start signs with a new one: a restart ends all sessions.
  const secret = h.session_secret ?? randomBytes(32).toString('base64url')
  const sessions = new SessionCodec({ ttlMs: h.session_ttl, now: ctx.now, file: join(ctx.config.data_dir, 'sessions', 'revoked.json') })
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request logs would dominate the log at fleet polling rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: h.body_limit_bytes,
    requestTimeout: h.request_timeout,
    connectionTimeout: h.request_timeout,
    keepAliveTimeout: 5000,
    // Only the configured proxies are believed (loadConfig refuses `true`): the client address for
    // limits and audit is the right-most X-Forwarded-For entry not added by a trusted proxy.
    trustProxy: trustProxyOption(h.trust_proxy),
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // avvio's default (10 s per plugin) is wall time: a start that replays a large journal keeps
    // the loop busy and a plugin as slow to load as swagger-ui then failed the whole start-up.
    pluginTimeout: 120_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>()
  installErrorHandler(app)
  installJsonParser(app)
  installStrictQuery(app)
  app.addSchema(ErrorBody)

  const table: RouteInfo[] = []
  routeTables.set(app, table)
  app.addHook('onRoute', (r) => {
    // The docs UI and its assets are public (the OpenAPI document describes routes, not data).
    if (r.url === '/docs' || r.url.startsWith('/docs/')) r.config = { ...r.config, scope: 'public' }
    const scope: RouteScope = r.config?.scope ?? 'read'
    for (const method of [r.method].flat()) table.push({ method, url: r.url, scope, response: r.schema?.response as Record<string, unknown> | undefined })
    if (r.schema !== undefined && scope !== 'public') {
      r.schema = {
        ...r.schema,
        security: scope === 'device' ? [] : [{ bearer: [] }, { session: [] }],
        description: `${r.schema.description === undefined ? '' : `${r.schema.description as string}\n\n`}Scope: \`${scope}\`.`,
      }
    }
  })

  // helmet's headers, computed once (security-headers.ts).
  const helmetOptions = {
    // HSTS only means something over TLS; behind a TLS proxy it is the proxy's header to set.
    hsts: false,
    // Images from the engine only, plus the configured basemap's tile server (map.tiles), if any.
    contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'data:', 'blob:', ...tileOrigins(ctx.config.map.tiles)] } },
  }
  await app.register(securityHeadersPlugin, helmetOptions)
  await app.register(cookie, { secret })
  await app.register(authPlugin, { config: ctx.config, tokens, sessions })
  await app.register(readGatePlugin, { perToken: h.expensive_reads.per_token, total: h.expensive_reads.total })
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'hexpatrol API', version: '1', description: 'Live patrol state, tracks, coverage, alerts and their history. Every route but the public ones needs a token (Authorization: Bearer) or the session cookie.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token (api.tokens) with the scope the route names.' },
          session: { type: 'apiKey', in: 'cookie', name: 'hexpatrol_session', description: 'The browser session from POST /api/v1/session.' },
        },
      },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  installAudit(app, ctx)

  await app.register(healthPlugin, { ctx })
  await app.register(metricsPlugin, { ctx, tokens })
  // The login backs off per address and per account through the engine's credential throttle (shared with the device transports), else one of its own.
  const throttle = (ctx.authThrottle ?? new AuthThrottle({ ...throttleOptions(ctx.config.broker.limits), now: ctx.now })).forTransport('api')
  await app.register(sessionPlugin, { tokens, sessions, throttle })
  await app.register(unitsPlugin, { ctx })
  await app.register(zonesPlugin, { ctx })
  await app.register(alertsPlugin, { ctx })
  await app.register(streamPlugin, { ctx })
  await app.register(webhooksPlugin, { ctx })
  if (ctx.httpIngest !== undefined) {
    await app.register(httpIngestPlugin, { ingest: ctx.httpIngest })
    if (ctx.ingestFastPath !== false) {
      const allowedHosts = new Set(h.allowed_hosts.map((x) => x.toLowerCase()))
      // The device routes answered in front of fastify (ingest/http-fast-path.ts).
      const fast = new IngestFastPath(ctx.httpIngest, {
        headers: DEVICE_HEADERS,
        hostAllowed: allowedHosts.size === 0 ? undefined : (req) => allowedHosts.has(hostOf(req)),
        cors: h.cors_origins.length > 0,
        trustProxy: h.trust_proxy !== false,
      })
      frontServer(app.server, fast)
      // From here fastify answers 503 (return503OnClosing): leave every request to it.
      app.addHook('preClose', async () => {
        fast.closing = true
      })
    }
  }
  if (ctx.reports !== undefined) await app.register(reportsPlugin, { reports: ctx.reports, now: () => ctx.now() })
  await app.register(replayPlugin, { source: () => ctx.replay })
  await app.register(webPlugin, { config: ctx.config })
  await app.register(incidentsPlugin, { ctx })
  await app.register(patrolTasksPlugin, { ctx })
  await app.register(integrityPlugin, { ctx })
  await app.register(placesPlugin, { ctx })
  // Streams never end by themselves: close them so the server can stop.
  app.addHook('preClose', async () => ctx.stream.close())
  return app
}
