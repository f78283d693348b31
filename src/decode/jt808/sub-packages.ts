// Reassembles sub-packaged messages (header attribute bit 13) of one connection, within bounds:
// at most `maxTotal` parts per message, four unfinished messages, `maxBytes` held across unfinished messages, one unfinished
// message per message id. A part that would break a bound drops what was held for
// that message (the terminal re-sends what was never answered).
import type { Header } from './message.js'

export interface Assembled {
  header: Header
  body: Buffer
  /** Serials of every part, to answer once the whole message is handled. */
  serials: number[]
}

export type PartOutcome = Assembled | 'held' | 'too_many_parts' | 'too_large'

/** Unfinished messages per connection (distinct message ids). */
const MAX_PENDING = 4

interface Pending { total: number; parts: Map<number, { serial: number; body: Buffer }>; bytes: number; first: Header | null }

export class SubPackages {
  private readonly pending = new Map<number, Pending>()
  private bytes = 0

  constructor(private readonly maxTotal: number, private readonly maxBytes: number) {}

  /** Bytes held for unfinished messages. */
  get held(): number {
    return this.bytes
  }

  add(header: Header, body: Buffer): PartOutcome {
    const sub = header.sub!
    if (sub.total > this.maxTotal) return 'too_many_parts'
    let p = this.pending.get(header.msgId)
    if (p !== undefined && p.total !== sub.total) {
      this.drop(header.msgId)
      p = undefined
    }
    if (this.bytes + body.length > this.maxBytes) {
      this.drop(header.msgId)
      return 'too_large'
    }
    if (p === undefined && this.pending.size >= MAX_PENDING) return 'too_many_parts'
    if (p === undefined) this.pending.set(header.msgId, (p = { total: sub.total, parts: new Map(), bytes: 0, first: null }))
    const old = p.parts.get(sub.index)
    if (old !== undefined) {
      p.bytes -= old.body.length
      this.bytes -= old.body.length
    }
    // Copied: the frame buffer is not kept alive by a slice of it.
    p.parts.set(sub.index, { serial: header.serial, body: Buffer.from(body) })
    p.bytes += body.length
    this.bytes += body.length
    if (sub.index === 1) p.first = header
    if (p.parts.size < p.total) return 'held'
    this.drop(header.msgId)
    const bodies: Buffer[] = []
    const serials: number[] = []
    for (let i = 1; i <= p.total; i++) {
      const part = p.parts.get(i)!
      bodies.push(part.body)
      serials.push(part.serial)
    }
    // Part 1 is among the parts: its header (serial, edition) stands for the whole message.
    return { header: { ...p.first!, sub: null }, body: Buffer.concat(bodies), serials }
  }

  private drop(msgId: number): void {
    const p = this.pending.get(msgId)
    if (p === undefined) return
    this.bytes -= p.bytes
    this.pending.delete(msgId)
  }
}
