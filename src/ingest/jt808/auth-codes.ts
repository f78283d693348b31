// Authentication codes of JT/T 808 terminals: one random code per terminal, issued at its first
// registration and kept across restarts in <data dir>/jt808/auth-codes.json (0600, directory
// 0700). Written atomically and durably: temporary file, fsync, rename, fsync of the directory,
// so a crash leaves the old file or the new one, never a torn one. Codes are compared in
// constant time.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { ensurePrivateDir, writePrivateFileAtomic } from '../../private-files.js'

const FILE = 'auth-codes.json'
/** 96 bits, as 24 hex characters: short enough for every terminal's code buffer. */
const CODE_BYTES = 12

export class AuthCodes {
  private readonly codes = new Map<string, string>()
  private readonly file: string

  constructor(dir: string) {
    ensurePrivateDir(dir)
    this.file = join(dir, FILE)
    if (existsSync(this.file)) {
      const doc = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, unknown>
      for (const [k, v] of Object.entries(doc)) if (typeof v === 'string') this.codes.set(k, v)
    }
  }

  /** The terminal's code, created (and stored durably) at its first registration. */
  issue(key: string): string {
    const have = this.codes.get(key)
    if (have !== undefined) return have
    const code = randomBytes(CODE_BYTES).toString('hex')
    this.codes.set(key, code)
    try {
      this.save()
    } catch (err) {
      this.codes.delete(key)
      throw err
    }
    return code
  }

  /** Whether `code` is the terminal's code (false for a terminal that never registered). */
  check(key: string, code: string): boolean {
    const have = this.codes.get(key)
    if (have === undefined) return false
    const a = Buffer.from(have, 'latin1')
    const b = Buffer.from(code, 'latin1')
    return a.length === b.length && timingSafeEqual(a, b)
  }

  private save(): void {
    writePrivateFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.codes)))
  }
}
