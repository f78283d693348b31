// Destination guard for webhook requests (SSRF): every address a destination resolves to is checked
// after DNS resolution, in the very lookup the socket connects with, so DNS rebinding cannot slip a
// private address in between check and connect. IPv4 embedded in IPv6 (::ffff:a.b.c.d, its hex form,
// NAT64 64:ff9b::/96, IPv4-compatible ::/96) is checked as the IPv4 address it reaches.
import { BlockList, isIP } from 'node:net'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { HexpatrolError } from '../errors.js'
import { CidrList, embeddedIPv4, isLoopbackAddress, mappedIPv4 } from '../net/addresses.js'

export { embeddedIPv4, ipv6Groups } from '../net/addresses.js'

interface Range { net: string; prefix: number; family: 'ipv4' | 'ipv6'; label: string }

// Loopback (127.0.0.0/8, ::1) is refused too, decided by isLoopbackAddress (net/addresses.ts).
const REFUSED: readonly Range[] = [
  { net: '0.0.0.0', prefix: 8, family: 'ipv4', label: 'unspecified ("this network", 0.0.0.0/8)' },
  { net: '169.254.0.0', prefix: 16, family: 'ipv4', label: 'link-local (169.254.0.0/16, includes cloud metadata 169.254.169.254)' },
  { net: '10.0.0.0', prefix: 8, family: 'ipv4', label: 'private (10.0.0.0/8)' },
  { net: '172.16.0.0', prefix: 12, family: 'ipv4', label: 'private (172.16.0.0/12)' },
  { net: '192.168.0.0', prefix: 16, family: 'ipv4', label: 'private (192.168.0.0/16)' },
  { net: '100.64.0.0', prefix: 10, family: 'ipv4', label: 'carrier-grade NAT (100.64.0.0/10)' },
  { net: '192.0.0.0', prefix: 24, family: 'ipv4', label: 'IETF protocol assignments (192.0.0.0/24)' },
  { net: '198.18.0.0', prefix: 15, family: 'ipv4', label: 'benchmarking (198.18.0.0/15)' },
  { net: '224.0.0.0', prefix: 4, family: 'ipv4', label: 'multicast (224.0.0.0/4)' },
  { net: '240.0.0.0', prefix: 4, family: 'ipv4', label: 'reserved/broadcast (240.0.0.0/4)' },
  { net: '::', prefix: 128, family: 'ipv6', label: 'unspecified (::)' },
  { net: 'fe80::', prefix: 10, family: 'ipv6', label: 'link-local (fe80::/10)' },
  { net: 'fc00::', prefix: 7, family: 'ipv6', label: 'unique-local (fc00::/7)' },
  { net: 'ff00::', prefix: 8, family: 'ipv6', label: 'multicast (ff00::/8)' },
]

export type CheckResult = { ok: true; reason?: undefined } | { ok: false; reason: string }

/** An allow list built once from `delivery.allow_private_networks` (a CidrList naming that key in its errors). */
export class AllowList extends CidrList {
  constructor(cidrs: readonly string[]) {
    super('delivery.allow_private_networks', cidrs)
  }
}

const refusedLists = REFUSED.map((r) => {
  const b = new BlockList()
  b.addSubnet(r.net, r.prefix, r.family)
  return { ...r, list: b }
})

function refusedLabel(ip: string): string | null {
  const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6'
  if (isLoopbackAddress(ip)) return family === 'ipv4' || mappedIPv4(ip) !== null ? 'loopback (127.0.0.0/8)' : 'loopback (::1)'
  for (const r of refusedLists) if (r.family === family && r.list.check(ip, family)) return r.label
  return null
}

/** Whether a webhook may connect to `ip`. Public addresses pass; refused ranges pass only when allow-listed. */
export function checkAddress(ip: string, allow: AllowList | readonly string[]): CheckResult {
  const list = allow instanceof AllowList ? allow : new AllowList(allow)
  const family = isIP(ip)
  if (family === 0) return { ok: false, reason: `"${ip}" is not an IP address` }
  const v4 = embeddedIPv4(ip)
  const label = refusedLabel(ip) ?? (v4 !== null ? refusedLabel(v4) : null)
  if (label === null) return { ok: true }
  if (list.has(ip) || (v4 !== null && list.has(v4))) return { ok: true }
  const shown = v4 !== null ? `${ip} (IPv4 ${v4})` : ip
  return { ok: false, reason: `destination ${shown} is ${label}; add its range to delivery.allow_private_networks if that is intended` }
}

/** The error a refused destination fails with (code HEXP_ERR_WEBHOOK_DESTINATION). */
export function destinationError(host: string, reason: string): HexpatrolError {
  return new HexpatrolError('HEXP_ERR_WEBHOOK_DESTINATION', `webhook destination ${host} refused: ${reason}`)
}

/**
 * Node skips `lookup` for IP-literal hosts, so literal URLs are checked here before connecting.
 * Returns null for host names (the guarded lookup checks them), else the check of the literal.
 */
export function checkLiteralHost(hostname: string, allow: AllowList | readonly string[]): CheckResult | null {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return isIP(h) === 0 ? null : checkAddress(h, allow)
}

type Resolver = (hostname: string, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void
type LookupOptions = { family?: number | string; all?: boolean }
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

const systemResolver: Resolver = (hostname, cb) => dnsLookup(hostname, { all: true, verbatim: true }, cb)

/**
 * A `lookup` for node:http/https `request()`: resolves every address and refuses the destination if ANY
 * of them is in a refused range (an attacker controlling DNS must not get to pick). Honours `all`
 * (used by Node's happy-eyeballs connect) and `family`.
 */
export function guardedLookup(allow: AllowList | readonly string[], resolver: Resolver = systemResolver) {
  const list = allow instanceof AllowList ? allow : new AllowList(allow)
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolver(hostname, (err, addresses) => {
      if (err) return callback(err, [])
      for (const a of addresses) {
        const r = checkAddress(a.address, list)
        if (!r.ok) return callback(destinationError(hostname, r.reason) as NodeJS.ErrnoException, [])
      }
      const fam = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0)
      const usable = fam === 4 || fam === 6 ? addresses.filter((a) => a.family === fam) : addresses
      if (usable.length === 0) {
        const e = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NodeJS.ErrnoException
        e.code = 'ENOTFOUND'
        return callback(e, [])
      }
      if (options.all === true) return callback(null, usable)
      const first = usable[0]!
      callback(null, first.address, first.family)
    })
  }
}
