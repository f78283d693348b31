// The online geocoder against a stub HTTP server on loopback: AMap's GCJ-02 converted to WGS-84
// (checked against gcoord), Tianditu used as is, and every failure (timeout, HTTP status, redirect,
// bad JSON, the provider's error status, an oversized answer) a result with a reason, the key in
// no log line (pino's output captured). Through the finder: the answer cache (the stub's requests
// counted), identical lookups in flight sharing one request, and online twins of offline places dropped.
import t, { type Test } from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import gcoordModule from 'gcoord'
import { AMAP_URL, MAX_ANSWER_BYTES, TIANDITU_URL, geocoder, getText, parseAmap, parseTianditu, requestUrl } from '../../src/incidents/geocoder.js'
import { PlaceFinder, placeFinderFor } from '../../src/incidents/place-finder.js'
import { GeocodeCache } from '../../src/incidents/geocode-cache.js'
import { validateConfig } from '../../src/config/load.js'
import { Gazetteer } from '../../src/incidents/places.js'
import { createMetrics } from '../../src/telemetry/metrics.js'

const gcoord = gcoordModule as unknown as typeof gcoordModule.default
const KEY = 'amap-key-0123456789abcdef'

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void
async function stub(t: Test, handler: Handler): Promise<{ url: string; seen: URL[] }> {
  const seen: URL[] = []
  const server = http.createServer((req, res) => {
    seen.push(new URL(req.url ?? '/', 'http://stub'))
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/geo`, seen }
}
const json = (body: unknown, status = 200): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(typeof body === 'string' ? body : JSON.stringify(body))
}

t.test('request URLs: the provider\'s endpoint, the query, the key, AMap\'s city', async (t) => {
  const a = requestUrl({ provider: 'amap', key: 'k', city: '淄博', timeoutMs: 1000 }, '人民广场')
  t.equal(a.origin + a.pathname, AMAP_URL)
  t.same(Object.fromEntries(a.searchParams), { address: '人民广场', key: 'k', city: '淄博' })
  const d = requestUrl({ provider: 'tianditu', key: 'tk1', timeoutMs: 1000 }, '火车站')
  t.equal(d.origin + d.pathname, TIANDITU_URL)
  t.same(JSON.parse(d.searchParams.get('ds') as string), { keyWord: '火车站' })
  t.equal(d.searchParams.get('tk'), 'tk1')
  t.equal(requestUrl({ provider: 'amap', key: 'k', url: 'http://proxy.local/amap', timeoutMs: 1 }, 'x').origin, 'http://proxy.local', 'geocoder.url replaces the endpoint')
})

t.test('AMap: GCJ-02 → WGS-84 with gcoord, name and level kept', async (t) => {
  const s = await stub(t, json({ status: '1', info: 'OK', geocodes: [
    { formatted_address: '山东省淄博市人民广场', location: '117.865432,36.492345', level: '兴趣点' },
    { formatted_address: '', location: '117.8,36.4', level: '' },
    { formatted_address: 'nowhere', location: 'bad' },
  ] }))
  const geo = geocoder({ provider: 'amap', key: KEY, url: s.url, city: '0533', timeoutMs: 2000 })
  const r = await geo('人民广场')
  t.ok(r.ok)
  const places = (r as { places: Array<{ lat: number; lon: number; name: string; kind: string; source: string }> }).places
  t.equal(places.length, 2, 'an unreadable location is skipped')
  const [lon, lat] = gcoord.transform([117.865432, 36.492345], gcoord.GCJ02, gcoord.WGS84) as [number, number]
  t.match(places[0], { name: '山东省淄博市人民广场', kind: '兴趣点', source: 'amap' })
  t.ok(Math.abs(places[0]!.lat - lat) < 1e-9 && Math.abs(places[0]!.lon - lon) < 1e-9, 'the same point gcoord gives')
  t.ok(Math.abs(places[0]!.lon - 117.865432) > 0.003, 'shifted by hundreds of metres, as GCJ-02 is')
  t.match(places[1], { name: '人民广场', kind: 'address' }, 'no address: the query; no level: address')
  t.equal(s.seen[0]!.searchParams.get('key'), KEY)
  t.equal(s.seen[0]!.searchParams.get('city'), '0533')
  t.equal(s.seen[0]!.searchParams.get('address'), '人民广场')
})

t.test('Tianditu: CGCS2000 used as is', async (t) => {
  const s = await stub(t, json({ status: '0', msg: 'ok', location: { lon: 117.86123, lat: 36.49012, keyWord: '火车站', level: '火车站' } }))
  const r = await geocoder({ provider: 'tianditu', key: 'tk-0123', url: s.url, timeoutMs: 2000 })('火车站')
  t.same(r, { ok: true, places: [{ name: '火车站', kind: '火车站', lat: 36.49012, lon: 117.86123, source: 'tianditu' }] })
  t.same(parseTianditu({ status: '0', location: { lon: '117.5', lat: '36.5' } }, 'q'), [{ name: 'q', kind: 'address', lat: 36.5, lon: 117.5, source: 'tianditu' }], 'numbers as strings')
  t.same(parseTianditu({ status: 0, location: {} }, 'q'), [], 'no location: no place')
  t.same(parseTianditu({ status: '0' }, 'q'), [])
})

t.test('failures are results with a reason', async (t) => {
  t.throws(() => parseAmap(null, 'q'), /not a JSON object/)
  t.throws(() => parseAmap({ status: '0', info: 'INVALID_USER_KEY' }, 'q'), /status 0 \(INVALID_USER_KEY\)/)
  t.throws(() => parseAmap({ status: '0' }, 'q'), { message: "status 0" })
  t.same(parseAmap({ status: '1' }, 'q'), [], 'no geocodes')
  t.same(parseAmap({ status: '1', geocodes: [{ location: '200,36' }, { location: '0,0' }] }, 'q'), [], 'out of range or (0, 0)')
  t.throws(() => parseTianditu('x', 'q'), /not a JSON object/)
  t.throws(() => parseTianditu({ status: '101', msg: '结果为空' }, 'q'), /status 101 \(结果为空\)/)
  t.throws(() => parseTianditu({ status: '404' }, 'q'), { message: "status 404" })

  const bad = await stub(t, (req, res) => {
    if (req.url?.includes('slow')) return // never answers
    if (req.url?.includes('http500')) return json({}, 500)(req, res)
    if (req.url?.includes('redirect')) return (res.writeHead(302, { location: 'http://elsewhere/' }), res.end())
    if (req.url?.includes('notjson')) return json('<html>busy</html>')(req, res)
    if (req.url?.includes('huge')) return json('x'.repeat(MAX_ANSWER_BYTES + 10))(req, res)
    return json({ status: '0', info: 'DAILY_QUERY_OVER_LIMIT' })(req, res)
  })
  const at = (path: string, timeoutMs = 2000) => geocoder({ provider: 'amap', key: KEY, url: bad.url.replace('/geo', `/${path}`), timeoutMs })('人民广场')
  t.same(await at('slow', 150), { ok: false, reason: 'timed out after 150 ms' })
  t.same(await at('http500'), { ok: false, reason: 'HTTP 500' })
  t.same(await at('redirect'), { ok: false, reason: 'HTTP 302 (redirects are not followed)' })
  t.same(await at('notjson'), { ok: false, reason: 'the answer is not JSON' })
  t.same(await at('huge'), { ok: false, reason: `answer larger than ${MAX_ANSWER_BYTES} bytes` })
  t.same(await at('status'), { ok: false, reason: 'status 0 (DAILY_QUERY_OVER_LIMIT)' })
  const refused = await getText(new URL('http://127.0.0.1:1/geo'), 2000)
  t.match(refused, { ok: false, reason: /ECONNREFUSED/ })
  const tls = await getText(new URL('https://127.0.0.1:1/geo'), 2000)
  t.match(tls, { ok: false, reason: /ECONNREFUSED/ }, 'https goes through node:https')
})

t.test('the finder: offline first, online after, failure flagged and logged without the key', async (t) => {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (l: string) => { lines.push(l) } })
  const m = createMetrics({ defaults: false })
  const counter = m.geocoderLookups
  const gazetteer = new Gazetteer([{ name: '人民广场', aliases: [], kind: 'landmark', lat: 36.49, lon: 117.86, source: 'config' }, { name: '人民广场东门', aliases: [], kind: 'landmark', lat: 36.491, lon: 117.861, source: 'config' }])
  const ok = await stub(t, json({ status: '1', geocodes: [{ formatted_address: '淄博市人民广场', location: '117.87,36.50', level: '兴趣点' }] }))
  const online = new PlaceFinder({ gazetteer, geocode: geocoder({ provider: 'amap', key: KEY, url: ok.url, timeoutMs: 2000 }), provider: 'amap', logger, counter })
  const both = await online.find('人民广场')
  t.equal(both.geocoder, 'ok')
  t.same(both.places.map((p) => p.source), ['config', 'config', 'amap'], 'offline first, online after')
  const one = await online.find('人民广场', 1)
  t.same(one.places.map((p) => p.source), ['amap'], 'the online answer keeps its place within the limit')

  const down = await stub(t, () => undefined)
  const failing = new PlaceFinder({ gazetteer, geocode: geocoder({ provider: 'amap', key: KEY, url: down.url, timeoutMs: 100 }), provider: 'amap', logger, counter })
  const r = await failing.find('人民广场')
  t.same(r.places.map((p) => p.name), ['人民广场', '人民广场东门'], 'the offline places')
  t.equal(r.geocoder, 'failed')
  t.equal(down.seen[0]?.searchParams.get('key'), KEY, 'the key went to the provider')
  t.equal(lines.length, 1, 'one warning')
  t.match(JSON.parse(lines[0]!), { level: 40, provider: 'amap', reason: 'timed out after 100 ms', msg: /offline places only/ })
  t.notOk(lines.join('\n').includes(KEY), 'the key is in no log line')
  const counted = (await counter.get()).values.map((v) => [v.labels.provider, v.labels.outcome, v.value])
  t.same(counted, [['amap', 'ok', 2], ['amap', 'failed', 1]], 'hexpatrol_geocoder_lookups_total by provider and outcome')

  const off = new PlaceFinder({ gazetteer })
  t.same(await off.find('人民广场东门', 50), { places: [gazetteer.search('人民广场东门')[0]], geocoder: 'off' })
  const quiet = new PlaceFinder({ gazetteer, geocode: async () => ({ ok: false, reason: 'x' }) })
  t.equal((await quiet.find('人民')).geocoder, 'failed', 'no logger: still an answer')
})

t.test('the finder\'s cache: a repeated lookup sends no request, an expired one does, a failure is not kept', async (t) => {
  const m = createMetrics({ defaults: false })
  const counter = m.geocoderLookups
  let at = 0
  const gazetteer = new Gazetteer([{ name: '人民广场', aliases: [], kind: 'landmark', lat: 36.49, lon: 117.86, source: 'config' }])
  let down = false
  const s = await stub(t, (req, res) => down ? json({}, 503)(req, res) : json({ status: '1', geocodes: [{ formatted_address: '淄博市人民医院', location: '117.87,36.50', level: '兴趣点' }] })(req, res))
  const cache = new GeocodeCache({ ttlMs: 3_600_000, size: 1000, now: () => at })
  const finder = new PlaceFinder({ gazetteer, geocode: geocoder({ provider: 'amap', key: KEY, url: s.url, city: '0533', timeoutMs: 2000 }), cache, city: '0533', provider: 'amap', counter })
  const first = await finder.find('人民医院')
  t.equal(s.seen.length, 1)
  t.same(await finder.find(' 人民医院。'), first, 'the same answer')
  t.equal(s.seen.length, 1, 'a second identical lookup (normalised alike) sends no second request')
  at += 3_600_000
  t.same(await finder.find('人民医院'), first)
  t.equal(s.seen.length, 2, 'expired: one more request')
  down = true
  t.equal((await finder.find('人民广场')).geocoder, 'failed')
  t.equal((await finder.find('人民广场')).geocoder, 'failed')
  t.equal(s.seen.length, 4, 'a failure is not kept: asked again')
  down = false
  t.equal((await finder.find('人民广场')).geocoder, 'ok')
  t.equal(s.seen.length, 5)
  const counted = (await counter.get()).values.map((v) => [v.labels.outcome, v.value])
  t.same(counted, [['ok', 3], ['cached', 1], ['failed', 2]], 'outcome cached for the one answered without a request')
})

t.test('the finder: identical lookups in flight share one request to the stub', async (t) => {
  const m = createMetrics({ defaults: false })
  const lines: string[] = []
  const logger = pino({ level: 'debug' }, { write: (l: string) => { lines.push(l) } })
  const gazetteer = new Gazetteer([])
  const pending: Array<() => void> = []
  let fail = false
  const s = await stub(t, (req, res) => { pending.push(() => (fail ? json({}, 500) : json({ status: '1', geocodes: [{ formatted_address: '火车站', location: '117.87,36.50' }] }))(req, res)) })
  const finder = new PlaceFinder({ gazetteer, geocode: geocoder({ provider: 'amap', key: KEY, url: s.url, timeoutMs: 2000 }), provider: 'amap', logger, counter: m.geocoderLookups })
  const waitFor = async (n: number) => { while (s.seen.length < n) await new Promise((resolve) => setTimeout(resolve, 5)) }
  const three = [finder.find('火车站'), finder.find('火车站'), finder.find('火车站 ')]
  await waitFor(1)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(s.seen.length, 1, 'one request for three lookups')
  pending.shift()!()
  const answers = await Promise.all(three)
  t.ok(answers.every((a) => a.geocoder === 'ok' && a.places.length === 1 && a.places[0]!.source === 'amap'), 'all three answered')
  fail = true
  const two = [finder.find('火车站'), finder.find('火车站')]
  await waitFor(2)
  pending.shift()!()
  t.same((await Promise.all(two)).map((a) => a.geocoder), ['failed', 'failed'], 'no cache configured: asked again; a shared failure fails both')
  t.equal(s.seen.length, 2)
  const counted = (await m.geocoderLookups.get()).values.map((v) => [v.labels.outcome, v.value])
  t.same(counted, [['ok', 1], ['cached', 2], ['failed', 1]], 'ok and failed count requests sent; cached the lookups that shared a success')
  const logged = lines.map((l) => JSON.parse(l) as { level: number; outcome: string; via?: string })
  t.same(logged.filter((l) => l.level === 40).length, 1, 'one warning for the one failed request')
  t.same(logged.filter((l) => l.outcome === 'cached').map((l) => l.via), ['shared', 'shared'])
})

t.test('the finder: an online twin of an offline place is dropped', async (t) => {
  const gazetteer = new Gazetteer([{ name: '东关派出所', aliases: ['st-1'], kind: 'station', lat: 36.5, lon: 117.8, source: 'post' }])
  const finder = new PlaceFinder({ gazetteer, geocode: async () => ({ ok: true, places: [
    { name: '东关派出所', kind: '兴趣点', lat: 36.5005, lon: 117.8005, source: 'amap' },
    { name: '东关派出所', kind: '兴趣点', lat: 36.52, lon: 117.8, source: 'amap' },
  ] }) })
  t.same((await finder.find('东关派出所')).places.map((p) => [p.source, p.lat]), [['post', 36.5], ['amap', 36.52]], 'the one 70 m away dropped, the one 2.2 km away kept')
})

t.test('placeFinderFor: the configured cache on the given clock', async (t) => {
  const s = await stub(t, json({ status: '1', geocodes: [{ formatted_address: '火车站', location: '117.87,36.50' }] }))
  let at = 0
  const config = validateConfig({ geocoder: { provider: 'amap', key: KEY, url: s.url, cache_ttl: '10m', cache_size: 2 } })
  const finder = placeFinderFor(config, { now: () => at })
  await finder.find('火车站')
  await finder.find('火车站')
  t.equal(s.seen.length, 1, 'cached')
  at += 600_000
  await finder.find('火车站')
  t.equal(s.seen.length, 2, 'expired after cache_ttl on the given clock')
  await finder.find('a')
  await finder.find('b')
  await finder.find('火车站')
  t.equal(s.seen.length, 5, 'evicted past cache_size')
  const off = placeFinderFor(validateConfig({ geocoder: { provider: 'amap', key: KEY, url: s.url, cache_ttl: 0 } }))
  await off.find('火车站')
  await off.find('火车站')
  t.equal(s.seen.length, 7, 'cache_ttl 0: no cache')
})
