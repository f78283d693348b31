// The browser session: a signed cookie holding { token name, scope, expiry, id }. Stateless, so
// a restart with a new secret (the default: one random secret per start) revokes every session;
// DELETE /api/v1/session revokes one cookie until it would have expired anyway. Revocations are
// kept in a file (written atomically, fsynced, 0600) before the logout is answered, so a restart
// with a configured secret does not bring a logged-out cookie back; an entry leaves the file once
// its cookie has expired, which bounds it by the logouts of one session_ttl.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ensurePrivateDir, writePrivateFileAtomic } from '../private-files.js'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Principal, Scope } from './scopes.js'

export const SESSION_COOKIE = 'hexpatrol_session'

export interface Session extends Principal {
  expiresAt: number
  id: string
}

export class SessionCodec {
  private readonly ttlMs: number
  private readonly now: () => number
  /** Revoked session ids → their expiry (pruned as they expire). */
  private readonly revoked = new Map<string, number>()

  private readonly file: string | undefined

  /** `file`: where revocations persist (absent: in memory only). Throws if it cannot be read. */
  constructor(opts: { ttlMs: number; now: () => number; file?: string }) {
    this.ttlMs = opts.ttlMs
    this.now = opts.now
    this.file = opts.file
    if (this.file !== undefined) this.load(this.file)
  }

  private load(file: string): void {
    ensurePrivateDir(dirname(file))
    if (!existsSync(file)) return
    let saved: unknown
    try {
      saved = JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new Error(`The session revocation file ${file} is unreadable (${(err as Error).message}); remove it to accept every unexpired cookie again, or restore it.`, { cause: err })
    }
    const now = this.now()
    if (saved === null || typeof saved !== 'object') return
    for (const [id, exp] of Object.entries(saved)) if (typeof exp === 'number' && exp > now) this.revoked.set(id, exp)
  }

  /** Sets the cookie for a principal; Secure when the request came over TLS. */
  issue(req: FastifyRequest, reply: FastifyReply, p: Principal): Session {
    const s: Session = { ...p, expiresAt: this.now() + this.ttlMs, id: randomBytes(12).toString('base64url') }
    const value = Buffer.from(JSON.stringify([s.name, s.scope, s.expiresAt, s.id])).toString('base64url')
    reply.setCookie(SESSION_COOKIE, value, {
      signed: true,
      httpOnly: true,
      sameSite: 'strict',
      secure: req.protocol === 'https',
      path: '/',
      maxAge: Math.floor(this.ttlMs / 1000),
    })
    return s
  }

  /** The session in the request's cookie, if it is signed by us, unexpired and not revoked. */
  read(req: FastifyRequest): Session | null {
    const raw = req.cookies[SESSION_COOKIE]
    if (raw === undefined) return null
    const u = req.unsignCookie(raw)
    if (!u.valid || u.value === null) return null
    let parts: unknown
    try {
      parts = JSON.parse(Buffer.from(u.value, 'base64url').toString('utf8'))
    } catch {
      return null
    }
    if (!Array.isArray(parts) || parts.length !== 4) return null
    const [name, scope, expiresAt, id] = parts as [unknown, unknown, unknown, unknown]
    if (typeof name !== 'string' || typeof expiresAt !== 'number' || typeof id !== 'string') return null
    if (scope !== 'read' && scope !== 'operate' && scope !== 'admin') return null
    if (expiresAt <= this.now() || this.revoked.has(id)) return null
    return { name, scope: scope as Scope, expiresAt, id }
  }

  revoke(reply: FastifyReply, s: Session | null): void {
    const now = this.now()
    for (const [id, exp] of this.revoked) if (exp <= now) this.revoked.delete(id)
    if (s !== null) this.revoked.set(s.id, s.expiresAt)
    if (this.file !== undefined) writePrivateFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.revoked)))
    reply.clearCookie(SESSION_COOKIE, { path: '/' })
  }
}
