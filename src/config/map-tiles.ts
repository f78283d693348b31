// map.tiles: exactly one of an XYZ template (`url`) and a local PMTiles archive (`pmtiles`). The
// archive is checked at boot (it exists and starts with the PMTiles v3 magic), so a typo in
// the path is a refused config, not a map that silently shows no basemap.
import { closeSync, openSync, readSync } from 'node:fs'
import { resolve } from 'node:path'
import { configError } from './resolve.js'

/** The archive's absolute path, or undefined when the basemap is an XYZ template. */
export function checkMapTiles(tiles: { url?: string | undefined; pmtiles?: string | undefined }, baseDir: string): string | undefined {
  if ((tiles.url === undefined) === (tiles.pmtiles === undefined)) throw configError('map.tiles: give exactly one of url (an XYZ template) and pmtiles (a local PMTiles file)')
  if (tiles.pmtiles === undefined) return undefined
  const path = resolve(baseDir, tiles.pmtiles)
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
