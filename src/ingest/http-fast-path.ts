// The device routes (OsmAnd GET/POST, OwnTracks POST) answered by a plain node:http handler in
// front of fastify: the same policy (HttpIngest: auth before decoding, limits, journal before the
// answer), without fastify's request/reply objects, hooks and serializer, and each answer written
// as one header block and body in one socket write. It decides from the request line and headers
// alone, before anything is read: whatever it does not take exactly as fastify would answer it
// (other methods and paths, HEAD, a closing server, chunked or oversized bodies, unusual content
// types, CORS requests, hosts outside http.allowed_hosts, forwarded requests behind trusted
// proxies) goes to fastify untouched, so fastify's answers stay the reference.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { ErrorCode } from '../errors.js'
import type { IngestAnswer, IngestPolicy } from './ingest-answer.js'

export interface FastPathOptions {
  /** The headers every answer carries before its own (the API's security headers), names lower-case. */
  headers?: Readonly<Record<string, string>>
  /** The dedicated OsmAnd port: OsmAnd on every path, behind http_ingest.osmand_allow_ips. */
  dedicated?: boolean
  /** http.allowed_hosts as a check; a request it refuses is left to fastify (which answers it). */
  hostAllowed?: (req: IncomingMessage) => boolean
  /** http.cors_origins is set: answers vary on Origin, and a request naming an origin is left to fastify. */
  cors?: boolean
  /** http.trust_proxy is set: a forwarded request (X-Forwarded-For) is left to fastify, which knows the client address. */
  trustProxy?: boolean
}

type Kind = 'osmand' | 'owntracks'

/** Content types sent by phones, parsed by fastify's catch-all raw parser; any other is left to fastify. */
const PLAIN_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'text/plain', 'text/plain; charset=utf-8'])
const EMPTY = Buffer.alloc(0)
const JSON_TYPE = 'application/json; charset=utf-8'

const one = (v: string | string[] | undefined): string | undefined => (typeof v === 'string' ? v : undefined)

export class IngestFastPath {
  /** Set when the server starts closing: fastify then answers 503 (return503OnClosing). */
  closing = false
  private readonly osmandPath: string
  private readonly owntracksPath: string
  /** Header blocks fixed at start-up ([name, value, …], node's writeHead array form). */
  private readonly fixed: string[]
  private readonly osmandOk: string[]
  private readonly owntracksOk: string[]
  private sequence = 0

  constructor(readonly ingest: IngestPolicy, private readonly options: FastPathOptions = {}) {
    this.osmandPath = ingest.config.osmand_path
    this.owntracksPath = ingest.config.owntracks_path
    this.fixed = Object.entries(options.headers ?? {}).flat()
    if (options.cors === true) this.fixed.push('vary', 'Origin')
    this.osmandOk = [...this.fixed, 'content-length', '0']
    this.owntracksOk = [...this.fixed, 'content-type', JSON_TYPE, 'content-length', '2']
  }

  /** Takes the request (true: it is answered here) or leaves it to fastify (false: nothing was read or written). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.closing) return false
    const method = req.method
    if (method !== 'GET' && method !== 'POST') return false
    const kind = this.route(req.url ?? '', method)
    if (kind === null) return false
    const h = req.headers
    if (this.options.hostAllowed !== undefined && !this.options.hostAllowed(req)) return false
    if (this.options.cors === true && h.origin !== undefined) return false
    if (this.options.trustProxy === true && h['x-forwarded-for'] !== undefined) return false
    let length = 0
    if (method === 'POST') {
      // fastify's raw parser with its checks (413 before reading, 415) handles everything unusual.
      if (h['transfer-encoding'] !== undefined) return false
      const type = h['content-type']
      const cl = h['content-length']
      length = cl === undefined ? 0 : Number(cl)
      if (type === undefined ? length !== 0 : !PLAIN_TYPES.has(type.toLowerCase())) return false
      if (!(length <= this.ingest.bodyLimit)) return false
    }
    const a = new RawAnswer(this, req, res)
    if (this.options.dedicated === true && this.ingest.forbiddenAddress(a)) return true
    if (kind === 'owntracks') {
      const unit = this.ingest.owntracksUnit(a, one(h.authorization), one(h['x-limit-u']))
      if (unit !== null) readBody(a, length, 'owntracks', (body) => void this.ingest.owntracks(a, unit, body))
    } else if (method === 'GET' || length === 0) {
      void this.ingest.osmand(a, this.query(req.url!), EMPTY, one(h.authorization))
    } else {
      readBody(a, length, 'osmand', (body) => void this.ingest.osmand(a, this.query(req.url!), body, one(h.authorization)))
    }
    return true
  }

  /** Which device route a request line names, as fastify's router would (exact path, case-sensitive). */
  private route(url: string, method: string): Kind | null {
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    if (this.options.dedicated === true) return path.startsWith('/') ? 'osmand' : null
    if (path === this.osmandPath) return 'osmand'
    if (path === this.owntracksPath && method === 'POST') return 'owntracks'
    return null
  }

  private query(url: string): string {
    const q = url.indexOf('?')
    return q < 0 ? '' : url.slice(q + 1)
  }

  /** An id for log lines (fastify's are `req-<n>`). */
  nextId(): string {
    return `ingest-${(++this.sequence).toString(36)}`
  }

  /** Writes an answer: status line, headers and body in one socket write. */
  write(res: ServerResponse, status: number, extra: string[] | null, body: { code: ErrorCode; message: string } | null, kind: 'osmand' | 'owntracks' | null): void {
    if (res.destroyed) return
    if (kind === 'osmand') {
      res.writeHead(200, this.osmandOk)
      res.end()
      return
    }
    if (kind === 'owntracks') {
      res.writeHead(200, this.owntracksOk)
      res.end('[]')
      return
    }
    const text = JSON.stringify(body)
    const headers = extra === null ? this.fixed.slice() : this.fixed.concat(extra)
    headers.push('content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(text)))
    res.writeHead(status, headers)
    res.end(text)
  }
}

/** An ingest decision answered on the raw response. */
class RawAnswer implements IngestAnswer {
  /** Headers set before the answer (Retry-After, WWW-Authenticate), in order. */
  private extra: string[] | null = null
  private id: string | null = null

  constructor(readonly fast: IngestFastPath, readonly req: IncomingMessage, readonly res: ServerResponse) {}

  get ip(): string {
    return this.req.socket.remoteAddress as string
  }
  get reqId(): string {
    return (this.id ??= this.fast.nextId())
  }
  header(name: string, value: string): void {
    const e = (this.extra ??= [])
    // A header set twice keeps its last value, as fastify's reply.header does.
    for (let i = 0; i < e.length; i += 2) {
      if (e[i] === name) {
        e[i + 1] = value
        return
      }
    }
    e.push(name, value)
  }
  error(status: number, body: { code: ErrorCode; message: string }): void {
    this.fast.write(this.res, status, this.extra, body, null)
  }
  osmandOk(): void {
    this.fast.write(this.res, 200, null, null, 'osmand')
  }
  owntracksOk(): void {
    this.fast.write(this.res, 200, null, null, 'owntracks')
  }
  abort(): void {
    this.res.destroy()
  }
}

/**
 * Reads a body of `length` bytes (at most the body limit, checked before), then hands it on. A
 * body cut short (the client went away) is counted as fastify counts it, a 400, and nothing is decoded.
 */
function readBody(a: RawAnswer, length: number, endpoint: Kind, then: (body: Buffer) => void): void {
  const req = a.req
  if (length === 0) {
    req.resume()
    return then(EMPTY)
  }
  const chunks: Buffer[] = []
  let received = 0
  let settled = false
  const fail = () => {
    if (settled) return
    settled = true
    a.fast.ingest.metrics.httpIngestRequests.inc({ endpoint, status: '400' })
  }
  req.on('data', (c: Buffer) => {
    chunks.push(c)
    received += c.length
  })
  req.once('end', () => {
    if (settled) return
    if (received !== length) return fail()
    settled = true
    then(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received))
  })
  req.once('error', fail)
  req.once('close', () => {
    if (!req.complete) fail()
  })
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/**
 * Puts the fast path in front of fastify's request handler on the server fastify built (its own
 * options, timeouts and close behaviour kept). Not fastify's serverFactory: with one, fastify
 * binds no second address for a host such as `localhost` (IPv4 and IPv6), so the listener would
 * change; extra servers fastify binds that way answer through fastify alone.
 */
export function frontServer(server: Server, fast: IngestFastPath): void {
  const handlers = server.listeners('request') as Handler[]
  if (handlers.length !== 1) throw new Error(`expected fastify's one request handler on its server, found ${handlers.length}`)
  const fastify = handlers[0]!
  server.removeListener('request', fastify)
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!fast.handle(req, res)) fastify(req, res)
  })
}
