// map.tiles.pmtiles: the config names exactly one basemap and the archive must be a PMTiles v3
// file; the engine serves it at GET /api/v1/map/tiles.pmtiles behind the token check (scope
// read), answering byte ranges with 206 as a PMTiles reader needs, and the page is told where.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PMTiles } from 'pmtiles'
import { validateConfig } from '../../src/config/load.js'
import { pageSettings, PMTILES_ROUTE } from '../../src/api/web.js'
import { tempDir } from '../helpers/harness.js'
import { solidPng, tilesCovering, writePmtiles } from '../helpers/pmtiles.js'
import { as, rig, testConfig } from './helpers.js'

const dir = tempDir('hexp-tiles-')
const png = solidPng([20, 120, 200])
const bounds: [number, number, number, number] = [117.84, 36.47, 117.88, 36.51]
const archive = writePmtiles([12, 13].flatMap((z) => tilesCovering(bounds, z)).map((c) => ({ ...c, data: png })), { bounds })
writeFileSync(join(dir, 'district.pmtiles'), archive)
writeFileSync(join(dir, 'not.pmtiles'), 'PMTiles\u0002 an old version')

t.test('config: exactly one of url, preset and pmtiles; the archive is checked at boot; relative to the config file', async (t) => {
  const c = validateConfig({ map: { tiles: { pmtiles: 'district.pmtiles', attribution: '© test', max_zoom: 16 } } }, dir)
  t.equal(c.map.tiles?.pmtiles, join(dir, 'district.pmtiles'), 'resolved against the config file\'s directory')
  t.same(pageSettings(c), { tiles: { pmtiles: PMTILES_ROUTE, attribution: '© test', maxZoom: 16 }, datum: 'wgs84' }, 'the page reads it from the engine')
  t.throws(() => validateConfig({ map: { tiles: { attribution: 'x' } } }), /map\.tiles: give exactly one of url .* and pmtiles/)
  t.throws(() => validateConfig({ map: { tiles: { url: 'http://127.0.0.1/{z}/{x}/{y}.png', pmtiles: 'district.pmtiles' } } }, dir), /exactly one/)
  t.throws(() => validateConfig({ map: { tiles: { pmtiles: 'missing.pmtiles' } } }, dir), /map\.tiles\.pmtiles: .*missing\.pmtiles cannot be read \(ENOENT\)/)
  t.throws(() => validateConfig({ map: { tiles: { pmtiles: 'not.pmtiles' } } }, dir), /not a PMTiles version 3 archive/)
  t.equal(validateConfig({ map: { tiles: { url: 'http://127.0.0.1/{z}/{x}/{y}.png' } } }).map.tiles?.pmtiles, undefined)
})

t.test('the archive is served behind the token check, with byte ranges', async (t) => {
  const { app } = await rig({ config: testConfig({ map: { tiles: { pmtiles: join(dir, 'district.pmtiles') } } }) })
  t.teardown(() => app.close())
  const none = await app.inject({ url: PMTILES_ROUTE, headers: { range: 'bytes=0-126' } })
  t.equal(none.statusCode, 401, 'no token, no basemap')
  t.equal(none.json<{ code: string }>().code, 'HEXP_ERR_UNAUTHORIZED')
  const head = await app.inject({ url: PMTILES_ROUTE, headers: { ...as('read'), range: 'bytes=0-126' } })
  t.equal(head.statusCode, 206)
  t.equal(head.headers['content-range'], `bytes 0-126/${archive.length}`)
  t.equal(head.headers['content-length'], '127')
  t.equal(head.headers['accept-ranges'], 'bytes')
  t.equal(head.headers['cache-control'], 'private, no-cache', 'officers\' stations are not for shared caches')
  t.ok(head.rawPayload.equals(archive.subarray(0, 127)))
  // The reader's first request asks for 16 KiB; a smaller archive answers with what it has.
  const first = await app.inject({ url: PMTILES_ROUTE, headers: { ...as('read'), range: 'bytes=0-16383' } })
  t.equal(first.statusCode, 206)
  t.equal(first.rawPayload.length, archive.length)
  const past = await app.inject({ url: PMTILES_ROUTE, headers: { ...as('read'), range: `bytes=${archive.length + 10}-${archive.length + 20}` } })
  t.equal(past.statusCode, 416, 'a range past the end is refused')
  const whole = await app.inject({ url: PMTILES_ROUTE, headers: as('read') })
  t.equal(whole.statusCode, 200)
  t.ok(whole.rawPayload.equals(archive))

  // The pmtiles reader itself, over these routes: the tile bytes come back intact.
  const source = {
    getKey: () => PMTILES_ROUTE,
    getBytes: async (offset: number, length: number) => {
      const r = await app.inject({ url: PMTILES_ROUTE, headers: { ...as('read'), range: `bytes=${offset}-${offset + length - 1}` } })
      const b = r.rawPayload
      return { data: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer, etag: r.headers.etag as string }
    },
  }
  const reader = new PMTiles(source)
  const h = await reader.getHeader()
  t.same([h.specVersion, h.tileType, h.minZoom, h.maxZoom], [3, 2, 12, 13])
  const c = tilesCovering(bounds, 13)[0]!
  const tile = await reader.getZxy(c.z, c.x, c.y)
  t.ok(tile !== undefined && Buffer.from(tile.data).equals(png), 'a tile read through the route is the PNG written')
  t.equal(await reader.getZxy(13, 0, 0), undefined, 'a tile outside the archive is absent')
})

t.test('without a PMTiles basemap there is no such route', async (t) => {
  const { app } = await rig()
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: PMTILES_ROUTE, headers: as('read') })).statusCode, 404)
})
