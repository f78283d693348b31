// Start-up: load and validate the config once, start the engine, stop cleanly on SIGTERM/SIGINT.
import { loadConfig } from './config/load.js'
import { createLogger } from './telemetry/logger.js'
import { HexpatrolError } from './errors.js'
import { Engine } from './engine.js'

async function main(): Promise<void> {
  let loaded
  try {
    loaded = loadConfig()
  } catch (err) {
    const e = err as HexpatrolError
    process.stderr.write(`hexpatrol: ${e.message}\n${e.help ? `${e.help}\n` : ''}`)
    process.exit(2)
  }
  const { config, path } = loaded
  const logger = createLogger(config.log_level)
  logger.info({ config: path ?? '(defaults)', dataDir: config.data_dir }, 'Configuration loaded.')
  const engine = new Engine({ config, logger })
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'Shutting down.')
    engine.stop().then(
      () => {
        logger.flush()
        process.exit(0)
      },
      (err: Error) => {
        logger.error({ err: err.message }, 'Shutdown failed.')
        logger.flush()
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  try {
    await engine.start()
  } catch (err) {
    const e = err as HexpatrolError
    logger.fatal({ code: e.code, err: e.message, help: e.help }, 'hexpatrol could not start.')
    logger.flush()
    process.exitCode = 1
    await engine.stop(2000).catch(() => undefined)
    process.exit(1)
  }
}

void main()
