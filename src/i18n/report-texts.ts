// The words of the bulletins and reports: the printable HTML page, the CSV header row, and the
// Markdown digest the chat formats show, in English or Chinese, with dates and times in the
// report's time zone. Figures keep one format in both languages (12.5 km, 81.3 %, 1:05). Pure.
import { formats, type Formats, type Locale } from './locale.js'
import { levelZh } from './incident-texts.js'

export type ReportLabel =
  | 'dailyTitle' | 'weeklyTitle' | 'reportTitle'
  | 'unitsReporting' | 'distancePatrolled' | 'meanZoneCoverage' | 'zonesBelowMin' | 'coverageGaps' | 'radiusBreaches' | 'zoneExits' | 'silences' | 'meanUnitScore'
  | 'zone' | 'unit' | 'post' | 'score' | 'scoreInputs' | 'patrolLevel' | 'coverageMean' | 'coverageMin' | 'belowMin' | 'gaps' | 'longestGap' | 'responseMean'
  | 'priorityOverdue' | 'unitsShare' | 'km' | 'reporting' | 'moving' | 'stationary' | 'inRadius' | 'inZone' | 'cells' | 'stops' | 'breaches' | 'silencesHmm'
  | 'firstFix' | 'lastFix' | 'units' | 'uncovered' | 'plan' | 'activated' | 'incident' | 'checkpoint' | 'responsible' | 'arriveWithin' | 'mannedBy' | 'timeToMan' | 'status'
  | 'zones' | 'posts' | 'plansSection' | 'coverageMaps' | 'noPlans' | 'noData' | 'unknownUnits'
  | 'legend' | 'never' | 'halfTheTime' | 'always' | 'generated' | 'worstFirst' | 'noSnapshots'
  | 'on_time' | 'late' | 'missed' | 'pending'
  | 'integritySection' | 'integrityNote' | 'noIntegrity' | 'signals' | 'byKind' | 'signalSpan' | 'stationaryCounted' | 'signal' | 'fromTo' | 'durationHmm' | 'relatedUnit' | 'evidence'
  | 'makeUpSection' | 'noMakeUp' | 'byZone' | 'byUnit' | 'tasksAssigned' | 'tasksCompleted' | 'tasksExpired' | 'tasksCancelled' | 'tasksOpen'
  | 'completionRate' | 'medianTimeToComplete' | 'cellsRecovered'

export interface ReportTexts {
  readonly locale: Locale
  readonly format: Formats
  /** The `lang` attribute of the page. */
  readonly htmlLang: string
  label(l: ReportLabel): string
  /** A score input's name (coverage, presence, breaches, silences, moving, cells) or an assessment mode. */
  input(name: string): string
  mode(mode: string): string
  level(name: string): string
  /** "2 activations · 5 checkpoints: 3 manned in time, 1 late, 1 missed · time to man mean 4:10, longest 9:02". */
  plansSummary(s: { activations: number; checkpoints: number; onTime: number; late: number; missed: number }, mean: string, longest: string): string
  coverageMapOf(zone: string): string
  /** "5 make-up patrols: 3 completed, 1 expired (1 abandoned), 1 cancelled · completion 75.0 % · median 0:42 · 21 cells recovered". */
  makeUpSummary(s: { assigned: number; completed: number; expired: number; abandoned: number; cancelled: number; open: number; cellsRecovered: number }, rate: string, median: string): string
  /** A CSV column (a dotted key of the JSON row) as the header row names it. */
  csvHeader(key: string): string
  /** The chat digest of a stored bulletin. */
  digest: DigestTexts
}

export interface DigestTexts {
  headline(h: { unitsReporting: number; unitsConfigured: number; distanceKm: number; coverage: string; meanScore: string }): string
  counts(h: { zonesBelowMin: number; coverageGaps: number; breaches: number; zoneExits: number; silences: number }): string
  worstZone(name: string, score: string, coverage: string, belowMin: string): string
  worstZones(list: string[]): string
  worstUnit(name: string, score: string, distanceKm: number, silent: string): string
  worstUnits(list: string[]): string
  plans(p: { activations: number; checkpoints: number; onTime: number; late: number; missed: number }, longest: string): string
  makeUp(m: { assigned: number; completed: number; expired: number; cellsRecovered: number }, rate: string, median: string): string
  links(html: string, csv: string): string
  na: string
}

const EN: Record<ReportLabel, string> = {
  dailyTitle: 'Daily patrol bulletin', weeklyTitle: 'Weekly patrol report', reportTitle: 'Patrol report',
  unitsReporting: 'Units reporting', distancePatrolled: 'Distance patrolled', meanZoneCoverage: 'Mean zone coverage', zonesBelowMin: 'Zones below minimum',
  coverageGaps: 'Coverage gaps', radiusBreaches: 'Radius breaches', zoneExits: 'Zone exits', silences: 'Silences', meanUnitScore: 'Mean unit score',
  zone: 'Zone', unit: 'Unit', post: 'Post', score: 'Score', scoreInputs: 'Score inputs', patrolLevel: 'Patrol level', coverageMean: 'Coverage mean', coverageMin: 'Coverage min',
  belowMin: 'Below min (h:mm)', gaps: 'Gaps', longestGap: 'Longest gap', responseMean: 'Response mean', priorityOverdue: 'Priority cells overdue', unitsShare: 'Units (share)',
  km: 'km', reporting: 'Reporting', moving: 'Moving', stationary: 'Stationary', inRadius: 'In radius', inZone: 'In zone', cells: 'Cells', stops: 'Stops', breaches: 'Breaches',
  silencesHmm: 'Silences (h:mm)', firstFix: 'First fix', lastFix: 'Last fix', units: 'Units', uncovered: 'No unit in radius (h:mm)', plan: 'Plan', activated: 'Activated',
  incident: 'Incident', checkpoint: 'Checkpoint', responsible: 'Responsible', arriveWithin: 'Arrive within', mannedBy: 'Manned by', timeToMan: 'Time to man (m:ss)', status: 'Status',
  zones: 'Zones', posts: 'Posts', plansSection: 'Emergency plans: time to man each checkpoint', coverageMaps: 'Coverage maps', noPlans: 'No plan activations in this period.',
  noData: 'no data', unknownUnits: 'unknown',
  legend: 'Each hexagon is a coverage cell, shaded by the share of the period it was fresh (visited within max_interval):',
  never: 'never', halfTheTime: 'half the time', always: 'always', generated: 'generated', worstFirst: 'tables worst first', noSnapshots: 'no coverage snapshots',
  on_time: 'manned in time', late: 'manned late', missed: 'missed', pending: 'pending',
  integritySection: 'Patrol integrity', integrityNote: 'Facts with their figures, not verdicts: each signal says what the positions show; a supervisor decides what it means.',
  noIntegrity: 'No integrity signals in this period.', signals: 'Signals', byKind: 'By kind', signalSpan: 'Time spanned (h:mm)', stationaryCounted: 'Stationary counted as patrol (h:mm)',
  signal: 'Signal', fromTo: 'From – to', durationHmm: 'Duration (h:mm)', relatedUnit: 'With', evidence: 'Evidence',
  makeUpSection: 'Make-up patrols', noMakeUp: 'No make-up patrol tasks in this period.', byZone: 'By zone', byUnit: 'By unit',
  tasksAssigned: 'Assigned', tasksCompleted: 'Completed', tasksExpired: 'Expired', tasksCancelled: 'Cancelled', tasksOpen: 'Open',
  completionRate: 'Completion rate', medianTimeToComplete: 'Median time to complete (h:mm)', cellsRecovered: 'Cells recovered',
}

const ZH: Record<ReportLabel, string> = {
  dailyTitle: '巡逻日报', weeklyTitle: '巡逻周报', reportTitle: '巡逻报告',
  unitsReporting: '在线警力', distancePatrolled: '巡逻里程', meanZoneCoverage: '网格平均覆盖率', zonesBelowMin: '低于最低覆盖的网格',
  coverageGaps: '覆盖不足', radiusBreaches: '超出岗位半径', zoneExits: '离开网格', silences: '失联', meanUnitScore: '警力平均得分',
  zone: '网格', unit: '警力', post: '岗位', score: '得分', scoreInputs: '得分构成', patrolLevel: '巡逻等级', coverageMean: '平均覆盖率', coverageMin: '最低覆盖率',
  belowMin: '低于最低（时:分）', gaps: '覆盖不足次数', longestGap: '最长不足', responseMean: '平均响应覆盖', priorityOverdue: '重点单元超时', unitsShare: '警力（占比）',
  km: '公里', reporting: '上报时长', moving: '行进', stationary: '静止', inRadius: '半径内', inZone: '网格内', cells: '网格单元', stops: '停留', breaches: '越界',
  silencesHmm: '失联（时:分）', firstFix: '首次定位', lastFix: '最后定位', units: '警力', uncovered: '半径内无警力（时:分）', plan: '预案', activated: '启动时间',
  incident: '警情', checkpoint: '卡点', responsible: '责任警力', arriveWithin: '到位时限', mannedBy: '到位警力', timeToMan: '到位用时（分:秒）', status: '状态',
  zones: '巡逻网格', posts: '岗位', plansSection: '应急预案：各卡点到位用时', coverageMaps: '覆盖图', noPlans: '本期无预案启动。',
  noData: '无数据', unknownUnits: '未登记',
  legend: '每个六边形是一个覆盖网格单元，颜色表示本期内处于新鲜状态（在 max_interval 内巡到）的时间占比：',
  never: '从未', halfTheTime: '一半时间', always: '始终', generated: '生成于', worstFirst: '各表由差到好排列', noSnapshots: '无覆盖快照',
  on_time: '按时到位', late: '迟到', missed: '超时未到', pending: '待到位',
  integritySection: '巡逻真实性', integrityNote: '仅列事实与数据，不作结论：每条信号说明定位数据显示的情况，由主管判断其含义。',
  noIntegrity: '本期无真实性信号。', signals: '信号数', byKind: '按类型', signalSpan: '涉及时长（时:分）', stationaryCounted: '静止计入巡逻（时:分）',
  signal: '信号', fromTo: '起止', durationHmm: '时长（时:分）', relatedUnit: '关联', evidence: '数据',
  makeUpSection: '补巡任务', noMakeUp: '本期无补巡任务。', byZone: '按网格', byUnit: '按警力',
  tasksAssigned: '派发', tasksCompleted: '完成', tasksExpired: '超时', tasksCancelled: '撤销', tasksOpen: '进行中',
  completionRate: '完成率', medianTimeToComplete: '完成用时中位数（时:分）', cellsRecovered: '补巡网格单元',
}

const INPUT_ZH: Record<string, string> = { coverage: '覆盖', presence: '在岗', breaches: '越界', silences: '失联', moving: '行进', cells: '网格单元', watch: '值守' }
const MODE_ZH: Record<string, string> = { patrol: '巡逻', watch: '值守' }

/** CSV columns: each segment of a dotted key in Chinese where it is one of the report's own. */
const CSV_ZH: Record<string, string> = {
  unitId: '警力编号', name: '名称', kind: '类型', postId: '岗位编号', zoneId: '网格编号', post: '岗位', zone: '网格', assessment: '评估', score: '得分', mode: '方式',
  inputs: '得分构成', coverage: '覆盖', presence: '在岗', breaches: '越界', silences: '失联', moving: '行进', cells: '网格单元', distanceKm: '里程（公里）',
  reportingMs: '上报时长（毫秒）', movingMs: '行进时长（毫秒）', stationaryMs: '静止时长（毫秒）', inRadiusMs: '半径内时长（毫秒）', inZoneMs: '网格内时长（毫秒）',
  cellsVisited: '巡到网格单元', stops: '停留', zoneExits: '离开网格', silent: '失联', count: '次数', totalMs: '总时长（毫秒）', firstFixAt: '首次定位', lastFixAt: '最后定位',
  fixes: '定位数', mean: '平均', min: '最低', belowMinMs: '低于最低时长（毫秒）', gaps: '覆盖不足', longestMs: '最长（毫秒）', response: '响应覆盖', levels: '巡逻等级',
  priorityCells: '重点单元', units: '警力', uncoveredMs: '无警力时长（毫秒）', from: '开始', to: '结束', lat: '纬度', lon: '经度', ts: '时间', accuracy: '精度（米）',
  speed: '速度', durationMs: '时长（毫秒）', startAt: '开始时间', endAt: '结束时间', type: '类型', state: '状态', alertId: '告警编号', summary: '摘要',
  planId: '预案编号', planName: '预案', activationId: '启动编号', activatedAt: '启动时间', incidentId: '警情编号', checkpoint: '卡点', index: '序号', responsible: '责任警力',
  arriveWithinMs: '到位时限（毫秒）', mannedBy: '到位警力', timeToManMs: '到位用时（毫秒）', status: '状态', share: '占比', level: '等级',
  relatedUnitId: '关联警力', evidence: '数据',
  assigned: '派发', completed: '完成', expired: '超时', abandoned: '放弃', cancelled: '撤销', open: '进行中', completionRate: '完成率',
  medianTimeToCompleteMs: '完成用时中位数（毫秒）', cellsRecovered: '补巡网格单元', cellsAssigned: '派发网格单元',
}

function csvZh(key: string): string {
  return key.split('.').map((k) => CSV_ZH[k] ?? k).join('·')
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

function english(f: Formats): ReportTexts {
  return {
    locale: 'en',
    format: f,
    htmlLang: 'en',
    label: (l) => EN[l],
    input: (n) => n,
    mode: (m) => `${m} mode`,
    level: (n) => n,
    plansSummary: (s, mean, longest) =>
      `${plural(s.activations, 'activation')} · ${plural(s.checkpoints, 'checkpoint')}: ${s.onTime} manned in time, ${s.late} late, ${s.missed} missed · time to man mean ${mean}, longest ${longest}`,
    coverageMapOf: (zone) => `Coverage map of ${zone}`,
    makeUpSummary: (s, rate, median) =>
      `${plural(s.assigned, 'make-up patrol')}: ${s.completed} completed, ${s.expired} expired (${s.abandoned} abandoned), ${s.cancelled} cancelled, ${s.open} open · completion ${rate} · median time to complete ${median} · ${plural(s.cellsRecovered, 'cell')} recovered`,
    csvHeader: (key) => key,
    digest: {
      headline: (h) => `Units reporting ${h.unitsReporting}/${h.unitsConfigured} · ${h.distanceKm} km · coverage ${h.coverage} · mean score ${h.meanScore}`,
      counts: (h) => `Zones below minimum ${h.zonesBelowMin} · coverage gaps ${h.coverageGaps} · radius breaches ${h.breaches} · zone exits ${h.zoneExits} · silences ${h.silences}`,
      worstZone: (name, score, coverage, below) => `${name} ${score} (coverage ${coverage}, below min ${below})`,
      worstZones: (list) => `Worst zones: ${list.join('; ')}`,
      worstUnit: (name, score, km, silent) => `${name} ${score} (${km} km, silent ${silent})`,
      worstUnits: (list) => `Worst units: ${list.join('; ')}`,
      plans: (p, longest) => `Plan activations ${p.activations} · checkpoints ${p.checkpoints}: in time ${p.onTime}, late ${p.late}, missed ${p.missed} · longest time to man ${longest}`,
      makeUp: (m, rate, median) => `Make-up patrols ${m.assigned}: completed ${m.completed}, expired ${m.expired} · completion ${rate} · median ${median} · ${m.cellsRecovered} cells recovered`,
      links: (html, csv) => `[Full report](${html}) · [CSV](${csv})`,
      na: 'n/a',
    },
  }
}

function chinese(f: Formats): ReportTexts {
  return {
    locale: 'zh-CN',
    format: f,
    htmlLang: 'zh-CN',
    label: (l) => ZH[l],
    input: (n) => INPUT_ZH[n] ?? n,
    mode: (m) => `${MODE_ZH[m] ?? m}方式`,
    level: levelZh,
    plansSummary: (s, mean, longest) =>
      `预案启动 ${s.activations} 次 · 卡点 ${s.checkpoints} 个：按时到位 ${s.onTime}，迟到 ${s.late}，超时未到 ${s.missed} · 平均到位用时 ${mean}，最长 ${longest}`,
    coverageMapOf: (zone) => `${zone}覆盖图`,
    makeUpSummary: (s, rate, median) =>
      `补巡任务 ${s.assigned} 个：完成 ${s.completed}，超时 ${s.expired}（放弃 ${s.abandoned}），撤销 ${s.cancelled}，进行中 ${s.open} · 完成率 ${rate} · 完成用时中位数 ${median} · 补巡网格单元 ${s.cellsRecovered} 个`,
    csvHeader: csvZh,
    digest: {
      headline: (h) => `在线警力 ${h.unitsReporting}/${h.unitsConfigured} · 巡逻 ${h.distanceKm} 公里 · 覆盖率 ${h.coverage} · 平均得分 ${h.meanScore}`,
      counts: (h) => `低于最低覆盖的网格 ${h.zonesBelowMin} · 覆盖不足 ${h.coverageGaps} · 超出岗位半径 ${h.breaches} · 离开网格 ${h.zoneExits} · 失联 ${h.silences}`,
      worstZone: (name, score, coverage, below) => `${name} ${score}（覆盖率 ${coverage}，低于最低 ${below}）`,
      worstZones: (list) => `最差网格：${list.join('；')}`,
      worstUnit: (name, score, km, silent) => `${name} ${score}（${km} 公里，失联 ${silent}）`,
      worstUnits: (list) => `最差警力：${list.join('；')}`,
      plans: (p, longest) => `预案启动 ${p.activations} 次 · 卡点 ${p.checkpoints} 个：按时 ${p.onTime}，迟到 ${p.late}，超时未到 ${p.missed} · 最长到位用时 ${longest}`,
      makeUp: (m, rate, median) => `补巡任务 ${m.assigned} 个：完成 ${m.completed}，超时 ${m.expired} · 完成率 ${rate} · 用时中位数 ${median} · 补巡网格单元 ${m.cellsRecovered} 个`,
      links: (html, csv) => `[完整报告](${html}) · [CSV](${csv})`,
      na: '无',
    },
  }
}

/** The report texts of a locale, times in `timeZone` (an IANA name). */
export function reportTexts(locale: Locale, timeZone: string): ReportTexts {
  const f = formats(locale, timeZone)
  return locale === 'zh-CN' ? chinese(f) : english(f)
}
