import t from 'tap'
import { CONTROL_PARTITION, CONTROL_SUBJECT, JetStreamLog } from '../../src/log/jetstream-log.js'
import { LOG_START, type LogEntry } from '../../src/log/log.js'
import { freePort } from '../helpers/mosquitto.js'
import { startNats, natsServerPath, NATS_MISSING, type NatsServer } from '../helpers/nats.js'
import { logSuite, rec } from './log-suite.js'
import { LogClosedError } from '../../src/log/log-errors.js'

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
    t.equal(info.config.duplicate_window, 3_600_000 * 1_000_000, 'one hour by default (a returning engine\'s session redelivers old fixes)')
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

  const waitUntil = async (what: string, fn: () => boolean): Promise<void> => {
    const deadline = Date.now() + 30_000
    while (!fn()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  t.test('cluster mode: control records and consumeAll in the stream\'s one order', async (t) => {
    const own = names()
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 3, replicas: 1, ...own })
    t.teardown(() => log.close())
    t.equal(CONTROL_SUBJECT, 'ctl')
    t.equal(CONTROL_PARTITION, -1)
    t.equal(await log.lastSequence(), 0n, 'an empty stream')
    const published: number[] = []
    log.onPublished = (s) => published.push(s)
    const order: Array<[string, number]> = []
    const a = await log.append(2, [rec('f-a')])
    order.push(['f-a', 2])
    const c1 = await log.appendControl([rec('t-1'), rec('t-2')])
    order.push(['t-1', -1], ['t-2', -1])
    await log.append(0, [rec('f-b'), rec('f-c')])
    order.push(['f-b', 0], ['f-c', 0])
    await log.append(1, [rec('f-d')])
    order.push(['f-d', 1])
    await log.appendControl([rec('ack-1')])
    order.push(['ack-1', -1])
    t.same(c1.map((x) => x.position), [a[0]!.position + 1n, a[0]!.position + 2n], 'control records take their place in the one sequence')
    t.equal(published.length, 5, 'onPublished once per append (fixes and control)')
    t.ok(published.every((s) => s >= 0 && s < 5), `publish-ack waits in seconds (${published.map((s) => s.toFixed(4)).join(', ')})`)
    const dup = await log.appendControl([rec('t-1')])
    t.same(dup, [{ position: c1[0]!.position, duplicate: true }], 'a re-sent control id is stored once (a tick re-sent after a timeout)')
    t.equal(await log.lastSequence(), 7n)

    const seen: Array<[string, number, bigint]> = []
    const sub = log.consumeAll(LOG_START, (e) => { seen.push([e.id, e.partition, e.position]) })
    await waitUntil('7 entries', () => seen.length === 7)
    t.same(seen.map(([id, p]) => [id, p]), order, 'every partition and the control subject, in stream order; control entries carry partition -1')
    t.same(seen.map(([, , pos]) => pos), [1n, 2n, 3n, 4n, 5n, 6n, 7n])
    await log.append(1, [rec('f-e')])
    await waitUntil('the live append', () => seen.length === 8)
    t.same(seen[7]?.slice(0, 2), ['f-e', 1])
    await sub.stop()

    const after: string[] = []
    const sub2 = log.consumeAll(5n, (e) => { after.push(e.id) })
    await waitUntil('entries after 5', () => after.length === 3)
    t.same(after, ['f-d', 'ack-1', 'f-e'], 'from after a snapshot\'s sequence')
    await sub2.stop()

    const part: string[] = []
    const sub3 = log.consume(0, LOG_START, (e) => { part.push(e.id) })
    await waitUntil('partition 0', () => part.length === 2)
    t.same(part, ['f-b', 'f-c'], 'a partition consumer sees no control records')
    await sub3.stop()
    t.same((await log.read(2, LOG_START, 10)).map((e) => e.id), ['f-a'])
  })

  t.test('partitionOfSubject', async (t) => {
    const own = names()
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 4, replicas: 1, ...own })
    t.teardown(() => log.close())
    t.equal(log.partitionOfSubject(`${own.subjectPrefix}.3`), 3)
    t.equal(log.partitionOfSubject(`${own.subjectPrefix}.0`), 0)
    t.equal(log.partitionOfSubject(`${own.subjectPrefix}.ctl`), CONTROL_PARTITION)
    t.equal(log.partitionOfSubject(log.subject(2)), 2)
  })

  t.test('the default prefix and stream: the control subject is hexpatrol.fixes.ctl', async (t) => {
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 2, replicas: 1 })
    t.teardown(() => log.close())
    t.equal(log.partitionOfSubject('hexpatrol.fixes.ctl'), -1)
    t.equal(log.partitionOfSubject('hexpatrol.fixes.1'), 1)
    const [c] = await log.appendControl([rec('ctl-default')])
    const { connect } = await import('@nats-io/transport-node')
    const { jetstreamManager } = await import('@nats-io/jetstream')
    const nc = await connect({ servers: server.url })
    t.teardown(() => nc.close())
    const stored = await (await jetstreamManager(nc)).streams.getMessage('HEXPATROL_FIXES', { seq: Number(c!.position) })
    t.equal(stored?.subject, 'hexpatrol.fixes.ctl')
  })

  t.test('closed, or the server away: appendControl, consumeAll and lastSequence say so', async (t) => {
    const own = names()
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 1, replicas: 1, ...own, ackTimeoutMs: 1000, reconnectWaitMs: 50 })
    await log.appendControl([rec('c0')])
    let published = 0
    log.onPublished = () => { published++ }
    await server.stop()
    try {
      await t.rejects(log.appendControl([rec('c1')]), { name: 'LogUnavailableError', message: /did not acknowledge the append to the control subject within 1000 ms/ })
      t.equal(published, 0, 'no publish time for a failed append')
      await t.rejects(log.lastSequence(), { name: 'LogUnavailableError', message: new RegExp(`JetStream did not answer for stream ${own.stream} .*cluster\\.url`) })
    } finally {
      await server.restart()
    }
    await log.close()
    await t.rejects(log.appendControl([rec('c2')]), LogClosedError)
    t.throws(() => log.consumeAll(LOG_START, () => undefined), LogClosedError)
  })

  t.test('a consumeAll handler that throws ends the subscription', async (t) => {
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 2, replicas: 1, ...names() })
    t.teardown(() => log.close())
    await log.appendControl([rec('x1'), rec('x2')])
    const seen: string[] = []
    const sub = log.consumeAll(LOG_START, (e) => { seen.push(e.id); throw new Error('handler bug') })
    await t.rejects(sub.done, /handler bug/)
    t.same(seen, ['x1'])
  })

  /**
   * Makes the log's next `silent` consumers deliver nothing, as an ordered consumer lost in a NATS
   * leader change does (the engine saw it with three servers under load); `ended` instead ends
   * the iterator at once. Reaches into the client: the stall cannot be caused from outside.
   */
  const quietConsumers = (log: JetStreamLog, how: 'silent' | 'ended', n = 1): void => {
    const consumers = (log as unknown as { js: { consumers: { get: (...a: unknown[]) => Promise<unknown> } } }).js.consumers
    const real = consumers.get.bind(consumers)
    let left = n
    consumers.get = async (...a: unknown[]) => {
      if (left-- <= 0) return real(...a)
      let wake: (() => void) | null = null
      const closed = new Promise<void>((r) => { wake = r })
      return {
        consume: async () => ({
          close: async () => { wake?.() },
          async * [Symbol.asyncIterator]() {
            if (how === 'silent') await closed
          },
        }),
      }
    }
  }

  t.test('a consumer that stops delivering while the stream is ahead is created again from the last entry handled', async (t) => {
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 2, replicas: 1, ...names(), stallMs: 200 })
    t.teardown(() => log.close())
    const resubscribed: string[] = []
    log.onResubscribed = (filter, handled, last) => { resubscribed.push(`${filter} ${handled} ${last}`) }
    await log.append(1, [rec('w1')])
    quietConsumers(log, 'silent')
    const seen: string[] = []
    const sub = log.consume(1, LOG_START, (e) => { seen.push(e.id) })
    await waitUntil('w1 through the replacement', () => seen.length === 1)
    t.same(resubscribed, [`${(log as unknown as { prefix: string }).prefix}.1 0 1`], 'the stall was reported with the partition subject, the last handled and the stream\'s last')
    // Idle and caught up: the watchdog asks and leaves it alone.
    await new Promise((r) => setTimeout(r, 600))
    t.equal(resubscribed.length, 1, 'a consumer with nothing to deliver is not replaced')
    await log.append(1, [rec('w2')])
    await waitUntil('w2', () => seen.length === 2)
    t.same(seen, ['w1', 'w2'])
    await sub.stop()

    // consumeAll: the first consumer is silent from the start, the stream already ahead.
    await log.appendControl([rec('w3')])
    quietConsumers(log, 'silent')
    const all: string[] = []
    const sub2 = log.consumeAll(LOG_START, (e) => { all.push(e.id) })
    await waitUntil('every entry through the replacement', () => all.length === 3)
    t.same(all, ['w1', 'w2', 'w3'], 'in order, none twice')
    t.equal(resubscribed[1], `${(log as unknown as { prefix: string }).prefix}.* 0 3`, 'the whole stream\'s stall reported with its last sequence')
    await sub2.stop()
    await sub2.done
  })

  t.test('a consumer whose iterator ends by itself is followed again', async (t) => {
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 1, replicas: 1, ...names(), stallMs: 200 })
    t.teardown(() => log.close())
    await log.append(0, [rec('e1'), rec('e2')])
    quietConsumers(log, 'ended', 2)
    const seen: string[] = []
    const sub = log.consume(0, LOG_START, (e) => { seen.push(e.id) })
    await waitUntil('e1, e2 once the real consumer is back', () => seen.length === 2)
    t.same(seen, ['e1', 'e2'])
    await sub.stop()
  })

  t.test('an append in flight when the log closes rejects as closed', async (t) => {
    const log = await JetStreamLog.open({ servers: [server.url], partitions: 1, replicas: 1, ...names(), ackTimeoutMs: 5000, reconnectWaitMs: 50 })
    await server.stop()
    try {
      const pending = log.appendControl([rec('late')])
      await new Promise((r) => setTimeout(r, 50))
      await log.close()
      await t.rejects(pending, LogClosedError)
    } finally {
      await server.restart()
    }
  })

  t.test('a stream of the same name created without a partition count is refused', async (t) => {
    const own = names()
    const { connect } = await import('@nats-io/transport-node')
    const { jetstreamManager } = await import('@nats-io/jetstream')
    const nc = await connect({ servers: server.url })
    t.teardown(() => nc.close())
    await (await jetstreamManager(nc)).streams.add({ name: own.stream, subjects: [`${own.subjectPrefix}.*`] })
    await t.rejects(JetStreamLog.open({ servers: [server.url], partitions: 4, replicas: 1, ...own }), { name: 'RangeError', message: /created with an unknown number of partitions but cluster\.partitions is 4/ })
  })
}
