// Device credentials from `broker.users`, resolved once at start-up and shared by the embedded
// broker and HTTP ingest, so a unit has one password whichever transport it uses. Passwords are
// kept only as SHA-256 digests and compared in constant time; an unknown user costs the same
// comparison as a known one.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Config } from '../config/schema.js'
import { resolveSecret } from '../config/load.js'
import { HexpatrolError } from '../errors.js'

function digest(b: Buffer | string): Buffer {
  return createHash('sha256').update(b).digest()
}

const NOBODY = digest('hexpatrol: no such user')

export class DeviceCredentials {
  private readonly users = new Map<string, Buffer>()

  constructor(config: Config, env: NodeJS.ProcessEnv = process.env) {
    for (const [i, u] of config.broker.users.entries()) {
      const secret = resolveSecret(`broker.users.${i}.password`, u.password, u.password_env, env)
      if (secret === undefined) throw new HexpatrolError('HEXP_ERR_CONFIG', `broker.users.${i} (${u.username}): give password or password_env`)
      this.users.set(u.username, digest(secret))
    }
  }

  /** True only for a known user with the right password. */
  verify(username: string, password: Buffer | string): boolean {
    const expected = this.users.get(username)
    const ok = timingSafeEqual(expected ?? NOBODY, digest(password))
    return ok && expected !== undefined
  }
}
