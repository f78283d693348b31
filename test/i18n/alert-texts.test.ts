// Alert summaries in both locales, and the rule engine writing them in the configured locale and
// time zone (the deployment carries them; names follow name_en in English).
import t from 'tap'
import { alertTexts, DEFAULT_ALERT_TEXTS } from '../../src/i18n/alert-texts.js'
import { compileDeployment } from '../../src/rules/deployment.js'
import { RuleEngine } from '../../src/rules/engine.js'
import { BASE, T0, config, feed, fix, offset, standardRaw } from '../rules/helpers.js'

const T = Date.UTC(2026, 11, 6, 14, 2, 11)

t.test('every summary in English and Chinese, times in the zone', async (t) => {
  const en = alertTexts('en', 'Asia/Shanghai')
  const zh = alertTexts('zh-CN', 'Asia/Shanghai')
  t.equal(en.locale, 'en')
  t.equal(zh.locale, 'zh-CN')
  t.equal(DEFAULT_ALERT_TEXTS.sosOpened('P-1', 'native', T), 'SOS from P-1 (native) at 14:02:11Z', 'default: English, UTC')
  t.equal(zh.unitLabel('P-017', '巡逻车 17 号'), '巡逻车 17 号（P-017）')
  t.equal(zh.unitLabel('P-017', 'P-017'), 'P-017')
  t.equal(zh.unitLabel('P-017', undefined), 'P-017')
  t.equal(en.sosOpened('P-1', 'jt808', T), 'SOS from P-1 (jt808) at 22:02:11')
  t.equal(zh.sosOpened('P-1', 'jt808', T), 'P-1 于 22:02:11 发出 SOS 紧急求助（车载终端）')
  t.equal(zh.sosOpened('P-1', 'osmand', T), 'P-1 于 22:02:11 发出 SOS 紧急求助（Traccar 客户端）')
  t.equal(zh.sosOpened('P-1', 'native', T), 'P-1 于 22:02:11 发出 SOS 紧急求助（设备）')
  t.equal(en.sosResolved('P-1', 'sgt.li', 'ok'), 'SOS from P-1 resolved by sgt.li: ok')
  t.equal(zh.sosResolved('P-1', 'sgt.li', '已到场'), 'P-1 的 SOS 已由 sgt.li 处置：已到场')
  t.equal(en.radiusOpened('P-1', 'Chengxi station', 1900, 1500, T), 'P-1 is 1.9 km from Chengxi station, outside its 1.5 km radius since 22:02:11')
  t.equal(zh.radiusOpened('P-1', '城西派出所', 1900, 1500, T), 'P-1 距城西派出所 1.9 公里，自 22:02:11 起超出 1.5 公里 值守半径')
  t.equal(zh.radiusResolved('P-1', '城西派出所', 600, 1500, T), 'P-1 自 22:02:11 起已回到城西派出所 1.5 公里 值守半径内（相距 600 米）')
  t.equal(en.radiusResolved('P-1', 'S', 600, 1500, T), 'P-1 is back within its 1.5 km radius of S (600 m away) since 22:02:11')
  t.equal(en.zoneOpened('O-3', 'Grid 2', 300, T), 'O-3 left Grid 2: 300 m outside its boundary since 22:02:11')
  t.equal(zh.zoneOpened('O-3', '2 号网格', 300, T), 'O-3 自 22:02:11 起离开2 号网格：越出边界 300 米')
  t.equal(en.zoneResolved('O-3', 'Grid 2', T), 'O-3 is back inside Grid 2 since 22:02:11')
  t.equal(zh.zoneResolved('O-3', '2 号网格', T), 'O-3 自 22:02:11 起已回到2 号网格内')
  t.equal(zh.silentOpened('O-3', null, T + 120_000, T), 'O-3 自 22:02:11 开始跟踪以来未上报定位（已 2 分钟）')
  t.equal(zh.silentOpened('O-3', T, T + 300_000, T), 'O-3 已 5 分钟 未上报定位，最后一次收到于 22:02:11')
  t.equal(en.silentOpened('O-3', T, T + 300_000, T), 'O-3 has sent no fix for 5 min, last received at 22:02:11')
  t.equal(en.silentResolved('O-3', T), 'O-3 is reporting again (fix received at 22:02:11)')
  t.equal(zh.silentResolved('O-3', T), 'O-3 已恢复上报（22:02:11 收到定位）')
  t.equal(en.configChanged('x'), 'x: resolved because the configuration changed')
  t.equal(zh.configChanged('x'), 'x：因配置变更而解除')
  t.equal(en.coverageOpened('Grid 2', 0.5, 0.8, 100, 1_800_000, 0), 'Grid 2: 50% of 100 cells patrolled within 30m (minimum 80%)')
  t.equal(en.coverageOpened('Grid 2', 0.5, 0.8, 100, 90_500, 0), 'Grid 2: 50% of 100 cells patrolled within 90500ms (minimum 80%)')
  t.equal(zh.coverageOpened('2 号网格', 0.5, 0.8, 100, 1_800_000, 0), '2 号网格：100 个网格单元中 50% 在 30 分钟 内巡到（最低 80%）')
  t.equal(zh.coverageOpened('2 号网格', 0.9, 0.8, 100, 1_800_000, 2), '2 号网格：100 个网格单元中 90% 在 30 分钟 内巡到（最低 80%）；2 个重点单元超时未巡')
  t.equal(en.coverageResolved('Grid 2', 0.9, 100, 3_600_000), 'Grid 2: coverage restored, 90% of 100 cells patrolled within 1h')
  t.equal(zh.coverageResolved('2 号网格', 0.9, 100, 3_600_000), '2 号网格：巡逻覆盖已恢复，100 个网格单元中 90% 在 60 分钟 内巡到')
  t.equal(en.responseOpened('Grid 2', 0.5, 0.8, 1500), 'Grid 2: only 50% of the zone is within 1.5 km of a live unit (minimum 80%)')
  t.equal(zh.responseOpened('2 号网格', 0.5, 0.8, 1500), '2 号网格：仅 50% 的区域在在线警力 1.5 公里 范围内（最低 80%）')
  t.equal(en.responseResolved('Grid 2', 0.9, 1500), 'Grid 2: response coverage restored, 90% of the zone within 1.5 km of a live unit')
  t.equal(zh.responseResolved('2 号网格', 0.9, 1500), '2 号网格：响应覆盖已恢复，90% 的区域在在线警力 1.5 公里 范围内')
  t.equal(en.acknowledged('x', 'sgt.li'), 'Acknowledged by sgt.li: x')
  t.equal(en.unitLabel('P-017', 'Patrol car 17'), 'Patrol car 17 (P-017)')
  t.equal(en.unitLabel('P-017', undefined), 'P-017')
  t.equal(en.unitLabel('P-017', 'P-017'), 'P-017')
  t.equal(en.silentOpened('O-3', null, T + 120_000, T), 'O-3 has sent no fix since hexpatrol started tracking it at 22:02:11 (2 min)')
  t.match(en.coverageOpened('Grid 2', 0.9, 0.8, 100, 1_800_000, 1), /; 1 priority cell overdue$/)
  t.match(en.coverageOpened('Grid 2', 0.9, 0.8, 100, 1_800_000, 3), /; 3 priority cells overdue$/)
  t.equal(zh.acknowledged('x', 'sgt.li'), 'sgt.li 已确认：x')
})

/** P-020 (post station-03 at BASE, 1500 m) leaves its radius: the breach opens, is acknowledged. */
function breach(over: Record<string, unknown>) {
  const raw = standardRaw(over)
  const e = new RuleEngine(compileDeployment(config(raw)), { startedAt: T0 })
  const out = []
  const track: Array<[number, number]> = [[0, 0]]
  for (let s = 100; s <= 200; s += 5) track.push([s, 2500])
  for (const [s, d] of track) out.push(...feed(e, fix('P-020', T0 + s * 1000, offset(BASE, d, 0))))
  const opened = out.find((a) => a.state === 'opened')!
  const acked = e.acknowledge(opened.alertId, 'sgt.li', T0 + 400_000)!
  return { opened, acked }
}

t.test('the engine writes summaries in the configured locale and time zone', async (t) => {
  const posts = [{ id: 'station-03', name: '城西派出所', name_en: 'Chengxi station', lat: BASE.lat, lon: BASE.lon, radius_m: 1500 }]
  const zh = breach({ locale: 'zh-CN', reports: { timezone: 'Asia/Shanghai' }, posts })
  t.match(zh.opened.summary, /^P-020 距城西派出所 2\.5 公里，自 \d\d:\d\d:\d\d 起超出 1\.5 公里 值守半径$/)
  t.notMatch(zh.opened.summary, /Z$/)
  t.equal(zh.opened.postName, '城西派出所', 'Chinese: the name')
  t.match(zh.acked.summary, /^sgt\.li 已确认：P-020 距城西派出所/)
  const en = breach({ locale: 'en', reports: { timezone: 'Asia/Shanghai' }, posts })
  t.match(en.opened.summary, /^P-020 is 2\.5 km from Chengxi station, outside its 1\.5 km radius since \d\d:\d\d:\d\d$/, 'English: name_en, local time')
  t.equal(en.opened.postName, 'Chengxi station')
  const shanghai = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' })
  t.ok(en.opened.summary.endsWith(shanghai.format(T0 + 100_000)), 'the time is the configured zone\'s')
})

t.test('a bad time zone stops start-up naming the key', async (t) => {
  t.throws(() => compileDeployment(config(standardRaw({ reports: { timezone: 'Mars/Olympus' } }))), /reports\.timezone: "Mars\/Olympus" is not a known IANA time zone/)
})
