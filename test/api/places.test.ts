// GET /api/v1/places on the API rig: 401 without a token, 400 on an empty, blank or oversized q
// and a bad limit, the offline places ranked, the geocoder's flag (off; failed on a dead provider,
// still 200), and answers that match the route's schema. A live stub geocoder: its answers cached on
// the API's clock (the stub's requests counted), its twin of an offline place dropped.
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { as, conforms, rig, testConfig } from './helpers.js'

const places = [
  { name: '人民广场', name_en: 'People\'s Square', aliases: ['人广'], lat: 36.4905, lon: 117.8602, kind: 'landmark' },
  { name: '人民广场东门', name_en: 'People\'s Square east gate', lat: 36.4906, lon: 117.8611, kind: 'address' },
  { name: '火车站', name_en: 'Railway station', lat: 36.4801, lon: 117.8402, kind: 'transport' },
]

t.test('auth, bad queries, offline answers', async (t) => {
  const r = await rig({ config: testConfig({ places }) })
  t.teardown(() => r.app.close())
  const get = (url: string, headers: Record<string, string> = as('read')) => r.app.inject({ url, headers })
  t.equal((await get('/api/v1/places?q=%E7%81%AB', {})).statusCode, 401, 'no token')
  for (const q of ['', '%20%20', '%EF%BC%81', 'x'.repeat(65)]) {
    const res = await get(`/api/v1/places?q=${q}`)
    t.equal(res.statusCode, 400, `q=${q.slice(0, 10)}`)
    t.equal(res.json().code, 'HEXP_ERR_BAD_REQUEST')
  }
  t.equal((await get('/api/v1/places')).statusCode, 400, 'no q')
  t.equal((await get('/api/v1/places?q=a&limit=21')).statusCode, 400, 'limit over 20')
  t.equal((await get('/api/v1/places?q=a&other=1')).statusCode, 400, 'unknown parameter')

  const res = await get(`/api/v1/places?q=${encodeURIComponent('人民广场')}`)
  t.equal(res.statusCode, 200)
  conforms(t, r.app, 'GET', '/api/v1/places', res)
  t.same(res.json(), {
    q: '人民广场',
    places: [
      { name: '人民广场', nameEn: 'People\'s Square', kind: 'landmark', lat: 36.4905, lon: 117.8602, source: 'config' },
      { name: '人民广场东门', nameEn: 'People\'s Square east gate', kind: 'address', lat: 36.4906, lon: 117.8611, source: 'config' },
    ],
    geocoder: 'off',
  })
  t.same((await get(`/api/v1/places?q=${encodeURIComponent('人民广场')}&limit=1`)).json().places.length, 1)
  t.match((await get('/api/v1/places?q=station%201')).json().places, [{ name: 'Station 1', kind: 'station', source: 'post', lat: 36.49, lon: 117.86 }], 'the rig\'s post')
  t.match((await get('/api/v1/places?q=grid')).json().places, [{ name: 'Grid 1', kind: 'zone', source: 'zone', lat: 36.49, lon: 117.86 }], 'the rig\'s zone')
  t.same((await get('/api/v1/places?q=airport')).json().places, [])
})

t.test('a dead geocoder: offline places, geocoder failed, still 200', async (t) => {
  const server = http.createServer(() => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/geocoder`
  const r = await rig({ config: testConfig({ places, geocoder: { provider: 'tianditu', key: 'tk-0123456789', url, timeout: '200ms' } }) })
  t.teardown(() => r.app.close())
  const res = await r.app.inject({ url: `/api/v1/places?q=${encodeURIComponent('火车站')}`, headers: as('read') })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { q: '火车站', places: [{ name: '火车站', source: 'config' }], geocoder: 'failed' })
})

t.test('a live geocoder: answers cached on the API clock, its twin of an offline place dropped', async (t) => {
  let requests = 0
  const server = http.createServer((_req, res) => {
    requests++
    res.writeHead(200, { 'content-type': 'application/json' })
    // 火车站 again, ~20 m from the configured one: a twin.
    res.end(JSON.stringify({ status: '0', location: { keyWord: '火车站', lon: 117.8404, lat: 36.4802, level: '火车站' } }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/geocoder`
  const r = await rig({ config: testConfig({ places, geocoder: { provider: 'tianditu', key: 'tk-0123456789', url, cache_ttl: '10m' } }) })
  t.teardown(() => r.app.close())
  const get = (q: string) => r.app.inject({ url: `/api/v1/places?q=${encodeURIComponent(q)}`, headers: as('read') })
  const first = await get('火车站')
  t.same(first.json(), { q: '火车站', places: [{ name: '火车站', nameEn: 'Railway station', kind: 'transport', lat: 36.4801, lon: 117.8402, source: 'config' }], geocoder: 'ok' }, 'the online twin dropped, the configured place kept')
  t.same((await get('火车站 ')).json().places, first.json().places)
  t.equal(requests, 1, 'a second identical lookup sends no request')
  r.clock.now += 600_000
  await get('火车站')
  t.equal(requests, 2, 'expired on the API clock: asked again')
})
