// map.tiles resolved at boot (src/config/map-tiles.ts): a preset becomes its templates, subdomains,
// datum and attribution; the datum defaults to wgs84 and a preset's cannot be contradicted; a key
// reaches {tk} (inline or from the environment) and nothing else takes one; what the page is told.
import t from 'tap'
import { validateConfig } from '../../src/config/load.js'
import { pageSettings } from '../../src/api/web.js'
import { BASEMAP_PRESETS } from '../../src/config/basemap-presets.js'

const tiles = (v: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => validateConfig({ map: { tiles: v } }, process.cwd(), env).map.tiles!

t.test('the offline default: no basemap, no shift', async (t) => {
  const c = validateConfig({})
  t.equal(c.map.tiles, undefined)
  t.same(pageSettings(c), { tiles: null, datum: 'wgs84' })
})

t.test('a url: wgs84 unless told; gcj02 for a GCJ-02 tile server of one\'s own', async (t) => {
  const url = 'http://127.0.0.1:9000/{z}/{x}/{y}.png'
  t.equal(tiles({ url }).datum, 'wgs84')
  const g = tiles({ url, datum: 'gcj02', subdomains: '1234', attribution: '© local', max_native_zoom: 17 })
  t.equal(g.datum, 'gcj02')
  t.same(pageSettings(validateConfig({ map: { tiles: { url, datum: 'gcj02', subdomains: '1234', max_native_zoom: 17 } } })),
    { tiles: { url, subdomains: '1234', attribution: '', maxZoom: 19, maxNativeZoom: 17 }, datum: 'gcj02' })
  t.throws(() => tiles({ url, datum: 'bd09' }), /map\.tiles\.datum/, 'BD-09 (Baidu) is not offered')
  t.throws(() => tiles({ url, max_native_zoom: 20, max_zoom: 18 }), /max_native_zoom: 20 is deeper than max_zoom 18/)
  t.throws(() => tiles({ url, subdomains: 'a.b' }), /map\.tiles\.subdomains/)
})

t.test('presets: AMap and Tencent draw in GCJ-02, Tianditu in WGS-84 with its labels layer', async (t) => {
  const a = tiles({ preset: 'amap' })
  t.same([a.url, a.subdomains, a.datum, a.attribution, a.max_native_zoom], [BASEMAP_PRESETS.amap.url, '1234', 'gcj02', '© 高德地图 AMap', 18])
  t.match(a.url, /webrd0\{s\}\.is\.autonavi\.com\/appmaptile\?.*style=8/)
  const tc = tiles({ preset: 'tencent', attribution: 'Tiles © Tencent' })
  t.same([tc.datum, tc.subdomains, tc.attribution], ['gcj02', '0123', 'Tiles © Tencent'], 'an attribution given wins')
  t.match(tc.url, /y=\{-y\}/, 'Tencent counts rows from the south: {-y}')
  t.equal(tiles({ preset: 'amap', max_zoom: 16 }).max_native_zoom, 16, 'never deeper than max_zoom')
  t.equal(tiles({ preset: 'amap', datum: 'gcj02' }).datum, 'gcj02', 'the preset\'s own datum may be repeated')
  t.throws(() => tiles({ preset: 'amap', datum: 'wgs84' }), /map\.tiles\.datum: preset amap draws in gcj02; remove datum or set it to gcj02/)
  t.throws(() => tiles({ preset: 'baidu' }), /map\.tiles\.preset/)
  t.throws(() => tiles({ preset: 'amap', url: 'http://x/{z}/{x}/{y}' }), /give exactly one of url .*, preset .* and pmtiles/)
  t.throws(() => tiles({ preset: 'amap', overlay_url: 'http://x/{z}/{x}/{y}' }), /overlay_url: only with map\.tiles\.url/)

  const d = tiles({ preset: 'tianditu', key: 'abc123' })
  t.equal(d.datum, 'wgs84', 'CGCS2000 ≈ WGS-84: no shift')
  t.match(d.url, /^https:\/\/t\{s\}\.tianditu\.gov\.cn\/vec_w\/wmts\?.*LAYER=vec.*&tk=abc123$/)
  t.match(d.overlay_url, /cva_w\/wmts\?.*LAYER=cva.*&tk=abc123$/, 'the labels layer, same key')
  t.equal(d.subdomains, '01234567')
  t.equal(d.key, undefined, 'the key lives in the templates only')
  t.same(pageSettings(validateConfig({ map: { tiles: { preset: 'tianditu', key: 'abc123' } } })), {
    tiles: { url: d.url, overlayUrl: d.overlay_url, subdomains: '01234567', attribution: '© 天地图 Tianditu', maxZoom: 19, maxNativeZoom: 18 },
    datum: 'wgs84',
  })
})

t.test('the key: from the environment or inline, for {tk} only', async (t) => {
  const d = tiles({ preset: 'tianditu', key_env: 'TDT_KEY' }, { TDT_KEY: 'f00d42' })
  t.match(d.url, /tk=f00d42$/)
  t.equal(d.key_env, undefined, 'no *_env reference is left')
  t.throws(() => tiles({ preset: 'tianditu' }), /preset tianditu needs a key .*console\.tianditu\.gov\.cn.*key_env/)
  t.throws(() => tiles({ preset: 'tianditu', key_env: 'TDT_KEY' }), /map\.tiles\.key_env: environment variable TDT_KEY is not set/)
  t.throws(() => tiles({ preset: 'tianditu', key_env: 'TDT_KEY' }, { TDT_KEY: 'x&y=1' }), /letters and digits only/, 'nothing but a key gets into the URL')
  t.throws(() => tiles({ preset: 'tianditu', key: 'abc', key_env: 'TDT_KEY' }, { TDT_KEY: 'abc' }), /key or key_env, not both/)
  t.throws(() => tiles({ preset: 'amap', key: 'abc' }), /map\.tiles\.key: the basemap has no \{tk\}/)
  t.throws(() => tiles({ url: 'https://x.example/{z}/{x}/{y}?tk={tk}' }), /the template has \{tk\} but no key/)
  t.match(tiles({ url: 'https://x.example/{z}/{x}/{y}?tk={tk}', key: 'k1' }).url, /tk=k1$/)
  t.throws(() => tiles({ url: 'https://x.example/{z}/{x}/{y}', key: 'a-b' }), /map\.tiles\.key/)
})
