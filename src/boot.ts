// Start-up, above every stage: loads the configuration (config/ defines, loads, checks and freezes
// it, knowing no stage) and compiles it ONCE into what each stage needs: the rules' deployment
// (geometry, coverage cells), the incidents setup, the make-up patrol setup, the JT/T 808 terminals, and the checks of the
// broker's exposure and the configured webhooks. Everything here is pure, so a bad config still
// stops start-up (and `hexpatrol --check`) before any file or connection is opened, with the same
// coded error (HEXP_ERR_CONFIG naming the key, or HEXP_ERR_BROKER_EXPOSED). The engine gets the
// results and compiles nothing again.
import type { Config } from './config/schema.js'
import { configError, type ResolvedConfig } from './config/resolve.js'
import { loadConfig, validateConfig, type LoadOptions } from './config/load.js'
import { compileDeployment, type Deployment } from './rules/deployment.js'
import { compileIncidents, type IncidentsSetup } from './incidents/compile.js'
import { compileTerminals, type Terminals } from './ingest/jt808/terminals.js'
import { checkBrokerExposure } from './ingest/broker-exposure.js'
import { webhookProblem } from './delivery/webhook-validator.js'
import { chatTexts, type ChatTexts } from './i18n/chat-texts.js'
import { incidentTexts, type IncidentTexts } from './i18n/incident-texts.js'
import { compilePatrolTasks, type PatrolTasksSetup } from './patrol-tasks/compile.js'
import { compileIntegrity, type IntegritySetup } from './integrity/compile.js'
import { integrityTexts, type IntegrityTexts } from './i18n/integrity-texts.js'
import { offsetOf } from './reports/periods.js'
import { Gazetteer } from './incidents/places.js'
import { placeEntries } from './incidents/place-sources.js'

/** The configuration compiled for the stages, once per start. */
export interface CompiledStages {
  /** Units, posts, zones (compiled polygons, coverage cells, the cell index) and rule settings. */
  readonly deployment: Deployment
  /** Search settings, hotspots, the level ladder, plans with posts expanded to units. */
  readonly incidents: IncidentsSetup
  /** Make-up patrols: the task board's settings, the zones taking part and those in automatic mode. */
  readonly patrolTasks: PatrolTasksSetup
  /** Phone number → unit for the JT/T 808 gateway (checked even while jt808.port is unset). */
  readonly terminals: Terminals
  /** What the stages write for people in the configured locale, times in reports.timezone (the alert summaries ride in the deployment). */
  readonly texts: StageTexts
  /** Patrol integrity: the detectors' options, the units' kinds, watches and pairs, the reports' local day. */
  readonly integrity: IntegritySetup
  /** The offline gazetteer: config places, posts, zones (a point inside each), fixed plan checkpoints. */
  readonly places: Gazetteer
}

/** The texts of the configured locale for each stage that writes for people. */
export interface StageTexts {
  /** Chat formats: titles, fact labels, stale cells, footers. */
  readonly chat: ChatTexts
  /** Incident, patrol level and plan event summaries. */
  readonly incidents: IncidentTexts
  /** Integrity signal summaries (integrity.signal events). */
  readonly integrity: IntegrityTexts
}

/** A stage compiler's Error (it names the key) as the config error start-up reports. */
function asConfigError<T>(compile: () => T): T {
  try {
    return compile()
  } catch (err) {
    throw configError((err as Error).message)
  }
}

/**
 * Configured webhooks pass the same validator as the admin API's (src/alerts/webhook-validator.ts),
 * on the decoded config before its secrets are resolved (the validator checks secret_env names).
 */
export function checkWebhooks(config: Config): void {
  const zones = new Set(config.zones.map((z) => z.id))
  for (const w of config.webhooks) {
    const p = webhookProblem(w, { zones, secretEnvPrefix: config.delivery.secret_env_prefix })
    if (p !== null) throw configError(`webhooks.${w.id.slice(0, 64)}.${p.key}: ${p.message}`)
  }
}

/**
 * Compiles a validated config for the stages (its webhooks were checked by validateConfig with
 * checkWebhooks). Throws HexpatrolError naming the key; no I/O.
 */
export function compileStages(config: ResolvedConfig): CompiledStages {
  checkBrokerExposure(config)
  const terminals = asConfigError(() => compileTerminals(config))
  const incidents = asConfigError(() => compileIncidents(config))
  const deployment = asConfigError(() => compileDeployment(config))
  const { locale, reports: { timezone } } = config
  const patrolTasks = compilePatrolTasks(config, incidents.search)
  const offset = offsetOf(timezone)
  const integrity = compileIntegrity(config, (ts) => Math.floor((ts + offset(ts)) / 86_400_000))
  const places = asConfigError(() => new Gazetteer(placeEntries(config)))
  return { deployment, incidents, patrolTasks, terminals, integrity, places, texts: { chat: chatTexts(locale, timezone), incidents: incidentTexts(locale, timezone), integrity: integrityTexts(locale, timezone) } }
}

/** A configuration that passed every check, with what the stages need. */
export interface Booted {
  config: ResolvedConfig
  stages: CompiledStages
}

/** validateConfig, then compileStages: a raw document (tests, tools) → a config the engine can run. */
export function bootConfig(raw: Record<string, unknown>, baseDir?: string, env: NodeJS.ProcessEnv = process.env): Booted {
  const config = validateConfig(raw, baseDir, env, checkWebhooks)
  return { config, stages: compileStages(config) }
}

/** The start-up entry: file + env → validated, frozen config, compiled for the stages. Throws HexpatrolError. */
export function loadAndCompile(opts: LoadOptions = {}): Booted & { path: string | null } {
  const { config, path } = loadConfig({ ...opts, checkDecoded: checkWebhooks })
  return { config, path, stages: compileStages(config) }
}
