// Destination guard for webhook requests (SSRF): every address a destination resolves to is checked
// after DNS resolution, in the very lookup the socket connects with, so DNS rebinding cannot slip a
// private address in between check and connect. IPv4 embedded in IPv6 (::ffff:a.b.c.d, its hex form,
// NAT64 64:ff9b::/96, IPv4-compatible ::/96) is checked as the IPv4 address it reaches.
import { BlockList, isIP, isIPv4 } from 'node:net'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { HexpatrolError } from '../errors.js'

interface Range { net: string; prefix: number; family: 'ipv4' | 'ipv6'; label: string }

const REFUSED: readonly Range[] = [
  { net: '0.0.0.0', prefix: 8, family: 'ipv4', label: 'unspecified ("this network", 0.0.0.0/8)' },
  { net: '127.0.0.0', prefix: 8, family: 'ipv4', label: 'loopback (127.0.0.0/8)' },
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
  { net: '::1', prefix: 128, family: 'ipv6', label: 'loopback (::1)' },
  { net: 'fe80::', prefix: 10, family: 'ipv6', label: 'link-local (fe80::/10)' },
  { net: 'fc00::', prefix: 7, family: 'ipv6', label: 'unique-local (fc00::/7)' },
  { net: 'ff00::', prefix: 8, family: 'ipv6', label: 'multicast (ff00::/8)' },
]

export type CheckResult = { ok: true; reason?: undefined } | { ok: false; reason: string }

/** An allow list built once from `delivery.allow_private_networks` (CIDRs, IPv4 or IPv6; a bare address is a /32 or /128). */
export class AllowList {
  private readonly list = new BlockList()
  readonly cidrs: readonly string[]
  constructor(cidrs: readonly string[]) {
    this.cidrs = cidrs
    for (const c of cidrs) {
      const [net = '', bits] = c.trim().split('/')
      const family = isIP(net)
      if (family === 0) throw new HexpatrolError('HEXP_ERR_CONFIG', `delivery.allow_private_networks: "${c}" is not a CIDR (e.g. 10.0.0.0/8)`)
      const max = family === 4 ? 32 : 128
      const prefix = bits === undefined ? max : Number(bits)
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new HexpatrolError('HEXP_ERR_CONFIG', `delivery.allow_private_networks: "${c}" has an invalid prefix length`)
      this.list.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6')
    }
  }
  has(ip: string): boolean {
    return this.list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6')
  }
}

const refusedLists = REFUSED.map((r) => {
  const b = new BlockList()
  b.addSubnet(r.net, r.prefix, r.family)
  return { ...r, list: b }
})

/** The eight 16-bit groups of an IPv6 address (handles `::` and a trailing dotted quad). */
export function ipv6Groups(ip: string): number[] {
  let s = ip.split('%')[0]!.toLowerCase()
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1]!.split('.').map(Number)
    s = s.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = s.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? 0 : 8 - h.length - t.length
  return [...h, ...Array<string>(zeros).fill('0'), ...t].map((g) => parseInt(g, 16))
}

/** The IPv4 address an IPv6 address carries (mapped, NAT64 or compatible forms), else null. */
export function embeddedIPv4(ip: string): string | null {
  if (isIP(ip) !== 6) return null
  const g = ipv6Groups(ip)
  const lo = g[6]!
  const lo2 = g[7]!
  const v4 = `${lo >> 8}.${lo & 255}.${lo2 >> 8}.${lo2 & 255}`
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0)
  if (zeroTo(5) && g[5] === 0xffff) return v4 // ::ffff:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4 // NAT64 64:ff9b::/96
  if (zeroTo(6) && (lo !== 0 || lo2 > 1)) return v4 // deprecated IPv4-compatible ::a.b.c.d (not :: or ::1)
  return null
}

function refusedLabel(ip: string): string | null {
  const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6'
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
