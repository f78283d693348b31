// The incident record and its validation from the API's JSON body or a CSV import row. Pure:
// bad input becomes a reason string per row, never a throw into the service.

export interface Incident {
  id: string
  type: string
  /** 1 (highest) … 5. */
  priority: number
  /** When it happened, epoch ms. */
  ts: number
  lat: number
  lon: number
  address: string
  description: string
}

export interface IncidentInput {
  id?: unknown
  type?: unknown
  priority?: unknown
  time?: unknown
  lat?: unknown
  lon?: unknown
  address?: unknown
  description?: unknown
}

const ID = /^[A-Za-z0-9_.:-]{1,128}$/
const TYPE = /^[a-z0-9_]{1,64}$/

function timeOf(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (typeof v !== 'string' || v === '') return null
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v)
  return Number.isFinite(n) ? n : null
}

function num(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) ? n : null
}

/** An Incident, or the reason it is rejected (names the field). `now` is the default time. */
export function parseIncident(i: IncidentInput, now: number): Incident | string {
  if (typeof i.id !== 'string' || !ID.test(i.id)) return 'id: 1-128 characters of A-Z a-z 0-9 _ . : -'
  if (typeof i.type !== 'string' || !TYPE.test(i.type)) return 'type: lowercase letters, digits and _ (e.g. robbery, snatch_theft)'
  const priority = i.priority === undefined || i.priority === '' ? 3 : num(i.priority)
  if (priority === null || !Number.isInteger(priority) || priority < 1 || priority > 5) return 'priority: an integer 1 (highest) to 5'
  const ts = i.time === undefined || i.time === '' ? now : timeOf(i.time)
  if (ts === null) return 'time: epoch milliseconds or an ISO-8601 time'
  const lat = num(i.lat)
  const lon = num(i.lon)
  if (lat === null || lat < -90 || lat > 90) return 'lat: a number -90..90'
  if (lon === null || lon < -180 || lon > 180) return 'lon: a number -180..180'
  if (lat === 0 && lon === 0) return 'lat/lon: (0, 0) is no position'
  const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '')
  return { id: i.id, type: i.type, priority, ts, lat, lon, address: text(i.address, 500), description: text(i.description, 4000) }
}

/** Splits one CSV line (RFC 4180 quoting: "a ""quoted"" field", commas inside quotes). */
export function csvFields(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (ch === '"') quoted = false
      else cur += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out
}

/** CSV with a header row naming the columns (id,type,priority,time,lat,lon,address,description; any order). */
export function parseCsv(text: string): IncidentInput[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const header = csvFields(lines[0] ?? '').map((h) => h.trim().toLowerCase())
  return lines.slice(1).map((line) => {
    const f = csvFields(line)
    const row: Record<string, string> = {}
    header.forEach((h, i) => {
      row[h] = (f[i] ?? '').trim()
    })
    return row
  })
}
