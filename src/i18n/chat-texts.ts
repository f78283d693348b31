// The words of the chat formats (Slack, DingTalk, WeCom): alert kind titles, states, the labels of
// the fact lines and the stale-cell list, in English or Chinese, with dates and times in the
// configured time zone. Pure; one ChatTexts per deployment, built once at start-up.
import { formats, type Formats, type Locale } from './locale.js'

export type AlertKindName = 'radius_breach' | 'zone_exit' | 'coverage_gap' | 'response_gap' | 'unit_silent' | 'unit_sos' | 'checkpoint_missed'
export type AlertStateName = 'opened' | 'acknowledged' | 'resolved'
export type FactLabel = 'unit' | 'zone' | 'post' | 'distance' | 'coverage' | 'staleCells' | 'position' | 'lastFix' | 'raisedBy' | 'acknowledgedBy' | 'resolvedBy' | 'opened' | 'plan' | 'checkpoint' | 'responsible' | 'deadline' | 'mannedBy' | 'deactivatedBy'

export interface ChatTexts {
  readonly locale: Locale
  readonly format: Formats
  /** "Radius breach opened" · "越界告警 已触发". */
  title(kind: AlertKindName, state: AlertStateName): string
  label(f: FactLabel): string
  /** "412 m (radius 300 m)". */
  distance(distanceM: number, radiusM: number | undefined): string
  /** "62 % (minimum 80 %)". */
  coverage(ratio: number, minRatio: number | undefined): string
  /** "2 of 50". */
  staleCount(stale: number, cells: number | undefined): string
  /** "48.85801, 2.29452 ±8 m at <time>". */
  position(lat: number, lon: number, accuracy: number | null, ts: number): string
  never: string
  /** How an SOS was raised, by its `via`. */
  via(via: string): string
  resolvedBy(by: string, note: string | undefined): string
  /** A stale cell's line: "Embassy gate (priority): last visit never". */
  staleCell(label: string, priority: boolean, lastVisit: number | null): string
  more(n: number): string
  map: string
  /** The footer: "radius_breach.opened · alert al-1 · <time>". */
  footer(type: string, ref: string, at: number): string
  /** The footer of a non-alert event: "plan.activated · plan:p1 · <time>". */
  eventFooter(type: string, subject: string, at: number): string
}

const pct = (r: number): string => `${Math.round(r * 1000) / 10} %`

const KIND_EN: Record<AlertKindName, string> = {
  radius_breach: 'Radius breach', zone_exit: 'Zone exit', coverage_gap: 'Coverage gap', response_gap: 'Response gap', unit_silent: 'Unit silent', unit_sos: 'SOS', checkpoint_missed: 'Checkpoint missed',
}
const KIND_ZH: Record<AlertKindName, string> = {
  // The live map's words (src/web/messages/zh-CN.ts, alert.*): a test keeps them the same.
  radius_breach: '超出岗位半径', zone_exit: '离开网格', coverage_gap: '覆盖不足', response_gap: '响应覆盖不足', unit_silent: '警力失联', unit_sos: '紧急求助', checkpoint_missed: '卡点未到位',
}
const STATE_ZH: Record<AlertStateName, string> = { opened: '已触发', acknowledged: '已确认', resolved: '已解除' }

const LABEL_EN: Record<FactLabel, string> = {
  unit: 'Unit', zone: 'Zone', post: 'Post', distance: 'Distance', coverage: 'Coverage', staleCells: 'Stale cells', position: 'Position', lastFix: 'Last fix',
  raisedBy: 'Raised by', acknowledgedBy: 'Acknowledged by', resolvedBy: 'Resolved by', opened: 'Opened',
  plan: 'Plan', checkpoint: 'Checkpoint', responsible: 'Responsible', deadline: 'Deadline', mannedBy: 'Manned by', deactivatedBy: 'Stood down by',
}
const LABEL_ZH: Record<FactLabel, string> = {
  unit: '警力', zone: '巡逻网格', post: '岗位', distance: '距离', coverage: '覆盖率', staleCells: '超时网格单元', position: '位置', lastFix: '最后定位',
  raisedBy: '求救来源', acknowledgedBy: '确认人', resolvedBy: '处置人', opened: '触发时间',
  plan: '预案', checkpoint: '卡点', responsible: '责任警力', deadline: '到位时限', mannedBy: '到位警力', deactivatedBy: '解除人',
}
const VIA_EN: Record<string, string> = { jt808: 'vehicle terminal (JT/T 808 emergency alarm)', osmand: 'Traccar Client (alarm=sos)', native: 'device (sos: true)' }
const VIA_ZH: Record<string, string> = { jt808: '车载终端（JT/T 808 紧急报警）', osmand: 'Traccar 客户端（alarm=sos）', native: '设备（sos: true）' }

function english(f: Formats): ChatTexts {
  return {
    locale: 'en',
    format: f,
    title: (kind, state) => `${KIND_EN[kind]} ${state}`,
    label: (l) => LABEL_EN[l],
    distance: (d, r) => `${Math.round(d)} m${r !== undefined ? ` (radius ${Math.round(r)} m)` : ''}`,
    coverage: (r, min) => `${pct(r)}${min !== undefined ? ` (minimum ${pct(min)})` : ''}`,
    staleCount: (n, cells) => `${n}${cells !== undefined ? ` of ${cells}` : ''}`,
    position: (lat, lon, acc, ts) => `${lat.toFixed(5)}, ${lon.toFixed(5)}${acc !== null ? ` ±${Math.round(acc)} m` : ''} at ${f.dateTime(ts)}`,
    never: 'never',
    via: (v) => VIA_EN[v] ?? VIA_EN.native!,
    resolvedBy: (by, note) => `${by}${note !== undefined ? `: ${note}` : ''}`,
    staleCell: (label, priority, last) => `${label}${priority ? ' (priority)' : ''}: last visit ${last === null ? 'never' : f.dateTime(last)}`,
    more: (n) => `… and ${n} more`,
    map: 'Map',
    footer: (type, ref, at) => `${type} · alert ${ref} · ${f.dateTime(at)}`,
    eventFooter: (type, subject, at) => `${type} · ${subject} · ${f.dateTime(at)}`,
  }
}

function chinese(f: Formats): ChatTexts {
  return {
    locale: 'zh-CN',
    format: f,
    title: (kind, state) => `${KIND_ZH[kind]} ${STATE_ZH[state]}`,
    label: (l) => LABEL_ZH[l],
    distance: (d, r) => `${Math.round(d)} 米${r !== undefined ? `（值守半径 ${Math.round(r)} 米）` : ''}`,
    coverage: (r, min) => `${pct(r)}${min !== undefined ? `（最低 ${pct(min)}）` : ''}`,
    staleCount: (n, cells) => (cells !== undefined ? `${n} / ${cells}` : `${n}`),
    position: (lat, lon, acc, ts) => `${lat.toFixed(5)}, ${lon.toFixed(5)}${acc !== null ? ` ±${Math.round(acc)} 米` : ''}，${f.dateTime(ts)}`,
    never: '从未',
    via: (v) => VIA_ZH[v] ?? VIA_ZH.native!,
    resolvedBy: (by, note) => `${by}${note !== undefined ? `：${note}` : ''}`,
    staleCell: (label, priority, last) => `${label}${priority ? '（重点）' : ''}：最后巡到 ${last === null ? '从未' : f.dateTime(last)}`,
    more: (n) => `……另有 ${n} 个`,
    map: '地图',
    footer: (type, ref, at) => `${type} · 告警 ${ref} · ${f.dateTime(at)}`,
    eventFooter: (type, subject, at) => `${type} · ${subject} · ${f.dateTime(at)}`,
  }
}

/** The chat words of a locale, times in `timeZone` (an IANA name). */
export function chatTexts(locale: Locale, timeZone: string): ChatTexts {
  const f = formats(locale, timeZone)
  return locale === 'zh-CN' ? chinese(f) : english(f)
}

/** English with UTC times: what a renderer given no texts (tests, tools) writes. */
export const DEFAULT_CHAT_TEXTS: ChatTexts = chatTexts('en', 'UTC')
