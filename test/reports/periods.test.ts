// Local days and weeks: UTC+8 (no DST), UTC, and a DST zone; when bulletins fall due; catch-up.
import t from 'tap'
import { checkTimeZone, dayOf, dueAt, duePeriods, localToUtc, nextDue, offsetMs, offsetOf, parseDate, periodNamed, type Schedule } from '../../src/reports/periods.js'

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

t.test('offsetOf remembers the last minute and answers as offsetMs, across DST changes and back in time', async (t) => {
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
