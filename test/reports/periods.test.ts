// Local days and weeks: UTC+8 (no DST), UTC, and a DST zone; when bulletins fall due; catch-up.
import t from 'tap'
import { checkTimeZone, dayOf, dueAt, duePeriods, localToUtc, nextDue, OFFSET_SLOTS_KEPT, offsetMs, offsetOf, parseDate, periodNamed, type Schedule } from '../../src/reports/periods.js'

const SH: Schedule = { timezone: 'Asia/Shanghai', dailyAt: '08:00', weeklyOn: 'monday' }
const UTC: Schedule = { timezone: 'UTC', dailyAt: '08:00', weeklyOn: 'monday' }
const H = 3_600_000

t.test('offsets and local midnights', async (t) => {
  t.equal(offsetMs('Asia/Shanghai', Date.UTC(2026, 5, 1)), 8 * H)
  t.equal(offsetMs('UTC', Date.UTC(2026, 5, 1)), 0)
  t.equal(localToUtc('Asia/Shanghai', 2026, 11, 30), Date.UTC(2026, 10, 29, 16))
  t.equal(localToUtc('Europe/Berlin', 2026, 7, 1), Date.UTC(2026, 5, 30, 22), 'summer time: UTC+2')
  t.equal(localToUtc('Europe/Berlin', 2026, 1, 1), Date.UTC(2025, 11, 31, 23), 'winter time: UTC+1')
  const d = periodNamed('daily', { ...SH, timezone: 'Europe/Berlin' }, '2026-03-29')!
  t.equal(d.to - d.from, 23 * H, 'the spring-forward day has 23 hours')
  t.same(dayOf(SH, Date.UTC(2026, 10, 29, 16)), { kind: 'daily', period: '2026-11-30', from: Date.UTC(2026, 10, 29, 16), to: Date.UTC(2026, 10, 30, 16) })
  t.equal(dayOf(UTC, Date.UTC(2026, 10, 29, 16)).period, '2026-11-29')
  t.doesNotThrow(() => checkTimeZone('UTC'))
  t.throws(() => checkTimeZone('Nowhere/Land'), /reports\.timezone: "Nowhere\/Land" is not a known IANA time zone/)
})

t.test('period names', async (t) => {
  t.same(parseDate('2026-02-28'), { y: 2026, m: 2, d: 28 })
  t.equal(parseDate('2026-02-30'), null)
  t.equal(parseDate('26-2-3'), null)
  t.equal(periodNamed('daily', SH, 'x'), null)
  t.equal(periodNamed('weekly', SH, '2026-12-01'), null, 'a Tuesday does not start a Monday week')
  const w = periodNamed('weekly', SH, '2026-11-30')!
  t.equal(w.to - w.from, 7 * 24 * H)
  t.equal(dueAt(SH, w), Date.UTC(2026, 11, 7, 0), '08:00 local on the Monday after')
  t.equal(periodNamed('weekly', { ...SH, weeklyOn: 'sunday' }, '2026-11-29')!.period, '2026-11-29')
})

t.test('what falls due', async (t) => {
  const d30 = periodNamed('daily', SH, '2026-11-30')!
  const due = dueAt(SH, d30)
  t.equal(due, Date.UTC(2026, 11, 1, 0), '08:00 Shanghai = 00:00 UTC next day')
  t.same(duePeriods(SH, due - 1, due - H), [], 'not before 08:00')
  t.same(duePeriods(SH, due, due - H).map((p) => p.period), ['2026-11-30'])
  t.same(duePeriods(SH, due + 5 * 24 * H, due - H).map((p) => `${p.kind}/${p.period}`),
    ['daily/2026-11-30', 'daily/2026-12-01', 'daily/2026-12-02', 'daily/2026-12-03', 'daily/2026-12-04', 'daily/2026-12-05'])
  const mon = Date.UTC(2026, 11, 7, 0)
  t.same(duePeriods(SH, mon, mon).map((p) => `${p.kind}/${p.period}`), ['daily/2026-12-06', 'weekly/2026-11-30'], 'Monday 08:00: the day and the week')
  t.equal(duePeriods(SH, mon + 60 * 24 * H, 0).filter((p) => p.kind === 'daily').length, 14, 'catch-up bounded to 14 days')
  t.same(duePeriods(UTC, Date.UTC(2026, 11, 1, 8), Date.UTC(2026, 11, 1)).map((p) => p.period), ['2026-11-30'], 'UTC deployment: 08:00 UTC')
  t.equal(nextDue(SH, due - 1), due)
  t.equal(nextDue(SH, due), due + 24 * H)
  t.equal(nextDue(SH, Date.UTC(2026, 10, 30, 20)), due, 'after local midnight, before 08:00')
})

t.test('offsetOf answers as offsetMs, across DST changes and back in time', async (t) => {
  for (const tz of ['Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Shanghai', 'America/St_Johns']) {
    const offset = offsetOf(tz)
    // Around the 2026 spring and autumn changes (Berlin 29 March / 25 October 01:00 UTC; Lord Howe 5 April / 4 October), second by second and jumping back.
    const around = [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1), Date.UTC(2026, 3, 4, 15), Date.UTC(2026, 9, 3, 15, 30), Date.UTC(2026, 2, 8, 5, 30), Date.UTC(2026, 10, 1, 4, 30)]
    let bad = 0
    for (const at of around) {
      for (let s = -90; s <= 90; s += 7) if (offset(at + s * 1000) !== offsetMs(tz, at + s * 1000)) bad++
      for (let s = 90; s >= -90; s -= 13) if (offset(at + s * 1000 + 123) !== offsetMs(tz, at + s * 1000 + 123)) bad++
    }
    t.equal(bad, 0, tz)
  }
})

t.test('offsetOf on a back-fill: minutes apart in fix time, units interleaved, across DST changes, as Intl answers', async (t) => {
  // Three units' buffers replayed after an outage, interleaved: each unit's fixes 3–11 minutes
  // apart, the units hours apart, over a spring and an autumn change (Berlin: 1 h at 01:00 UTC;
  // Lord Howe: 30 min at 15:00 / 15:30 UTC; St John's in 2010: at 00:01 local, not on a quarter hour).
  const cases: Array<[string, number]> = [
    ['Europe/Berlin', Date.UTC(2026, 2, 29, 1)], ['Europe/Berlin', Date.UTC(2026, 9, 25, 1)],
    ['Australia/Lord_Howe', Date.UTC(2026, 3, 4, 15)], ['Australia/Lord_Howe', Date.UTC(2026, 9, 3, 15, 30)],
    ['America/St_Johns', Date.UTC(2010, 2, 14, 3, 31)], ['America/St_Johns', Date.UTC(2010, 10, 7, 2, 31)],
  ]
  for (const [tz, change] of cases) {
    const offset = offsetOf(tz)
    const seen = new Set<number>()
    let bad = 0
    let asked = 0
    for (let k = 0; k < 400; k++) {
      const unit = k % 3
      const at = change - 10 * H + unit * 2 * H + Math.floor(k / 3) * ((3 + ((k * 7) % 9)) * 60_000) + ((k * 7919) % 60_000)
      seen.add(offsetMs(tz, at))
      asked++
      if (offset(at) !== offsetMs(tz, at)) bad++
    }
    // Second by second around the change itself, after the cache holds its hour.
    for (let s = -120; s <= 120; s++) {
      asked++
      if (offset(change + s * 1000) !== offsetMs(tz, change + s * 1000)) bad++
    }
    t.equal(bad, 0, `${tz} around ${new Date(change).toISOString()}: ${asked} asked`)
    t.equal(seen.size, 2, 'the sequence crosses the change')
  }
})

t.test('offsetOf: a change off the minute (Africa/Monrovia, 1972) and a bounded memory', async (t) => {
  const offset = offsetOf('Africa/Monrovia')
  const change = Date.UTC(1972, 0, 7, 0, 44, 30)
  t.not(offsetMs('Africa/Monrovia', change - 1000), offsetMs('Africa/Monrovia', change), 'Liberia moved to UTC at 00:44:30 UTC')
  let bad = 0
  for (let s = -100; s <= 100; s++) if (offset(change + s * 1000) !== offsetMs('Africa/Monrovia', change + s * 1000)) bad++
  t.equal(bad, 0)
  // More hours asked than kept, then the first ones again: still the right answers.
  const berlin = offsetOf('Europe/Berlin')
  const t0 = Date.UTC(2025, 0, 1)
  for (let h = 0; h < OFFSET_SLOTS_KEPT + 500; h++) berlin(t0 + h * H + 1234)
  bad = 0
  for (let h = 0; h < OFFSET_SLOTS_KEPT + 500; h += 97) if (berlin(t0 + h * H + 99) !== offsetMs('Europe/Berlin', t0 + h * H + 99)) bad++
  t.equal(bad, 0, 'forgotten hours are asked again')
})
