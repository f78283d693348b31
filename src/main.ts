// The process entry (node dist/main.js): hands the real process to main() in cli.ts.
import { main } from './cli.js'

void main({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr, exit: (code) => process.exit(code), onSignal: (s, h) => process.on(s, h), onProcessError: (h) => process.on('uncaughtException', h).on('unhandledRejection', (reason) => h(reason, 'unhandledRejection')) })
