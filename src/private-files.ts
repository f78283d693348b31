// Files that hold positions or secrets (journal, rule snapshot, webhook outbox and subscriptions)
// are readable by the engine's user only: directories 0700, files 0600, whatever the umask, and
// a directory left 0755 by an older version is tightened at start-up.
import { chmodSync, mkdirSync } from 'node:fs'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/** Creates the directory (and parents) if needed and makes it 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  chmodSync(dir, PRIVATE_DIR_MODE)
}
