// The config file's schema: every key, its type, its default. Unknown keys are an error
// (additionalProperties: false everywhere). Durations are decoded to milliseconds.
import { Type, type Static, type StaticDecode, type TSchema } from '@sinclair/typebox'
import { parseDuration } from './duration.js'
import { IncidentsSchema, PatrolLevelsSchema, PlansSchema } from '../incidents/config-schema.js'

const Duration = (def?: string) =>
  Type.Transform(Type.Union([Type.String(), Type.Number({ minimum: 0 })], def === undefined ? {} : { default: def }))
    .Decode((v) => parseDuration(v))
    .Encode((ms) => `${ms / 1000}s`)

const Obj = <T extends Record<string, TSchema>>(props: T, opts: { default?: unknown } = {}) =>
  Type.Object(props, { additionalProperties: false, default: opts.default ?? {} })

const Secret = {
  /** Inline secret (avoid in files under version control). */
  password: Type.Optional(Type.String()),
  /** Name of an environment variable holding the secret. */
  password_env: Type.Optional(Type.String()),
}

export const Subscription = Obj({
  topic: Type.String({ minLength: 1 }),
  format: Type.Union([Type.Literal('native'), Type.Literal('owntracks')]),
})

export const ConfigSchema = Obj({
  data_dir: Type.String({ default: './data' }),
  log_level: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  http: Obj({
    /** Loopback by default: live positions of officers are not served beyond this machine unless asked (README: HTTP API). */
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    request_timeout: Duration('30s'),
    body_limit_bytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /** Bearer token for admin endpoints (webhook management, alert acknowledgement, dead-letter retry). */
    admin_token: Type.Optional(Type.String({ minLength: 16 })),
    admin_token_env: Type.Optional(Type.String()),
    /** When set, GET /metrics needs "Authorization: Bearer <metrics_token>" (or any API token). */
    metrics_token: Type.Optional(Type.String({ minLength: 16 })),
    metrics_token_env: Type.Optional(Type.String()),
    /** Signs the browser session cookie; unset: a random secret per start (a restart logs everyone out). */
    session_secret: Type.Optional(Type.String({ minLength: 32 })),
    session_secret_env: Type.Optional(Type.String()),
    session_ttl: Duration('12h'),
    /** Origins allowed to call the API from a browser (CORS); empty: none. */
    cors_origins: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Host header values accepted (DNS rebinding guard); empty: any. */
    allowed_hosts: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Behind a TLS-terminating proxy: trust X-Forwarded-* (client IP, https for the Secure cookie flag). */
    trust_proxy: Type.Boolean({ default: false }),
    rate_limit: Obj({
      /** Requests per window per client IP (before authentication). */
      per_ip: Type.Integer({ minimum: 1, default: 1200 }),
      /** Requests per window per token (after authentication). */
      per_token: Type.Integer({ minimum: 1, default: 1200 }),
      window: Duration('1m'),
    }),
  }),
  api: Obj({
    /** API tokens: { name, scope, token_env | token_sha256 } (never the token itself). */
    tokens: Type.Array(Obj({
      name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' }),
      scope: Type.Union([Type.Literal('read'), Type.Literal('operate'), Type.Literal('admin')]),
      token_env: Type.Optional(Type.String({ minLength: 1 })),
      token_sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
    }), { default: [] }),
    /** Live stream: per-client buffer bound (bytes) before a slow client is dropped, and heartbeat period. */
    stream_buffer_bytes: Type.Integer({ minimum: 4096, default: 1_048_576 }),
    stream_heartbeat: Duration('15s'),
  }),
  mqtt: Obj({
    /** External broker URL (mqtt://, mqtts://, ws://). Unset: start the embedded broker. */
    url: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    ...Secret,
    ca_file: Type.Optional(Type.String()),
    cert_file: Type.Optional(Type.String()),
    key_file: Type.Optional(Type.String()),
    reject_unauthorized: Type.Boolean({ default: true }),
    client_id: Type.String({ default: 'hexpatrol-ingest' }),
    protocol_version: Type.Union([Type.Literal(4), Type.Literal(5)], { default: 5 }),
    /** Session expiry on MQTT 5 (persistent session, so the broker keeps unacked messages across reconnects). */
    session_expiry: Duration('1h'),
    keepalive: Duration('30s'),
    reconnect_period: Duration('1s'),
    subscriptions: Type.Array(Subscription, {
      default: [
        { topic: 'fleet/+/position', format: 'native' },
        { topic: 'owntracks/+/+', format: 'owntracks' },
      ],
    }),
    max_payload_bytes: Type.Integer({ minimum: 256, default: 262_144 }),
    /** Alerts are published as `${alerts_topic_prefix}/{kind}/{subject}`. */
    alerts_topic_prefix: Type.String({ default: 'hexpatrol/alerts' }),
  }),
  broker: Obj({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }),
    /** Anonymous devices; refused at start-up when the broker is not bound to loopback. */
    allow_anonymous: Type.Boolean({ default: true }),
    users: Type.Array(Obj({ username: Type.String({ minLength: 1 }), ...Secret }), { default: [] }),
    /** Topics a device may publish to; %u is its username (Mosquitto `pattern` style). */
    acl: Type.Array(Type.String(), { default: ['fleet/%u/position', 'owntracks/%u/+'] }),
    /** Topic filters any authenticated device may subscribe to. */
    subscribe_acl: Type.Array(Type.String(), { default: ['hexpatrol/alerts/#'] }),
  }),
  clickhouse: Obj({
    /** ClickHouse server URL (http[s]://host:8123). Unset: embedded chdb under <data_dir>/clickhouse. */
    url: Type.Optional(Type.String()),
    username: Type.String({ default: 'default' }),
    ...Secret,
    database: Type.String({ default: 'hexpatrol', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    request_timeout: Duration('30s'),
    /** Rows kept in `positions` for this long (0 = forever). */
    ttl_days: Type.Integer({ minimum: 0, default: 400 }),
    rejects_ttl_days: Type.Integer({ minimum: 0, default: 30 }),
  }),
  validation: Obj({
    max_future_skew: Duration('2m'),
    max_age: Duration('7d'),
    max_batch_elements: Type.Integer({ minimum: 1, default: 10_000 }),
    /** Raw payloads stored in `rejects` are cut to this many bytes. */
    reject_payload_bytes: Type.Integer({ minimum: 64, default: 2048 }),
  }),
  h3: Obj({ resolution: Type.Integer({ minimum: 0, maximum: 15, default: 9 }) }),
  journal: Obj({
    /** Disk bound: at this size the engine stops acknowledging MQTT messages. */
    max_bytes: Type.Integer({ minimum: 1_048_576, default: 2_147_483_648 }),
    /** A segment is sealed and shipped to ClickHouse at this many records or this age. */
    segment_max_records: Type.Integer({ minimum: 1, default: 20_000 }),
    segment_max_age: Duration('1s'),
    /** never: page cache only (survives kill -9, not power loss); interval: fsync every fsync_interval; always: fsync before every ack. */
    fsync: Type.Union([Type.Literal('never'), Type.Literal('interval'), Type.Literal('always')], { default: 'interval' }),
    fsync_interval: Duration('200ms'),
    /** Retry backoff bounds for ClickHouse inserts. */
    retry_min: Duration('250ms'),
    retry_max: Duration('30s'),
  }),
  units: Type.Array(
    Obj({
      id: Type.String({ minLength: 1 }),
      kind: Type.String({ default: 'vehicle' }),
      name: Type.Optional(Type.String()),
      post: Type.Optional(Type.String()),
      zone: Type.Optional(Type.String()),
      silent_after: Type.Optional(Duration('180s')),
    }),
    { default: [] },
  ),
  posts: Type.Array(
    Obj({
      id: Type.String({ minLength: 1 }),
      name: Type.Optional(Type.String()),
      lat: Type.Number({ minimum: -90, maximum: 90 }),
      lon: Type.Number({ minimum: -180, maximum: 180 }),
      radius_m: Type.Number({ exclusiveMinimum: 0 }),
    }),
    { default: [] },
  ),
  zones: Type.Array(
    Obj({
      id: Type.String({ minLength: 1 }),
      name: Type.Optional(Type.String()),
      /** GeoJSON Polygon or MultiPolygon geometry (RFC 7946, [lon, lat]), or { file: path } relative to the config file. */
      geometry: Type.Union([
        Obj({ type: Type.Literal('Polygon'), coordinates: Type.Array(Type.Array(Type.Array(Type.Number()))) }),
        Obj({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Array(Type.Array(Type.Array(Type.Number())))) }),
        Obj({ file: Type.String() }),
      ]),
      coverage: Obj({
        resolution: Type.Integer({ minimum: 0, maximum: 15, default: 9 }),
        max_interval: Duration('30m'),
        min_ratio: Type.Number({ minimum: 0, maximum: 1, default: 0.8 }),
        priority_cells: Type.Array(
          Obj({
            /** H3 cell id, or a point that is indexed at the zone's resolution. */
            cell: Type.Optional(Type.String()),
            lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
            lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
            name: Type.Optional(Type.String()),
            max_interval: Duration('10m'),
          }),
          { default: [] },
        ),
        response_radius_m: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        /** own: only the zone's units earn coverage credit; any: every unit does. */
        credit: Type.Union([Type.Literal('own'), Type.Literal('any')], { default: 'own' }),
      }),
    }),
    { default: [] },
  ),
  rules: Obj({
    radius: Obj({
      dwell: Duration('60s'),
      hysteresis_m: Type.Number({ minimum: 0, default: 50 }),
      max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
    }),
    zone: Obj({
      dwell: Duration('60s'),
      hysteresis_m: Type.Number({ minimum: 0, default: 50 }),
      max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
    }),
    silent_after: Duration('180s'),
    /** Speeds above these (km/h) between consecutive fixes mark the later fix impossible. Key: unit kind. */
    max_speed_kmh: Type.Record(Type.String(), Type.Number({ exclusiveMinimum: 0 }), {
      default: { vehicle: 250, officer: 40, default: 250 },
    }),
    /** Each unit's fixes are held this long (fix time, or wall time since arrival) so late, out-of-order ones are put in order; older ones are stored only. 0 = no hold. */
    allowed_lateness: Duration('5s'),
    /** Two consecutive fixes at most this far apart in time and space have the H3 path between them credited. */
    path_max_gap: Duration('2m'),
    path_max_distance_m: Type.Number({ exclusiveMinimum: 0, default: 2000 }),
    /** How often coverage/response/silence are evaluated and coverage snapshots are written. */
    tick: Duration('5s'),
    coverage_snapshot_interval: Duration('60s'),
  }),
  webhooks: Type.Array(
    Obj({
      id: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
      url: Type.String({ minLength: 1 }),
      /** whsec_… (Standard Webhooks); two entries during rotation. */
      secret: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 2 })])),
      secret_env: Type.Optional(Type.String()),
      events: Type.Array(Type.String(), { default: ['*'] }),
      zones: Type.Optional(Type.Array(Type.String())),
      format: Type.Union(
        [Type.Literal('standard'), Type.Literal('slack'), Type.Literal('dingtalk'), Type.Literal('wecom')],
        { default: 'standard' },
      ),
      /** DingTalk robot signing secret (SEC…), appended to the URL as timestamp & sign. */
      dingtalk_secret: Type.Optional(Type.String()),
      max_concurrency: Type.Integer({ minimum: 1, default: 4 }),
    }),
    { default: [] },
  ),
  delivery: Obj({
    /** CIDR ranges in private/loopback/link-local space that webhook destinations may use. */
    allow_private_networks: Type.Array(Type.String(), { default: [] }),
    /** A webhook's `secret_env` may only name variables starting with this. */
    secret_env_prefix: Type.String({ default: 'HEXPATROL_WEBHOOK_SECRET_', pattern: '^[A-Z][A-Z0-9_]{2,}$' }),
    timeout: Duration('15s'),
    /** Give up (dead-letter) after this long. */
    horizon: Duration('24h'),
    /** Retry schedule; the last step repeats until the horizon. Jitter ±10 % is added. */
    schedule: Type.Array(Duration(), {
      minItems: 1,
      default: ['0s', '5s', '5m', '30m', '2h', '5h', '10h', '14h', '20h', '24h'],
    }),
  }),
  // Incidents, hotspots, patrol levels, emergency plans (src/incidents/config-schema.ts).
  incidents: IncidentsSchema,
  patrol_levels: PatrolLevelsSchema,
  plans: PlansSchema,
})

export type ConfigInput = Static<typeof ConfigSchema>
export type Config = StaticDecode<typeof ConfigSchema>
export type UnitConfig = Config['units'][number]
export type PostConfig = Config['posts'][number]
export type ZoneConfig = Config['zones'][number]
export type WebhookConfig = Config['webhooks'][number]
export type SubscriptionConfig = Config['mqtt']['subscriptions'][number]
