// Checks http.trust_proxy at start-up. Only the listed proxies (or the given number of hops) are
// believed about the client's address, the proxy-addr way fastify uses: the client is the
// right-most X-Forwarded-For address not sent by a trusted proxy, so a client cannot choose it.
// `true` would believe any sender and is refused with what to write instead.
import { isIP } from 'node:net'
import { configError } from './resolve.js'

/** proxy-addr's named ranges. */
const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal'])

function validEntry(entry: string): boolean {
  if (NAMED.has(entry)) return true
  const slash = entry.indexOf('/')
  if (slash < 0) return isIP(entry) !== 0
  const ip = entry.slice(0, slash)
  const bits = entry.slice(slash + 1)
  const family = isIP(ip)
  if (family === 0) return false
  // A prefix length, or an IPv4 netmask (proxy-addr accepts both).
  if (/^\d{1,3}$/.test(bits)) return Number(bits) <= (family === 4 ? 32 : 128)
  return family === 4 && isIP(bits) === 4
}

export function checkTrustProxy(value: boolean | string[] | number): void {
  if (value === true) {
    throw configError('http.trust_proxy: true would take the client address from X-Forwarded-For whoever sends it (a client could pick any address for rate limits and the audit log). List the proxy addresses instead, e.g. trust_proxy: ["127.0.0.1"] or ["10.0.0.0/8"] (or "loopback"), or give the number of proxy hops in front of the engine, e.g. trust_proxy: 1.')
  }
  if (Array.isArray(value)) {
    for (const entry of value) {
      if (!validEntry(entry)) throw configError(`http.trust_proxy: "${entry.slice(0, 64)}" is not an IP address, a CIDR (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`)
    }
  }
}
