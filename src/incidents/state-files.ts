// The incidents stage's state files under <data_dir>/incidents (levels, suggestions, plan versions,
// active plans, dispatch): read once at start (an unreadable one is logged and started without),
// replaced atomically and fsynced (0600) on every change. Cluster mode persists none: the state
// comes from the log and the fleet snapshot, so write() does nothing there.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { ensurePrivateDir, writePrivateFileAtomic } from '../private-files.js'

export interface StateFilesDeps {
  dir: string
  logger: Logger
  /** False in cluster mode: nothing is written. */
  persist: boolean
}

export class StateFiles {
  constructor(private readonly d: StateFilesDeps) {}

  /** Creates the directory (0700) if needed. */
  prepare(): void {
    ensurePrivateDir(this.d.dir)
  }

  /** The file's JSON; null when it is missing or unreadable (logged). */
  read(name: string): unknown {
    const p = join(this.d.dir, name)
    if (!existsSync(p)) return null
    try {
      return JSON.parse(readFileSync(p, 'utf8'))
    } catch {
      this.d.logger.warn({ file: p }, 'Incidents state file is unreadable; starting without it.')
      return null
    }
  }

  /** Replaces the file atomically and durably (0600), like every state file; nothing in cluster mode. */
  write(name: string, value: unknown): void {
    if (!this.d.persist) return
    writePrivateFileAtomic(join(this.d.dir, name), JSON.stringify(value))
  }
}
