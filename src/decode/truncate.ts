// Cuts raw payloads down to the size kept in the `rejects` table without splitting a UTF-8
// character, so the stored string never ends in a half character or exceeds the byte limit.

/** At most `maxBytes` bytes of `buf`, decoded as UTF-8, cut on a character boundary. */
export function truncateBuffer(buf: Buffer, maxBytes: number): string {
  let end = buf.length
  if (end > maxBytes) {
    end = maxBytes
    // Step back over continuation bytes (10xxxxxx) so the cut falls before the straddling
    // character's lead byte; a character is at most 4 bytes, so at most 3 steps.
    const floor = Math.max(0, end - 3)
    while (end > floor && ((buf[end] as number) & 0xc0) === 0x80) end--
  }
  const s = buf.toString('utf8', 0, end)
  // Invalid bytes decode to U+FFFD (3 bytes each), which can push a garbage payload past the limit.
  return s.length <= maxBytes / 3 || Buffer.byteLength(s) <= maxBytes ? s : truncateString(s, maxBytes)
}

/** At most `maxBytes` UTF-8 bytes of `s`, cut on a character boundary. */
export function truncateString(s: string, maxBytes: number): string {
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes: short strings need no measuring.
  if (s.length <= maxBytes / 3) return s
  const buf = Buffer.from(s, 'utf8')
  if (buf.length <= maxBytes) return s
  return truncateBuffer(buf, maxBytes)
}
