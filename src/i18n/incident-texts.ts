// The summaries of incident, patrol level and emergency plan events (what the chat formats and
// webhook bodies show), in English or Chinese, with times in the configured time zone. Level
// names and incident types are the configuration's own; the usual ones have Chinese words (the
// live map's, src/web/messages/zh-CN.ts), others are shown as configured. Pure.
import { formats, type Formats, type Locale } from './locale.js'

export interface NearestUnit { unitId: string; distanceM: number; etaS: number }

export interface IncidentTexts {
  readonly locale: Locale
  incidentOpened(id: string, type: string, priority: number, zone: string | null, nearest: NearestUnit | undefined): string
  levelSuggested(zone: string, incidents: number, windowH: number, from: string, to: string): string
  /** The reason recorded for a level the incident rate raised by itself. */
  levelAutoReason(incidents: number, windowH: number): string
  levelChanged(zone: string, from: string, to: string, until: number | null, by: string, reason: string): string
  planActivated(plan: string, by: string, incidentId: string | null, checkpoints: number): string
  planDeactivated(plan: string, by: string, manned: number, checkpoints: number): string
  checkpointMissed(checkpoint: string, plan: string, withinMin: number, units: readonly string[]): string
  planCompleted(plan: string, checkpoints: number, slowestS: number): string
  checkpointReached(checkpoint: string, plan: string, unitId: string, afterS: number, late: boolean): string
  levelSuggestionDismissed(zone: string, to: string, by: string, reason: string | null): string
  incidentAssigned(id: string, units: readonly NearestUnitOrNot[], by: string): string
  incidentClosed(id: string, outcome: string, by: string): string
}

/** An assigned unit with its distance and ETA when it was assigned (null: no live position). */
export interface NearestUnitOrNot { unitId: string; distanceM: number | null; etaS: number | null }

const LEVEL_ZH: Record<string, string> = { normal: '常态', enhanced: '加强', high: '高等级', emergency: '紧急' }
const TYPE_ZH: Record<string, string> = {
  robbery: '抢劫', snatch_theft: '抢夺', burglary: '入室盗窃', theft: '盗窃', assault: '伤害', fight: '打架斗殴', fraud: '诈骗', traffic: '交通事故',
}
/** A level or incident type in Chinese where it is one of the usual ones. */
export const levelZh = (name: string): string => LEVEL_ZH[name] ?? name
export const incidentTypeZh = (type: string): string => TYPE_ZH[type] ?? type

function english(f: Formats): IncidentTexts {
  // In UTC an expiry reads as ISO 8601 to the minute (2026-12-01T08:00Z), elsewhere as local time.
  const until = (ms: number): string => (f.timeZone === 'UTC' ? `${new Date(ms).toISOString().slice(0, 16)}Z` : f.stamp(ms))
  return {
    locale: 'en',
    incidentOpened: (id, type, priority, zone, n) =>
      `Incident ${id} (${type}, priority ${priority})${zone === null ? '' : ` in ${zone}`}: ${n === undefined ? 'no available unit' : `nearest ${n.unitId} at ${n.distanceM} m, ETA ${Math.ceil(n.etaS / 60)} min`}`,
    levelSuggested: (zone, count, h, from, to) => `${zone}: ${count} incidents within ${h} h; suggest raising the patrol level from ${from} to ${to}`,
    levelAutoReason: (count, h) => `automatic: ${count} incidents within ${h} h`,
    levelChanged: (zone, from, level, to, by, reason) => `${zone}: patrol level ${from} → ${level}${to === null ? '' : ` until ${until(to)}`} (${by}: ${reason})`,
    planActivated: (plan, by, incident, n) => `Plan ${plan} activated by ${by}${incident === null ? '' : ` for incident ${incident}`}: ${n} checkpoints`,
    planDeactivated: (plan, by, manned, n) => `Plan ${plan} deactivated by ${by}: ${manned} of ${n} checkpoints manned`,
    checkpointMissed: (cp, plan, min, units) => `Checkpoint ${cp} of plan ${plan} not manned within ${min} min (${units.join(', ')})`,
    planCompleted: (plan, n, s) => `Plan ${plan}: all ${n} checkpoints manned, the last after ${s} s`,
    checkpointReached: (cp, plan, unit, s, late) => `Checkpoint ${cp} of plan ${plan} manned by ${unit} after ${s} s${late ? ' (late; the missed alert is resolved)' : ''}`,
    levelSuggestionDismissed: (zone, to, by, reason) => `${zone}: the suggestion to raise the patrol level to ${to} was dismissed by ${by}${reason === null ? '' : ` (${reason})`}`,
    incidentAssigned: (id, units, by) =>
      `Incident ${id}: ${units.map((u) => (u.distanceM === null || u.etaS === null ? `${u.unitId} (no position)` : `${u.unitId} (${u.distanceM} m, ETA ${Math.ceil(u.etaS / 60)} min)`)).join(', ')} assigned by ${by}`,
    incidentClosed: (id, outcome, by) => `Incident ${id} closed by ${by}: ${outcome}`,
  }
}

function chinese(f: Formats): IncidentTexts {
  return {
    locale: 'zh-CN',
    incidentOpened: (id, type, priority, zone, n) =>
      `警情 ${id}（${incidentTypeZh(type)}，${priority} 级）${zone === null ? '' : `，位于${zone}`}：${n === undefined ? '无可调派警力' : `最近警力 ${n.unitId}，相距 ${n.distanceM} 米，预计 ${Math.ceil(n.etaS / 60)} 分钟到达`}`,
    levelSuggested: (zone, count, h, from, to) => `${zone}：${h} 小时内发生 ${count} 起警情，建议将巡逻等级由${levelZh(from)}提升为${levelZh(to)}`,
    levelAutoReason: (count, h) => `自动：${h} 小时内 ${count} 起警情`,
    levelChanged: (zone, from, to, until, by, reason) =>
      `${zone}：巡逻等级 ${levelZh(from)} → ${levelZh(to)}${until === null ? '' : `，至 ${f.stamp(until)}`}（${by}：${reason}）`,
    planActivated: (plan, by, incident, n) => `预案「${plan}」已由 ${by} 启动${incident === null ? '' : `（警情 ${incident}）`}：共 ${n} 个卡点`,
    planDeactivated: (plan, by, manned, n) => `预案「${plan}」已由 ${by} 结束：${n} 个卡点中 ${manned} 个已到位`,
    checkpointMissed: (cp, plan, min, units) => `预案「${plan}」卡点「${cp}」${min} 分钟内未到位（${units.join('、')}）`,
    planCompleted: (plan, n, s) => `预案「${plan}」：全部 ${n} 个卡点已到位，最后一个用时 ${s} 秒`,
    checkpointReached: (cp, plan, unit, s, late) => `预案「${plan}」卡点「${cp}」已由 ${unit} 到位，用时 ${s} 秒${late ? '（迟到；超时告警已解除）' : ''}`,
    levelSuggestionDismissed: (zone, to, by, reason) => `${zone}：将巡逻等级提升为${levelZh(to)}的建议已由 ${by} 驳回${reason === null ? '' : `（${reason}）`}`,
    incidentAssigned: (id, units, by) =>
      `警情 ${id}：${by} 已调派 ${units.map((u) => (u.distanceM === null || u.etaS === null ? `${u.unitId}（无位置）` : `${u.unitId}（相距 ${u.distanceM} 米，预计 ${Math.ceil(u.etaS / 60)} 分钟到达）`)).join('、')}`,
    incidentClosed: (id, outcome, by) => `警情 ${id} 已由 ${by} 结案：${outcome}`,
  }
}

/** The incident and plan texts of a locale, times in `timeZone` (an IANA name). */
export function incidentTexts(locale: Locale, timeZone: string): IncidentTexts {
  const f = formats(locale, timeZone)
  return locale === 'zh-CN' ? chinese(f) : english(f)
}

/** English with UTC times: what code built without a locale (tests, tools) writes. */
export const DEFAULT_INCIDENT_TEXTS: IncidentTexts = incidentTexts('en', 'UTC')
