// Incident, patrol level and plan event summaries in both locales, and a plan board writing them
// in the configured one; English names follow name_en.
import t from 'tap'
import { DEFAULT_INCIDENT_TEXTS, incidentTexts, incidentTypeZh, levelZh } from '../../src/i18n/incident-texts.js'
import { PlanBoard, type PlanSpec, type UnitPosition } from '../../src/incidents/plans.js'
import { openedEvent } from '../../src/incidents/service.js'
import { compileIncidents } from '../../src/incidents/compile.js'
import type { Incident } from '../../src/incidents/incident.js'
import { BASE, config, offset, standardRaw } from '../rules/helpers.js'

const T = Date.UTC(2026, 11, 6, 14, 2, 0)
const zh = incidentTexts('zh-CN', 'Asia/Shanghai')
const en = incidentTexts('en', 'Asia/Shanghai')

t.test('every summary in both locales', async (t) => {
  const near = { unitId: 'P-1', distanceM: 420, etaS: 61 }
  t.equal(en.incidentOpened('A', 'robbery', 1, null, undefined), 'Incident A (robbery, priority 1): no available unit')
  t.equal(en.incidentOpened('A', 'robbery', 1, 'g', near), 'Incident A (robbery, priority 1) in g: nearest P-1 at 420 m, ETA 2 min')
  t.equal(zh.incidentOpened('A', 'robbery', 1, null, undefined), '警情 A（抢劫，1 级）：无可调派警力')
  t.equal(zh.incidentOpened('A', 'arson', 2, '1 号网格', near), '警情 A（arson，2 级），位于1 号网格：最近警力 P-1，相距 420 米，预计 2 分钟到达')
  t.equal(en.levelSuggested('g', 5, 24, 'normal', 'high'), 'g: 5 incidents within 24 h; suggest raising the patrol level from normal to high')
  t.equal(zh.levelSuggested('1 号网格', 5, 24, 'normal', 'high'), '1 号网格：24 小时内发生 5 起警情，建议将巡逻等级由常态提升为高等级')
  t.equal(en.levelAutoReason(5, 24), 'automatic: 5 incidents within 24 h')
  t.equal(zh.levelAutoReason(5, 24), '自动：24 小时内 5 起警情')
  t.equal(en.levelChanged('g', 'normal', 'high', null, 'duty', 'event'), 'g: patrol level normal → high (duty: event)')
  t.equal(en.levelChanged('g', 'normal', 'high', T, 'duty', 'event'), 'g: patrol level normal → high until 2026-12-06 22:02 (duty: event)', 'local time')
  t.equal(DEFAULT_INCIDENT_TEXTS.levelChanged('g', 'normal', 'high', T, 'duty', 'event'), 'g: patrol level normal → high until 2026-12-06T14:02Z (duty: event)', 'UTC: ISO 8601')
  t.equal(zh.levelChanged('1 号网格', 'normal', 'red', T, 'duty', '大型活动'), '1 号网格：巡逻等级 常态 → red，至 2026-12-06 22:02（duty：大型活动）')
  t.equal(zh.levelChanged('1 号网格', 'normal', 'emergency', null, 'duty', 'x'), '1 号网格：巡逻等级 常态 → 紧急（duty：x）')
  t.equal(zh.planActivated('封控', 'duty', null, 2), '预案「封控」已由 duty 启动：共 2 个卡点')
  t.equal(zh.planActivated('封控', 'duty', 'R-1', 2), '预案「封控」已由 duty 启动（警情 R-1）：共 2 个卡点')
  t.equal(en.planActivated('Ring', 'duty', 'R-1', 2), 'Plan Ring activated by duty for incident R-1: 2 checkpoints')
  t.equal(zh.planDeactivated('封控', 'duty', 1, 2), '预案「封控」已由 duty 结束：2 个卡点中 1 个已到位')
  t.equal(zh.checkpointMissed('北出口', '封控', 5, ['P-1', 'P-2']), '预案「封控」卡点「北出口」5 分钟内未到位（P-1、P-2）')
  t.equal(zh.planCompleted('封控', 2, 95), '预案「封控」：全部 2 个卡点已到位，最后一个用时 95 秒')
  t.equal(zh.checkpointReached('北出口', '封控', 'P-1', 95, false), '预案「封控」卡点「北出口」已由 P-1 到位，用时 95 秒')
  t.equal(zh.checkpointReached('北出口', '封控', 'P-1', 400, true), '预案「封控」卡点「北出口」已由 P-1 到位，用时 400 秒（迟到；超时告警已解除）')
  t.equal(en.checkpointReached('N', 'Ring', 'P-1', 400, true), 'Checkpoint N of plan Ring manned by P-1 after 400 s (late; the missed alert is resolved)')
  t.equal(levelZh('enhanced'), '加强')
  t.equal(en.planDeactivated('Ring', 'duty', 1, 2), 'Plan Ring deactivated by duty: 1 of 2 checkpoints manned')
  const sent = [{ unitId: 'P-1', distanceM: 420, etaS: 61 }, { unitId: 'O-2', distanceM: null, etaS: null }]
  t.equal(en.incidentAssigned('A', sent, 'duty'), 'Incident A: P-1 (420 m, ETA 2 min), O-2 (no position) assigned by duty')
  t.equal(zh.incidentAssigned('A', sent, 'duty'), '警情 A：duty 已调派 P-1（相距 420 米，预计 2 分钟到达）、O-2（无位置）')
  t.equal(en.incidentClosed('A', 'suspect arrested', 'duty'), 'Incident A closed by duty: suspect arrested')
  t.equal(zh.incidentClosed('A', '嫌疑人已抓获', 'duty'), '警情 A 已由 duty 结案：嫌疑人已抓获')
  t.equal(en.levelSuggestionDismissed('g', 'high', 'duty', null), 'g: the suggestion to raise the patrol level to high was dismissed by duty')
  t.equal(en.levelSuggestionDismissed('g', 'high', 'duty', 'festival over'), 'g: the suggestion to raise the patrol level to high was dismissed by duty (festival over)')
  t.equal(zh.levelSuggestionDismissed('1 号网格', 'high', 'duty', '活动结束'), '1 号网格：将巡逻等级提升为高等级的建议已由 duty 驳回（活动结束）')
  t.equal(en.checkpointMissed('N', 'Ring', 5, ['P-1', 'P-2']), 'Checkpoint N of plan Ring not manned within 5 min (P-1, P-2)')
  t.equal(en.planCompleted('Ring', 2, 95), 'Plan Ring: all 2 checkpoints manned, the last after 95 s')
  t.equal(en.planActivated('Ring', 'duty', null, 2), 'Plan Ring activated by duty: 2 checkpoints')
  t.equal(en.checkpointReached('N', 'Ring', 'P-1', 95, false), 'Checkpoint N of plan Ring manned by P-1 after 95 s')
  t.equal(incidentTypeZh('fraud'), '诈骗')
})

t.test('openedEvent in Chinese', async (t) => {
  const i = { id: 'A', type: 'theft', priority: 2 } as Incident
  t.equal(openedEvent(i, '2 号网格', [], T, zh).summary, '警情 A（盗窃，2 级），位于2 号网格：无可调派警力')
})

t.test('a plan board writes its events in its locale', async (t) => {
  const spec: PlanSpec = { id: 'ring', name: '封控', positions: 'absolute', dwellMs: 0, checkpoints: [{ name: '北出口', lat: BASE.lat, lon: BASE.lon, units: ['P-1'], arriveWithinMs: 60_000, radiusM: 100 }] }
  const board = new PlanBoard((d) => d / 10, zh)
  const { events } = board.activate(spec, { by: 'duty', incidentId: null, centre: null }, T)
  t.equal(events[0]!.summary, '预案「封控」已由 duty 启动：共 1 个卡点')
  const far = new Map<string, UnitPosition>([['P-1', { ...offset(BASE, 2000, 0), ts: T + 1000, kind: 'vehicle' }]])
  t.same(board.tick(T + 61_000, far).map((e) => e.summary), ['预案「封控」卡点「北出口」1 分钟内未到位（P-1）'])
  const there = new Map<string, UnitPosition>([['P-1', { ...BASE, ts: T + 90_000, kind: 'vehicle' }]])
  t.same(board.tick(T + 91_000, there).map((e) => e.summary), ['预案「封控」卡点「北出口」已由 P-1 到位，用时 90 秒（迟到；超时告警已解除）', '预案「封控」：全部 1 个卡点已到位，最后一个用时 90 秒'])
  t.equal(board.deactivate('ring', 'duty', T + 100_000).events[0]!.summary, '预案「封控」已由 duty 结束：1 个卡点中 1 个已到位')
})

t.test('plans and checkpoints are named in English with name_en under locale en', async (t) => {
  const plans = [{ id: 'ring', name: '封控', name_en: 'Ring', checkpoints: [{ name: '北出口', name_en: 'North exit', lat: BASE.lat, lon: BASE.lon, units: ['P-017'] }, { name: '东桥', lat: BASE.lat, lon: BASE.lon, units: ['P-017'] }] }]
  const enSetup = compileIncidents(config(standardRaw({ locale: 'en', plans })))
  t.equal(enSetup.plans.get('ring')!.name, 'Ring')
  t.same(enSetup.plans.get('ring')!.checkpoints.map((c) => c.name), ['North exit', '东桥'], 'no name_en: the name')
  const zhSetup = compileIncidents(config(standardRaw({ locale: 'zh-CN', plans })))
  t.equal(zhSetup.plans.get('ring')!.name, '封控')
  t.same(zhSetup.plans.get('ring')!.checkpoints.map((c) => c.name), ['北出口', '东桥'])
})
