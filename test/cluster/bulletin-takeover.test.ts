// Bulletins exactly once across engines (issue 21). Three engines in cluster mode on a shifted clock
// (HEXPATROL_CLOCK_OFFSET_MS, the same offset for all), 30 s past 08:00 on 1 Dec (UTC), when the
// 30 Nov bulletin falls due. Once the three share the partitions and one holds the `schedule` role,
// the shared schedule state is moved to have started an hour before the due time, so the holder
// owes the bulletin and produces it on its next check. The receiver answers 503 to bulletins at
// first: the holder has handed the event to its outbox and waits for delivery to settle when it is
// killed with SIGKILL. The engine taking the role over finds the period owed in the shared KV state
// and delivers it with the same webhook-id; the receiver accepts that one copy. Then that engine is
// killed too, after the period was recorded: the last engine takes the role and delivers nothing.
import t from 'tap'
import { connect } from '@nats-io/transport-node'
import { Kvm } from '@nats-io/kv'
import { startEngineProcess, type TestEngine } from '../helpers/engine-process.js'
import { startNats } from '../helpers/nats.js'
import { startReceiver } from '../helpers/receiver.js'
import { sleep, waitFor } from '../helpers/cluster.js'
import { KvScheduleState, SCHEDULE_STATE_KEY } from '../../src/reports/schedule-state-kv.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const DUE = Date.UTC(2026, 11, 1, 8)
const PERIOD = '2026-11-30'
const WEBHOOK_ID = `msg_patrol_bulletin.daily.${PERIOD}`
const HOUR = 3_600_000

const handedOver = (e: TestEngine): boolean => e.runLogs.some((l) => l.msg === 'Patrol bulletin produced and handed to delivery.' && l.period === PERIOD)
/** Whether the engine's last word on the schedule role (#onRole's log line) was that it holds it. */
const runsSchedule = (e: TestEngine): boolean => [...e.runLogs].reverse().find((l) => l.role === 'schedule')?.held === true

t.test('kill -9 the schedule holder while the bulletin is due, then the next one: delivered once', { timeout: 360_000 }, async (t) => {
  const nats = await startNats(t)
  if (nats === null) return
  let accepting = false
  const rx = await startReceiver(SECRET, (r) => (r.type.startsWith('patrol_bulletin.') && !accepting ? 503 : 200))
  t.teardown(() => rx.close())

  // Engine time reads 30 s past the due time when the engines are spawned.
  const offset = DUE + 30_000 - Date.now()
  const config = {
    units: [{ id: 'P-1', post: 'station-a' }],
    posts: [{ id: 'station-a', lat: 36.49, lon: 117.86, radius_m: 1000 }],
    reports: { timezone: 'UTC', daily_at: '08:00', weekly_on: 'monday' },
    // Fast retries: the first holder keeps retrying the 503s until it dies.
    delivery: { schedule: ['0s', '1s'] },
    journal: { fsync: 'never' },
    cluster: { partitions: 4, takeover: '4s' },
  }
  const engines: TestEngine[] = []
  for (let i = 1; i <= 3; i++) {
    engines.push(await startEngineProcess(t, {
      config, clusterUrl: nats.url, nodeId: `engine-${i}`, start: false,
      webhook: { url: rx.url, secret: SECRET, events: ['patrol_bulletin.*'] },
      env: { HEXPATROL_CLOCK_OFFSET_MS: String(offset) },
    }))
  }
  await Promise.all(engines.map((e) => e.start()))
  const nc = await connect({ servers: nats.url })
  t.teardown(() => nc.close())
  const state = await KvScheduleState.open({ nc, replicas: 1 })
  // Settled first (the role moves while engines join; a holder that loses it mid-delivery leaves its
  // copy in its outbox, a second delivery with the same webhook-id): three members, one holder.
  const settledMembers = async (): Promise<boolean> => {
    for (const e of engines) if (!/3 member\(s\)/.test(JSON.stringify((await e.readyz())?.body ?? {}))) return false
    return engines.filter(runsSchedule).length === 1
  }
  /** On a failed wait: what each engine said about the schedule and bulletins, and its warnings. */
  const explain = (err: unknown): never => {
    t.comment(`receiver: ${JSON.stringify(rx.received.map((r) => [r.type, r.id, r.status]))}`)
    for (const e of engines) for (const l of e.runLogs.filter((l) => Number(l.level) >= 40 || /schedule|bulletin/i.test(String(l.msg))).slice(-12)) t.comment(`${e.httpUrl} ${JSON.stringify(l).slice(0, 400)}`)
    throw err
  }
  await waitFor('three members and one schedule holder', settledMembers, 90_000).catch(explain)
  await sleep(3000)
  t.ok(await settledMembers(), 'still one holder 3 s later')
  t.notOk((await state.load(0)).done[`daily/${PERIOD}`], 'not done: the schedule (started by the first holder after the due time) owes nothing yet')
  // The cluster's schedule started an hour before the due time (as if it had run since): now owed.
  await (await new Kvm(nc).open('hexpatrol_progress')).put(SCHEDULE_STATE_KEY, JSON.stringify({ v: 1, since: DUE - HOUR, done: {} }))

  const bulletins = () => rx.received.filter((r) => r.type === 'patrol_bulletin.daily')
  const accepted = () => bulletins().filter((r) => r.status >= 200 && r.status < 300)
  await waitFor('the schedule holder handing the bulletin over and the receiver refusing it', () => engines.some(handedOver) && bulletins().length >= 1, 120_000).catch(explain)
  const first = engines.find(handedOver)!
  t.equal(engines.filter(handedOver).length, 1, 'produced by one engine')
  t.ok(runsSchedule(first), 'the engine that produced it holds the schedule role')
  t.equal(accepted().length, 0, 'not delivered yet (503)')
  t.notOk((await state.load(0)).done[`daily/${PERIOD}`], 'the period is not recorded while its delivery is pending')
  await first.kill9()
  accepting = true

  const rest = engines.filter((e) => e !== first)
  const took = await waitFor('another engine delivering the bulletin', () => accepted().length >= 1, 120_000).catch(explain)
  const second = rest.find(handedOver)
  t.ok(second !== undefined, 'produced again by the engine that took the schedule over')
  t.comment(`delivered by ${second?.httpUrl ?? '?'} ${took} ms after the kill`)
  await waitFor('the period recorded as done in KV', async () => (await state.load(0)).done[`daily/${PERIOD}`] !== undefined, 60_000).catch(explain)
  t.same([...new Set(bulletins().map((r) => r.id))], [WEBHOOK_ID], 'one webhook-id for the period, from both engines')
  t.equal(accepted().length, 1, 'accepted exactly once')

  // The engine that delivered dies after recording the period: the last one owes nothing.
  await second!.kill9()
  const last = rest.find((e) => e !== second)!
  await waitFor('the last engine taking the schedule role', () => runsSchedule(last), 60_000).catch(explain)
  await last.waitForLog((l) => l.msg === 'Bulletin schedule running.', 30_000)
  await sleep(5000)
  t.notOk(handedOver(last), 'the last engine does not produce the period again')
  t.equal(accepted().length, 1, 'still delivered exactly once')
  t.same([...new Set(bulletins().map((r) => r.id))], [WEBHOOK_ID])
})
