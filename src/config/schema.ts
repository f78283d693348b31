// The config file's schema: every key, its type, its default. Unknown keys are an error
// (additionalProperties: false everywhere). Durations are decoded to milliseconds.
import { Type, type Static, type StaticDecode } from '@sinclair/typebox'
import { Duration, Obj } from './schema-parts.js'
import { IncidentsSchema, PatrolLevelsSchema, PlansSchema } from './incidents-schema.js'
import { ClusterSchema } from './cluster-schema.js'
import { IntegritySchema } from './integrity-schema.js'
import { MakeUpMode, PatrolTasksSchema } from './patrol-tasks-schema.js'
import { GeocoderSchema, PlacesSchema } from './places-schema.js'
import { LOCALES } from '../i18n/locale.js'


const Secret = {
  /** Inline secret (avoid in files under version control). */
  password: Type.Optional(Type.String()),
  /** Name of an environment variable holding the secret. */
  password_env: Type.Optional(Type.String()),
}

export const Subscription = Obj({
  /** MQTT topic filter to subscribe to; `+` and `#` wildcards allowed, the `+` levels name the unit (see unit_from). */
  topic: Type.String({ minLength: 1 }),
  /** Payload format on this filter: `native` (hexpatrol JSON fix or array of fixes) or `owntracks` (OwnTracks JSON). */
  format: Type.Union([Type.Literal('native'), Type.Literal('owntracks')]),
  /** Which wildcard levels name the unit: all joined with '-', or the first alone (the login an external broker's ACL binds with %u). Unset: first_level for OwnTracks (a phone is its OwnTracks user, the same unit over MQTT and HTTP), else all_levels. */
  unit_from: Type.Optional(Type.Union([Type.Literal('all_levels'), Type.Literal('first_level')])),
})

export const ConfigSchema = Obj({
  /** Directory for the engine's local state: journal, embedded ClickHouse, webhook outbox, rule state, sessions (docs/operations.md). */
  data_dir: Type.String({ default: './data' }),
  /** pino log level; `silent` logs nothing (docs/operations.md). */
  log_level: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** Language of everything the engine writes for people: alert summaries, chat messages (DingTalk, WeCom, Slack), event summaries, bulletins (HTML, CSV headers, chat digest), start-up help; dates and times in reports.timezone. `en` by default so an upgrade does not change texts that receivers already parse; the sample deployment sets zh-CN. The live map keeps its own language switch. */
  locale: Type.Union(LOCALES.map((l) => Type.Literal(l)), { default: 'en' }),
  /** The HTTP API and live map server. */
  http: Obj({
    /** Loopback by default: live positions of officers are not served beyond this machine unless asked (docs/http-api.md). */
    host: Type.String({ default: '127.0.0.1' }),
    /** TCP port of the HTTP API, the live map and HTTP ingest (0: any free port). */
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /** Longest time a request (and its connection set-up) may take before it is cut off (slowloris guard); also applies to the OsmAnd port. */
    request_timeout: Duration('30s'),
    /** API request bodies larger than this (bytes) are refused with 413. */
    body_limit_bytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /** Bearer token for admin endpoints (webhook management, alert acknowledgement, dead-letter retry). */
    admin_token: Type.Optional(Type.String({ minLength: 16 })),
    /** Name of an environment variable holding the admin token (instead of admin_token); it must be set at start-up. */
    admin_token_env: Type.Optional(Type.String()),
    /** When set, GET /metrics needs "Authorization: Bearer <metrics_token>" (or any API token). */
    metrics_token: Type.Optional(Type.String({ minLength: 16 })),
    /** Name of an environment variable holding metrics_token; one of the two is required when http.host is not loopback. */
    metrics_token_env: Type.Optional(Type.String()),
    /** Signs the browser session cookie; unset: a random secret per start (a restart logs everyone out). */
    session_secret: Type.Optional(Type.String({ minLength: 32 })),
    /** Name of an environment variable holding session_secret (keeps sessions valid across restarts). */
    session_secret_env: Type.Optional(Type.String()),
    /** Lifetime of a browser session cookie (POST /api/v1/session); after it the user logs in again. */
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
      /** Expensive reads running at once per token (its sessions included); beyond: 429 `HEXP_ERR_RATE_LIMITED`. Raise it when many map users share one token. */
      per_token: Type.Integer({ minimum: 1, default: 1 }),
      /** Expensive reads running at once in all; beyond: 503 `HEXP_ERR_BUSY` with Retry-After. Each slot costs ingestion latency. */
      total: Type.Integer({ minimum: 1, default: 2 }),
    }),
    /** API request budget per client IP and per token (429 beyond); device ingest routes have their own (http_ingest.rate_limit_*). */
    rate_limit: Obj({
      /** Requests per window per client IP (before authentication). */
      per_ip: Type.Integer({ minimum: 1, default: 1200 }),
      /** Requests per window per token (after authentication). */
      per_token: Type.Integer({ minimum: 1, default: 1200 }),
      /** Window over which per_ip and per_token are counted. */
      window: Duration('1m'),
    }),
  }),
  /** API tokens and the live stream. */
  api: Obj({
    /** API tokens: { name, scope, token_env | token_sha256 } (never the token itself). */
    tokens: Type.Array(Obj({
      /** The token's name, recorded in the audit table and named at login; unique (`admin` is taken while http.admin_token is set). */
      name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' }),
      /** read: every read and the live stream; operate: also acknowledge alerts, incidents, levels, plans; admin: also webhooks and dead letters. */
      scope: Type.Union([Type.Literal('read'), Type.Literal('operate'), Type.Literal('admin')]),
      /** Name of an environment variable holding the token (at least 16 characters); give exactly one of token_env and token_sha256. */
      token_env: Type.Optional(Type.String({ minLength: 1 })),
      /** The token's SHA-256 as 64 hex digits, so the config holds no usable secret; give exactly one of token_env and token_sha256. */
      token_sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
    }), { default: [] }),
    /** Live stream: per-client buffer bound (bytes) before a slow client is dropped, and heartbeat period. */
    stream_buffer_bytes: Type.Integer({ minimum: 4096, default: 1_048_576 }),
    /** Heartbeat period of the live stream (SSE), so proxies and clients see an idle connection is still alive. */
    stream_heartbeat: Duration('15s'),
  }),
  /** The MQTT ingest connection: an external broker (url) or the embedded one. */
  mqtt: Obj({
    /** External broker URL (mqtt://, mqtts://, ws://). Unset: start the embedded broker. */
    url: Type.Optional(Type.String()),
    /** Login on the external broker (mqtt.url); unset: connect without credentials. */
    username: Type.Optional(Type.String()),
    ...Secret,
    /** PEM file of the CA that signed the external broker's certificate (mqtts://, wss://). */
    ca_file: Type.Optional(Type.String()),
    /** PEM client certificate for mutual TLS with the external broker (with key_file). */
    cert_file: Type.Optional(Type.String()),
    /** PEM private key of cert_file. */
    key_file: Type.Optional(Type.String()),
    /** Refuse a broker certificate that does not verify; false only for a test broker with a self-signed certificate. */
    reject_unauthorized: Type.Boolean({ default: true }),
    /** MQTT client id of the engine; keep it stable, the persistent session (and its unacked messages) is keyed by it. */
    client_id: Type.String({ default: 'hexpatrol-ingest' }),
    /** MQTT protocol: 4 (3.1.1) or 5; use 4 only for a broker without MQTT 5 (no session_expiry then). */
    protocol_version: Type.Union([Type.Literal(4), Type.Literal(5)], { default: 5 }),
    /** Session expiry on MQTT 5 (persistent session, so the broker keeps unacked messages across reconnects). */
    session_expiry: Duration('1h'),
    /** MQTT keepalive: the broker drops the engine's connection after 1.5 × this without traffic. */
    keepalive: Duration('30s'),
    /** Wait between reconnection attempts to the broker. */
    reconnect_period: Duration('1s'),
    /** Topic filters the engine subscribes to, each with its payload format and how its wildcard levels name the unit. */
    subscriptions: Type.Array(Subscription, {
      default: [
        { topic: 'fleet/+/position', format: 'native' },
        { topic: 'owntracks/+/+', format: 'owntracks' },
      ],
    }),
    /** Larger MQTT payloads are rejected unparsed (`payload_too_large`); also bounds the embedded broker's packets. */
    max_payload_bytes: Type.Integer({ minimum: 256, default: 262_144 }),
    /** Alerts are published as `${alerts_topic_prefix}/{kind}/{subject}`. */
    alerts_topic_prefix: Type.String({ default: 'hexpatrol/alerts' }),
    /** Every other outbound event (incidents, plans, checkpoints, patrol levels, bulletins) is published as `${events_topic_prefix}/{type}/{subject}`. */
    events_topic_prefix: Type.String({ default: 'hexpatrol/incidents' }),
  }),
  /** HTTP ingest for phones: OwnTracks HTTP mode and the OsmAnd protocol (Traccar Client). */
  http_ingest: Obj({
    /** Serve the OwnTracks and OsmAnd ingest routes (and osmand_port); false: no HTTP ingest. */
    enabled: Type.Boolean({ default: true }),
    /** Path of the OwnTracks HTTP mode endpoint (POST) on http.port. */
    owntracks_path: Type.String({ default: '/ingest/owntracks', pattern: '^/' }),
    /** Path of the OsmAnd / Traccar Client endpoint (GET, POST) on http.port. */
    osmand_path: Type.String({ default: '/ingest/osmand', pattern: '^/' }),
    /** Also serve OsmAnd on its own port (Traccar's default is 5055), on every path. Unset: only on osmand_path of http.port. */
    osmand_port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** Bind address of osmand_port (default: http.host). */
    osmand_host: Type.Optional(Type.String()),
    /** credentials: the device's broker.users password as the secret parameter or Basic auth; units (opt-in, warned at start-up): any request naming a unit listed under `units`, unauthenticated. */
    osmand_auth: Type.Union([Type.Literal('units'), Type.Literal('credentials')], { default: 'credentials' }),
    /** Name of the query parameter that carries the device's password (osmand_auth: credentials). */
    osmand_secret_param: Type.String({ default: 'key', minLength: 1 }),
    /** CIDRs allowed to reach osmand_port (empty: any address). */
    osmand_allow_ips: Type.Array(Type.String(), { default: [] }),
    /** Device request bodies larger than this (bytes) are refused with 413. */
    body_limit_bytes: Type.Integer({ minimum: 1024, default: 262_144 }),
    /** Per-device token bucket: average requests a minute, and the burst a device may send at once. */
    rate_limit_per_minute: Type.Integer({ minimum: 1, default: 120 }),
    /** Requests a device may send at once (the token bucket's size) before rate_limit_per_minute paces it; over it: 429 with Retry-After. */
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
    /** TCP port for JT/T 808 terminals; unset: the JT/T 808 listener is off. */
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** Loopback by default, like the broker. */
    host: Type.String({ default: '127.0.0.1' }),
    /** Zone of the terminals' BCD times (the standard says +08:00); units[].jt808_timezone overrides it. */
    timezone: Type.String({ default: '+08:00', pattern: '^[+-]\\d{2}:\\d{2}$' }),
    /** Register terminals no unit lists, as unit `jt808-<phone>` (as MQTT creates unknown units). */
    auto_register: Type.Boolean({ default: false }),
    /** Open terminal connections in all; more are closed at once. */
    max_connections: Type.Integer({ minimum: 1, default: 2000 }),
    /** Connections one terminal may hold; more are refused at authentication. */
    max_connections_per_terminal: Type.Integer({ minimum: 1, default: 2 }),
    /** Escaped bytes between the 0x7e flags; a body is at most 1023 bytes, so a frame at most ~2100. */
    max_frame_bytes: Type.Integer({ minimum: 64, maximum: 65536, default: 2200 }),
    /** Sub-packages held per connection while a message is reassembled. */
    max_reassembly_bytes: Type.Integer({ minimum: 1024, default: 262_144 }),
    /** A connection that sends nothing for this long is closed (terminals heartbeat every 60 s by default). */
    idle_timeout: Duration('5m'),
  }),
  /** The embedded MQTT broker, started when mqtt.url is unset: bind address, logins, ACLs and limits. */
  broker: Obj({
    /** Bind address of the embedded broker; loopback by default, so devices elsewhere need an address and broker.users. */
    host: Type.String({ default: '127.0.0.1' }),
    /** TCP port of the embedded broker (0: any free port). */
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }),
    /** Anonymous devices. Unset: only while broker.users is empty. Refused on a non-loopback address, and with users. */
    allow_anonymous: Type.Optional(Type.Boolean()),
    /**
     * Broker logins. A `device` (the default) is a unit: username = unit id, it publishes its own
     * fixes and reads only its own topics. An `integration` (dispatch system, bridge) publishes
     * nothing and reads `integration_subscribe_acl`; it is no device on HTTP ingest either.
     */
    users: Type.Array(Obj({
      /** Login name; for a device it is the unit id. */
      username: Type.String({ minLength: 1 }),
      ...Secret,
      /** device: a unit publishing its own fixes; integration: reads the alert and event feed, publishes nothing. */
      role: Type.Union([Type.Literal('device'), Type.Literal('integration')], { default: 'device' }),
      /** An example login whose password is published (the sample configuration's): used only while the embedded broker, http.host and the OsmAnd port all listen on loopback, else left out with a warning. */
      example: Type.Optional(Type.Boolean()),
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
      /** Largest CONNECT packet, checked before authentication; larger ones close the connection (`connect_too_large`). */
      max_connect_bytes: Type.Integer({ minimum: 256, default: 4096 }),
      /** Topic filters one client may hold; more are refused in the SUBACK (`subscriptions`). */
      max_subscriptions_per_client: Type.Integer({ minimum: 1, default: 16 }),
      /** Persistent (clean: false) sessions one device login may hold; more are refused at CONNECT (`sessions`). */
      max_persistent_sessions_per_device: Type.Integer({ minimum: 0, default: 2 }),
      /** Persistent sessions the broker holds in all; more are refused at CONNECT (`sessions`). */
      max_persistent_sessions: Type.Integer({ minimum: 0, default: 1000 }),
      /** Messages queued for one offline persistent session; more are dropped (counted). */
      max_queued_per_client: Type.Integer({ minimum: 0, default: 1000 }),
      /** Inbound QoS 2 messages awaiting PUBREL per client. */
      max_inflight_per_client: Type.Integer({ minimum: 1, default: 32 }),
      /** Retained messages one device may set; past it the publish is refused and the device disconnected (`retained`). */
      max_retained_per_device: Type.Integer({ minimum: 0, default: 8 }),
      /** Retained messages set by devices in all; past it the publish is refused and the device disconnected (`retained`). */
      max_retained_total: Type.Integer({ minimum: 0, default: 10_000 }),
      /**
       * Per logged-in connection: bytes and PUBLISH packets a second, and the burst after a quiet
       * spell (0 per second = unlimited). Past it the broker stops reading from that client until
       * the budget refills (backpressure: its PUBACKs slow down, nobody else's). A phone reporting
       * every second sends ~300 B/s; a queue of 1,000 OwnTracks fixes (~250 kB) after a dead zone is paced over ~3 s.
       */
      client_bytes_per_second: Type.Integer({ minimum: 0, default: 65_536 }),
      /** Bytes a logged-in client may send at once after a quiet spell, before client_bytes_per_second paces it. */
      client_burst_bytes: Type.Integer({ minimum: 1024, default: 65_536 }),
      /** PUBLISH packets a second per logged-in client (0 = unlimited); past it the broker stops reading from that client until the budget refills. */
      client_messages_per_second: Type.Integer({ minimum: 0, default: 100 }),
      /** PUBLISH packets a logged-in client may send at once after a quiet spell, before client_messages_per_second paces it. */
      client_burst_messages: Type.Integer({ minimum: 1, default: 1000 }),
      /** The credential throttle shared by every device transport and the API login: wrong credentials allowed per client address before its back-off (doubling from 1 s). */
      auth_free_failures: Type.Integer({ minimum: 0, default: 5 }),
      /** Wrong credentials allowed per username (from any address) before that username's back-off. */
      auth_free_failures_per_username: Type.Integer({ minimum: 0, default: 10 }),
      /** Longest credential back-off: the refusal period doubles from 1 s per further wrong password up to this. */
      auth_max_backoff: Duration('5m'),
    }),
  }),
  /** Where positions, rejects, alerts, coverage, incidents and reports are stored: a ClickHouse server (url) or embedded chdb. */
  clickhouse: Obj({
    /** ClickHouse server URL (http[s]://host:8123). Unset: embedded chdb under <data_dir>/clickhouse. */
    url: Type.Optional(Type.String()),
    /** ClickHouse server login (with password or password_env). */
    username: Type.String({ default: 'default' }),
    ...Secret,
    /** Database that holds the engine's tables; created with its tables at start-up if missing. */
    database: Type.String({ default: 'hexpatrol', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    /** ClickHouse cluster (a name from the server's remote_servers) to create the tables on: each table becomes a ReplicatedMergeTree `<table>_local` on every host (ON CLUSTER, macros {shard} and {replica}) behind a Distributed table of the usual name, and inserts wait until every shard has stored its rows. Needs url. Unset: plain MergeTree tables on one server (docs/operations.md, "ClickHouse cluster"). */
    cluster: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
    /** Longest wait for one ClickHouse request (insert or query) before it fails; failed inserts are retried from the journal. */
    request_timeout: Duration('30s'),
    /** Rows kept in `positions` for this long (0 = forever). */
    ttl_days: Type.Integer({ minimum: 0, default: 400 }),
    /** Rows kept in `rejects` for this long (0 = forever). */
    rejects_ttl_days: Type.Integer({ minimum: 0, default: 30 }),
  }),
  /** Checks every fix must pass before it is journaled; a failing one is stored in `rejects` with a reason. */
  validation: Obj({
    /** Fixes stamped further ahead of the engine's clock are rejected (`ts_in_future`). */
    max_future_skew: Duration('2m'),
    /** Fixes older than this (device time) are rejected (`ts_too_old`); raise it to import old tracks. */
    max_age: Duration('7d'),
    /** Arrays (batched fixes in one message) longer than this are rejected whole (`batch_too_large`). */
    max_batch_elements: Type.Integer({ minimum: 1, default: 10_000 }),
    /** Raw payloads stored in `rejects` are cut to this many bytes. */
    reject_payload_bytes: Type.Integer({ minimum: 64, default: 2048 }),
    /** Reject rows stored per message: past it, the rest are only counted and one `too_many_rejects` row says how many. */
    max_rejects_per_message: Type.Integer({ minimum: 1, default: 20 }),
    /** Reject lat 0, lon 0 (a tracker without GPS lock) as `null_island`; false only for deployments in the Gulf of Guinea. */
    reject_null_island: Type.Boolean({ default: true }),
  }),
  /** H3 indexing of stored positions. */
  h3: Obj({
    /** H3 resolution of each fix's cell (`positions.h3`); 9 is about 0.1 km² a cell. */
    resolution: Type.Integer({ minimum: 0, maximum: 15, default: 9 }),
  }),
  /** The durable local log: every fix is written to it before it is acknowledged, and shipped from it to ClickHouse. */
  journal: Obj({
    /** Disk bound: at this size the engine stops acknowledging MQTT messages. */
    max_bytes: Type.Integer({ minimum: 1_048_576, default: 2_147_483_648 }),
    /** A segment is sealed and shipped to ClickHouse at this many records or this age. */
    segment_max_records: Type.Integer({ minimum: 1, default: 20_000 }),
    /** A segment is sealed and shipped once its oldest record is this old, even if not full; bounds the lag to ClickHouse. */
    segment_max_age: Duration('1s'),
    /** never: page cache only (survives kill -9, not power loss); interval: fsync every fsync_interval; always: fsync before every ack. */
    fsync: Type.Union([Type.Literal('never'), Type.Literal('interval'), Type.Literal('always')], { default: 'interval' }),
    /** How often the journal is fsynced with fsync: interval; a power loss may lose the fixes acknowledged within that last interval. */
    fsync_interval: Duration('200ms'),
    /** Retry backoff bounds for ClickHouse inserts. */
    retry_min: Duration('250ms'),
    /** Longest wait between ClickHouse insert retries (the random backoff doubles from retry_min up to this). */
    retry_max: Duration('30s'),
  }),
  /** The configured units (vehicles, officers' phones, terminals); others are still stored and evaluated against zone-wide rules only. */
  units: Type.Array(
    Obj({
      /** Unit id, as devices report it (topic level, payload `unit`, broker login, OsmAnd id); unique. */
      id: Type.String({ minLength: 1 }),
      /** Unit kind (vehicle, officer or any name): selects rules.max_speed_kmh, rules.liveness.report_interval and incidents.search.speed_kmh. */
      kind: Type.String({ default: 'vehicle' }),
      /** Display name in the map, alerts and reports. */
      name: Type.Optional(Type.String()),
      /** Radio callsign (e.g. "Bravo 12"): the map labels the unit with it and finds the unit by it. */
      callsign: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
      /** English display name, used instead of name with locale: en and by the live map in English; unset: name. */
      name_en: Type.Optional(Type.String()),
      /** Id of the unit's post (posts[].id): radius_breach fires when it leaves the post's radius. */
      post: Type.Optional(Type.String()),
      /** Id of the zone the unit patrols (zones[].id): zone_exit fires when it leaves, and it earns that zone's coverage. */
      zone: Type.Optional(Type.String()),
      /** Defaults to rules.silent_after (no default of its own: a default here would override that). */
      silent_after: Type.Optional(Duration()),
      /** The unit's expected reporting interval (its app or terminal setting), until one is learned from its arrivals. */
      report_interval: Type.Optional(Duration()),
      /** JT/T 808 terminal phone number, digits as the terminal sends them (leading zeros ignored). */
      jt808: Type.Optional(Type.String({ pattern: '^\\d{1,20}$' })),
      /** Zone of this terminal's times, overriding jt808.timezone. */
      jt808_timezone: Type.Optional(Type.String({ pattern: '^[+-]\\d{2}:\\d{2}$' })),
      /** Id of the vehicle terminal unit (units[].id) this unit's phone rides with: integrity compares the two (device_disagreement). */
      pair: Type.Optional(Type.String({ minLength: 1 })),
    }),
    { default: [] },
  ),
  /** Stations and fixed posts: a centre and radius that their units must stay within (radius_breach). */
  posts: Type.Array(
    Obj({
      /** Post id, referenced by units[].post; unique. */
      id: Type.String({ minLength: 1 }),
      /** Display name in the map, alerts and reports. */
      name: Type.Optional(Type.String()),
      /** English display name, used instead of name with locale: en and by the live map in English; unset: name. */
      name_en: Type.Optional(Type.String()),
      /** Latitude of the post's centre (WGS 84 degrees). */
      lat: Type.Number({ minimum: -90, maximum: 90 }),
      /** Longitude of the post's centre (WGS 84 degrees). */
      lon: Type.Number({ minimum: -180, maximum: 180 }),
      /** Radius (metres) around the centre the post's units must stay within. */
      radius_m: Type.Number({ exclusiveMinimum: 0 }),
      /** The post asks for a stationed watch: its units are assessed on time standing in its radius, not on moving patrol (docs/reports-and-bulletins.md, assessment). */
      watch: Type.Boolean({ default: false }),
    }),
    { default: [] },
  ),
  /** Patrol zones (grids): polygons their units must stay in (zone_exit) and must cover (coverage_gap, response_gap). */
  zones: Type.Array(
    Obj({
      /** Zone id, referenced by units[].zone, webhooks[].zones and patrol_levels.zones; unique. */
      id: Type.String({ minLength: 1 }),
      /** Display name in the map, alerts and reports. */
      name: Type.Optional(Type.String()),
      /** English display name, used instead of name with locale: en and by the live map in English; unset: name. */
      name_en: Type.Optional(Type.String()),
      /** GeoJSON Polygon or MultiPolygon geometry (RFC 7946, [lon, lat]), or { file: path } relative to the config file. */
      geometry: Type.Union([
        Obj({
          /** GeoJSON geometry type of an inline geometry: Polygon or MultiPolygon. */
          type: Type.Literal('Polygon'),
          /** GeoJSON coordinates: a Polygon's rings (outer ring first, then holes) or a MultiPolygon's polygons, as [lon, lat] pairs. */
          coordinates: Type.Array(Type.Array(Type.Array(Type.Number()))),
        }),
        Obj({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Array(Type.Array(Type.Array(Type.Number())))) }),
        Obj({
          /** Path of a GeoJSON file, relative to the config file: a Polygon or MultiPolygon geometry, a Feature, or a FeatureCollection (its first feature). */
          file: Type.String(),
        }),
      ]),
      /** Patrol coverage of the zone: the H3 cells of its polygon, each needing a visit every max_interval (coverage_gap, response_gap). */
      coverage: Obj({
        /** H3 resolution of the zone's coverage cells; finer needs more visits to cover, coarser credits a pass-by for a larger area. */
        resolution: Type.Integer({ minimum: 0, maximum: 15, default: 9 }),
        /** Each cell needs a credited visit at least this often to count as fresh. */
        max_interval: Duration('30m'),
        /** coverage_gap opens when fewer than this share of cells are fresh (and response_gap on the response ratio). */
        min_ratio: Type.Number({ minimum: 0, maximum: 1, default: 0.8 }),
        /** Key locations (schools, banks) with their own, tighter interval: an overdue one opens coverage_gap whatever the ratio. */
        priority_cells: Type.Array(
          Obj({
            /** H3 cell id, or a point that is indexed at the zone's resolution. */
            cell: Type.Optional(Type.String()),
            /** Latitude of the location (with lon, instead of cell). */
            lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
            /** Longitude of the location (with lat, instead of cell). */
            lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
            /** Name shown for the cell in alerts' staleCells and on the map. */
            name: Type.Optional(Type.String()),
            /** English name of the cell, used instead of name with locale: en; unset: name. */
            name_en: Type.Optional(Type.String()),
            /** The cell needs a credited visit at least this often; overdue, it opens coverage_gap. */
            max_interval: Duration('10m'),
          }),
          { default: [] },
        ),
        /** Response coverage: the share of cells within this many metres of a live unit must stay ≥ min_ratio (response_gap); unset: no response_gap for the zone. */
        response_radius_m: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        /** own: only the zone's units earn coverage credit; any: every unit does. */
        credit: Type.Union([Type.Literal('own'), Type.Literal('any')], { default: 'own' }),
        /** Make-up patrols while the zone's coverage_gap is open (patrol_tasks): off, propose (a dispatcher accepts) or auto (assigned after patrol_tasks.auto_after). */
        make_up: MakeUpMode,
      }),
    }),
    { default: [] },
  ),
  /** The live map at `/`. Without `tiles` it draws on a plain background (works offline). */
  map: Obj({
    /** Optional basemap, one of: `url`, an XYZ URL template ({z}/{x}/{y}), e.g. a local tile server;
     * `pmtiles`, a local PMTiles v3 raster archive (path relative to the config file) that the
     * engine serves itself at GET /api/v1/map/tiles.pmtiles; or `preset`, a named online map of
     * China (tianditu, amap, tencent). With its attribution and its datum. */
    tiles: Type.Optional(Type.Object({
      /** XYZ tile URL template with {z}, {x}, {y} ({s} a subdomain, {-y} a row counted from the south, {tk} the key); exactly one of url, pmtiles and preset. */
      url: Type.Optional(Type.String({ minLength: 1, pattern: '\\{z\\}' })),
      /** Local PMTiles v3 raster archive (path relative to the config file), checked at start-up and served at GET /api/v1/map/tiles.pmtiles; exactly one of url, pmtiles and preset. */
      pmtiles: Type.Optional(Type.String({ minLength: 1 })),
      /** A named online basemap of China: tianditu (CGCS2000 ≈ WGS-84, labels as a second layer, needs key or key_env), amap (AMap/Gaode, GCJ-02) or tencent (GCJ-02); exactly one of url, pmtiles and preset. Needs Internet access from the browsers. */
      preset: Type.Optional(Type.Union([Type.Literal('tianditu'), Type.Literal('amap'), Type.Literal('tencent')])),
      /** A second XYZ template drawn over the basemap (e.g. a labels layer); with url only. */
      overlay_url: Type.Optional(Type.String({ minLength: 1, pattern: '\\{z\\}' })),
      /** The datum the basemap's tiles are drawn in: wgs84 (also CGCS2000, Tianditu, OpenStreetMap) or gcj02 (AMap/Gaode, Tencent: the page shifts every unit, zone, cell and track it draws into GCJ-02; stored data stays WGS-84). Unset: the preset's, else wgs84. */
      datum: Type.Optional(Type.Union([Type.Literal('wgs84'), Type.Literal('gcj02')])),
      /** Letters or digits that {s} in the template takes, one per tile server (e.g. "1234"); unset: the preset's, else Leaflet's "abc". */
      subdomains: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9]+$' })),
      /** The key the template's {tk} takes (Tianditu's browser key). It travels in every tile URL to every browser: restrict it to your server's address in the provider's console. Exclusive with key_env. */
      key: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9]+$' })),
      /** Environment variable holding the key (keeps it out of the config file). Exclusive with key. */
      key_env: Type.Optional(Type.String({ minLength: 1 })),
      /** Attribution shown in the map's corner for the basemap (its licence usually requires one); empty with a preset: the provider's. */
      attribution: Type.String({ default: '' }),
      /** Deepest zoom level the map offers. */
      max_zoom: Type.Integer({ minimum: 1, maximum: 24, default: 19 }),
      /** Deepest zoom level the tile server has tiles for; beyond it, up to max_zoom, its tiles are enlarged. Unset: the preset's, else max_zoom. */
      max_native_zoom: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 })),
    }, { additionalProperties: false })),
  }),
  /** Alert rules: thresholds of radius_breach, zone_exit, coverage_gap, response_gap and unit_silent, and fix plausibility. */
  rules: Obj({
    /** radius_breach: a unit outside its post's radius. */
    radius: Obj({
      /** Fix time a run of evidence outside (or back inside) must span before the alert opens (or resolves); 0s acts on one fix. */
      dwell: Duration('60s'),
      /** Band (metres) beyond the boundary, each side, that a fix's accuracy circle must clear to count as evidence; against flapping. */
      hysteresis_m: Type.Number({ minimum: 0, default: 50 }),
      /** Accuracy (metres) assumed for a fix that reports none. */
      max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
    }),
    /** zone_exit: a unit outside its zone's polygon. */
    zone: Obj({
      /** Fix time a run of evidence outside (or back inside) must span before the alert opens (or resolves); 0s acts on one fix. */
      dwell: Duration('60s'),
      /** Band (metres) beyond the boundary, each side, that a fix's accuracy circle must clear to count as evidence; against flapping. */
      hysteresis_m: Type.Number({ minimum: 0, default: 50 }),
      /** Accuracy (metres) assumed for a fix that reports none. */
      max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
    }),
    /** unit_silent after this long without an arrival (engine clock): the default of units[].silent_after and the floor of the cadence-aware liveness. */
    silent_after: Duration('180s'),
    /**
     * Cadence-aware liveness: a unit is silent once quiet for cadence_factor × its reporting interval
     * (learned from its arrivals, else units[].report_interval, else report_interval[kind]), times
     * stationary_factor while its last fix showed it standing still; never sooner than silent_after,
     * never later than max_silent_after.
     */
    liveness: Obj({
      /** A unit is silent after this many of its reporting intervals without an arrival. */
      cadence_factor: Type.Number({ minimum: 1, default: 3 }),
      /** Further factor on the silence threshold while the unit's last fix showed it standing still (apps report less often then). */
      stationary_factor: Type.Number({ minimum: 1, default: 2 }),
      /** A unit quiet this long is silent whatever its cadence. */
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
    /** Largest distance (metres) between two consecutive fixes whose H3 path is credited (with path_max_gap). */
    path_max_distance_m: Type.Number({ exclusiveMinimum: 0, default: 2000 }),
    /** How often coverage/response/silence are evaluated and coverage snapshots are written. */
    tick: Duration('5s'),
    /** How often each zone's per-cell coverage is written to ClickHouse (`coverage`, `coverage_zones`), the data of coverage reports. */
    coverage_snapshot_interval: Duration('60s'),
    /** coverage_gap opens after the gap held at every tick for dwell; resolves once the fresh share is ≥ min_ratio + hysteresis (and no priority cell is overdue) for dwell. */
    coverage_gap: Obj({
      /** The gap must hold at every tick for this long before coverage_gap opens, and the recovery as long before it resolves. */
      dwell: Duration('2m'),
      /** Resolving needs a fresh share ≥ min_ratio + this, so a ratio hovering at min_ratio does not flap. */
      hysteresis: Type.Number({ minimum: 0, maximum: 1, default: 0.02 }),
    }),
    /** response_gap: the same dwell/hysteresis rule on the response ratio. */
    response_gap: Obj({
      /** The response ratio must stay below min_ratio at every tick for this long before response_gap opens, and above min_ratio + hysteresis as long before it resolves. */
      dwell: Duration('2m'),
      /** Resolving needs a response ratio ≥ min_ratio + this, so a ratio hovering at min_ratio does not flap. */
      hysteresis: Type.Number({ minimum: 0, maximum: 1, default: 0.05 }),
    }),
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
    /** Run the reports stage: the scheduled daily and weekly bulletins and the /api/v1/reports routes; false: neither. */
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
    /** Shortest stay within the stop radius that counts as a stop; shorter halts are part of a trip. */
    stop_min_duration: Duration('5m'),
    /** Distance counts only once the unit is this far from the last counted point (GPS noise floor). */
    noise_m: Type.Number({ minimum: 0, default: 30 }),
    /** Fixes less accurate than this are ignored by reports. */
    max_accuracy_m: Type.Number({ exclusiveMinimum: 0, default: 100 }),
    /** Share of a patrol unit's duty time spent moving that earns full `moving` credit. */
    patrol_moving_share: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5 }),
    /** Score weights, normalised by their sum within each group (docs/reports-and-bulletins.md, assessment): a unit's activity (moving, cells) and conduct (presence, breaches, silences); zones and posts use coverage, presence, breaches (and silences). */
    weights: Obj({
      /** Weight of coverage in zone and post scores (mean coverage ratio). */
      coverage: Type.Number({ minimum: 0, default: 0.4 }),
      /** Weight of moving (moving share of duty time over patrol_moving_share) in a patrol unit's activity. */
      moving: Type.Number({ minimum: 0, default: 0.5 }),
      /** Weight of cells (share of its zone's coverage cells the unit passed through) in a patrol unit's activity. */
      cells: Type.Number({ minimum: 0, default: 0.5 }),
      /** Weight of presence (time in its zone or post radius; for zones and posts, time covered) in conduct and zone and post scores. */
      presence: Type.Number({ minimum: 0, default: 0.3 }),
      /** Weight of breaches (1 − share of time in radius_breach or zone_exit; for zones, in coverage_gap). */
      breaches: Type.Number({ minimum: 0, default: 0.15 }),
      /** Weight of silences (1 − 4 × the silent share of duty time) in a unit's conduct and a post's score. */
      silences: Type.Number({ minimum: 0, default: 0.3 }),
    }),
  }),
  /** Webhook subscriptions: where alert and event transitions are POSTed, signed and retried; the admin API can add more. */
  webhooks: Type.Array(
    Obj({
      /** Subscription id (1–64 characters): names its outbox files and is the metrics label; unique. */
      id: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
      /** Receiver URL (≤ 2048 characters); private and loopback addresses are refused unless in delivery.allow_private_networks. */
      url: Type.String({ minLength: 1 }),
      /** whsec_… (Standard Webhooks); two entries during rotation. */
      secret: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 2 })])),
      /** Name of an environment variable holding the secret (both, separated by a space or comma, during rotation); must start with delivery.secret_env_prefix. */
      secret_env: Type.Optional(Type.String()),
      /** Glob patterns over `<kind>.<state>` (`radius_breach.*`, `*.opened`); `*` matches any characters; at most 32. */
      events: Type.Array(Type.String(), { default: ['*'] }),
      /** Only events whose zoneId is listed are delivered (events without one, like unit_silent, are not); unset or empty: no filter. */
      zones: Type.Optional(Type.Array(Type.String())),
      /** Body format: standard (the Standard Webhooks JSON contract), or a chat message for slack, dingtalk or wecom robots. */
      format: Type.Union(
        [Type.Literal('standard'), Type.Literal('slack'), Type.Literal('dingtalk'), Type.Literal('wecom')],
        { default: 'standard' },
      ),
      /** DingTalk robot signing secret (SEC…), appended to the URL as timestamp & sign. */
      dingtalk_secret: Type.Optional(Type.String()),
      /** Requests in flight to this receiver at once (≤ 64); order per subject is kept either way. */
      max_concurrency: Type.Integer({ minimum: 1, default: 4 }),
    }),
    { default: [] },
  ),
  /** How webhooks are delivered: private destinations, timeout, retry schedule. */
  delivery: Obj({
    /** CIDR ranges in private/loopback/link-local space that webhook destinations may use. */
    allow_private_networks: Type.Array(Type.String(), { default: [] }),
    /** A webhook's `secret_env` may only name variables starting with this. */
    secret_env_prefix: Type.String({ default: 'HEXPATROL_WEBHOOK_SECRET_', pattern: '^[A-Z][A-Z0-9_]{2,}$' }),
    /** Per attempt, from connecting until the status line and the first 4 kB of the response are in; a timeout is retried. */
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
  /** Recorded incidents: resource search, hotspots and the incident-rate level suggestion. */
  incidents: IncidentsSchema,
  /** Patrol levels: the ladder of coverage requirements and each zone's base level. */
  patrol_levels: PatrolLevelsSchema,
  /** Emergency plans: checkpoints that their responsible units must reach in time once a plan is activated. */
  plans: PlansSchema,
  /** Patrol integrity (src/config/integrity-schema.ts): the thresholds of the signals that tell a real patrol from a faked one. */
  integrity: IntegritySchema,
  /** Make-up patrols (src/config/patrol-tasks-schema.ts): a zone's overdue cells become tasks for the best available units, tracked to completion. */
  patrol_tasks: PatrolTasksSchema,
  /** Named places (src/config/places-schema.ts) the incident form's Find looks up offline, beside the posts, zones and plan checkpoints. */
  places: PlacesSchema,
  /** An optional online geocoder (src/config/places-schema.ts) asked after the offline places. */
  geocoder: GeocoderSchema,
  cluster: ClusterSchema,
})

export type ConfigInput = Static<typeof ConfigSchema>
export type Config = StaticDecode<typeof ConfigSchema>
export type UnitConfig = Config['units'][number]
export type PostConfig = Config['posts'][number]
export type ZoneConfig = Config['zones'][number]
export type WebhookConfig = Config['webhooks'][number]
export type SubscriptionConfig = Config['mqtt']['subscriptions'][number]
