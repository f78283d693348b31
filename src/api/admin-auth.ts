// Admin endpoints need "Authorization: Bearer <http.admin_token>"; compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { HexpatrolError } from '../errors.js'

export function adminGuard(token: string | undefined) {
  const expected = token === undefined ? null : createHash('sha256').update(token).digest()
  return async (req: FastifyRequest): Promise<void> => {
    if (expected === null) throw new HexpatrolError('HEXP_ERR_ADMIN_DISABLED', 'Admin endpoints are disabled: no admin token is configured.')
    const header = req.headers.authorization ?? ''
    const m = /^Bearer\s+(\S+)$/i.exec(header)
    if (m === null) throw new HexpatrolError('HEXP_ERR_UNAUTHORIZED', 'Missing bearer token.')
    const given = createHash('sha256').update(m[1]!).digest()
    if (!timingSafeEqual(given, expected)) throw new HexpatrolError('HEXP_ERR_UNAUTHORIZED', 'Wrong admin token.')
  }
}
