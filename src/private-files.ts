// Everything the engine writes under its data directory holds positions or secrets (journal, rule
// snapshot, webhook outbox and subscriptions, incidents, bulletin schedule, embedded ClickHouse,
// instance id, admin token): readable by the engine's user only. The CLI sets the umask to 077 at
// start-up, so files made by any writer (chdb's included) are 0600 and directories 0700; the
// writers below also set the modes themselves, whatever the umask, and a directory left 0755 by
// an older version is tightened at start-up.
import { chmodSync, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs'
import { open, rename, type FileHandle } from 'node:fs/promises'
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
  writePrivateFilesAtomic([{ file, data }])
}

/**
 * writePrivateFileAtomic for a batch: each file replaced as above, then each directory fsynced
 * once (one directory sync for many small files, e.g. a batch of outbox deliveries).
 */
export function writePrivateFilesAtomic(files: ReadonlyArray<{ file: string; data: string | Buffer }>): void {
  for (const { file, data } of files) {
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
  }
  for (const dir of new Set(files.map((f) => dirname(f.file)))) fsyncDirSync(dir)
}

/**
 * writePrivateFileAtomic without blocking the event loop. `data` may be a function that writes
 * the temporary through its handle (a large file streamed in slices).
 */
export async function writePrivateFileAtomicAsync(file: string, data: string | Buffer | ((fh: FileHandle) => Promise<void>)): Promise<void> {
  const tmp = `${file}.tmp`
  const fh = await open(tmp, 'w', PRIVATE_FILE_MODE)
  try {
    if (typeof data === 'function') await data(fh)
    else await fh.writeFile(data)
    await fh.chmod(PRIVATE_FILE_MODE)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, file)
  const dir = await open(dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Start-up (the CLI): files made from now on by anything in this process are private. Returns the old mask. */
export function usePrivateUmask(): number {
  return process.umask(PRIVATE_UMASK)
}
