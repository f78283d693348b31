// The map's page and assets: served at / and /login with the page settings inlined (the basemap,
// escaped), assets under /assets/ only, every route public, a clear coded error when not built.
import t from 'tap'
import Fastify from 'fastify'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { validateConfig } from '../../src/config/load.js'
import { webPlugin, defaultWebRoot, inlineJson, pageSettings } from '../../src/api/web.js'
import { installErrorHandler } from '../../src/api/errors.js'
import { tempDir } from '../helpers/harness.js'

function fakeBuild(): string {
  const root = tempDir('hexp-web-')
  mkdirSync(join(root, 'assets'))
  writeFileSync(join(root, 'index.html'), '<html><head><!--HEXP_SETTINGS--></head><body></body></html>')
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(root, 'secret.txt'), 'not an asset')
  return root
}

async function app(root: string, raw: Record<string, unknown> = {}) {
  const a = Fastify()
  installErrorHandler(a)
  const scopes: Record<string, unknown> = {}
  a.addHook('onRoute', (r) => { scopes[`${String(r.method)} ${r.url}`] = (r.config as { scope?: string } | undefined)?.scope })
  await a.register(webPlugin, { config: validateConfig(raw), root })
  await a.ready()
  return { a, scopes }
}

t.test('page at / and /login with settings; assets; every route public', async (t) => {
  const { a, scopes } = await app(fakeBuild())
  for (const url of ['/', '/login']) {
    const r = await a.inject({ url })
    t.equal(r.statusCode, 200)
    t.match(r.headers['content-type'], /text\/html/)
    t.equal(r.headers['cache-control'], 'no-cache')
    t.match(r.body, '<script id="hexp-settings" type="application/json">{"tiles":null,"datum":"wgs84"}</script>')
  }
  const js = await a.inject({ url: '/assets/app.js' })
  t.equal(js.statusCode, 200)
  t.match(js.headers['content-type'], /javascript/)
  t.equal(js.body, 'console.log(1)')
  t.equal((await a.inject({ url: '/assets/missing.js' })).statusCode, 404)
  t.equal((await a.inject({ url: '/assets/../secret.txt' })).statusCode, 404, 'nothing outside assets/')
  t.equal((await a.inject({ url: '/assets/%2e%2e/secret.txt' })).statusCode, 404)
  t.same(Object.entries(scopes).filter(([, s]) => s !== 'public'), [], 'no route here needs a token')
  t.ok(scopes['GET /assets/*'] === 'public' && scopes['GET /'] === 'public' && scopes['GET /login'] === 'public')
})

t.test('a configured basemap reaches the page, escaped', async (t) => {
  const { a } = await app(fakeBuild(), { map: { tiles: { url: 'http://127.0.0.1:9000/{z}/{x}/{y}.png', attribution: '</script><b>x</b>' } } })
  const body = (await a.inject({ url: '/' })).body
  t.match(body, '"tiles":{"url":"http://127.0.0.1:9000/{z}/{x}/{y}.png","attribution":"\\u003c/script>\\u003cb>x\\u003c/b>","maxZoom":19}')
  t.equal(body.split('</script>').length, 2, 'the attribution cannot close the data block')
  t.same(pageSettings(validateConfig({})), { tiles: null, datum: 'wgs84' })
  t.equal(inlineJson({ a: '<' }), '{"a":"\\u003c"}')
  t.throws(() => validateConfig({ map: { tiles: { url: 'http://x/tiles.png' } } }), /map\.tiles\.url/, 'a template without {z} is refused')
})

t.test('not built: a coded 503 that says what to run', async (t) => {
  const { a } = await app(join(tempDir(), 'nothing'))
  const r = await a.inject({ url: '/' })
  t.equal(r.statusCode, 503)
  t.equal(r.json<{ code: string }>().code, 'HEXP_ERR_MAP_NOT_BUILT')
  t.match(r.json<{ help: string }>().help, /npm run build/)
})

t.test('default root: dist/web beside the compiled server, else from the source tree', async (t) => {
  const pkg = tempDir('hexp-pkg-')
  mkdirSync(join(pkg, 'dist', 'api'), { recursive: true })
  mkdirSync(join(pkg, 'src', 'api'), { recursive: true })
  const compiled = pathToFileURL(join(pkg, 'dist', 'api', 'web.js')).href
  const source = pathToFileURL(join(pkg, 'src', 'api', 'web.ts')).href
  t.equal(defaultWebRoot(source), join(pkg, 'dist', 'web'), 'nothing built: the source tree\'s dist/web')
  mkdirSync(join(pkg, 'src', 'web'))
  writeFileSync(join(pkg, 'src', 'web', 'index.html'), '')
  t.equal(defaultWebRoot(source), join(pkg, 'dist', 'web'), 'the sources are not a build')
  mkdirSync(join(pkg, 'dist', 'web', 'assets'), { recursive: true })
  writeFileSync(join(pkg, 'dist', 'web', 'assets', 'app.js'), '')
  t.equal(defaultWebRoot(compiled), join(pkg, 'dist', 'web'))
  t.equal(defaultWebRoot(source), join(pkg, 'dist', 'web'))
  t.type(defaultWebRoot(), 'string')
})

t.test('the CSP admits the configured tile server, and only it', async (t) => {
  const { tileOrigin } = await import('../../src/api/server.js')
  t.same(tileOrigin(undefined), [])
  t.same(tileOrigin('/tiles/{z}/{x}/{y}.png'), [], 'a same-origin path needs nothing')
  t.same(tileOrigin('https://tiles.example.org:8443/osm/{z}/{x}/{y}.png'), ['https://tiles.example.org:8443'])
  t.same(tileOrigin('https://{s}.tile.example.org/{z}/{x}/{y}.png'), ['https://a.tile.example.org', 'https://b.tile.example.org', 'https://c.tile.example.org'], "{s}: Leaflet's default subdomains")
  const { tileOrigins } = await import('../../src/api/server.js')
  t.same(tileOrigins(undefined), [])
  t.same(tileOrigins(validateConfig({ map: { tiles: { preset: 'amap' } } }).map.tiles), [1, 2, 3, 4].map((i) => `https://webrd0${i}.is.autonavi.com`), 'every AMap tile server')
  const tdt = tileOrigins(validateConfig({ map: { tiles: { preset: 'tianditu', key: 'abc123' } } }).map.tiles)
  t.same(tdt, [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `https://t${i}.tianditu.gov.cn`), 'Tianditu: base and labels share t0…t7')
  t.same(tileOrigins(validateConfig({ map: { tiles: { preset: 'tencent' } } }).map.tiles), [0, 1, 2, 3].map((i) => `https://rt${i}.map.gtimg.com`), 'Tencent ({-y} is a placeholder too)')
})
