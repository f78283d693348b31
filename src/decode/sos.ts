// A unit's own emergency signal (SOS button) carried by a message, whatever the format: a native
// `sos: true`, OsmAnd's `alarm=sos` (Traccar Client). It travels beside the fixes in the
// DecodeResult, so a report rejected for its position (no GPS lock) still raises the SOS.
import type { DecodeResult, Fix, SosSource } from './fix.js'

/** The result with one SOS signal added, attached to its newest fix when it has one. */
export function withSos(result: DecodeResult, unitId: string, receivedAt: number, via: SosSource): DecodeResult {
  let fix: Fix | null = null
  for (const f of result.fixes) if (fix === null || f.ts > fix.ts) fix = f
  return { ...result, sos: [{ unitId, at: fix?.ts ?? receivedAt, via, fix }] }
}
