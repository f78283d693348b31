// The engine's pino logger: JSON lines, secrets redacted wherever they appear in a log object.
import { pino, type Logger, type DestinationStream } from 'pino'

export type { Logger }

// pino's redaction has no recursive wildcard: every key is listed at the depths where secrets are
// found (a config section, a user in broker.users, request headers). test/telemetry/logger.test.ts
// logs each shape and checks no secret comes out.
const SECRET_KEYS = ['password', 'secret', 'dingtalk_secret', 'admin_token', 'metrics_token', 'session_secret', 'token', 'authorization', 'cookie']
// The geocoder's `key` by its section only: `key` alone names many harmless things.
export const REDACT_PATHS = [...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`, `*.*.*.*.${k}`]), 'geocoder.key', '*.geocoder.key']

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hexpatrol' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination({ sync: false }),
  )
}
