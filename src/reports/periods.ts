// Local days and weeks in the deployment's time zone, as UTC epoch-ms intervals, and when each
// period's bulletin falls due. Pure: Intl gives the zone's offset at an instant, so any IANA zone
// works (DST included); Asia/Shanghai is a fixed UTC+8.

export type PeriodKind = 'daily' | 'weekly'
export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const
export type Weekday = (typeof WEEKDAYS)[number]

export interface Schedule {
  timezone: string
  /** HH:MM local time. */
  dailyAt: string
  weeklyOn: Weekday
}

export interface Period {
  kind: PeriodKind
  /** Local start date, YYYY-MM-DD: the period's name. */
  period: string
  /** UTC epoch ms, [from, to). */
  from: number
  to: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    formatters.set(tz, f)
  }
  return f
}

/** Throws an Error naming the key when the zone is not a known IANA time zone. */
export function checkTimeZone(tz: string, key = 'reports.timezone'): void {
  try {
    formatter(tz)
  } catch {
    throw new Error(`${key}: "${tz}" is not a known IANA time zone (e.g. Asia/Shanghai, UTC)`)
  }
}

/** The zone's UTC offset at the instant, ms (local = utc + offset). */
export function offsetMs(tz: string, utc: number): number {
  const p: Record<string, number> = {}
  for (const part of formatter(tz).formatToParts(new Date(utc))) if (part.type !== 'literal') p[part.type] = Number(part.value)
  const local = Date.UTC(p.year as number, (p.month as number) - 1, p.day, p.hour, p.minute, p.second)
  return local - Math.floor(utc / 1000) * 1000
}

/** The span of fix time one cached offset answers for (see offsetOf). */
export const OFFSET_SLOT_MS = 3_600_000
/** Slots offsetOf remembers: 4096 hours, over five months of fix time (a long back-fill). */
export const OFFSET_SLOTS_KEPT = 4096

/**
 * offsetMs for one zone, remembered per hour of UTC: Intl costs microseconds a call and the hot
 * path (integrity's local day, twice per fix) asks again and again about the same hours, in
 * order for a live fleet, minutes apart and in any order for a back-fill after an outage. An
 * hour is asked of Intl at its first and its last second: the same offset at both, and it holds
 * for the whole hour (no zone in the tz database changes its offset twice within an hour: two
 * transitions are weeks apart at the least; transitions fall at whole seconds, not always at
 * whole minutes or quarter hours: America/St_Johns changed at 00:01 local, Africa/Monrovia at
 * 00:44:30 UTC). An hour holding a transition is answered exactly, by Intl, for each second
 * asked. Bounded: the oldest slot asked first is forgotten beyond OFFSET_SLOTS_KEPT.
 */
export function offsetOf(tz: string): (utc: number) => number {
  /** Slot → its offset, or NaN for an hour holding a transition. */
  const slots = new Map<number, number>()
  let second = Number.NaN
  let secondOffset = 0
  return (utc) => {
    const slot = Math.floor(utc / OFFSET_SLOT_MS)
    let o = slots.get(slot)
    if (o === undefined) {
      const first = offsetMs(tz, slot * OFFSET_SLOT_MS)
      o = first === offsetMs(tz, (slot + 1) * OFFSET_SLOT_MS - 1000) ? first : Number.NaN
      if (slots.size >= OFFSET_SLOTS_KEPT) slots.delete(slots.keys().next().value as number)
      slots.set(slot, o)
    }
    if (!Number.isNaN(o)) return o
    const sec = Math.floor(utc / 1000)
    if (sec !== second) {
      secondOffset = offsetMs(tz, utc)
      second = sec
    }
    return secondOffset
  }
}

/** UTC instant of a local wall-clock time (the later one after a DST gap's jump). */
export function localToUtc(tz: string, y: number, m: number, d: number, minutes = 0): number {
  const wall = Date.UTC(y, m - 1, d) + minutes * 60_000
  const first = wall - offsetMs(tz, wall)
  const second = wall - offsetMs(tz, first)
  return second
}

interface LocalDate { y: number; m: number; d: number }

function localDate(tz: string, utc: number): LocalDate {
  const t = new Date(utc + offsetMs(tz, utc))
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() }
}

function addDays(x: LocalDate, n: number): LocalDate {
  const t = new Date(Date.UTC(x.y, x.m - 1, x.d + n))
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() }
}

const weekday = (x: LocalDate): number => new Date(Date.UTC(x.y, x.m - 1, x.d)).getUTCDay()
const pad = (n: number): string => String(n).padStart(2, '0')
const name = (x: LocalDate): string => `${x.y}-${pad(x.m)}-${pad(x.d)}`

export function parseDate(s: string): LocalDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (m === null) return null
  const x = { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) }
  return name(addDays(x, 0)) === s ? x : null
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number]
  return h * 60 + m
}

function build(kind: PeriodKind, tz: string, start: LocalDate): Period {
  const days = kind === 'daily' ? 1 : 7
  const end = addDays(start, days)
  return { kind, period: name(start), from: localToUtc(tz, start.y, start.m, start.d), to: localToUtc(tz, end.y, end.m, end.d) }
}

/**
 * The period named by its local start date. A weekly period must start on the day after
 * `weekly_on`'s previous occurrence, i.e. on weekly_on itself (weeks run weekly_on → weekly_on).
 * Returns null for a malformed name or a week that does not start on the configured day.
 */
export function periodNamed(kind: PeriodKind, s: Schedule, period: string): Period | null {
  const d = parseDate(period)
  if (d === null) return null
  if (kind === 'weekly' && WEEKDAYS[weekday(d)] !== s.weeklyOn) return null
  return build(kind, s.timezone, d)
}

/** The local day holding the instant. */
export function dayOf(s: Schedule, utc: number): Period {
  return build('daily', s.timezone, localDate(s.timezone, utc))
}

/** When the period's bulletin is due: daily_at on the local day after it ends. */
export function dueAt(s: Schedule, p: Period): number {
  const end = localDate(s.timezone, p.to)
  return localToUtc(s.timezone, end.y, end.m, end.d, minutesOf(s.dailyAt))
}

/**
 * Periods whose due time lies in [since, now], oldest first: what a scheduler that was running
 * (or down) since `since` owes. Looks back at most `maxDays` days.
 */
export function duePeriods(s: Schedule, now: number, since: number, maxDays = 14): Period[] {
  const today = localDate(s.timezone, now)
  const out: Array<Period & { due: number }> = []
  const target = WEEKDAYS.indexOf(s.weeklyOn)
  for (let back = maxDays + 7; back >= 1; back--) {
    const start = addDays(today, -back)
    const kinds: PeriodKind[] = back <= maxDays ? ['daily'] : []
    if (weekday(start) === target && back >= 7) kinds.push('weekly')
    for (const kind of kinds) {
      const p = build(kind, s.timezone, start)
      const due = dueAt(s, p)
      if (due <= now && due >= since) out.push({ ...p, due })
    }
  }
  return out.sort((a, b) => a.due - b.due || (a.kind < b.kind ? -1 : 1)).map(({ due: _due, ...p }) => p)
}

/** The first due time strictly after `now` (for logs and the next timer). */
export function nextDue(s: Schedule, now: number): number {
  const today = localDate(s.timezone, now)
  const todays = dueAt(s, build('daily', s.timezone, addDays(today, -1)))
  return todays > now ? todays : dueAt(s, build('daily', s.timezone, today))
}
