// IP address facts every stage shares: CIDR lists parsed once (a bad entry fails naming its config
// key), address matching, the IPv4 address an IPv6 address carries, and what counts as loopback.
// Pure; no DNS. IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d and are matched as
// the IPv4 address.
import { BlockList, isIP } from 'node:net'
import { HexpatrolError } from '../errors.js'

/** CIDRs (IPv4 or IPv6; a bare address is a /32 or /128), parsed once. Empty matches nothing. */
export class CidrList {
  private readonly list = new BlockList()
  readonly cidrs: readonly string[]
  readonly empty: boolean

  /** `key` names the config key in the start-up error a bad entry raises (HEXP_ERR_CONFIG). */
  constructor(key: string, cidrs: readonly string[]) {
    this.cidrs = cidrs
    this.empty = cidrs.length === 0
    for (const c of cidrs) {
      const [net = '', bits] = c.trim().split('/')
      const family = isIP(net)
      if (family === 0) throw new HexpatrolError('HEXP_ERR_CONFIG', `${key}: "${c}" is not a CIDR (e.g. 10.0.0.0/8)`)
      const max = family === 4 ? 32 : 128
      const prefix = bits === undefined ? max : Number(bits)
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new HexpatrolError('HEXP_ERR_CONFIG', `${key}: "${c}" has an invalid prefix length`)
      this.list.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6')
    }
  }

  /** Whether `ip` (or the IPv4 address an IPv4-mapped `ip` carries) is in a listed range; false for a non-address. */
  has(ip: string): boolean {
    const family = isIP(ip)
    if (family === 0) return false
    if (family === 4) return this.list.check(ip, 'ipv4')
    const v4 = mappedIPv4(ip)
    return this.list.check(ip, 'ipv6') || (v4 !== null && this.list.check(v4, 'ipv4'))
  }
}

/** The eight 16-bit groups of an IPv6 address (handles `::`, a zone id and a trailing dotted quad). */
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

function lowIPv4(g: readonly number[]): string {
  const lo = g[6]!
  const lo2 = g[7]!
  return `${lo >> 8}.${lo & 255}.${lo2 >> 8}.${lo2 & 255}`
}

const zeroTo = (g: readonly number[], n: number) => g.slice(0, n).every((x) => x === 0)

/** The IPv4 address of an IPv4-mapped IPv6 address (::ffff:a.b.c.d, dotted or hex), else null. */
export function mappedIPv4(ip: string): string | null {
  if (isIP(ip) !== 6) return null
  const g = ipv6Groups(ip)
  return zeroTo(g, 5) && g[5] === 0xffff ? lowIPv4(g) : null
}

/** The IPv4 address an IPv6 address reaches (mapped, NAT64 64:ff9b::/96 or IPv4-compatible forms), else null. */
export function embeddedIPv4(ip: string): string | null {
  if (isIP(ip) !== 6) return null
  const g = ipv6Groups(ip)
  if (zeroTo(g, 5) && g[5] === 0xffff) return lowIPv4(g) // ::ffff:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return lowIPv4(g) // NAT64 64:ff9b::/96
  if (zeroTo(g, 6) && (g[6] !== 0 || g[7]! > 1)) return lowIPv4(g) // deprecated IPv4-compatible ::a.b.c.d (not :: or ::1)
  return null
}

/** A loopback address: 127.0.0.0/8, ::1 in any spelling, or IPv4-mapped 127.x. False for a non-address. */
export function isLoopbackAddress(ip: string): boolean {
  const family = isIP(ip)
  if (family === 4) return ip.startsWith('127.')
  if (family === 0) return false
  const g = ipv6Groups(ip)
  if (zeroTo(g, 7) && g[7] === 1) return true
  const v4 = mappedIPv4(ip)
  return v4 !== null && v4.startsWith('127.')
}

/** A host that is loopback by its spelling: `localhost` or a loopback literal (bracketed or not); never a name like `127.lan`. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true
  return isLoopbackAddress(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host)
}
