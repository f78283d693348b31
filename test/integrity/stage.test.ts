// The integrity stage as the engine drives it, on the realism kit: hours of fixes of honest and
// dishonest unit-days (test/helpers/integrity-scenarios.ts) fed in fix-time order with the rule
// tick every minute of a fake clock that follows fix time. Honest units: nothing journaled or
// published. Dishonest ones: the expected signal on the culprit, journaled before it is published,
// as an integrity.signal event with a stable id; a day's stationary share at the first tick after
// midnight; the kept signals per unit bounded and read by period.
import t from 'tap'
import { IntegrityMonitor } from '../../src/integrity/monitor.js'
import { IntegrityStage } from '../../src/integrity/stage.js'
import { KEEP_PER_UNIT, integrityEvent, signalId, type IntegrityEvent } from '../../src/integrity/detection.js'
import type { IntegrityDetector, IntegritySignal } from '../../src/integrity/signal.js'
import { integrityTexts } from '../../src/i18n/integrity-texts.js'
import { DAY0, DEFAULT_OPTIONS, SCENARIOS, type UnitDays } from '../helpers/integrity-scenarios.js'
import { T0, at } from './helpers.js'

const DAY = 86_400_000
const dayOf = (ts: number) => Math.floor(ts / DAY)
const texts = integrityTexts('en', 'UTC')

interface Run { journaled: IntegritySignal[]; events: IntegrityEvent[]; order: string[]; stage: IntegrityStage; ticks: number }

/** Feeds a scenario's fixes with a tick each minute of fix time, then ticks on to 01:00 of the day after the last fix. */
async function drive(u: UnitDays): Promise<Run> {
  const run: Run = { journaled: [], events: [], order: [], ticks: 0, stage: undefined as unknown as IntegrityStage }
  const monitor = new IntegrityMonitor(DEFAULT_OPTIONS, { kindOf: (id) => u.kinds.get(id), dayOf, ...(u.pairs === undefined ? {} : { pairs: u.pairs }) })
  run.stage = new IntegrityStage({
    monitor,
    dayOf,
    journal: async (signals) => {
      await Promise.resolve()
      run.journaled.push(...signals)
      run.order.push(...signals.map((s) => `j:${signalId(s)}`))
    },
    publish: (e) => {
      run.events.push(e)
      run.order.push(`p:${e.id}`)
    },
    summary: (s) => texts.summary(s, s.unitId),
    zoneOf: () => 'g1',
  })
  let clock = (u.fixes[0]?.ts ?? DAY0) - 60_000
  const tick = () => {
    run.stage.tick(clock)
    run.ticks++
  }
  for (const f of u.fixes) {
    while (clock + 60_000 <= f.ts) {
      clock += 60_000
      tick()
    }
    run.stage.observe(f)
  }
  const end = (dayOf(clock) + 1) * DAY + 3_600_000
  while (clock < end) {
    clock += 60_000
    tick()
  }
  await run.stage.idle()
  return run
}

for (const s of SCENARIOS.filter((x) => x.limit !== true)) {
  t.test(`${s.honest ? 'honest' : 'dishonest'}: ${s.name}`, async (t) => {
    for (const seed of [3, 5]) {
      const u = s.build(seed)
      const r = await drive(u)
      t.ok(r.ticks > 16 * 60, `${r.ticks} ticks over ${u.fixes.length} fixes`)
      t.same(r.journaled.map(signalId), r.events.map((e) => e.id), 'every signal journaled and published')
      for (const id of r.events.map((e) => e.id)) t.ok(r.order.indexOf(`j:${id}`) < r.order.indexOf(`p:${id}`), `${id} journaled before it is published`)
      if (s.honest) {
        t.same(r.events.map((e) => e.summary), [], 'nothing said about an honest unit-day')
        continue
      }
      const mine = r.events.filter((e) => e.data.kind === s.expect && e.data.unitId === u.culprit)
      t.ok(mine.length >= 1, `${s.expect} on ${u.culprit} (seed ${seed})`)
      const e = mine[0] as IntegrityEvent
      t.match(e, { type: 'integrity.signal', subject: `unit:${u.culprit}`, data: { zoneId: 'g1', evidence: Object } })
      t.ok((e.data.from as number) >= DAY0 + DAY, 'on the dishonest day')
      t.ok(r.stage.signals(u.culprit as string, DAY0, DAY0 + 3 * DAY).some((x) => signalId(x) === e.id), 'kept for the map')
      if (u.vehicle !== undefined) t.equal(e.data.relatedUnitId, u.vehicle, 'names the vehicle')
    }
  })
}

t.test('a day\'s stationary share is signalled at the first tick after midnight, not at the next fix', async (t) => {
  const s = SCENARIOS.find((x) => x.expect === 'stationary_share')!
  const u = s.build(9)
  const seen: Array<{ id: string; at: number }> = []
  let clock = 0
  const stage = new IntegrityStage({
    monitor: new IntegrityMonitor(DEFAULT_OPTIONS, { kindOf: (id) => u.kinds.get(id), dayOf }),
    dayOf,
    journal: () => undefined,
    publish: (e) => seen.push({ id: e.id, at: clock }),
    summary: () => '',
  })
  for (const f of u.fixes) {
    clock = f.ts
    stage.tick(clock)
    stage.observe(f)
  }
  t.same(seen.filter((x) => x.id.includes('stationary_share')), [], 'not before the day ends')
  clock = DAY0 + 2 * DAY - 60_000
  stage.tick(clock)
  clock = DAY0 + 2 * DAY
  stage.tick(clock)
  const share = seen.filter((x) => x.id.includes('stationary_share'))
  t.same(share, [{ id: `integrity.stationary_share.F-1.${share[0]?.id.split('.').pop()}`, at: DAY0 + 2 * DAY }])
})

t.test('kept signals: bounded per unit, read by period newest first; a failed journal still publishes', async (t) => {
  let n = 0
  const fake: IntegrityDetector = {
    observe: (f) => [{ unitId: f.unitId, kind: 'mock_location', from: f.ts, to: f.ts + 1000, evidence: { fixes: ++n } }],
    flush: () => [],
  }
  const events: IntegrityEvent[] = []
  const errors: unknown[] = []
  const stage = new IntegrityStage({ monitor: fake, dayOf, journal: () => { throw new Error('journal full') }, publish: (e) => events.push(e), summary: () => 's', onError: (err) => errors.push(err) })
  for (let i = 0; i < KEEP_PER_UNIT + 20; i++) stage.observe(at('P-1', i * 60))
  t.equal(events.length, KEEP_PER_UNIT + 20, 'published anyway')
  t.equal(errors.length, KEEP_PER_UNIT + 20)
  const all = stage.signals('P-1', 0, Infinity)
  t.equal(all.length, KEEP_PER_UNIT, 'the latest ones kept')
  t.equal(all[0]?.from, T0 + (KEEP_PER_UNIT + 19) * 60_000, 'newest first')
  t.same(stage.signals('P-1', T0 + 110 * 60_000, T0 + 111 * 60_000).map((s) => s.from), [T0 + 111 * 60_000, T0 + 110 * 60_000])
  t.same(stage.signals('P-9', 0, Infinity), [])
  const e = integrityEvent({ unitId: 'P-1', kind: 'device_disagreement', from: 1, to: 2, relatedUnitId: 'V-1', evidence: { durationMinutes: 40 } }, 'x')
  t.same(e, { id: 'integrity.device_disagreement.P-1.1', type: 'integrity.signal', at: 2, subject: 'unit:P-1', summary: 'x', data: { unitId: 'P-1', kind: 'device_disagreement', from: 1, to: 2, evidence: { durationMinutes: 40 }, relatedUnitId: 'V-1' } })
})

t.test('summaries in both locales', async (t) => {
  const s: IntegritySignal = { unitId: 'F-1', kind: 'mock_location', from: Date.UTC(2026, 10, 3, 10), to: Date.UTC(2026, 10, 3, 12), evidence: { fixes: 240, durationMinutes: 120 } }
  t.match(integrityTexts('en', 'Asia/Shanghai').summary(s, 'Officer Li'), /^Officer Li: Mock location reported, 03\/11, 18:00 – 03\/11, 20:00: fixes 240 · duration \(min\) 120$/)
  t.match(integrityTexts('zh-CN', 'Asia/Shanghai').summary({ ...s, kind: 'device_disagreement', relatedUnitId: 'V-1' }, '李警官'), /^李警官：手机与车载终端位置不一致（关联 V-1），.*：定位数 240 · 持续（分钟） 120$/)
})
