// Device credentials from `broker.users`, resolved once by loadConfig and shared by the embedded
// broker and HTTP ingest, so a unit has one password whichever transport it uses. Passwords are
// kept only as SHA-256 digests and compared in constant time; an unknown user costs the same
// comparison as a known one.
import { hash, timingSafeEqual } from 'node:crypto'
import type { ResolvedConfig } from '../config/resolve.js'

function digest(b: Buffer | string): Buffer {
  // One-shot (no Hash object per call): every HTTP ingest request checks a password.
  return hash('sha256', b, 'buffer')
}

const NOBODY = digest('hexpatrol: no such user')

export class DeviceCredentials {
  private readonly users = new Map<string, Buffer>()

  /**
   * The config is resolved: every password_env is already a password (loadConfig checked them).
   * Only `device` logins by default (HTTP ingest); the broker passes both roles.
   */
  constructor(config: Pick<ResolvedConfig, 'broker'>, roles: ReadonlyArray<'device' | 'integration'> = ['device']) {
    for (const u of config.broker.users) if (roles.includes(u.role)) this.users.set(u.username, digest(u.password))
  }

  /** True only for a known user with the right password. */
  verify(username: string, password: Buffer | string): boolean {
    const expected = this.users.get(username)
    const ok = timingSafeEqual(expected ?? NOBODY, digest(password))
    return ok && expected !== undefined
  }
}
