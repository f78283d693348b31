// The one place a Fix object is built, so every fix has the same property order (one hidden
// class in V8: monomorphic property access in every later stage).
import type { Fix } from './fix.js'

export function newFix(
  unitId: string, ts: number, receivedAt: number, lat: number, lon: number, h3: string,
  speed: number | null, heading: number | null, accuracy: number | null, altitude: number | null,
  battery: number | null, seq: number | null, source: string, topic: string,
): Fix {
  return { unitId, ts, receivedAt, lat, lon, h3, speed, heading, accuracy, altitude, battery, seq, source, topic, flags: 0 }
}
