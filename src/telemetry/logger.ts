// The engine's pino logger: JSON lines, secrets redacted wherever they appear in a log object.
import { pino, type Logger, type DestinationStream } from 'pino'

export type { Logger }

export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'secret', '*.secret', '*.*.secret',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'admin_token', '*.admin_token', 'token', '*.token',
]

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
