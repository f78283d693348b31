// Loads the config once at start-up: file (YAML or JSON) + HEXPATROL_* environment overrides,
// validated against the schema (unknown keys are errors), cross-checked, then frozen.
import { readFileSync, existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { resolveMapTiles } from './map-tiles.js'
import { checkTrustProxy } from './trust-proxy.js'
import { decodePart } from './decode-part.js'
import { parse as parseYaml } from 'yaml'
import { ConfigSchema, type Config } from './schema.js'
import { configError, resolveConfig, type ResolvedConfig } from './resolve.js'
import { clusterProblem } from './cluster-schema.js'

export const DEFAULT_CONFIG_PATH = 'config/hexpatrol.yaml'

/** HEXPATROL_<NAME> → config path, and how to coerce the string. */
const ENV_MAP: ReadonlyArray<[string, string[], 'string' | 'int']> = [
  ['HTTP_PORT', ['http', 'port'], 'int'],
  ['HTTP_HOST', ['http', 'host'], 'string'],
  ['ADMIN_TOKEN', ['http', 'admin_token'], 'string'],
  ['METRICS_TOKEN', ['http', 'metrics_token'], 'string'],
  ['MQTT_URL', ['mqtt', 'url'], 'string'],
  ['MQTT_USERNAME', ['mqtt', 'username'], 'string'],
  ['MQTT_PASSWORD', ['mqtt', 'password'], 'string'],
  ['MQTT_CA_FILE', ['mqtt', 'ca_file'], 'string'],
  ['MQTT_CLIENT_ID', ['mqtt', 'client_id'], 'string'],
  ['MQTT_PORT', ['broker', 'port'], 'int'],
  ['MQTT_HOST', ['broker', 'host'], 'string'],
  ['CLICKHOUSE_URL', ['clickhouse', 'url'], 'string'],
  ['CLICKHOUSE_USER', ['clickhouse', 'username'], 'string'],
  ['CLICKHOUSE_PASSWORD', ['clickhouse', 'password'], 'string'],
  ['CLICKHOUSE_DATABASE', ['clickhouse', 'database'], 'string'],
  ['JT808_PORT', ['jt808', 'port'], 'int'],
  ['JT808_HOST', ['jt808', 'host'], 'string'],
  ['DATA_DIR', ['data_dir'], 'string'],
  ['LOG_LEVEL', ['log_level'], 'string'],
  ['LOCALE', ['locale'], 'string'],
  ['CLUSTER_URL', ['cluster', 'url'], 'string'],
  ['NODE_ID', ['cluster', 'node_id'], 'string'],
]

export const ENV_VARS: readonly string[] = ['CONFIG', ...ENV_MAP.map(([n]) => n)].map((n) => `HEXPATROL_${n}`)

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  /** Explicit path; otherwise HEXPATROL_CONFIG, otherwise config/hexpatrol.yaml if it exists. */
  path?: string
  /** Extra values merged over the file, under the env (tests). */
  overrides?: Record<string, unknown>
  /** See validateConfig. */
  checkDecoded?: DecodedCheck
  /** Rewrites the merged document (file, overrides, env) before validation: demo mode's overlay. */
  transform?: (raw: Record<string, unknown>) => Record<string, unknown>
}

/**
 * A check the caller adds (src/boot.ts: the webhooks against their stage's validator), run on the
 * decoded, cross-checked config before its secrets are resolved, so it still sees every `*_env`
 * reference (a webhook's secret_env must carry delivery.secret_env_prefix before it is read).
 * Throws HexpatrolError naming the key.
 */
export type DecodedCheck = (config: Config) => void

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1]!] = value
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const b = out[k]
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b)
      ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw configError(`cannot read config file ${path}: ${(err as Error).message}. Set HEXPATROL_CONFIG to an existing file.`)
  }
  let doc: unknown
  try {
    doc = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw configError(`config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`)
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) throw configError(`config file ${path} must hold a mapping of keys at the top level`)
  return doc as Record<string, unknown>
}

/**
 * Validates a raw document (defaults applied) and returns the decoded, resolved, frozen config.
 * The checks that need a stage's compiler (geometry, broker exposure, terminals, incidents,
 * webhooks) follow in src/boot.ts (compileStages), still before any I/O.
 */
export function validateConfig(raw: Record<string, unknown>, baseDir = process.cwd(), env: NodeJS.ProcessEnv = process.env, checkDecoded?: DecodedCheck): ResolvedConfig {
  const decoded = decodePart(ConfigSchema, raw)
  if (!decoded.ok) throw configError(`invalid configuration:\n  ${decoded.problems.join('\n  ')}`)
  const config: Config = decoded.value
  resolveFiles(config, baseDir, env)
  crossCheck(config)
  checkDecoded?.(config)
  return deepFreeze(resolveConfig(config, env))
}

function resolveFiles(config: Config, baseDir: string, env: NodeJS.ProcessEnv): void {
  if (config.map.tiles !== undefined) resolveMapTiles(config.map.tiles, baseDir, env)
  for (const zone of config.zones) {
    const g = zone.geometry
    if ('file' in g) {
      const path = resolve(baseDir, g.file)
      const doc = readConfigFile(path) as { type?: string; geometry?: unknown; features?: Array<{ geometry?: unknown }> }
      const geometry = doc.type === 'Feature' ? doc.geometry : doc.type === 'FeatureCollection' ? doc.features?.[0]?.geometry : doc
      const t = (geometry as { type?: string } | undefined)?.type
      if (t !== 'Polygon' && t !== 'MultiPolygon') {
        throw configError(`zones.${zone.id}.geometry.file: ${path} holds no GeoJSON Polygon or MultiPolygon`)
      }
      ;(zone as { geometry: unknown }).geometry = geometry
    }
  }
}

function unique(kind: string, ids: string[]): void {
  const seen = new Set<string>()
  for (const id of ids) {
    if (seen.has(id)) throw configError(`${kind}: id "${id}" appears twice; ids must be unique`)
    seen.add(id)
  }
}

function crossCheck(config: Config): void {
  checkTrustProxy(config.http.trust_proxy)
  const cluster = clusterProblem(config.cluster)
  if (cluster !== null) throw configError(cluster)
  if (config.clickhouse.cluster !== undefined && config.clickhouse.url === undefined) {
    throw configError('clickhouse.cluster: needs clickhouse.url (the embedded ClickHouse has no cluster); set clickhouse.url to a server of that cluster, or remove clickhouse.cluster')
  }
  unique('units', config.units.map((u) => u.id))
  unique('posts', config.posts.map((p) => p.id))
  unique('zones', config.zones.map((z) => z.id))
  unique('webhooks', config.webhooks.map((w) => w.id))
  const posts = new Set(config.posts.map((p) => p.id))
  const zones = new Set(config.zones.map((z) => z.id))
  for (const u of config.units) {
    if (u.post !== undefined && !posts.has(u.post)) throw configError(`units.${u.id}.post: no post with id "${u.post}" (known: ${[...posts].join(', ') || 'none'})`)
    if (u.zone !== undefined && !zones.has(u.zone)) throw configError(`units.${u.id}.zone: no zone with id "${u.zone}" (known: ${[...zones].join(', ') || 'none'})`)
  }
  checkPairs(config.units)
  for (const z of config.zones) {
    for (const [i, p] of z.coverage.priority_cells.entries()) {
      if (p.cell === undefined && (p.lat === undefined || p.lon === undefined)) {
        throw configError(`zones.${z.id}.coverage.priority_cells.${i}: give either cell or lat and lon`)
      }
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** File + env → validated, resolved, frozen config (src/boot.ts then compiles it). Throws HexpatrolError. */
export function loadConfig(opts: LoadOptions = {}): { config: ResolvedConfig; path: string | null } {
  const env = opts.env ?? process.env
  const explicit = opts.path ?? env.HEXPATROL_CONFIG
  const path = explicit ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : null)
  let raw: Record<string, unknown> = path === null ? {} : readConfigFile(path)
  if (opts.overrides) raw = deepMerge(raw, opts.overrides)
  for (const [name, keyPath, kind] of ENV_MAP) {
    const v = env[`HEXPATROL_${name}`]
    if (v === undefined || v === '') continue
    if (kind === 'int') {
      if (!/^\d+$/.test(v)) throw configError(`HEXPATROL_${name}: "${v.slice(0, 32)}" is not a whole number`)
      setPath(raw, keyPath, Number(v))
    } else {
      setPath(raw, keyPath, v)
    }
  }
  if (opts.transform) raw = opts.transform(raw)
  const config = validateConfig(raw, path === null ? process.cwd() : dirname(resolve(path)), env, opts.checkDecoded)
  return { config, path }
}

/** units[].pair names another configured unit, not itself, and no unit is the pair of two phones or both a phone and a terminal. */
function checkPairs(units: ReadonlyArray<{ id: string; pair?: string | undefined }>): void {
  const ids = new Set(units.map((u) => u.id))
  const terminals = new Map<string, string>()
  for (const u of units) {
    if (u.pair === undefined) continue
    const key = `units.${u.id}.pair`
    if (u.pair === u.id) throw configError(`${key}: a unit cannot be paired with itself; name the vehicle terminal's unit id`)
    if (!ids.has(u.pair)) throw configError(`${key}: no unit with id "${u.pair}"; name the vehicle terminal's unit id`)
    const taken = terminals.get(u.pair)
    if (taken !== undefined) throw configError(`${key}: unit "${u.pair}" is already the pair of "${taken}"; a terminal pairs with one phone`)
    terminals.set(u.pair, u.id)
  }
  for (const u of units) {
    if (u.pair !== undefined && terminals.has(u.id)) throw configError(`units.${u.id}.pair: unit "${u.id}" is itself another unit's terminal; pair each phone with the terminal directly`)
  }
}
