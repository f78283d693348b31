// map.tiles: exactly one of an XYZ template (`url`), a local PMTiles archive (`pmtiles`) and a
// named online basemap of China (`preset`), resolved once at boot into what the page draws: a
// preset becomes its templates, subdomains, datum and attribution (src/config/basemap-presets.ts);
// a key reaches the template's {tk}; the archive is checked (it exists and starts with the PMTiles
// v3 magic), so a typo is a refused config, not a map that silently shows no basemap.
import { closeSync, openSync, readSync } from 'node:fs'
import { resolve } from 'node:path'
import { configError, resolveSecret } from './resolve.js'
import type { Config } from './schema.js'
import { BASEMAP_PRESETS } from './basemap-presets.js'

type Tiles = NonNullable<Config['map']['tiles']>

/**
 * Resolves map.tiles in place (the config is not frozen yet): the archive's absolute path, a
 * preset's templates, the key in {tk} (key and key_env are then removed), the datum (wgs84 unless
 * the preset or the config says gcj02). Throws HEXP_ERR_CONFIG naming the key.
 */
export function resolveMapTiles(tiles: Tiles, baseDir: string, env: NodeJS.ProcessEnv): void {
  const given = [tiles.url, tiles.pmtiles, tiles.preset].filter((v) => v !== undefined).length
  if (given !== 1) throw configError('map.tiles: give exactly one of url (an XYZ template), preset (tianditu, amap or tencent) and pmtiles (a local PMTiles file)')
  if (tiles.overlay_url !== undefined && tiles.url === undefined) throw configError('map.tiles.overlay_url: only with map.tiles.url (a preset brings its own labels layer; a PMTiles archive has none)')
  if (tiles.pmtiles !== undefined) {
    if (tiles.subdomains !== undefined) throw configError('map.tiles.subdomains: only with url or preset (a PMTiles archive is served by the engine itself)')
    tiles.pmtiles = checkPmtiles(tiles.pmtiles, baseDir)
  }
  if (tiles.preset !== undefined) {
    const p = BASEMAP_PRESETS[tiles.preset]
    if (tiles.datum !== undefined && tiles.datum !== p.datum) throw configError(`map.tiles.datum: preset ${tiles.preset} draws in ${p.datum}; remove datum or set it to ${p.datum}`)
    tiles.url = p.url
    if (p.overlay_url !== undefined) tiles.overlay_url = p.overlay_url
    tiles.subdomains ??= p.subdomains
    tiles.datum = p.datum
    if (tiles.attribution === '') tiles.attribution = p.attribution
    tiles.max_native_zoom ??= Math.min(p.max_native_zoom, tiles.max_zoom)
  }
  tiles.datum ??= 'wgs84'
  if (tiles.max_native_zoom !== undefined && tiles.max_native_zoom > tiles.max_zoom) {
    throw configError(`map.tiles.max_native_zoom: ${tiles.max_native_zoom} is deeper than max_zoom ${tiles.max_zoom}; lower it or raise max_zoom`)
  }
  if (tiles.key !== undefined && tiles.key_env !== undefined) throw configError('map.tiles: give key or key_env, not both')
  const key = resolveSecret('map.tiles.key_env', tiles.key, tiles.key_env, env)
  const templates = [tiles.url, tiles.overlay_url].filter((u) => u !== undefined)
  const wantsKey = templates.some((u) => u.includes('{tk}'))
  if (key !== undefined && !wantsKey) throw configError('map.tiles.key: the basemap has no {tk} in its template, so the key would go nowhere; remove key/key_env or put {tk} where the provider wants it')
  if (key === undefined && wantsKey) {
    throw configError(tiles.preset === 'tianditu'
      ? 'map.tiles: preset tianditu needs a key (a "browser" key from console.tianditu.gov.cn): set map.tiles.key_env to the environment variable holding it, or map.tiles.key'
      : 'map.tiles: the template has {tk} but no key is given: set map.tiles.key_env (or key)')
  }
  if (key !== undefined) {
    // The schema limits an inline key to letters and digits; one from the environment is checked here.
    if (!/^[A-Za-z0-9]+$/.test(key)) throw configError(`map.tiles.key_env: the key in ${tiles.key_env} must be letters and digits only`)
    tiles.url = tiles.url?.replaceAll('{tk}', key)
    if (tiles.overlay_url !== undefined) tiles.overlay_url = tiles.overlay_url.replaceAll('{tk}', key)
  }
  delete tiles.key
  delete tiles.key_env
}

/** The archive's absolute path, once it is known to be a PMTiles v3 file. */
function checkPmtiles(file: string, baseDir: string): string {
  const path = resolve(baseDir, file)
  const head = Buffer.alloc(8)
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    throw configError(`map.tiles.pmtiles: ${path} cannot be read (${(err as NodeJS.ErrnoException).code})`)
  }
  try {
    readSync(fd, head, 0, 8, 0)
  } finally {
    closeSync(fd)
  }
  if (head.toString('latin1', 0, 7) !== 'PMTiles' || head[7] !== 3) throw configError(`map.tiles.pmtiles: ${path} is not a PMTiles version 3 archive`)
  return path
}
