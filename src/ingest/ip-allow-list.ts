// An address allow-list from CIDRs (IPv4 or IPv6; a bare address is a /32 or /128), checked
// against the socket's address. Empty allows every address. IPv4 clients of a dual-stack socket
// appear as ::ffff:a.b.c.d and are checked as the IPv4 address.
import { BlockList, isIP } from 'node:net'
import { HexpatrolError } from '../errors.js'

const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

export class IpAllowList {
  private readonly list = new BlockList()
  readonly empty: boolean

  constructor(key: string, cidrs: readonly string[]) {
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

  has(ip: string): boolean {
    if (this.empty) return true
    const v4 = MAPPED.exec(ip)?.[1]
    if (v4 !== undefined) return this.list.check(v4, 'ipv4')
    const family = isIP(ip)
    return family !== 0 && this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6')
  }
}
