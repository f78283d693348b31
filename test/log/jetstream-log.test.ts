import t from 'tap'
import { JetStreamLog } from '../../src/log/jetstream-log.js'
import { LOG_START, type LogEntry } from '../../src/log/log.js'
import { freePort } from '../helpers/mosquitto.js'
import { startNats, natsServerPath, NATS_MISSING, type NatsServer } from '../helpers/nats.js'
import { logSuite, rec } from './log-suite.js'

const ids = (entries: readonly LogEntry[]): string[] => entries.map((e) => e.id)

if (natsServerPath() === null) {
  void t.skip(NATS_MISSING, () => undefined)
} else {
  let server: NatsServer
  let n = 0
  /** A stream of its own per test, on the one server of this file. */
  const names = () => {
    n += 1
    return { stream: `T${n}`, subjectPrefix: `t${n}.fixes` }
  }

  t.before(async () => {
    server = (await startNats(t))!
  })

  t.test('the JetStream log passes the log suite', async (t) => {
    logSuite(t, async () => {
      const own = names()
      return {
        open: () => JetStreamLog.open({ servers: [server.url], partitions: 4, replicas: 1, ...own, ackTimeoutMs: 3000, reconnectWaitMs: 50 }),
        breakBackend: () => server.stop(),
        repairBackend: () => server.restart(),
      }
    })
  })

  t.test('records go to the subject of their partition with Nats-Msg-Id = their id', async (t) => {
    const own = names()
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 3, replicas: 1, ...own })
    t.teardown(() => log.close())
    t.equal(log.subject(2), `${own.subjectPrefix}.2`)
    const { connect } = await import('@nats-io/transport-node')
    const { jetstreamManager } = await import('@nats-io/jetstream')
    const nc = await connect({ servers: server.url })
    t.teardown(() => nc.close())
    const jsm = await jetstreamManager(nc)
    const [a] = await log.append(2, [rec('unit-7@1000')])
    const stored = await jsm.streams.getMessage(own.stream, { seq: Number(a!.position) })
    t.equal(stored?.subject, `${own.subjectPrefix}.2`)
    t.equal(stored?.header.get('Nats-Msg-Id'), 'unit-7@1000')
    const info = await jsm.streams.info(own.stream)
    t.same(info.config.subjects, [`${own.subjectPrefix}.*`])
    t.equal(info.config.num_replicas, 1)
    t.equal(info.config.duplicate_window, 120_000 * 1_000_000, 'two minutes by default')
    t.match(info.config.description, /partitions=3/)
  })

  t.test('reopening with another partition count is refused, naming what to do', async (t) => {
    const own = names()
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 8, replicas: 1, ...own })
    await log.close()
    await t.rejects(JetStreamLog.open({ servers: [server.url], partitions: 16, replicas: 1, ...own }), {
      name: 'RangeError',
      message: /created with 8 partitions but cluster\.partitions is 16: the count is fixed at creation; set cluster\.partitions back/,
    })
    await t.rejects(JetStreamLog.open({ servers: [server.url], partitions: 0, replicas: 1, ...own }), /partitions must be a positive integer/)
  })

  t.test('no server: open rejects with a message naming cluster.url', async (t) => {
    const port = await freePort()
    await t.rejects(JetStreamLog.open({ servers: [`nats://127.0.0.1:${port}`], partitions: 1, replicas: 1 }), {
      name: 'LogUnavailableError',
      message: new RegExp(`cannot connect to NATS at nats://127\\.0\\.0\\.1:${port} .*check cluster\\.url`),
    })
  })

  t.test('replicas the server cannot place: open rejects (R3 needs three JetStream servers)', async (t) => {
    await t.rejects(JetStreamLog.open({ servers: [server.url], partitions: 1, replicas: 3, ...names() }), {
      name: 'LogUnavailableError',
      message: /JetStream is not usable .*at least cluster\.replicas \(3\) JetStream servers/,
    })
  })

  t.test('server down: reads reject too; a consumer resumes when it is back', async (t) => {
    const own = names()
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 2, replicas: 1, ...own, ackTimeoutMs: 3000, reconnectWaitMs: 50 })
    t.teardown(() => log.close())
    await log.append(1, [rec('k1')])
    const seen: string[] = []
    const sub = log.consume(1, LOG_START, (e) => { seen.push(e.id) })
    const until = async (what: string, fn: () => boolean): Promise<void> => {
      const deadline = Date.now() + 30_000
      while (!fn()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    }
    await until('k1', () => seen.length === 1)
    await server.stop()
    await t.rejects(log.read(1, LOG_START, 10), { name: 'LogUnavailableError', message: /did not answer a read of partition 1/ })
    await server.restart()
    let ok = false
    const deadline = Date.now() + 30_000
    while (!ok && Date.now() < deadline) ok = await log.append(1, [rec('k2')]).then(() => true, () => false)
    t.ok(ok, 'appends work again once the server is back')
    await until('k2 through the ordered consumer', () => seen.length === 2)
    t.same(seen, ['k1', 'k2'])
    t.same(ids(await log.read(1, LOG_START, 10)), ['k1', 'k2'])
    await sub.stop()
  })

  t.test('stopping a subscription before it is set up delivers nothing', async (t) => {
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 1, replicas: 1, ...names() })
    t.teardown(() => log.close())
    await log.append(0, [rec('s1')])
    const seen: string[] = []
    const sub = log.consume(0, LOG_START, (e) => { seen.push(e.id) })
    await sub.stop()
    await sub.done
    t.same(seen, [])
  })
}
