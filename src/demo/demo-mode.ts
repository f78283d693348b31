// Demo mode (`hexpatrol --demo`, `npm run demo`) from the CLI's side: the secrets made at start-up
// (one password per unit, known only to this process), the overlay, the refusal check, and the
// simulator's start and stop around the engine's. The simulator reports its incident with the admin
// token the engine writes to <data_dir>/admin-token when no API token is configured (the sample's
// case); with tokens configured the incident is skipped, said in the log. Never on unless asked for
// on the command line.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ADMIN_TOKEN_FILE } from '../api/tokens.js'
import type { Logger } from 'pino'
import type { ResolvedConfig } from '../config/resolve.js'
import { configError } from '../config/resolve.js'
import { demoRefusal } from './guard.js'
import { demoOverlay } from './overlay.js'
import { DemoScript, DEFAULT_TIMELINE, type Timeline } from './script.js'
import { DemoSimulator } from './simulator.js'

/** What the demo needs from the running engine (the composition root passes itself). */
export interface DemoEngine {
  readonly config: ResolvedConfig
  brokerUrl(): string | null
  httpAddress(): string | null
}

export interface Demo {
  overlay(raw: Record<string, unknown>): Record<string, unknown>
  /** Throws HEXP_ERR_CONFIG saying why demo mode may not run with this configuration. */
  check(config: ResolvedConfig): void
  run(engine: DemoEngine, logger: Logger): Promise<void>
  stop(): Promise<void>
}

export function prepareDemo(env: NodeJS.ProcessEnv, timeline: Timeline = DEFAULT_TIMELINE, tickMs = 1000): Demo {
  const passwords = new Map<string, string>()
  const passwordFor = (unit: string): string => {
    let p = passwords.get(unit)
    if (p === undefined) passwords.set(unit, (p = randomBytes(18).toString('base64url')))
    return p
  }
  let simulator: DemoSimulator | undefined
  return {
    overlay: (raw) => demoOverlay(raw, passwordFor),
    check(config) {
      const refusal = demoRefusal(config, env)
      if (refusal !== null) throw configError(`--demo: ${refusal}`)
    },
    async run(engine, logger) {
      const mqttUrl = engine.brokerUrl()
      const httpUrl = engine.httpAddress()
      /* c8 ignore next */
      if (mqttUrl === null || httpUrl === null) throw new Error('demo mode needs the embedded broker and the HTTP API')
      const log = logger.child({ component: 'demo' })
      const tokenFile = join(resolve(engine.config.data_dir), ADMIN_TOKEN_FILE)
      const token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : null
      if (token === null) log.warn('Demo mode: api.tokens or http.admin_token is configured, so there is no admin-token file: the scripted incident and plan are skipped.')
      simulator = new DemoSimulator({ script: new DemoScript(engine.config, timeline), mqttUrl, httpUrl, token, passwords, logger: log, tickMs })
      await simulator.start()
    },
    async stop() {
      await simulator?.stop()
    },
  }
}
