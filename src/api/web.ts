// Serves the live map: the page at `/` and `/login`, its bundle under `/assets/` (built by
// `npm run build` into dist/web). Every route here declares `config.scope: 'public'`: the page
// holds no data, it asks the documented API for everything with the session cookie (the one
// data route here, a configured PMTiles basemap, needs scope read like the API). An
// encapsulated plugin, so the static-file decorator stays inside it.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { basename, dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import type { Config } from '../config/schema.js'
import { HexpatrolError } from '../errors.js'

export interface WebOptions {
  config: Config
  /** Directory holding index.html and assets/ (default: dist/web of this package). */
  root?: string | undefined
}

/** The page's own settings, inlined as JSON (a data block, not a script, so CSP allows it): the
 * basemap (resolved at boot: a preset is its templates by now) and the datum its tiles are drawn
 * in, which the page shifts every drawn coordinate into (src/web/datum.ts). */
export function pageSettings(config: Config): Record<string, unknown> {
  const t = config.map.tiles
  if (t === undefined) return { tiles: null, datum: 'wgs84' }
  const datum = t.datum ?? 'wgs84'
  const zoom = { maxZoom: t.max_zoom, ...(t.max_native_zoom === undefined ? {} : { maxNativeZoom: t.max_native_zoom }) }
  if (t.pmtiles !== undefined) return { tiles: { pmtiles: PMTILES_ROUTE, attribution: t.attribution, ...zoom }, datum }
  const extra = { ...(t.overlay_url === undefined ? {} : { overlayUrl: t.overlay_url }), ...(t.subdomains === undefined ? {} : { subdomains: t.subdomains }) }
  return { tiles: { url: t.url, ...extra, attribution: t.attribution, ...zoom }, datum }
}

/** Where the engine serves a configured local PMTiles basemap (map.tiles.pmtiles). */
export const PMTILES_ROUTE = '/api/v1/map/tiles.pmtiles'

/** `</script>` in a value must not end the data block. */
export function inlineJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c')
}

/** dist/web next to the compiled server (dist/api/web.js) or the source tree (src/api/web.ts); a
 * built directory has assets/app.js (src/web itself holds only the sources). */
export function defaultWebRoot(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(new URL('.', moduleUrl))
  const candidates = [join(here, '..', 'web'), join(here, '..', '..', 'dist', 'web')]
  return candidates.find((d) => existsSync(join(d, 'assets', 'app.js'))) ?? candidates[1]!
}

export async function webPlugin(app: FastifyInstance, opts: WebOptions): Promise<void> {
  const root = opts.root ?? defaultWebRoot()
  const indexFile = join(root, 'index.html')
  const settings = `<script id="hexp-settings" type="application/json">${inlineJson(pageSettings(opts.config))}</script>`
  let page: string | null = null
  const sendPage = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    if (page === null) {
      if (!existsSync(indexFile)) throw new HexpatrolError('HEXP_ERR_MAP_NOT_BUILT', `The map is not built (${indexFile} is missing).`)
      page = readFileSync(indexFile, 'utf8').replace('<!--HEXP_SETTINGS-->', settings)
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page)
  }
  const pub = { config: { scope: 'public' as const } }
  app.get('/', pub, sendPage)
  app.get('/login', pub, sendPage)
  // serve: false — our own route, so it carries its scope like every other route; sendFile
  // refuses paths outside the root.
  await app.register(fastifyStatic, { root: join(root, 'assets'), serve: false })
  app.get<{ Params: { '*': string } }>('/assets/*', pub, (req, reply) => reply.sendFile(req.params['*']))
  const archive = opts.config.map.tiles?.pmtiles
  if (archive !== undefined) {
    // Scope read like the data it lies under (a basemap can show where stations are). The
    // browser's PMTiles reader asks for byte ranges: send answers Range with 206, and
    // If-Range/ETag so a replaced archive is never mixed with cached parts of the old one.
    app.get(PMTILES_ROUTE, {
      config: { scope: 'read' },
      schema: { tags: ['map'], summary: 'The configured PMTiles basemap (map.tiles.pmtiles), with HTTP Range support', produces: ['application/octet-stream'] },
    }, (_req, reply) => reply.type('application/vnd.pmtiles').header('cache-control', 'private, no-cache').sendFile(basename(archive), dirname(archive), { cacheControl: false }))
  }
}
