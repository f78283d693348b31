// One catalogue of coded errors: a stable code, what it means, what to do, and an HTTP status
// where it reaches the API. docs/errors.md lists every code (a test keeps them in step).

export const ERRORS = {
  HEXP_ERR_CONFIG: { status: 500, help: 'The configuration is invalid. The message names the key; fix it in the config file or the HEXPATROL_* environment and restart.' },
  HEXP_ERR_BROKER_EXPOSED: { status: 500, help: 'The embedded broker would accept anonymous devices on a non-loopback address. Configure broker.users and set broker.allow_anonymous: false, or bind broker.host to 127.0.0.1.' },
  HEXP_ERR_CLICKHOUSE_UNAVAILABLE: { status: 503, help: 'ClickHouse did not answer. Check clickhouse.url, credentials and network; fixes are kept in the journal meanwhile.' },
  HEXP_ERR_JOURNAL_FULL: { status: 503, help: 'The journal reached journal.max_bytes because ClickHouse is not taking rows. MQTT acknowledgements are paused; restore ClickHouse or raise the bound.' },
  HEXP_ERR_LOG_UNAVAILABLE: { status: 503, help: 'Cluster mode: NATS JetStream did not store the fixes (servers down, or the stream without a quorum). Devices are not acknowledged and keep their fixes; check the servers in cluster.url.' },
  HEXP_ERR_SNAPSHOT_CORRUPT: { status: 500, help: 'Cluster mode: the fleet snapshot in the JetStream object store is unreadable. Delete it (nats object rm hexpatrol_state fleet) so engines rebuild the state from the stream, or wait for the schedule holder to write a new one.' },
  HEXP_ERR_LOG_CLOSED: { status: 503, help: 'The engine is stopping: its log takes nothing more. Send again; another engine (or this one after its restart) takes it.' },
  HEXP_ERR_NOT_FOUND: { status: 404, help: 'No such resource. Check the id.' },
  HEXP_ERR_BAD_REQUEST: { status: 400, help: 'The request is malformed. The message names the field.' },
  HEXP_ERR_UNAUTHORIZED: { status: 401, help: 'Send an API token as "Authorization: Bearer <token>" (api.tokens, or the admin token in <data dir>/admin-token), or log in at POST /api/v1/session for a browser session.' },
  HEXP_ERR_FORBIDDEN: { status: 403, help: 'The token is valid but its scope is too small for this route (read < operate < admin). Use a token with the scope the route names.' },
  HEXP_ERR_RATE_LIMITED: { status: 429, help: 'Too many requests from this client, token or device; wait for the Retry-After seconds (http.rate_limit; http.expensive_reads.per_token for replay, track, incidents and report reads; for HTTP ingest http_ingest.rate_limit_per_minute and rate_limit_burst, rate_limit_global_per_second, rate_limit_refused_per_minute), or too many wrong credentials from this address or for this account (broker.limits.auth_free_failures, auth_free_failures_per_username): nothing was checked.' },
  HEXP_ERR_HOST_NOT_ALLOWED: { status: 421, help: 'The Host header is not in http.allowed_hosts (DNS-rebinding guard). Use the configured host name, or add it to http.allowed_hosts.' },
  HEXP_ERR_CONFLICT: { status: 409, help: 'The resource is not in a state that allows this action.' },
  HEXP_ERR_WEBHOOK_DESTINATION: { status: 400, help: 'The webhook destination resolves to a private, loopback or link-local address. Add its range to delivery.allow_private_networks if that is intended.' },
  HEXP_ERR_INTERNAL: { status: 500, help: 'An unexpected error; the engine log has the details (search for the request id).' },
  HEXP_ERR_DEVICE_UNAUTHORIZED: { status: 401, help: 'HTTP ingest: the device gave no valid credentials. OwnTracks: HTTP Basic auth with a broker.users username and password. OsmAnd (http_ingest.osmand_auth: credentials, the default): the password as the secret parameter (key) or Basic auth.' },
  HEXP_ERR_DEVICE_FORBIDDEN: { status: 403, help: 'HTTP ingest: the device may not report here (with osmand_auth: units an id not listed under units, X-Limit-U naming another user, or an address outside http_ingest.osmand_allow_ips).' },
  HEXP_ERR_BUSY: { status: 503, help: 'Too many expensive reads (replay, tracks, the incident list, reports) are running at once (http.expensive_reads.total); retry after the Retry-After seconds, or narrow the period.' },
  HEXP_ERR_NOT_READY: { status: 503, help: 'The engine is starting or degraded; /readyz says which component is not ready.' },
  HEXP_ERR_MAP_NOT_BUILT: { status: 503, help: 'The live map bundle is missing: run `npm run build` (it bundles src/web into dist/web), then restart.' },
} as const

export type ErrorCode = keyof typeof ERRORS

export class HexpatrolError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'HexpatrolError'
    this.code = code
    this.statusCode = ERRORS[code].status
  }
  /** The message plus what to do about it. */
  get help(): string {
    return ERRORS[this.code].help
  }
}
