// The languages the engine writes in for people (chat messages, webhook summaries, alert texts,
// bulletins, start-up help), and the formatters of dates, times, distances and shares for each.
// Pure; the Intl formatters are built once per (locale, time zone) so a hot path only calls them.

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]

export function isLocale(s: unknown): s is Locale {
  return (LOCALES as readonly unknown[]).includes(s)
}

export interface Formats {
  locale: Locale
  timeZone: string
  /** Wall-clock time of day in the time zone: 22:02:11 (UTC: 14:02:11Z). */
  clock(ms: number): string
  /** Date and time in the locale's own order: 2026年12月6日 22:02:11 · 6 Dec 2026, 22:02:11 (English in UTC: ISO 8601). */
  dateTime(ms: number): string
  /** Date and time to the minute, for tables: 2026-12-06 22:02. */
  stamp(ms: number): string
  /** Day and time to the minute, for tables within a period: 12/06 22:02 · 06/12, 22:02. */
  dayTime(ms: number): string
  /** 412 m, 1.9 km (公里 / 米 in Chinese). */
  distance(m: number): string
  /** 62 % (one decimal where `digits` is 1). */
  percent(ratio: number, digits?: 0 | 1): string
  /** A duration: 45 s, 12 min, 3 h 5 min (秒 / 分钟 / 小时). */
  span(ms: number): string
}

const cache = new Map<string, Formats>()

/** The formatters of a locale in a time zone (an IANA name; checked at start-up by the config). */
export function formats(locale: Locale, timeZone: string): Formats {
  const key = `${locale}|${timeZone}`
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const zh = locale === 'zh-CN'
  const utc = timeZone === 'UTC' || timeZone === 'Etc/UTC'
  const clockFmt = new Intl.DateTimeFormat(zh ? 'zh-CN' : 'en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' })
  const dateTimeFmt = new Intl.DateTimeFormat(zh ? 'zh-CN' : 'en-GB', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: zh ? 'long' : 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  })
  const stampFmt = new Intl.DateTimeFormat('sv-SE', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
  const dayTimeFmt = new Intl.DateTimeFormat(zh ? 'zh-CN' : 'en-GB', { timeZone, hourCycle: 'h23', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
  // Outside UTC the zone is the deployment's own, as its readers expect; UTC is said.
  const zone = utc ? ' UTC' : ''
  const f: Formats = {
    locale,
    timeZone,
    clock: (ms) => `${clockFmt.format(ms)}${utc ? (zh ? ' UTC' : 'Z') : ''}`,
    // English in UTC keeps ISO 8601, what receivers of the English texts have always parsed.
    dateTime: utc && !zh ? (ms) => new Date(ms).toISOString() : (ms) => `${dateTimeFmt.format(ms)}${zone}`,
    stamp: (ms) => stampFmt.format(ms),
    dayTime: (ms) => dayTimeFmt.format(ms),
    distance: zh
      ? (m) => (m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`)
      : (m) => (m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`),
    percent: (r, digits = 0) => (digits === 0 ? `${Math.round(r * 100)}%` : `${(Math.round(r * 1000) / 10).toFixed(1)}%`),
    span: (ms) => {
      if (ms < 60_000) return zh ? `${Math.round(ms / 1000)} 秒` : `${Math.round(ms / 1000)} s`
      const min = Math.floor(ms / 60_000)
      if (min < 120) return zh ? `${min} 分钟` : `${min} min`
      return zh ? `${Math.floor(min / 60)} 小时 ${min % 60} 分钟` : `${Math.floor(min / 60)} h ${min % 60} min`
    },
  }
  cache.set(key, f)
  return f
}
