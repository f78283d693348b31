// Route access levels and the authenticated caller. Scopes are ordered read < operate < admin;
// `public` routes need no token and `device` routes authenticate the device themselves.
export type Scope = 'read' | 'operate' | 'admin'
export type RouteScope = 'public' | 'device' | Scope

export interface Principal {
  name: string
  scope: Scope
}

const RANK: Record<Scope, number> = { read: 1, operate: 2, admin: 3 }

/** True when `have` is at least `need`. */
export function scopeAllows(have: Scope, need: Scope): boolean {
  return RANK[have] >= RANK[need]
}

/** The smaller of two scopes (a session never outranks the token it was made from). */
export function minScope(a: Scope, b: Scope): Scope {
  return RANK[a] <= RANK[b] ? a : b
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request; null on public and device routes, and before authentication. */
    principal: Principal | null
  }
  interface FastifyContextConfig {
    /** Access the route needs; absent means `read` (secure default). */
    scope?: RouteScope
  }
}
