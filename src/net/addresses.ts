// IP address facts every stage shares, pure (no DNS): what counts as a loopback host. Config
// (the /metrics exposure check), the broker's exposure check and the embedded broker use it.
import { isIP } from 'node:net'

/** A loopback IP literal (127.0.0.0/8, ::1, ::ffff:127.x) or `localhost`; never a name like `127.lan`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true
  const h = host.replace(/^\[|\]$/g, '')
  const v = isIP(h)
  if (v === 4) return h.startsWith('127.')
  if (v === 6) {
    const l = h.toLowerCase()
    return l === '::1' || l === '0:0:0:0:0:0:0:1' || (/^::ffff:127\./.test(l) && isIP(l.slice(7)) === 4)
  }
  return false
}
