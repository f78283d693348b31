// JT/T 808 framing: 0x7e | escaped(header | body | check) | 0x7e. Inside a frame 0x7e travels
// as 0x7d 0x02 and 0x7d as 0x7d 0x01; the check code is the XOR of the unescaped header and body.
// The reader splits a TCP byte stream into frames with a bound on what it buffers: bytes outside
// a frame are skipped, a frame longer than the bound is skipped up to its closing 0x7e.

export const FLAG = 0x7e
const ESC = 0x7d

/** Why bytes of the stream were not a frame (a metric label). */
export type FrameDrop = 'junk' | 'too_large'

export interface FrameSink {
  /** One frame's bytes between the delimiters, still escaped (a fresh Buffer). */
  frame(escaped: Buffer): void
  dropped(why: FrameDrop, bytes: number): void
}

/** Splits a byte stream into escaped frames; buffers at most maxEscapedBytes. */
export class FrameReader {
  private parts: Buffer[] = []
  private len = 0
  private inFrame = false
  private skipping = false

  constructor(private readonly maxEscapedBytes: number) {}

  /** Bytes held for an unfinished frame. */
  get buffered(): number {
    return this.len
  }

  push(chunk: Buffer, sink: FrameSink): void {
    let i = 0
    while (i < chunk.length) {
      const j = chunk.indexOf(FLAG, i)
      if (!this.inFrame) {
        const junk = (j < 0 ? chunk.length : j) - i
        if (junk > 0) sink.dropped('junk', junk)
        if (j < 0) return
        this.inFrame = true
        i = j + 1
        continue
      }
      const end = j < 0 ? chunk.length : j
      if (!this.skipping && end > i) {
        if (this.len + end - i > this.maxEscapedBytes) {
          sink.dropped('too_large', this.len + end - i)
          this.skipping = true
          this.parts = []
          this.len = 0
        } else {
          this.parts.push(chunk.subarray(i, end))
          this.len += end - i
        }
      }
      if (j < 0) return
      i = j + 1
      if (this.skipping) {
        // The oversized frame ends here; the next 0x7e opens a frame.
        this.skipping = false
        this.inFrame = false
        continue
      }
      // 0x7e 0x7e: an empty frame is the opening flag of the next one (terminals send both flags).
      if (this.len === 0) continue
      const frame = Buffer.concat(this.parts, this.len)
      this.parts = []
      this.len = 0
      this.inFrame = false
      sink.frame(frame)
    }
  }
}

/** The unescaped bytes, or null when an escape is malformed (0x7d followed by other than 01/02, or last). */
export function unescapeFrame(b: Buffer): Buffer | null {
  let k = b.indexOf(ESC)
  if (k < 0) return b
  const out = Buffer.allocUnsafe(b.length)
  b.copy(out, 0, 0, k)
  let o = k
  for (let i = k; i < b.length; i++) {
    const c = b[i]!
    if (c !== ESC) {
      out[o++] = c
      continue
    }
    const n = b[++i]
    if (n === 0x01) out[o++] = ESC
    else if (n === 0x02) out[o++] = FLAG
    else return null
  }
  k = o
  return out.subarray(0, k)
}

/** XOR of bytes [from, to). */
export function xor(b: Buffer, from = 0, to = b.length): number {
  let x = 0
  for (let i = from; i < to; i++) x ^= b[i]!
  return x
}

/** 0x7e | escaped(content | xor(content)) | 0x7e: a frame ready to send. */
export function encodeFrame(content: Buffer): Buffer {
  const check = xor(content)
  let extra = 0
  for (const c of content) if (c === FLAG || c === ESC) extra++
  if (check === FLAG || check === ESC) extra++
  const out = Buffer.allocUnsafe(content.length + extra + 3)
  let o = 0
  out[o++] = FLAG
  const put = (c: number) => {
    if (c === FLAG || c === ESC) {
      out[o++] = ESC
      out[o++] = c === FLAG ? 0x02 : 0x01
    } else {
      out[o++] = c
    }
  }
  for (const c of content) put(c)
  put(check)
  out[o] = FLAG
  return out
}
