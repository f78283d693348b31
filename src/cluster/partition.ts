// Which partition a unit belongs to: FNV-1a (32-bit) over the unit id's UTF-8 bytes, modulo the
// partition count. Stable across processes, versions and platforms (no seed, no Node hash), so
// every engine routes a unit's fixes to the same partition subject; the count is fixed when the
// stream is created (cluster.partitions), because changing it would move most units.
const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const encoder = new TextEncoder()

/** FNV-1a 32-bit hash of the UTF-8 bytes of `s`, as an unsigned integer. */
export function fnv1a32(s: string): number {
  let h = FNV_OFFSET
  for (const byte of encoder.encode(s)) {
    h ^= byte
    h = Math.imul(h, FNV_PRIME)
  }
  return h >>> 0
}

/** The partition (0 … partitions-1) of a unit id. */
export function partitionOf(unitId: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer (got ${partitions})`)
  return fnv1a32(unitId) % partitions
}
