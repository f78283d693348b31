// The make-up patrol board on disk (single node): `<data_dir>/patrol-tasks/tasks.json`, replaced
// atomically and fsynced (0600) like every state file, so a crash leaves the old or the new board
// whole. An unreadable file is logged and set aside: the engine starts without tasks rather than
// not at all. Cluster mode keeps none (make-up patrols do not run there yet).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { ensurePrivateDir, writePrivateFileAtomic } from '../private-files.js'

export const TASKS_FILE = 'tasks.json'

export class TaskStateFile {
  private readonly file: string

  constructor(dir: string, private readonly logger: Pick<Logger, 'warn'>) {
    ensurePrivateDir(dir)
    this.file = join(dir, TASKS_FILE)
  }

  /** The board saved last, or null (none yet, or unreadable). */
  read(): unknown {
    if (!existsSync(this.file)) return null
    try {
      return JSON.parse(readFileSync(this.file, 'utf8'))
    } catch (err) {
      this.logger.warn({ err, file: this.file }, 'The make-up patrol state file is unreadable; starting without the saved tasks.')
      return null
    }
  }

  write(state: unknown): void {
    writePrivateFileAtomic(this.file, JSON.stringify(state))
  }
}
