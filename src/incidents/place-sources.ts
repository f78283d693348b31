// What the gazetteer knows, from the configuration alone: the `places` list, then every post (its
// centre), zone (a point inside it: geo/interior-point.ts) and fixed plan checkpoint, so a
// dispatcher can type "东关派出所" or a grid's name without anyone listing them twice. Entries
// keep this order, which breaks the gazetteer's last ties. Pure.
import type { ResolvedConfig } from '../config/resolve.js'
import { interiorPoint } from '../geo/interior-point.js'
import type { ZoneGeometry } from '../geo/polygon.js'
import type { PlaceEntry } from './places.js'

export type PlaceConfig = Pick<ResolvedConfig, 'places' | 'posts' | 'zones' | 'plans'>

const named = (name: string | undefined, nameEn: string | undefined, fallback: string) => ({
  name: name ?? nameEn ?? fallback,
  ...(nameEn === undefined ? {} : { nameEn }),
})

/** Six decimals (about 0.1 m): the typed coordinates' precision, without a centroid's float noise. */
const micro = (deg: number) => Math.round(deg * 1e6) / 1e6

/** The gazetteer's entries for a config; an id is an alias when the item has a name of its own. */
export function placeEntries(config: PlaceConfig): PlaceEntry[] {
  const out: PlaceEntry[] = config.places.map((p) => ({ ...named(p.name, p.name_en, p.name), aliases: p.aliases, kind: p.kind, lat: p.lat, lon: p.lon, source: 'config' as const }))
  for (const p of config.posts) out.push({ ...named(p.name, p.name_en, p.id), aliases: [p.id], kind: 'station', lat: p.lat, lon: p.lon, source: 'post' })
  for (const z of config.zones) {
    // validateConfig has read every geometry file: only inline geometry is left.
    if ('file' in z.geometry) continue
    const at = interiorPoint(z.geometry as ZoneGeometry)
    out.push({ ...named(z.name, z.name_en, z.id), aliases: [z.id], kind: 'zone', lat: micro(at.lat), lon: micro(at.lon), source: 'zone' })
  }
  // A checkpoint named the same at the same spot in several plans is one place.
  const seen = new Set<string>()
  for (const plan of config.plans) {
    for (const c of plan.checkpoints) {
      if (c.lat === undefined || c.lon === undefined) continue
      const key = `${c.name}\n${c.lat}\n${c.lon}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({ ...named(c.name, c.name_en, c.name), aliases: [], kind: 'checkpoint', lat: c.lat, lon: c.lon, source: 'checkpoint' })
    }
  }
  return out
}
