// API tokens: built once at start from api.tokens (token_env or token_sha256, never plaintext in
// the file) and the legacy admin token (http.admin_token / HEXPATROL_ADMIN_TOKEN). With none
// configured, an admin token is created in <data dir>/admin-token (mode 0600) so the API is never
// open by accident. Lookups hash the presented token and compare digests in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../private-files.js'
import { join, resolve } from 'node:path'
import type { Logger } from 'pino'
import { MIN_TOKEN_LENGTH, type ResolvedConfig } from '../config/resolve.js'
import { HexpatrolError } from '../errors.js'
import type { Principal, Scope } from './scopes.js'

export const ADMIN_TOKEN_FILE = 'admin-token'

interface Entry {
  name: string
  scope: Scope
  digest: Buffer
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

export class TokenBook {
  private readonly entries: Entry[]
  /** Set when the admin token was generated or read from <data dir>/admin-token. */
  readonly bootstrapFile: string | null

  constructor(entries: Entry[], bootstrapFile: string | null = null) {
    this.entries = entries
    this.bootstrapFile = bootstrapFile
  }

  /** The principal a token belongs to, or null. Every entry is compared, so timing says nothing. */
  verify(token: string): Principal | null {
    const d = sha256(token)
    let found: Entry | null = null
    for (const e of this.entries) if (timingSafeEqual(d, e.digest) && found === null) found = e
    return found === null ? null : { name: found.name, scope: found.scope }
  }

  /** The current scope of a token name (sessions re-check it), or null if no longer configured. */
  scopeOf(name: string): Scope | null {
    return this.entries.find((e) => e.name === name)?.scope ?? null
  }

  get size(): number {
    return this.entries.length
  }

  /** From the resolved config: token_env values were read once, by the config module. */
  static fromConfig(config: ResolvedConfig, logger: Logger): TokenBook {
    const entries: Entry[] = []
    const names = new Set<string>()
    for (const [i, t] of config.api.tokens.entries()) {
      const key = `api.tokens.${i}`
      if (names.has(t.name)) throw new HexpatrolError('HEXP_ERR_CONFIG', `${key}.name: token name "${t.name}" appears twice; names must be unique (they are recorded in the audit table)`)
      names.add(t.name)
      const digest = t.token_sha256 !== undefined ? Buffer.from(t.token_sha256.toLowerCase(), 'hex') : sha256(t.token as string)
      entries.push({ name: t.name, scope: t.scope, digest })
    }
    const h = config.http
    const admin = h.admin_token
    if (admin !== undefined) {
      if (names.has('admin')) throw new HexpatrolError('HEXP_ERR_CONFIG', 'api.tokens: the name "admin" is taken by http.admin_token (HEXPATROL_ADMIN_TOKEN); choose another name')
      entries.push({ name: 'admin', scope: 'admin', digest: sha256(admin) })
    }
    if (entries.length > 0) return new TokenBook(entries)
    const file = join(resolve(config.data_dir), ADMIN_TOKEN_FILE)
    const created = !existsSync(file)
    if (created) {
      ensurePrivateDir(resolve(config.data_dir))
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' })
    }
    // An older file may have been copied with looser permissions: tighten it every start.
    chmodSync(file, PRIVATE_FILE_MODE)
    const token = readFileSync(file, 'utf8').trim()
    if (token.length < MIN_TOKEN_LENGTH) throw new HexpatrolError('HEXP_ERR_CONFIG', `${file} holds no usable token (shorter than ${MIN_TOKEN_LENGTH} characters); delete it to have a new one created`)
    logger.warn({ file }, created
      ? 'No API token is configured: created an admin token in this file (mode 0600). Configure api.tokens for your users.'
      : 'No API token is configured: the admin token is the one in this file.')
    return new TokenBook([{ name: 'admin', scope: 'admin', digest: sha256(token) }], file)
  }
}
