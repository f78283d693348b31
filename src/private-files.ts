// Everything the engine writes under its data directory holds positions or secrets (journal, rule
// snapshot, webhook outbox and subscriptions, incidents, bulletin schedule, embedded ClickHouse,
// instance id, admin token): readable by the engine's user only. The CLI sets the umask to 077 at
// start-up, so files made by any writer (chdb's included) are 0600 and directories 0700; the
// writers below also set the modes themselves, whatever the umask, and a directory left 0755 by
// an older version is tightened at start-up.
import { chmodSync, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600
/** The umask that makes every new file 0600 and directory 0700. */
export const PRIVATE_UMASK = 0o077

/** Creates the directory (and parents) if needed and makes it 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  chmodSync(dir, PRIVATE_DIR_MODE)
}

/**
 * Replaces `file` atomically and durably: a 0600 temporary beside it is written and fsynced, then
 * renamed over it and the directory fsynced, so a crash leaves the old or the new content whole.
 */
export function writePrivateFileAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp`
  const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE)
  try {
    writeFileSync(fd, data)
    fchmodSync(fd, PRIVATE_FILE_MODE)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
  const dir = openSync(dirname(file), 'r')
  try {
    fsyncSync(dir)
  } finally {
    closeSync(dir)
  }
}

/** Start-up (the CLI): files made from now on by anything in this process are private. Returns the old mask. */
export function usePrivateUmask(): number {
  return process.umask(PRIVATE_UMASK)
}
