// Child-process main of clickhouse-http.ts: owns one embedded ClickHouse (chdb) session on the data
// directory given as argv[2] and answers ClickHouse's HTTP interface for it on a free loopback
// port, printed as one JSON line `{"port":N}` on stdout. chdb binds one data directory per process,
// so this runs apart from the test and from the engines that share it. Requests run one at a
// time: settings are SET on the session for one statement and reset after. Exits on SIGTERM or
// when its parent dies.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createGunzip, createInflate, createBrotliDecompress, gzipSync, deflateSync, brotliCompressSync } from 'node:zlib'
import { Readable } from 'node:stream'
import { randomUUID } from 'node:crypto'
import { exceptionCode, planRequest, PlanError, settingLiteral, statusOf, type RequestPlan } from './clickhouse-http-plan.js'

interface NativeResult { bytes: Buffer; elapsed: number; rowsRead: number; bytesRead: number }
interface Native {
  QueryAsyncConnection(conn: unknown, sql: string, format: string, params?: Record<string, string>): Promise<NativeResult>
}

const dataDir = process.argv[2]
if (dataDir === undefined) throw new Error('usage: clickhouse-http-server.ts <data dir>')

const require = createRequire(import.meta.url)
const chdbMain = require.resolve('chdb')
const { Session } = require(chdbMain) as { Session: new (path: string) => { connection: unknown; close(): void } }
// The addon itself, not the JS wrapper: the wrapper escapes `param_*` values again, while a server
// binds the text the client sent (already in escaped form) as it is. Same cached module instance.
const native = (require(join(dirname(chdbMain), 'dist', 'loader.js')) as { loadNative(): Native }).loadNative()
const session = new Session(dataDir)

/**
 * Where this session starts from, and what a request's setting is reset to. The embedded build
 * defaults to async_insert=1; inserts here are synchronous (acknowledged = in a part, deduplicated
 * by its token), as on a server with async_insert=0, long the server default (recent releases
 * document 1). A request that sets async_insert=1 still gets it.
 */
const BASELINE: Record<string, string> = { async_insert: '0' }

let chain: Promise<unknown> = Promise.resolve()
/** One request at a time on the session: SET and reset must not interleave. */
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const run = chain.then(fn, fn)
  chain = run.catch(() => undefined)
  return run
}

async function run(sql: string, format = 'TabSeparated', params?: Record<string, string>): Promise<NativeResult> {
  return native.QueryAsyncConnection(session.connection, sql, format, params !== undefined && Object.keys(params).length > 0 ? params : undefined)
}

interface Outcome { body: Buffer; summary: Record<string, string> }

async function execute(plan: RequestPlan): Promise<Outcome> {
  const set: string[] = []
  let used = false
  try {
    for (const s of plan.settings) {
      await run(`SET ${s.name} = ${settingLiteral(s.value)}`)
      set.push(s.name)
    }
    if (plan.database !== null && plan.database !== 'default') {
      await run(`USE \`${plan.database.replace(/`/g, '``')}\``)
      used = true
    }
    if (plan.insert !== null) {
      // Inline (`INSERT … FORMAT X\n<rows>`), as chdb's own client connection does: the addon's raw
      // insert took a large body from fd 0 (its errors say so) and failed the 10k-message ingest.
      const r = await run(plan.statement, plan.defaultFormat, plan.params)
      const rows = rowsIn(plan.insert.prefix, plan.insert.data)
      return { body: r.bytes, summary: summary({ readRows: rows, readBytes: plan.insert.data.length, writtenRows: rows, writtenBytes: plan.insert.data.length, elapsed: r.elapsed }) }
    }
    const r = await run(plan.statement, plan.defaultFormat, plan.params)
    return { body: r.bytes, summary: summary({ readRows: r.rowsRead, readBytes: r.bytesRead, writtenRows: 0, writtenBytes: 0, elapsed: r.elapsed }) }
  } finally {
    // Back to the session's defaults, so the next request sees only its own settings.
    for (const name of set) await run(`SET ${name} = ${BASELINE[name] ?? 'DEFAULT'}`).catch(() => undefined)
    if (used) await run('USE default').catch(() => undefined)
  }
}

/**
 * Rows in an insert's body, for X-ClickHouse-Summary: lines of a line-delimited format (they
 * escape newlines in values), else 0. chdb reports no rows written for an inline insert. A
 * deduplicated insert counts its rows too, as a server's summary does.
 */
function rowsIn(prefix: string, data: Buffer): number {
  if (!/\bFORMAT\s+(JSONEachRow|JSONCompactEachRow|JSONStringsEachRow|TabSeparated|TSV)\s*$/i.test(prefix)) return 0
  let n = 0
  for (const line of data.toString('utf8').split('\n')) if (line.trim() !== '') n++
  return n
}

function summary(o: { readRows: number; readBytes: number; writtenRows: number; writtenBytes: number; elapsed: number }): Record<string, string> {
  return {
    read_rows: String(o.readRows),
    read_bytes: String(o.readBytes),
    written_rows: String(o.writtenRows),
    written_bytes: String(o.writtenBytes),
    total_rows_to_read: '0',
    result_rows: o.writtenRows > 0 ? '0' : String(o.readRows),
    result_bytes: o.writtenRows > 0 ? '0' : String(o.readBytes),
    elapsed_ns: String(Math.round(o.elapsed * 1e9)),
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const enc = (req.headers['content-encoding'] ?? '').toLowerCase()
  const source: Readable = enc === 'gzip' ? req.pipe(createGunzip()) : enc === 'deflate' ? req.pipe(createInflate()) : enc === 'br' ? req.pipe(createBrotliDecompress()) : req
  if (enc !== '' && enc !== 'gzip' && enc !== 'deflate' && enc !== 'br' && enc !== 'identity') throw new PlanError(`Code: 36. DB::Exception: Unknown Content-Encoding ${enc} (this test server reads gzip, deflate and br). (BAD_ARGUMENTS)`)
  const chunks: Buffer[] = []
  for await (const c of source) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** The response body, compressed the way the client accepts when it asked for compression. */
function encode(req: IncomingMessage, compress: boolean, body: Buffer): { body: Buffer; encoding: string | null } {
  if (!compress) return { body, encoding: null }
  const accept = String(req.headers['accept-encoding'] ?? '')
  if (/\bgzip\b/.test(accept)) return { body: gzipSync(body), encoding: 'gzip' }
  if (/\bbr\b/.test(accept)) return { body: brotliCompressSync(body), encoding: 'br' }
  if (/\bdeflate\b/.test(accept)) return { body: deflateSync(body), encoding: 'deflate' }
  return { body, encoding: null }
}

function contentType(format: string): string {
  if (/^JSON/i.test(format)) return 'application/json; charset=UTF-8'
  if (/^(TabSeparated|TSV)/i.test(format)) return 'text/tab-separated-values; charset=UTF-8'
  if (/^CSV/i.test(format)) return 'text/csv; charset=UTF-8'
  return 'text/plain; charset=UTF-8'
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer, compress: boolean): void {
  const out = encode(req, compress, body)
  res.writeHead(status, {
    ...headers,
    'Keep-Alive': 'timeout=10, max=10000',
    'X-ClickHouse-Server-Display-Name': 'hexpatrol-test-chdb',
    'X-ClickHouse-Timezone': 'UTC',
    ...(out.encoding !== null ? { 'Content-Encoding': out.encoding } : {}),
    'Content-Length': String(out.body.length),
  })
  res.end(out.body)
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname === '/ping' || (url.pathname === '/' && req.method !== 'POST' && !url.searchParams.has('query'))) {
    send(req, res, 200, { 'Content-Type': 'text/html; charset=UTF-8' }, Buffer.from('Ok.\n'), false)
    return
  }
  if (url.pathname !== '/') {
    send(req, res, 404, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': '0' }, Buffer.from(`There is no handle ${url.pathname} on this test server (it serves / and /ping).\n`), false)
    return
  }
  let queryId = url.searchParams.get('query_id') ?? randomUUID()
  let compress = url.searchParams.get('enable_http_compression') === '1'
  try {
    if (String(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) throw new PlanError('Code: 36. DB::Exception: multipart/form-data query parameters are not supported by this test server; pass them in the URL. (BAD_ARGUMENTS)')
    const body = await readBody(req)
    const plan = planRequest(url.searchParams, body)
    queryId = plan.queryId ?? queryId
    compress = plan.compress
    const out = await serial(() => execute(plan))
    send(req, res, 200, {
      'Content-Type': contentType(plan.format),
      'X-ClickHouse-Format': plan.format,
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Summary': JSON.stringify(out.summary),
    }, out.body, compress)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    const code = exceptionCode(message)
    const text = /DB::Exception/.test(message) ? message : `Code: ${code}. DB::Exception: ${message}. (UNKNOWN_EXCEPTION)`
    send(req, res, statusOf(code), {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Exception-Code': String(code),
    }, Buffer.from(`${text.trimEnd()}\n`), compress)
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    res.destroy(err instanceof Error ? err : new Error(String(err)))
  })
})
server.keepAliveTimeout = 10_000
void serial(async () => {
  for (const [name, value] of Object.entries(BASELINE)) await run(`SET ${name} = ${value}`)
}).then(() => server.listen(0, '127.0.0.1', () => {
  const a = server.address()
  process.stdout.write(`${JSON.stringify({ port: typeof a === 'object' && a !== null ? a.port : 0 })}\n`)
}))

let closing = false
function shutdown(): void {
  if (closing) return
  closing = true
  server.close()
  server.closeAllConnections()
  // Let the statement under way finish before the session (and its data directory) closes.
  void chain.finally(() => {
    session.close()
    process.exit(0)
  })
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
// When the parent dies (a test killed) we are re-parented: go too, instead of lingering with the
// data directory bound. (Not stdin: the engine may read fd 0 for insert data.)
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) shutdown()
}, 500).unref()
