// The optional online geocoder (geocoder.provider: amap | tianditu): one GET per lookup to the
// provider's fixed endpoint (or the operator's geocoder.url), with the webhook sender's habits
// (delivery/http-sender.ts): a deadline from connect to the last byte, redirects never followed,
// the answer read up to a bound. AMap answers in GCJ-02, converted to WGS-84 with gcoord;
// Tianditu answers in CGCS2000, equal to WGS-84 at this accuracy, used as is. Any failure (timeout,
// HTTP status, bad JSON, the provider's error status) is a result, never a throw: the lookup then
// answers with the offline places. The key goes into the request only, never into a log line or
// an error message.
import http from 'node:http'
import https from 'node:https'
import gcoordModule from 'gcoord'
import type { Place } from '../wire/places.js'

// gcoord declares an ES default export over a CommonJS module (see web/datum.ts).
type Gcoord = typeof gcoordModule.default
const gcoord = gcoordModule as unknown as Gcoord

export const AMAP_URL = 'https://restapi.amap.com/v3/geocode/geo'
export const TIANDITU_URL = 'http://api.tianditu.gov.cn/geocoder'
/** Bytes of an answer read at most (a geocoder answer is a few kB). */
export const MAX_ANSWER_BYTES = 262_144
/** Results taken from one answer. */
const MAX_RESULTS = 5

export interface GeocoderOptions {
  provider: 'amap' | 'tianditu'
  key: string
  url?: string | undefined
  city?: string | undefined
  timeoutMs: number
}

export type GeocodeResult = { ok: true; places: Place[] } | { ok: false; reason: string }
export type Geocode = (query: string) => Promise<GeocodeResult>

/** The request URL for a query (it carries the key: never log it). */
export function requestUrl(o: GeocoderOptions, query: string): URL {
  if (o.provider === 'amap') {
    const u = new URL(o.url ?? AMAP_URL)
    u.searchParams.set('address', query)
    u.searchParams.set('key', o.key)
    if (o.city !== undefined) u.searchParams.set('city', o.city)
    return u
  }
  const u = new URL(o.url ?? TIANDITU_URL)
  u.searchParams.set('ds', JSON.stringify({ keyWord: query }))
  u.searchParams.set('tk', o.key)
  return u
}

const finite = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) && n !== 0 ? n : null
}

/** An AMap answer → places in WGS-84; throws with the reason when it is not a success. */
export function parseAmap(body: unknown, query: string): Place[] {
  const b = body as { status?: unknown; info?: unknown; geocodes?: unknown } | null
  if (b === null || typeof b !== 'object') throw new Error('the answer is not a JSON object')
  if (b.status !== '1') throw new Error(`status ${String(b.status)}${typeof b.info === 'string' ? ` (${b.info.slice(0, 80)})` : ''}`)
  const out: Place[] = []
  for (const g of Array.isArray(b.geocodes) ? b.geocodes.slice(0, MAX_RESULTS) : []) {
    const r = g as { formatted_address?: unknown; location?: unknown; level?: unknown }
    const [lonText, latText] = typeof r.location === 'string' ? r.location.split(',') : []
    const lon = finite(lonText)
    const lat = finite(latText)
    if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) continue
    const p = { type: 'Point' as const, coordinates: [lon, lat] as [number, number] }
    gcoord.transform(p, gcoord.GCJ02, gcoord.WGS84)
    out.push({ name: typeof r.formatted_address === 'string' && r.formatted_address !== '' ? r.formatted_address : query, kind: typeof r.level === 'string' && r.level !== '' ? r.level : 'address', lat: p.coordinates[1], lon: p.coordinates[0], source: 'amap' })
  }
  return out
}

/** A Tianditu answer → places (CGCS2000 = WGS-84 here, no shift); throws with the reason when it is not a success. */
export function parseTianditu(body: unknown, query: string): Place[] {
  const b = body as { status?: unknown; msg?: unknown; location?: unknown } | null
  if (b === null || typeof b !== 'object') throw new Error('the answer is not a JSON object')
  if (String(b.status) !== '0') throw new Error(`status ${String(b.status)}${typeof b.msg === 'string' ? ` (${b.msg.slice(0, 80)})` : ''}`)
  const l = (b.location ?? {}) as { lon?: unknown; lat?: unknown; keyWord?: unknown; level?: unknown }
  const lat = finite(l.lat)
  const lon = finite(l.lon)
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return []
  return [{ name: typeof l.keyWord === 'string' && l.keyWord !== '' ? l.keyWord : query, kind: typeof l.level === 'string' && l.level !== '' ? l.level : 'address', lat, lon, source: 'tianditu' }]
}

/** One GET: the body of a 200 answer, or why not. */
export function getText(url: URL, timeoutMs: number): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
  const mod = url.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    let done = false
    const finish = (r: { ok: true; text: string } | { ok: false; reason: string }): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      resolve(r)
    }
    const req = mod.get(url, { headers: { accept: 'application/json' } }, (res) => {
      const status = res.statusCode as number
      if (status !== 200) return finish({ ok: false, reason: `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}` })
      const chunks: Buffer[] = []
      let read = 0
      res.on('data', (chunk: Buffer) => {
        read += chunk.length
        if (read > MAX_ANSWER_BYTES) return finish({ ok: false, reason: `answer larger than ${MAX_ANSWER_BYTES} bytes` })
        chunks.push(chunk)
      })
      res.on('end', () => finish({ ok: true, text: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', (err) => finish({ ok: false, reason: err.message }))
    })
    // Socket errors name the host and port, never the query string.
    req.on('error', (err) => finish({ ok: false, reason: err.message }))
    const timer = setTimeout(() => finish({ ok: false, reason: `timed out after ${timeoutMs} ms` }), timeoutMs)
  })
}

/** The geocoder for a config's options: a query → the provider's places, or why none. */
export function geocoder(o: GeocoderOptions): Geocode {
  const parse = o.provider === 'amap' ? parseAmap : parseTianditu
  return async (query) => {
    const got = await getText(requestUrl(o, query), o.timeoutMs)
    if (!got.ok) return got
    let body: unknown
    try {
      body = JSON.parse(got.text)
    } catch {
      return { ok: false, reason: 'the answer is not JSON' }
    }
    try {
      return { ok: true, places: parse(body, query) }
    } catch (err) {
      return { ok: false, reason: (err as Error).message }
    }
  }
}
