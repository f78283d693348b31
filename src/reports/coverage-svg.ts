// A small static coverage map of one zone: its H3 cells as hexagons, shaded by the share of the
// period they were fresh (red never → green always). Plain SVG, no tiles, nothing fetched.
import { cellToBoundary } from 'h3-js'

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function colour(fresh: number): string {
  const f = Math.min(1, Math.max(0, fresh))
  // Hue 0 (red) → 120 (green).
  return `hsl(${Math.round(f * 120)},70%,50%)`
}

export function coverageSvg(cells: ReadonlyArray<{ cell: string; fresh: number }>, title: string, size = 240, empty = 'no coverage snapshots'): string {
  if (cells.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="40" role="img" aria-label="${esc(title)}"><text x="4" y="24" font-size="12">${esc(empty)}</text></svg>`
  const rings = cells.map((c) => ({ fresh: c.fresh, cell: c.cell, ring: cellToBoundary(c.cell) }))
  let minLat = Infinity
  let maxLat = -Infinity
  let minLon = Infinity
  let maxLon = -Infinity
  for (const r of rings) {
    for (const [lat, lon] of r.ring) {
      minLat = Math.min(minLat, lat)
      maxLat = Math.max(maxLat, lat)
      minLon = Math.min(minLon, lon)
      maxLon = Math.max(maxLon, lon)
    }
  }
  // Equirectangular at the zone's latitude: good enough at district scale.
  const kx = Math.cos(((minLat + maxLat) / 2) * (Math.PI / 180))
  const w = (maxLon - minLon) * kx
  const h = maxLat - minLat
  const scale = size / Math.max(w, h)
  const width = Math.ceil(w * scale)
  const height = Math.ceil(h * scale)
  const polys = rings.map((r) => {
    const pts = r.ring.map(([lat, lon]) => `${((lon - minLon) * kx * scale).toFixed(1)},${((maxLat - lat) * scale).toFixed(1)}`).join(' ')
    return `<polygon points="${pts}" fill="${colour(r.fresh)}" stroke="#fff" stroke-width="0.5"><title>${r.cell}: fresh ${Math.round(r.fresh * 100)} %</title></polygon>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">${polys.join('')}</svg>`
}
