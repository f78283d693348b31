// The alert summaries the rule engine writes into each alert event (`summary`: chat messages,
// webhook bodies, logs, the alert history), in English or Chinese, with times in the configured
// time zone. Pure string building; one AlertTexts per deployment, built once at start-up.
import { formats, type Formats, type Locale } from './locale.js'

/** How an SOS was raised (the alert's `via`). */
export type SosSource = 'jt808' | 'osmand' | 'native'

export interface AlertTexts {
  readonly locale: Locale
  /** "Patrol car 17 (P-017)", or the id alone when the unit has no name of its own. */
  unitLabel(id: string, name: string | undefined): string
  sosOpened(unit: string, via: SosSource, at: number): string
  sosResolved(unit: string, by: string, note: string): string
  radiusOpened(unit: string, post: string, distanceM: number, radiusM: number, since: number): string
  radiusResolved(unit: string, post: string, distanceM: number, radiusM: number, since: number): string
  zoneOpened(unit: string, zone: string, distanceM: number, since: number): string
  zoneResolved(unit: string, zone: string, since: number): string
  silentOpened(unit: string, lastSeenAt: number | null, now: number, since: number): string
  silentResolved(unit: string, at: number): string
  configChanged(what: string): string
  coverageOpened(zone: string, ratio: number, minRatio: number, cells: number, intervalMs: number, stalePriority: number): string
  coverageResolved(zone: string, ratio: number, cells: number, intervalMs: number): string
  responseOpened(zone: string, ratio: number, minRatio: number, radiusM: number): string
  responseResolved(zone: string, ratio: number, radiusM: number): string
  /** checkpoint_missed opened: the checkpoint was not manned by its deadline. */
  checkpointMissed(checkpoint: string, plan: string, deadline: number, units: readonly string[]): string
  /** checkpoint_missed resolved: manned late, by `unit` at `at` (fix time). */
  checkpointManned(checkpoint: string, plan: string, unit: string, at: number): string
  /** checkpoint_missed resolved: the plan stood down before anyone manned it. */
  checkpointStoodDown(checkpoint: string, plan: string, by: string): string
  acknowledged(opened: string, by: string): string
}

/** Config-style duration ("30m", "90s"), as the English summaries have always named intervals. */
function configDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

function english(f: Formats): AlertTexts {
  const { clock, distance: d, percent: p, span } = f
  return {
    locale: 'en',
    unitLabel: (id, name) => (name === undefined || name === id ? id : `${name} (${id})`),
    sosOpened: (unit, via, at) => `SOS from ${unit} (${via}) at ${clock(at)}`,
    sosResolved: (unit, by, note) => `SOS from ${unit} resolved by ${by}: ${note}`,
    radiusOpened: (unit, post, dist, radius, since) => `${unit} is ${d(dist)} from ${post}, outside its ${d(radius)} radius since ${clock(since)}`,
    radiusResolved: (unit, post, dist, radius, since) => `${unit} is back within its ${d(radius)} radius of ${post} (${d(dist)} away) since ${clock(since)}`,
    zoneOpened: (unit, zone, dist, since) => `${unit} left ${zone}: ${d(dist)} outside its boundary since ${clock(since)}`,
    zoneResolved: (unit, zone, since) => `${unit} is back inside ${zone} since ${clock(since)}`,
    silentOpened: (unit, lastSeenAt, now, since) =>
      lastSeenAt === null
        ? `${unit} has sent no fix since hexpatrol started tracking it at ${clock(since)} (${span(now - since)})`
        : `${unit} has sent no fix for ${span(now - lastSeenAt)}, last received at ${clock(lastSeenAt)}`,
    silentResolved: (unit, at) => `${unit} is reporting again (fix received at ${clock(at)})`,
    configChanged: (what) => `${what}: resolved because the configuration changed`,
    coverageOpened: (zone, ratio, min, cells, intervalMs, stale) =>
      `${zone}: ${p(ratio)} of ${cells} cells patrolled within ${configDuration(intervalMs)} (minimum ${p(min)})` +
      (stale > 0 ? `; ${stale} priority cell${stale === 1 ? '' : 's'} overdue` : ''),
    coverageResolved: (zone, ratio, cells, intervalMs) => `${zone}: coverage restored, ${p(ratio)} of ${cells} cells patrolled within ${configDuration(intervalMs)}`,
    responseOpened: (zone, ratio, min, radius) => `${zone}: only ${p(ratio)} of the zone is within ${d(radius)} of a live unit (minimum ${p(min)})`,
    responseResolved: (zone, ratio, radius) => `${zone}: response coverage restored, ${p(ratio)} of the zone within ${d(radius)} of a live unit`,
    checkpointMissed: (cp, plan, deadline, units) => `Checkpoint ${cp} of plan ${plan} not manned by ${clock(deadline)}${units.length === 0 ? '' : ` (${units.join(', ')})`}`,
    checkpointManned: (cp, plan, unit, at) => `Checkpoint ${cp} of plan ${plan} manned late by ${unit} at ${clock(at)}`,
    checkpointStoodDown: (cp, plan, by) => `Checkpoint ${cp} of plan ${plan} was never manned: the plan was stood down by ${by}`,
    acknowledged: (opened, by) => `Acknowledged by ${by}: ${opened}`,
  }
}

const VIA_ZH: Record<SosSource, string> = { jt808: '车载终端', osmand: 'Traccar 客户端', native: '设备' }

function chinese(f: Formats): AlertTexts {
  const { clock, distance: d, percent: p, span } = f
  return {
    locale: 'zh-CN',
    unitLabel: (id, name) => (name === undefined || name === id ? id : `${name}（${id}）`),
    sosOpened: (unit, via, at) => `${unit} 于 ${clock(at)} 发出 SOS 紧急求助（${VIA_ZH[via]}）`,
    sosResolved: (unit, by, note) => `${unit} 的 SOS 已由 ${by} 处置：${note}`,
    radiusOpened: (unit, post, dist, radius, since) => `${unit} 距${post} ${d(dist)}，自 ${clock(since)} 起超出 ${d(radius)} 值守半径`,
    radiusResolved: (unit, post, dist, radius, since) => `${unit} 自 ${clock(since)} 起已回到${post} ${d(radius)} 值守半径内（相距 ${d(dist)}）`,
    zoneOpened: (unit, zone, dist, since) => `${unit} 自 ${clock(since)} 起离开${zone}：越出边界 ${d(dist)}`,
    zoneResolved: (unit, zone, since) => `${unit} 自 ${clock(since)} 起已回到${zone}内`,
    silentOpened: (unit, lastSeenAt, now, since) =>
      lastSeenAt === null
        ? `${unit} 自 ${clock(since)} 开始跟踪以来未上报定位（已 ${span(now - since)}）`
        : `${unit} 已 ${span(now - lastSeenAt)} 未上报定位，最后一次收到于 ${clock(lastSeenAt)}`,
    silentResolved: (unit, at) => `${unit} 已恢复上报（${clock(at)} 收到定位）`,
    configChanged: (what) => `${what}：因配置变更而解除`,
    coverageOpened: (zone, ratio, min, cells, intervalMs, stale) =>
      `${zone}：${cells} 个网格单元中 ${p(ratio)} 在 ${span(intervalMs)} 内巡到（最低 ${p(min)}）` + (stale > 0 ? `；${stale} 个重点单元超时未巡` : ''),
    coverageResolved: (zone, ratio, cells, intervalMs) => `${zone}：巡逻覆盖已恢复，${cells} 个网格单元中 ${p(ratio)} 在 ${span(intervalMs)} 内巡到`,
    responseOpened: (zone, ratio, min, radius) => `${zone}：仅 ${p(ratio)} 的区域在在线警力 ${d(radius)} 范围内（最低 ${p(min)}）`,
    responseResolved: (zone, ratio, radius) => `${zone}：响应覆盖已恢复，${p(ratio)} 的区域在在线警力 ${d(radius)} 范围内`,
    checkpointMissed: (cp, plan, deadline, units) => `预案「${plan}」卡点「${cp}」未在 ${clock(deadline)} 前到位${units.length === 0 ? '' : `（${units.join('、')}）`}`,
    checkpointManned: (cp, plan, unit, at) => `预案「${plan}」卡点「${cp}」已由 ${unit} 于 ${clock(at)} 迟到到位`,
    checkpointStoodDown: (cp, plan, by) => `预案「${plan}」卡点「${cp}」始终未到位：预案已由 ${by} 解除`,
    acknowledged: (opened, by) => `${by} 已确认：${opened}`,
  }
}

/** The alert texts of a locale, times in `timeZone` (an IANA name). */
export function alertTexts(locale: Locale, timeZone: string): AlertTexts {
  const f = formats(locale, timeZone)
  return locale === 'zh-CN' ? chinese(f) : english(f)
}

/** English with UTC times: what an engine built without a locale (tests, tools) writes. */
export const DEFAULT_ALERT_TEXTS: AlertTexts = alertTexts('en', 'UTC')
