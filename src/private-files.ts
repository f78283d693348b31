// Everything the engine writes under its data directory holds positions or secrets (journal, rule
// snapshot, webhook outbox and subscriptions, incidents, bulletin schedule, embedded ClickHouse,
// instance id, admin token): readable by the engine's user only. The CLI sets the umask to 077 at
// start-up, so files made by any writer (chdb's included) are 0600 and directories 0700; the
// writers below also set the modes themselves, whatever the umask, and a directory left 0755 by
// an older version is tightened at start-up.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600
/** The umask that makes every new file 0600 and directory 0700. */
export const PRIVATE_UMASK = 0o077

/** Creates the directory (and parents) if needed and makes it 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  chmodSync(dir, PRIVATE_DIR_MODE)
}

/** Replaces a file atomically (a temporary file, then rename) with one made 0600. */
export function writePrivateFileSync(path: string, data: string): void {
  const tmp = `${path}.tmp`
  writeFileSync(tmp, data, { mode: PRIVATE_FILE_MODE })
  // A temporary file left by a crash keeps the mode it was made with: set it.
  chmodSync(tmp, PRIVATE_FILE_MODE)
  renameSync(tmp, path)
}

/** Start-up (the CLI): files made from now on by anything in this process are private. Returns the old mask. */
export function usePrivateUmask(): number {
  return process.umask(PRIVATE_UMASK)
}
