// rules.known_units_only: fixes from unit ids not in the config are rejected as `unknown_unit`
// (counted and stored in `rejects` like any other reject), so a flood of invented ids costs
// neither rule state nor memory. Wraps a decoder; the rest of the message is kept.
import type { Decode } from './decoder.js'
import { truncateString } from './truncate.js'

export function rejectUnknownUnits(decode: Decode, known: ReadonlySet<string>, rejectPayloadBytes: number): Decode {
  return (topic, payload, receivedAt) => {
    const decoded = decode(topic, payload, receivedAt)
    // An unknown unit's SOS is dropped with its fixes: it would create the rule state this option avoids.
    const r = decoded.sos === undefined ? decoded : { ...decoded, sos: decoded.sos.filter((s) => known.has(s.unitId)) }
    if (r.fixes.every((f) => known.has(f.unitId))) return r
    const fixes = []
    for (const f of r.fixes) {
      if (known.has(f.unitId)) {
        fixes.push(f)
        continue
      }
      r.rejects.push({
        receivedAt,
        topic,
        unitId: f.unitId,
        reason: 'unknown_unit',
        detail: `unit ${JSON.stringify(f.unitId)} is not in the configuration (rules.known_units_only)`,
        payload: truncateString(JSON.stringify({ unit: f.unitId, ts: f.ts, lat: f.lat, lon: f.lon }), rejectPayloadBytes),
      })
    }
    return { ...r, fixes }
  }
}
