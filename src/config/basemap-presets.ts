// The named online basemaps of China (map.tiles.preset): their XYZ templates, tile servers'
// subdomains, datum and attribution, in one table. Tianditu (the national map service) is
// CGCS2000, equal to WGS-84 at GPS accuracy: drawn unshifted; its labels are a second layer and
// every request needs a key (`{tk}`). AMap/Gaode and Tencent draw in GCJ-02: the page shifts what
// it draws (src/web/datum.ts). Tencent numbers its rows from the south (TMS): `{-y}` in Leaflet.
// Pure data: the templates are facts about the providers, checked nowhere but in their browsers.

export type Datum = 'wgs84' | 'gcj02'
export type BasemapPreset = 'tianditu' | 'amap' | 'tencent'

export interface PresetSource {
  /** XYZ template of the base layer ({s} subdomain, {z}/{x}/{y}, {-y} a TMS row, {tk} the key). */
  url: string
  /** A second template drawn over it (labels), if the provider splits them. */
  overlay_url?: string
  subdomains: string
  datum: Datum
  attribution: string
  /** Deepest zoom the provider has tiles for; Leaflet enlarges beyond, up to map.tiles.max_zoom. */
  max_native_zoom: number
  /** The template needs a key in {tk} (map.tiles.key or key_env). */
  needs_key: boolean
}

const TIANDITU = (layer: 'vec' | 'cva') =>
  `https://t{s}.tianditu.gov.cn/${layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}`

export const BASEMAP_PRESETS: Readonly<Record<BasemapPreset, PresetSource>> = {
  tianditu: {
    url: TIANDITU('vec'),
    overlay_url: TIANDITU('cva'),
    subdomains: '01234567',
    datum: 'wgs84',
    attribution: '© 天地图 Tianditu',
    max_native_zoom: 18,
    needs_key: true,
  },
  amap: {
    url: 'https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}',
    subdomains: '1234',
    datum: 'gcj02',
    attribution: '© 高德地图 AMap',
    max_native_zoom: 18,
    needs_key: false,
  },
  tencent: {
    url: 'https://rt{s}.map.gtimg.com/realtimerender?z={z}&x={x}&y={-y}&type=vector&style=0',
    subdomains: '0123',
    datum: 'gcj02',
    attribution: '© 腾讯地图 Tencent',
    max_native_zoom: 18,
    needs_key: false,
  },
}
