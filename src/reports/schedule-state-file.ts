// The bulletin schedule's progress on one engine: <data_dir>/reports/state.json, written to a temp
// file, fsync'd and renamed, so a kill -9 leaves the old state or the new one. Read once at
// construction (an unreadable file is reported there, and the schedule starts afresh at the first
// load); this engine is its only writer.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { ensurePrivateDir, writePrivateFileAtomic } from '../private-files.js'
import { parseScheduleState, withDone, type ScheduleState, type ScheduleStateStore, type StoredScheduleState } from './schedule-state.js'

export class FileScheduleState implements ScheduleStateStore {
  private readonly file: string
  private state: StoredScheduleState | null

  constructor(dir: string, private readonly logger: Logger) {
    ensurePrivateDir(dir)
    this.file = join(dir, 'state.json')
    this.state = this.read()
  }

  load(now: number): Promise<ScheduleState> {
    this.state ??= this.write({ v: 1, since: now, done: {} })
    return Promise.resolve(this.state)
  }

  markDone(key: string, generatedAt: number): Promise<void> {
    this.state = this.write(withDone(this.state ?? { v: 1, since: generatedAt, done: {} }, key, generatedAt))
    return Promise.resolve()
  }

  private read(): StoredScheduleState | null {
    try {
      const s = parseScheduleState(readFileSync(this.file, 'utf8'))
      if (s !== null) return s
      this.logger.warn({ file: this.file }, 'Bulletin schedule state is not recognised; starting the schedule now.')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ file: this.file, err: (err as Error).message }, 'Bulletin schedule state is unreadable; starting the schedule now.')
    }
    return null
  }

  private write(s: StoredScheduleState): StoredScheduleState {
    writePrivateFileAtomic(this.file, JSON.stringify(s))
    return s
  }
}
