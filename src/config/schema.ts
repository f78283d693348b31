// The config file's schema: every key, its type, its default. Unknown keys are an error
// (additionalProperties: false everywhere). Durations are decoded to milliseconds.
import { Type, type Static, type StaticDecode } from '@sinclair/typebox'
import { Duration, Obj } from './schema-parts.js'
import { IncidentsSchema, PatrolLevelsSchema, PlansSchema } from './incidents-schema.js'
import { ClusterSchema } from './cluster-schema.js'


const Secret = {
  /** Inline secret (avoid in files under version control). */
  password: Type.Optional(Type.String()),
  /** Name of an environment variable holding the secret. */
  password_env: Type.Optional(Type.String()),
}

export const Subscription = Obj({
  topic: Type.String({ minLength: 1 }),
  format: Type.Union([Type.Literal('native'), Type.Literal('owntracks')]),
  /** Which wildcard levels name the unit: all joined with '-', or the first alone (the login an external broker's ACL binds with %u). Unset: first_level for OwnTracks with mqtt.url, else all_levels. */
  unit_from: Type.Optional(Type.Union([Type.Literal('all_levels'), Type.Literal('first_level')])),
})

export const ConfigSchema = Obj({
  data_dir: Type.String({ default: './data' }),
  log_level: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  http: Obj({
    /** Loopback by default: live positions of officers are not served beyond this machine unless asked (docs/http-api.md). */
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
    /**
     * Behind a TLS-terminating proxy: the proxies whose X-Forwarded-* headers are believed (client IP
     * for limits and audit, https for the Secure cookie flag), as addresses/CIDRs (or `loopback`,
     * `linklocal`, `uniquelocal`), or a hop count. The client is the right-most address not in the
     * list. `true` (trust any sender) is refused at start-up (config/trust-proxy.ts).
     */
    trust_proxy: Type.Union([Type.Boolean(), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.Integer({ minimum: 1, maximum: 16 })], { default: false }),
    /**
     * Expensive reads (replay, tracks, incidents list, reports) running at once: per token (browser
     * sessions count against their token) and in all. Two replays at once cost a device's PUBACK
     * p99 ~110 ms on a loaded 2-core machine, one ~18 ms (bench/read-pressure.ts).
     */
    expensive_reads: Obj({
      per_token: Type.Integer({ minimum: 1, default: 1 }),
      total: Type.Integer({ minimum: 1, default: 2 }),
    }),
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
    /** Every other outbound event (incidents, plans, checkpoints, patrol levels, bulletins) is published as `${events_topic_prefix}/{type}/{subject}`. */
    events_topic_prefix: Type.String({ default: 'hexpatrol/incidents' }),
  }),
  /** HTTP ingest for phones: OwnTracks HTTP mode and the OsmAnd protocol (Traccar Client). */
  http_ingest: Obj({
    enabled: Type.Boolean({ default: true }),
    owntracks_path: Type.String({ default: '/ingest/owntracks', pattern: '^/' }),
    osmand_path: Type.String({ default: '/ingest/osmand', pattern: '^/' }),
    /** Also serve OsmAnd on its own port (Traccar's default is 5055), on every path. Unset: only on osmand_path of http.port. */
    osmand_port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** Bind address of osmand_port (default: http.host). */
    osmand_host: Type.Optional(Type.String()),
    /** credentials: the device's broker.users password as the secret parameter or Basic auth; units (opt-in, warned at start-up): any request naming a unit listed under `units`, unauthenticated. */
    osmand_auth: Type.Union([Type.Literal('units'), Type.Literal('credentials')], { default: 'credentials' }),
    osmand_secret_param: Type.String({ default: 'key', minLength: 1 }),
    /** CIDRs allowed to reach osmand_port (empty: any address). */
    osmand_allow_ips: Type.Array(Type.String(), { default: [] }),
    body_limit_bytes: Type.Integer({ minimum: 1024, default: 262_144 }),
    /** Per-device token bucket: average requests a minute, and the burst a device may send at once. */
    rate_limit_per_minute: Type.Integer({ minimum: 1, default: 120 }),
    rate_limit_burst: Type.Integer({ minimum: 1, default: 60 }),
    /** All devices together (authenticated requests), per second; bursts of one second's worth. */
    rate_limit_global_per_second: Type.Integer({ minimum: 1, default: 1000 }),
    /** Refused requests (no id, unknown unit, bad credentials) per client address a minute; beyond: 429. Never spends the API's budget. */
    rate_limit_refused_per_minute: Type.Integer({ minimum: 1, default: 60 }),
    /** Retry-After sent with 503 while the journal is at its bound. */
    retry_after: Duration('30s'),
  }),
  /** JT/T 808 vehicle terminals over TCP. Off unless port is set. */
  jt808: Obj({
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** Loopback by default, like the broker. */
    host: Type.String({ default: '127.0.0.1' }),
    /** Zone of the terminals' BCD times (the standard says +08:00); units[].jt808_timezone overrides it. */
    timezone: Type.String({ default: '+08:00', pattern: '^[+-]\\d{2}:\\d{2}$' }),
    /** Register terminals no unit lists, as unit `jt808-<phone>` (as MQTT creates unknown units). */
    auto_register: Type.Boolean({ default: false }),
    max_connections: Type.Integer({ minimum: 1, default: 2000 }),
    max_connections_per_terminal: Type.Integer({ minimum: 1, default: 2 }),
    /** Escaped bytes between the 0x7e flags; a body is at most 1023 bytes, so a frame at most ~2100. */
    max_frame_bytes: Type.Integer({ minimum: 64, maximum: 65536, default: 2200 }),
    /** Sub-packages held per connection while a message is reassembled. */
    max_reassembly_bytes: Type.Integer({ minimum: 1024, default: 262_144 }),
    /** A connection that sends nothing for this long is closed (terminals heartbeat every 60 s by default). */
    idle_timeout: Duration('5m'),
  }),
  broker: Obj({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }),
    /** Anonymous devices. Unset: only while broker.users is empty. Refused on a non-loopback address, and with users. */
    allow_anonymous: Type.Optional(Type.Boolean()),
    /**
     * Broker logins. A `device` (the default) is a unit: username = unit id, it publishes its own
     * fixes and reads only its own topics. An `integration` (dispatch system, bridge) publishes
     * nothing and reads `integration_subscribe_acl`; it is no device on HTTP ingest either.
     */
    users: Type.Array(Obj({
      username: Type.String({ minLength: 1 }),
      ...Secret,
      role: Type.Union([Type.Literal('device'), Type.Literal('integration')], { default: 'device' }),
    }), { default: [] }),
    /** Topics a device may publish to; %u is its username (Mosquitto `pattern` style). */
    acl: Type.Array(Type.String(), { default: ['fleet/%u/position', 'owntracks/%u/+'] }),
    /** Topic filters a device may subscribe to; %u is its username: by default only its own alerts. */
    subscribe_acl: Type.Array(Type.String(), { default: ['hexpatrol/devices/%u/#'] }),
    /** Topic filters integration logins (and anonymous loopback clients) may subscribe to: every alert and event. */
    integration_subscribe_acl: Type.Array(Type.String(), { default: ['hexpatrol/#'] }),
    /** Bounds on what one client can make the embedded broker hold (docs/devices-and-ingest.md, embedded broker security). */
    limits: Obj({
      /** The largest packet is mqtt.max_payload_bytes plus this (topic, properties). */
      packet_overhead_bytes: Type.Integer({ minimum: 64, default: 2048 }),
      max_connect_bytes: Type.Integer({ minimum: 256, default: 4096 }),
      max_subscriptions_per_client: Type.Integer({ minimum: 1, default: 16 }),
      max_persistent_sessions_per_device: Type.Integer({ minimum: 0, default: 2 }),
      max_persistent_sessions: Type.Integer({ minimum: 0, default: 1000 }),
      /** Messages queued for one offline persistent session; more are dropped (counted). */
      max_queued_per_client: Type.Integer({ minimum: 0, default: 1000 }),
      /** Inbound QoS 2 messages awaiting PUBREL per client. */
      max_inflight_per_client: Type.Integer({ minimum: 1, default: 32 }),
      max_retained_per_device: Type.Integer({ minimum: 0, default: 8 }),
      max_retained_total: Type.Integer({ minimum: 0, default: 10_000 }),
      /**
       * Per logged-in connection: bytes and PUBLISH packets a second, and the burst after a quiet
       * spell (0 per second = unlimited). Past it the broker stops reading from that client until
       * the budget refills (backpressure: its PUBACKs slow down, nobody else's). A phone reporting
       * every second sends ~300 B/s; a queue of 1,000 OwnTracks fixes (~250 kB) after a dead zone is paced over ~3 s.
       */
      client_bytes_per_second: Type.Integer({ minimum: 0, default: 65_536 }),
      client_burst_bytes: Type.Integer({ minimum: 1024, default: 65_536 }),
      client_messages_per_second: Type.Integer({ minimum: 0, default: 100 }),
      client_burst_messages: Type.Integer({ minimum: 1, default: 1000 }),
      /** The credential throttle shared by every device transport and the API login: wrong credentials allowed per client address before its back-off (doubling from 1 s). */
      auth_free_failures: Type.Integer({ minimum: 0, default: 5 }),
      /** Wrong credentials allowed per username (from any address) before that username's back-off. */
      auth_free_failures_per_username: Type.Integer({ minimum: 0, default: 10 }),
      auth_max_backoff: Duration('5m'),
    }),
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
    /** Reject rows stored per message: past it, the rest are only counted and one `too_many_rejects` row says how many. */
    max_rejects_per_message: Type.Integer({ minimum: 1, default: 20 }),
    /** Reject lat 0, lon 0 (a tracker without GPS lock) as `null_island`; false only for deployments in the Gulf of Guinea. */
    reject_null_island: Type.Boolean({ default: true }),
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
      /** Defaults to rules.silent_after (no default of its own: a default here would override that). */
      silent_after: Type.Optional(Duration()),
      /** The unit's expected reporting interval (its app or terminal setting), until one is learned from its arrivals. */
      report_interval: Type.Optional(Duration()),
      /** JT/T 808 terminal phone number, digits as the terminal sends them (leading zeros ignored). */
      jt808: Type.Optional(Type.String({ pattern: '^\\d{1,20}$' })),
      /** Zone of this terminal's times, overriding jt808.timezone. */
      jt808_timezone: Type.Optional(Type.String({ pattern: '^[+-]\\d{2}:\\d{2}$' })),
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
      /** The post asks for a stationed watch: its units are assessed on time standing in its radius, not on moving patrol (docs/reports-and-bulletins.md, assessment). */
      watch: Type.Boolean({ default: false }),
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
  /** The live map at `/`. Without `tiles` it draws on a plain background (works offline). */
  map: Obj({
    /** Optional basemap, one of: `url`, an XYZ URL template ({z}/{x}/{y}), e.g. a local tile server;
     * or `pmtiles`, a local PMTiles v3 raster archive (path relative to the config file) that the
     * engine serves itself at GET /api/v1/map/tiles.pmtiles. With its attribution. */
    tiles: Type.Optional(Type.Object({
      url: Type.Optional(Type.String({ minLength: 1, pattern: '\\{z\\}' })),
      pmtiles: Type.Optional(Type.String({ minLength: 1 })),
      attribution: Type.String({ default: '' }),
      max_zoom: Type.Integer({ minimum: 1, maximum: 24, default: 19 }),
    }, { additionalProperties: false })),
  }),
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
    /**
     * Cadence-aware liveness: a unit is silent once quiet for cadence_factor × its reporting interval
     * (learned from its arrivals, else units[].report_interval, else report_interval[kind]), times
     * stationary_factor while its last fix showed it standing still; never sooner than silent_after,
     * never later than max_silent_after.
     */
    liveness: Obj({
      cadence_factor: Type.Number({ minimum: 1, default: 3 }),
      stationary_factor: Type.Number({ minimum: 1, default: 2 }),
      max_silent_after: Duration('30m'),
      /** Expected reporting interval per unit kind (key: kind), e.g. { officer: 300s } for phones at Traccar Client's default. */
      report_interval: Type.Record(Type.String(), Duration(), { default: {} }),
    }),
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
    /** coverage_gap opens after the gap held at every tick for dwell; resolves once the fresh share is ≥ min_ratio + hysteresis (and no priority cell is overdue) for dwell. */
    coverage_gap: Obj({ dwell: Duration('2m'), hysteresis: Type.Number({ minimum: 0, maximum: 1, default: 0.02 }) }),
    /** response_gap: the same dwell/hysteresis rule on the response ratio. */
    response_gap: Obj({ dwell: Duration('2m'), hysteresis: Type.Number({ minimum: 0, maximum: 1, default: 0.05 }) }),
    /** Fixes less accurate than this (metres) earn no coverage credit and draw no path fill. */
    coverage_max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
    /** A fix stamped more than this ahead of its unit's estimated clock is stored but drives no rule (future_ts). */
    future_tolerance: Duration('60s'),
    /** Units not in the config that the rules track at most; more are stored but not evaluated. */
    max_unknown_units: Type.Integer({ minimum: 0, default: 10000 }),
    /** An unknown unit silent this long (arrival time) is forgotten by the rules. */
    unknown_idle_after: Duration('1h'),
    /** Reject fixes from units not in the config (`unknown_unit`). */
    known_units_only: Type.Boolean({ default: false }),
  }),
  /** Patrol bulletins and reports (src/reports/). Periods are local days and weeks in `timezone`. */
  reports: Obj({
    enabled: Type.Boolean({ default: true }),
    /** IANA time zone of the local days and weeks (checked at start-up). */
    timezone: Type.String({ minLength: 1, default: 'Asia/Shanghai' }),
    /** Local time (HH:MM) at which the previous day's bulletin is produced. */
    daily_at: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', default: '08:00' }),
    /** The weekly report (the 7 local days before this day) is produced on this day at daily_at. */
    weekly_on: Type.Union(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => Type.Literal(d)), { default: 'monday' }),
    /** Public URL of the API, for links in chat summaries (e.g. https://patrol.example.org). */
    base_url: Type.Optional(Type.String()),
    /** A stop: the unit stays within max(stop_radius_m, 4σ of its own GPS noise, 2 × accuracy) for at least stop_min_duration (src/reports/stay-points.ts). */
    stop_radius_m: Type.Number({ exclusiveMinimum: 0, default: 60 }),
    stop_min_duration: Duration('5m'),
    /** Distance counts only once the unit is this far from the last counted point (GPS noise floor). */
    noise_m: Type.Number({ minimum: 0, default: 30 }),
    /** Fixes less accurate than this are ignored by reports. */
    max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
    /** Share of a patrol unit's duty time spent moving that earns full `moving` credit. */
    patrol_moving_share: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5 }),
    /** Score weights, normalised by their sum within each group (docs/reports-and-bulletins.md, assessment): a unit's activity (moving, cells) and conduct (presence, breaches, silences); zones and posts use coverage, presence, breaches (and silences). */
    weights: Obj({
      coverage: Type.Number({ minimum: 0, default: 0.4 }),
      moving: Type.Number({ minimum: 0, default: 0.5 }),
      cells: Type.Number({ minimum: 0, default: 0.5 }),
      presence: Type.Number({ minimum: 0, default: 0.3 }),
      breaches: Type.Number({ minimum: 0, default: 0.15 }),
      silences: Type.Number({ minimum: 0, default: 0.3 }),
    }),
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
  // Incidents, hotspots, patrol levels, emergency plans (src/config/incidents-schema.ts).
  incidents: IncidentsSchema,
  patrol_levels: PatrolLevelsSchema,
  plans: PlansSchema,
  cluster: ClusterSchema,
})

export type ConfigInput = Static<typeof ConfigSchema>
export type Config = StaticDecode<typeof ConfigSchema>
export type UnitConfig = Config['units'][number]
export type PostConfig = Config['posts'][number]
export type ZoneConfig = Config['zones'][number]
export type WebhookConfig = Config['webhooks'][number]
export type SubscriptionConfig = Config['mqtt']['subscriptions'][number]
