// Start-up, as a function so it runs in-process in tests: parse argv, load, check and compile the
// config once (src/boot.ts; exit 2 on any config error, before a file or connection is opened), start the engine
// (exit 1 when it cannot start), stop cleanly on SIGTERM/SIGINT (exit 0, or 1 if the stop failed),
// and apply the policy for errors nobody handled (process-errors.ts: a client connection's error
// is counted and ignored; anything else stops the engine with exit 1).
// src/main.ts is the two-line process entry that calls it with the real process.
import type { DestinationStream } from 'pino'
import { loadAndCompile } from './boot.js'
import { webhookSecretSource } from './config/resolve.js'
import { usePrivateUmask } from './private-files.js'
import { createLogger } from './telemetry/logger.js'
import { HexpatrolError } from './errors.js'
import { Engine } from './engine.js'
import { processErrorHandler } from './process-errors.js'
import { cliTexts, cliTextsFromEnv, type CliTexts } from './i18n/cli-texts.js'
import { prepareDemo, type Demo } from './demo/demo-mode.js'

/** Process exit codes (docs/getting-started.md, exit codes). */
export const EXIT = { ok: 0, failed: 1, config: 2 } as const

/** After an unexpected error, the process exits 1 by then even if the engine's stop hangs. */
const FATAL_EXIT_MS = 30_000

export interface MainIo {
  argv: readonly string[]
  env: NodeJS.ProcessEnv
  stdout: { write(s: string): unknown }
  stderr: { write(s: string): unknown }
  exit(code: number): void
  onSignal(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void
  /** Where errors nobody handled go (the process's uncaughtException and unhandledRejection). */
  onProcessError?(handler: (err: unknown, origin: string) => void): void
  /** Where log lines go (default: stdout, asynchronously). */
  logDestination?: DestinationStream
}

function parseArgs(argv: readonly string[], tx: CliTexts): { path?: string; check: boolean; demo: boolean } | string {
  const out: { path?: string; check: boolean; demo: boolean } = { check: false, demo: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--check') out.check = true
    else if (a === '--demo') out.demo = true
    else if (a === '--config' || a === '-c') {
      const v = argv[++i]
      if (v === undefined) return tx.needsFile(a)
      out.path = v
    } else if (a.startsWith('--config=')) out.path = a.slice('--config='.length)
    else return tx.unknownArgument(JSON.stringify(a.slice(0, 64)))
  }
  return out
}

/** Runs hexpatrol; resolves with the running engine (null when it exited early). */
export async function main(io: MainIo): Promise<Engine | null> {
  // Usage and start-up errors come before the config is read: their language is HEXPATROL_LOCALE's.
  const early = cliTextsFromEnv(io.env)
  const args = parseArgs(io.argv, early)
  if (typeof args === 'string') {
    io.stderr.write(`hexpatrol: ${args}\n${early.usage}`)
    io.exit(EXIT.config)
    return null
  }
  const demo: Demo | null = args.demo ? prepareDemo(io.env) : null
  let loaded
  try {
    loaded = loadAndCompile({ env: io.env, ...(args.path === undefined ? {} : { path: args.path }), ...(demo === null ? {} : { transform: demo.overlay }) })
    demo?.check(loaded.config)
  } catch (err) {
    // Config messages name the key and never hold a secret (see config/resolve.ts).
    io.stderr.write(err instanceof HexpatrolError ? `hexpatrol: ${err.code}: ${err.message}\n${early.help(err.code, err.help)}\n` : `hexpatrol: ${(err as Error).message}\n`)
    io.exit(EXIT.config)
    return null
  }
  const { config, path, stages } = loaded
  if (args.check) {
    for (const warning of config.startup_warnings ?? []) io.stderr.write(`hexpatrol: warning: ${warning}\n`)
    io.stdout.write(`hexpatrol: ${cliTexts(config.locale).configValid(path)}\n`)
    io.exit(EXIT.ok)
    return null
  }
  // Before anything is written: every file the engine (chdb included) makes is 0600, every directory 0700.
  usePrivateUmask()
  const logger = createLogger(config.log_level, io.logDestination)
  logger.info({ config: path ?? '(defaults)', dataDir: config.data_dir }, 'Configuration loaded.')
  for (const warning of config.startup_warnings ?? []) logger.warn({ config: path ?? '(defaults)' }, warning)
  // Test-only: HEXPATROL_CLOCK_OFFSET_MS shifts the engine's notion of "now" (e.g. to just before the
  // bulletin's due time in a kill -9 test). Never set in production; logged when set.
  const offset = Number(io.env.HEXPATROL_CLOCK_OFFSET_MS ?? 0)
  const shifted = Number.isFinite(offset) && offset !== 0
  if (shifted) logger.warn({ offsetMs: offset }, 'HEXPATROL_CLOCK_OFFSET_MS is set: the engine runs on a shifted clock (test only).')
  const engine = new Engine({ config, stages, logger, webhookSecrets: webhookSecretSource(io.env), ...(shifted ? { now: () => Date.now() + offset } : {}) })
  let stopping = false
  const stop = (signal: string, code: number = EXIT.ok) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'Shutting down.')
    ;(demo?.stop() ?? Promise.resolve()).then(() => engine.stop()).then(
      () => {
        logger.flush()
        io.exit(code)
      },
      (err: unknown) => {
        logger.error({ err }, 'Shutdown failed.')
        logger.flush()
        io.exit(EXIT.failed)
      },
    )
  }
  io.onSignal('SIGTERM', () => stop('SIGTERM'))
  io.onSignal('SIGINT', () => stop('SIGINT'))
  io.onProcessError?.(processErrorHandler({
    logger,
    counter: engine.metrics.uncaughtConnectionErrors,
    fatal: () => {
      stop('fatal error', EXIT.failed)
      // The stop is bounded, but a stage in an unknown state might not let it finish.
      setTimeout(io.exit.bind(io), FATAL_EXIT_MS, EXIT.failed).unref()
    },
  }))
  try {
    await engine.start()
    await demo?.run(engine, logger)
  } catch (err) {
    logger.fatal({ err, code: err instanceof HexpatrolError ? err.code : undefined }, 'hexpatrol could not start.')
    stopping = true
    await engine.stop(2000).catch(() => undefined)
    logger.flush()
    io.exit(EXIT.failed)
    return null
  }
  return engine
}
