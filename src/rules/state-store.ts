// Persists the rule engine's snapshot (unit rule states, open alerts, coverage) so a restart
// neither re-fires open alerts nor forgets coverage. Written atomically (tmp + rename).
import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import type { RuleSnapshot } from './engine.js'
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../private-files.js'

export class RuleStateStore {
  private readonly path: string
  constructor(dir: string) {
    ensurePrivateDir(dir)
    this.path = join(dir, 'snapshot.json')
  }

  load(): RuleSnapshot | null {
    if (!existsSync(this.path)) return null
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as RuleSnapshot
    } catch {
      // A snapshot cut short by power loss: start fresh rather than refuse to start.
      return null
    }
  }

  save(snap: RuleSnapshot): void {
    const tmp = `${this.path}.tmp`
    writeFileSync(tmp, JSON.stringify(snap), { mode: PRIVATE_FILE_MODE })
    renameSync(tmp, this.path)
  }
}
