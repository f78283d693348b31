// Turns one HTTP request of ClickHouse's HTTP interface (URL parameters and body) into what an
// embedded chdb session must run to answer it as a server would: the settings to SET (and reset
// after), the database, the statement, its bound parameters, the output format. Pure, so the
// mapping is tested without chdb; clickhouse-http-server.ts does the I/O.

/** URL parameters that are the interface's own, not settings. */
const INTERFACE_PARAMS = new Set(['query', 'database', 'query_id', 'default_format', 'session_id', 'session_timeout', 'session_check', 'role', 'user', 'password', 'quota_key', 'compress', 'decompress', 'buffer_size', 'max_result_bytes', 'max_result_rows'])

/**
 * Settings only the HTTP layer of a server understands (clickhouse-js sends some of them); the
 * embedded engine rejects them as unknown, and the server answers them itself.
 */
const HTTP_ONLY_SETTINGS = new Set([
  'wait_end_of_query',
  'enable_http_compression',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
  'http_wait_end_of_query',
  'http_write_exception_in_output_format',
])

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export interface RequestPlan {
  /** `SET name = value` for each setting, in the order given. */
  settings: Array<{ name: string; value: string }>
  database: string | null
  /** The whole statement: the `query` parameter, then the body (a server concatenates them). */
  statement: string
  /** For an INSERT whose rows are the body: the statement part and the raw rows, kept apart. */
  insert: { prefix: string; data: Buffer } | null
  /** `param_<name>` values, verbatim (already in ClickHouse's escaped text form). */
  params: Record<string, string>
  /** The output format when the statement names none (TabSeparated, as on a server). */
  defaultFormat: string
  /** What the response's X-ClickHouse-Format says. */
  format: string
  queryId: string | null
  /** The client asked for a compressed response (enable_http_compression=1). */
  compress: boolean
}

export class PlanError extends Error {}

/** A value for SET: numbers as they are, anything else a quoted string (backslash escapes). */
export function settingLiteral(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** The format a statement names in a trailing `FORMAT X` clause, if any. */
export function namedFormat(statement: string): string | null {
  const m = /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*;?\s*$/i.exec(statement)
  return m?.[1] ?? null
}

export function planRequest(search: URLSearchParams, body: Buffer): RequestPlan {
  const settings: RequestPlan['settings'] = []
  const params: Record<string, string> = {}
  let compress = false
  for (const [name, value] of search) {
    if (name.startsWith('param_')) {
      params[name.slice('param_'.length)] = value
      continue
    }
    if (name === 'enable_http_compression') compress = value === '1' || value === 'true'
    if (INTERFACE_PARAMS.has(name) || HTTP_ONLY_SETTINGS.has(name)) continue
    if (!SETTING_NAME.test(name)) throw new PlanError(`Code: 115. DB::Exception: Unknown setting '${name}'. (UNKNOWN_SETTING)`)
    settings.push({ name, value })
  }
  const query = search.get('query') ?? ''
  const text = body.toString('utf8')
  let insert: RequestPlan['insert'] = null
  let statement: string
  if (query.trim() !== '' && body.length > 0 && /^\s*INSERT\b/i.test(query)) {
    insert = { prefix: query, data: body }
    statement = `${query}\n${text}`
  } else {
    statement = query.trim() === '' ? text : body.length > 0 ? `${query}\n${text}` : query
  }
  if (statement.trim() === '') throw new PlanError('Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)')
  const defaultFormat = search.get('default_format') ?? 'TabSeparated'
  return {
    settings,
    database: search.get('database'),
    statement,
    insert,
    params,
    defaultFormat,
    format: insert !== null ? defaultFormat : (namedFormat(statement) ?? defaultFormat),
    queryId: search.get('query_id'),
    compress,
  }
}

/** The HTTP status a server answers an exception with (ClickHouse's exceptionCodeToHTTPStatus, in short). */
export function statusOf(code: number): number {
  if (NOT_FOUND.has(code)) return 404
  if (FORBIDDEN.has(code)) return 403
  if (BAD_REQUEST.has(code)) return 400
  if (code === 159) return 504 // TIMEOUT_EXCEEDED
  return 500
}
// Unknown table, database, function, identifier, column.
const NOT_FOUND = new Set([60, 81, 46, 47, 16])
// Authentication and access.
const FORBIDDEN = new Set([516, 192, 193, 194, 195, 497])
// Syntax, parsing, type and argument errors: the request is wrong, not the server.
const BAD_REQUEST = new Set([62, 27, 26, 6, 38, 41, 69, 72, 53, 130, 115, 456, 457, 36, 117, 43, 44])

/** Splits chdb's `Code: N. DB::Exception: … (TYPE)` message into the code (0 when it has none). */
export function exceptionCode(message: string): number {
  const m = /Code: (\d+)\./.exec(message)
  return m?.[1] !== undefined ? Number(m[1]) : 0
}
