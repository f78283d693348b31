// The bulletin schedule's progress stores: one suite that both implementations pass (the private
// file of one engine, the KV key cluster mode shares), then what only the KV store promises
// (engines writing at once both keep their periods), then the runner over a store: in cluster mode
// a period is done only once its delivery settled, and a stop while it waits leaves it owed.
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { Kvm } from '@nats-io/kv'
import { FileScheduleState } from '../../src/reports/schedule-state-file.js'
import { KvScheduleState, SCHEDULE_STATE_KEY } from '../../src/reports/schedule-state-kv.js'
import { KEEP_DONE, type ScheduleState, type ScheduleStateStore } from '../../src/reports/schedule-state.js'
import { BulletinRunner } from '../../src/reports/runner.js'
import type { Bulletins } from '../../src/reports/bulletins.js'
import type { OutboundEvent, StoredBulletin } from '../../src/reports/bulletin-event.js'
import { natsFixture, natsServerPath, NATS_MISSING } from '../helpers/nats.js'
import { captureLogger, tempDir } from '../helpers/harness.js'

const silent = pino({ level: 'silent' })
/** What the runner reads from a load (the stores also return their stored form's version). */
const view = async (s: Promise<ScheduleState>): Promise<ScheduleState> => { const { since, done } = await s; return { since, done } }

/** A place for one store: `open()` gives a handle on it (as a restarted or another engine would). */
interface Place {
  open(onWarning?: (reason: string) => void): Promise<ScheduleStateStore>
  /** Overwrites the stored value with text that is not a state. */
  corrupt(text: string): Promise<void>
}

function suite(t: Test, name: string, place: () => Place): void {
  t.test(`${name}: starts at the first load and keeps that start`, async (t) => {
    const s = await place().open()
    t.same(await view(s.load(1000)), { since: 1000, done: {} })
    t.equal((await s.load(5000)).since, 1000, 'a later load does not move the start')
  })

  t.test(`${name}: a period marked done is done for the next handle too`, async (t) => {
    const p = place()
    const a = await p.open()
    await a.load(1000)
    await a.markDone('daily/2026-11-30', 42)
    t.same((await a.load(2000)).done, { 'daily/2026-11-30': 42 })
    const b = await p.open()
    t.same(await view(b.load(9000)), { since: 1000, done: { 'daily/2026-11-30': 42 } }, 'a restart (or another engine) sees the start and the period')
  })

  t.test(`${name}: keeps the newest ${KEEP_DONE} periods`, async (t) => {
    const s = await place().open()
    await s.load(0)
    const day = (i: number): string => `daily/${new Date(Date.UTC(2026, 0, 1) + i * 86_400_000).toISOString().slice(0, 10)}`
    for (let i = 0; i < KEEP_DONE + 5; i++) await s.markDone(day(i), i)
    const done = (await s.load(0)).done
    t.equal(Object.keys(done).length, KEEP_DONE)
    t.notOk(day(4) in done, 'the oldest dropped')
    t.ok(day(KEEP_DONE + 4) in done, 'the newest kept')
  })

  t.test(`${name}: a value that is not a state is reported and the schedule starts afresh`, async (t) => {
    const p = place()
    await (await p.open()).load(1000)
    await p.corrupt('{"v":9}')
    const warnings: string[] = []
    const s = await p.open((r) => warnings.push(r))
    t.same(await view(s.load(7000)), { since: 7000, done: {} })
    t.equal(warnings.length, 1, 'said once')
    await s.markDone('weekly/2026-11-30', 5)
    t.same(await view((await p.open()).load(8000)), { since: 7000, done: { 'weekly/2026-11-30': 5 } }, 'written over')
  })
}

function filePlace(): Place {
  const dir = tempDir('hexp-sched-')
  return {
    open: (onWarning) => {
      const { logger, logs } = captureLogger()
      const s = new FileScheduleState(dir, logger)
      for (const l of logs) if (Number(l.level) === 40) onWarning?.(String(l.msg))
      return Promise.resolve(s)
    },
    corrupt: (text) => Promise.resolve(writeFileSync(join(dir, 'state.json'), text)),
  }
}

suite(t, 'file', filePlace)

if (natsServerPath() === null) {
  void t.skip(NATS_MISSING, () => undefined)
} else {
  const nats = natsFixture(t, 'schedule')
  const kvPlace = (): Place => {
    const bucket = nats.bucket()
    return {
      open: async (onWarning) => KvScheduleState.open({ nc: await nats.conn(), replicas: 1, bucket, ...(onWarning === undefined ? {} : { onWarning }) }),
      corrupt: async (text) => { await (await new Kvm(await nats.conn()).open(bucket)).put(SCHEDULE_STATE_KEY, text) },
    }
  }
  suite(t, 'kv', kvPlace)

  t.test('kv: engines recording periods at once keep every one (compare-and-set)', async (t) => {
    const p = kvPlace()
    const a = await p.open()
    const b = await p.open()
    await a.load(1000)
    await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).markDone(`daily/2026-12-0${i + 1}`, i)))
    t.same(Object.keys((await a.load(2000)).done).sort(), ['daily/2026-12-01', 'daily/2026-12-02', 'daily/2026-12-03', 'daily/2026-12-04', 'daily/2026-12-05', 'daily/2026-12-06'])
  })

  t.test('kv: a state that changes under every write gives up after its attempts, naming the likely cause', async (t) => {
    const s = await kvPlace().open()
    await s.load(1000)
    // Another writer between each read and write: every compare-and-set loses (wrong last sequence).
    const kv = (s as unknown as { kv: { get(k: string): Promise<{ value: Uint8Array } | null>; put(k: string, v: Uint8Array): Promise<number> } }).kv
    const get = kv.get.bind(kv)
    let raced = 0
    kv.get = async (k) => {
      const e = await get(k)
      if (e !== null) {
        raced++
        await kv.put(k, e.value)
      }
      return e
    }
    await t.rejects(s.markDone('daily/2026-12-01', 5), { name: 'LogUnavailableError', message: /kept changing under 10 writes: is a second engine running the schedule \(check cluster\.node_id is unique\)\?/ })
    t.equal(raced, 10, 'ten attempts, each lost')
  })

  t.test('kv: NATS gone: opening says so with the cause (LogUnavailableError)', async (t) => {
    const nc = await nats.conn()
    await nc.close()
    await t.rejects(KvScheduleState.open({ nc, replicas: 1, bucket: 'hexpatrol_gone' }), { name: 'LogUnavailableError', message: /cannot open the progress bucket hexpatrol_gone .*Error: .*check that the servers in cluster.url are up/ })
  })

  t.test('kv: the key beside the partitions\' marks in hexpatrol_progress by default', async (t) => {
    const nc = await nats.conn()
    const s = await KvScheduleState.open({ nc, replicas: 1 })
    await s.load(1)
    const kv = await new Kvm(nc).open('hexpatrol_progress')
    const e = await kv.get(SCHEDULE_STATE_KEY)
    t.match(JSON.parse(new TextDecoder().decode(e!.value)), { v: 1, since: 1, done: {} })
  })
}

/** A runner on a fake clock (1 Dec 2026 09:00 UTC: the 30 Nov bulletin is due) and an in-memory store. */
function runnerOn(state: ScheduleStateStore, settled: (id: string) => Promise<void>) {
  const published: OutboundEvent[] = []
  const report = { from: 0, to: 0, timezone: 'UTC', headline: {}, zones: [], units: [] }
  const bulletins = { ensure: (p: { kind: 'daily' | 'weekly'; period: string }) => Promise.resolve({ ...p, generatedAt: 7, report } as unknown as StoredBulletin) } as unknown as Bulletins
  const runner = new BulletinRunner({
    state, bulletins, settled, logger: silent, now: () => Date.UTC(2026, 11, 1, 9),
    schedule: { timezone: 'UTC', dailyAt: '08:00', weeklyOn: 'monday' },
    publisher: { publishEvent: (e) => published.push(e) },
  })
  return { runner, published }
}

function memoryStore(since: number): ScheduleStateStore & { done: Record<string, number> } {
  const done: Record<string, number> = {}
  return { done, load: () => Promise.resolve({ since, done }), markDone: (k, g) => Promise.resolve(void (done[k] = g)) }
}

t.test('runner: done once delivery settled; a stop while waiting leaves the period owed', async (t) => {
  const store = memoryStore(Date.UTC(2026, 11, 1, 7))
  let settle!: () => void
  const { runner, published } = runnerOn(store, () => new Promise((resolve) => { settle = resolve }))
  runner.start()
  while (published.length === 0) await new Promise((r) => setTimeout(r, 5))
  t.same(published.map((e) => e.id), ['patrol_bulletin.daily.2026-11-30'])
  t.same(store.done, {}, 'handed to delivery, not done yet')
  await runner.stop()
  t.same(store.done, {}, 'stopped before delivery settled: still owed (the next holder delivers it, same id)')

  const next = runnerOn(store, () => Promise.resolve())
  t.equal(await next.runner.runDue(), 1)
  t.same(next.published.map((e) => e.id), ['patrol_bulletin.daily.2026-11-30'], 'the same event id (webhook-id) again')
  t.same(Object.keys(store.done), ['daily/2026-11-30'])
  t.equal(await next.runner.runDue(), 0, 'then done')
  settle()
})
