// The words of patrol integrity signals, in English or Chinese: each kind's name, each evidence
// figure's label, and the one-line summary of an `integrity.signal` event (the chat formats show
// it). Neutral wording: a signal states facts with their figures, never a verdict. Pure.
import { formats, type Formats, type Locale } from './locale.js'

export interface IntegrityTexts {
  readonly format: Formats
  /** A kind's name (mock_location → "Mock location reported"); an unknown kind as it is. */
  kind(kind: string): string
  /** An evidence figure's label with its unit (durationMinutes → "duration (min)"). */
  evidence(key: string): string
  /** "fixes 240 · duration (min) 120": every figure of a signal's evidence. */
  evidenceLine(evidence: Record<string, number>): string
  /** One line: who, what, when, the figures. */
  summary(s: { unitId: string; kind: string; from: number; to: number; relatedUnitId?: string | undefined; evidence: Record<string, number> }, unitName: string): string
}

const KIND_EN: Record<string, string> = {
  mock_location: 'Mock location reported',
  vehicle_speed: 'Vehicle speed on a foot patrol',
  frozen_position: 'Identical positions repeated',
  replayed_track: 'Track retraces an earlier day',
  stationary_share: 'Long stationary time counted as patrol time',
  device_disagreement: 'Phone and vehicle terminal apart',
}
const KIND_ZH: Record<string, string> = {
  mock_location: '上报模拟定位',
  vehicle_speed: '步巡警力以车速移动',
  frozen_position: '重复上报完全相同的位置',
  replayed_track: '轨迹与前几日重合',
  stationary_share: '长时间静止计入巡逻时间',
  device_disagreement: '手机与车载终端位置不一致',
}
const EVIDENCE_EN: Record<string, string> = {
  fixes: 'fixes', durationMinutes: 'duration (min)', fastMinutes: 'at vehicle speed (min)', meanFastKmh: 'mean speed (km/h)', maxKmh: 'top speed (km/h)',
  fastFixes: 'fast fixes', companionShare: 'share beside the vehicle', companionMeanDistanceM: 'mean distance to the vehicle (m)', maxOffsetM: 'largest offset (m)',
  extentM: 'extent (m)', meanOffsetM: 'mean offset from the earlier track (m)', daysBack: 'days back', stationaryShare: 'stationary share',
  stationaryMinutes: 'stationary (min)', reportingMinutes: 'reporting (min)', periods: 'stationary periods', longestMinutes: 'longest (min)',
  comparisons: 'comparisons', meanDistanceM: 'mean distance (m)', maxDistanceM: 'largest distance (m)',
}
const EVIDENCE_ZH: Record<string, string> = {
  fixes: '定位数', durationMinutes: '持续（分钟）', fastMinutes: '车速时长（分钟）', meanFastKmh: '平均速度（公里/时）', maxKmh: '最高速度（公里/时）',
  fastFixes: '高速定位数', companionShare: '与车辆同行占比', companionMeanDistanceM: '与车辆平均距离（米）', maxOffsetM: '最大偏移（米）',
  extentM: '范围（米）', meanOffsetM: '与前日轨迹平均偏移（米）', daysBack: '相隔天数', stationaryShare: '静止占比',
  stationaryMinutes: '静止（分钟）', reportingMinutes: '上报（分钟）', periods: '静止时段', longestMinutes: '最长（分钟）',
  comparisons: '比对次数', meanDistanceM: '平均距离（米）', maxDistanceM: '最大距离（米）',
}

function texts(f: Formats, zh: boolean): IntegrityTexts {
  const kinds = zh ? KIND_ZH : KIND_EN
  const labels = zh ? EVIDENCE_ZH : EVIDENCE_EN
  const evidence = (k: string): string => labels[k] ?? k
  const evidenceLine = (e: Record<string, number>): string => Object.entries(e).map(([k, v]) => `${evidence(k)} ${v}`).join(' · ')
  return {
    format: f,
    kind: (k) => kinds[k] ?? k,
    evidence,
    evidenceLine,
    summary: (s, name) => {
      const related = s.relatedUnitId === undefined ? '' : zh ? `（关联 ${s.relatedUnitId}）` : ` (with ${s.relatedUnitId})`
      return zh
        ? `${name}：${kinds[s.kind] ?? s.kind}${related}，${f.dayTime(s.from)} – ${f.dayTime(s.to)}：${evidenceLine(s.evidence)}`
        : `${name}: ${kinds[s.kind] ?? s.kind}${related}, ${f.dayTime(s.from)} – ${f.dayTime(s.to)}: ${evidenceLine(s.evidence)}`
    },
  }
}

/** The integrity texts of a locale, times in `timeZone` (an IANA name). */
export function integrityTexts(locale: Locale, timeZone: string): IntegrityTexts {
  return texts(formats(locale, timeZone), locale === 'zh-CN')
}
