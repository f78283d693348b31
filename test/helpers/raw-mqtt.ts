// Raw MQTT bytes for attack tests: a packet's fixed header announcing any length, and a socket that
// writes a header then streams filler until the broker cuts it off (the broker must never buffer it).
import net from 'node:net'

/** MQTT's variable-length "remaining length" encoding. */
export function varint(n: number): number[] {
  const out: number[] = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return out
}

/** The fixed header of an MQTT packet of `type` announcing `length` bytes. */
export function fixedHeader(type: number, length: number, flags = 0): Buffer {
  return Buffer.from([(type << 4) | flags, ...varint(length)])
}

/**
 * Connects, writes `first`, then streams up to `budget` filler bytes until the server closes the
 * connection (or `timeoutMs` passes); resolves with the bytes handed to the socket.
 */
export function streamUntilClosed(port: number, first: Buffer, budget: number, opts: { chunkBytes?: number; timeoutMs?: number } = {}): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    let sent = 0
    const chunk = Buffer.alloc(opts.chunkBytes ?? 64 * 1024, 0x41)
    const pump = () => {
      while (sent < budget && !s.destroyed) {
        sent += chunk.length
        if (!s.write(chunk)) return void s.once('drain', pump)
      }
      s.end()
    }
    s.on('connect', () => {
      s.write(first)
      pump()
    })
    s.on('error', () => undefined)
    s.on('close', () => resolve(sent))
    if (opts.timeoutMs !== undefined) s.setTimeout(opts.timeoutMs, () => s.destroy())
  })
}
