// The formatters of each locale: times in the configured zone (UTC said as such), distances,
// shares and durations in English and Chinese.
import t from 'tap'
import { formats, isLocale, LOCALES } from '../../src/i18n/locale.js'

const T = Date.UTC(2026, 11, 6, 14, 2, 11)

t.test('locales', async (t) => {
  t.same(LOCALES, ['zh-CN', 'en'])
  t.ok(isLocale('zh-CN'))
  t.ok(isLocale('en'))
  t.notOk(isLocale('zh'))
  t.notOk(isLocale(undefined))
})

t.test('times in the configured zone, in each locale\'s order', async (t) => {
  const en = formats('en', 'Asia/Shanghai')
  const zh = formats('zh-CN', 'Asia/Shanghai')
  t.equal(en.clock(T), '22:02:11')
  t.equal(zh.clock(T), '22:02:11')
  t.equal(en.dateTime(T), '6 Dec 2026, 22:02:11')
  t.equal(zh.dateTime(T), '2026年12月6日 22:02:11')
  t.equal(en.stamp(T), '2026-12-06 22:02')
  t.equal(zh.stamp(T), '2026-12-06 22:02')
  t.equal(en.dayTime(T), '06/12, 22:02')
  t.equal(zh.dayTime(T), '12/06 22:02')
  // UTC is said: a reader elsewhere must not take it for local time.
  t.equal(formats('en', 'UTC').clock(T), '14:02:11Z')
  t.equal(formats('zh-CN', 'UTC').clock(T), '14:02:11 UTC')
  t.equal(formats('en', 'UTC').dateTime(T), '2026-12-06T14:02:11.000Z', 'English in UTC: ISO 8601, as before')
  t.equal(formats('zh-CN', 'Etc/UTC').dateTime(T), '2026年12月6日 14:02:11 UTC')
  t.equal(formats('en', 'Asia/Shanghai'), en, 'built once per locale and zone')
  t.throws(() => formats('en', 'Mars/Olympus'), RangeError)
})

t.test('distances, shares, durations', async (t) => {
  const en = formats('en', 'UTC')
  const zh = formats('zh-CN', 'UTC')
  t.equal(en.distance(849.6), '850 m')
  t.equal(en.distance(1900), '1.9 km')
  t.equal(zh.distance(849.6), '850 米')
  t.equal(zh.distance(1900), '1.9 公里')
  t.equal(en.percent(0.625), '63%')
  t.equal(zh.percent(0.6256, 1), '62.6%')
  t.equal(en.span(45_000), '45 s')
  t.equal(en.span(185_000), '3 min')
  t.equal(en.span(3 * 3_600_000 + 5 * 60_000), '3 h 5 min')
  t.equal(zh.span(45_000), '45 秒')
  t.equal(zh.span(185_000), '3 分钟')
  t.equal(zh.span(3 * 3_600_000 + 5 * 60_000), '3 小时 5 分钟')
})
