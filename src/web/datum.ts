// The one owner of the basemap's datum on the page. Everything the engine sends is WGS-84 and stays
// so in the store; a GCJ-02 basemap (AMap/Gaode, Tencent) draws its roads 300–500 m away from
// WGS-84, so every coordinate handed to Leaflet goes through toMap, and a point the user clicks
// comes back through fromMap. Shapes (H3 cells, zones) are shifted point by point, after they are
// computed in WGS-84. On a WGS-84 basemap both are the identity; outside China gcoord shifts
// nothing. The conversions are gcoord's (MIT, maintained), not a hand-written copy, loaded only
// for a GCJ-02 basemap (its own chunk: a WGS-84 map never downloads it).
import type * as GcoordModule from 'gcoord'

export type Datum = 'wgs84' | 'gcj02'
export type LatLon = [number, number]

// gcoord declares an ES default export over a CommonJS module: under NodeNext TypeScript sees one
// `default` too many, while Node and esbuild both hand gcoord's object to `default`.
type Gcoord = typeof GcoordModule.default.default

export interface DatumShift {
  readonly datum: Datum
  /** A WGS-84 [lat, lon] where the basemap draws it. */
  toMap(lat: number, lon: number): LatLon
  /** A point on the basemap (a click) back in WGS-84 [lat, lon]. */
  fromMap(lat: number, lon: number): LatLon
  /** A ring of WGS-84 [lat, lon] points, each shifted. */
  ring(points: readonly LatLon[]): LatLon[]
}

/** No shift: a WGS-84 (or CGCS2000) basemap, or none. */
export const NO_SHIFT: DatumShift = {
  datum: 'wgs84',
  toMap: (lat, lon) => [lat, lon],
  fromMap: (lat, lon) => [lat, lon],
  ring: (points) => points as LatLon[],
}

/** WGS-84 ↔ GCJ-02 through gcoord. */
export function gcj02Shift(gcoord: Gcoord): DatumShift {
  // GeoJSON in, not a bare [lon, lat]: for a bare position gcoord builds its error messages (the
  // array as a string) on every call, which costs more than the shift itself (3× here).
  const point = (from: Gcoord['WGS84'] | Gcoord['GCJ02'], to: Gcoord['WGS84'] | Gcoord['GCJ02']) => (lat: number, lon: number): LatLon => {
    const p = { type: 'Point' as const, coordinates: [lon, lat] as [number, number] }
    gcoord.transform(p, from, to)
    return [p.coordinates[1], p.coordinates[0]]
  }
  return {
    datum: 'gcj02',
    toMap: point(gcoord.WGS84, gcoord.GCJ02),
    fromMap: point(gcoord.GCJ02, gcoord.WGS84),
    ring: (points) => {
      const line = { type: 'LineString' as const, coordinates: points.map(([lat, lon]) => [lon, lat] as [number, number]) }
      gcoord.transform(line, gcoord.WGS84, gcoord.GCJ02)
      return line.coordinates.map(([lon, lat]) => [lat, lon] as LatLon)
    },
  }
}

/** The shift for the datum the page's settings name (anything unknown: none). */
export async function loadDatumShift(datum: unknown): Promise<DatumShift> {
  if (datum !== 'gcj02') return NO_SHIFT
  const m = await import('gcoord')
  return gcj02Shift(m.default as unknown as Gcoord)
}
