// Bounds the expensive reads (replay, tracks, the incident list, reports) running at once: a few
// per token and a few in all, so no reader can queue enough ClickHouse work and serialisation to
// stall ingestion. Over the token's share: 429; over the total: 503; both with Retry-After and a
// coded error, answered before the route does any work. A slot is held until the response is
// finished or its connection closed. Routes opt in with `config: { expensive: true }`.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { HexpatrolError } from '../errors.js'
import type { Principal } from './scopes.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Counted against http.expensive_reads (per token and in all). */
    expensive?: boolean
  }
}

export interface ReadGateOptions {
  perToken: number
  total: number
}

/** Seconds a refused caller is told to wait: about one expensive read. */
const RETRY_AFTER = '2'

/** The counts behind the gate (pure; the plugin below wires it to requests). */
export class ReadGate {
  private readonly perKey = new Map<string, number>()
  private running = 0

  constructor(private readonly perToken: number, private readonly total: number) {}

  /** Takes a slot for `key`: a release function, or why not ('token' or 'total'). */
  take(key: string): (() => void) | 'token' | 'total' {
    const mine = this.perKey.get(key) ?? 0
    if (mine >= this.perToken) return 'token'
    if (this.running >= this.total) return 'total'
    this.perKey.set(key, mine + 1)
    this.running++
    let held = true
    return () => {
      if (!held) return
      held = false
      this.running--
      const n = this.perKey.get(key)! - 1
      if (n === 0) this.perKey.delete(key)
      else this.perKey.set(key, n)
    }
  }

  get inFlight(): number {
    return this.running
  }
}

export const readGatePlugin = fp(async (app: FastifyInstance, opts: ReadGateOptions) => {
  const gate = new ReadGate(opts.perToken, opts.total)
  // Registered after the auth plugin: the principal is known (expensive routes are never public).
  // Synchronous (a throw is the hook's error): the other routes pass without a promise.
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (req.routeOptions.config.expensive !== true) return done()
    const who = (req.principal as Principal).name
    const r = gate.take(who)
    if (typeof r === 'function') {
      reply.raw.once('close', r)
      return done()
    }
    reply.header('retry-after', RETRY_AFTER)
    if (r === 'token') throw new HexpatrolError('HEXP_ERR_RATE_LIMITED', `Token "${who}" already has ${opts.perToken} expensive reads (replay, track, incidents, reports) running (http.expensive_reads.per_token); retry when one ends.`)
    throw new HexpatrolError('HEXP_ERR_BUSY', `${opts.total} expensive reads are running (http.expensive_reads.total); retry in ${RETRY_AFTER} s.`)
  })
}, { name: 'hexpatrol-read-gate', dependencies: ['hexpatrol-auth'] })
