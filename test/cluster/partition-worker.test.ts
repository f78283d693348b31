// PartitionWorker with in-memory fakes of the marks (KV), the ClickHouse insert, the delivery and
// the lease: rows go in batches under stream-sequence tokens with the intent written first; a new
// owner repeats a found intent exactly; the alerts mark advances only over completed deliveries,
// in order; failures retry without advancing; a lost lease stops it; a graceful stop waits for
// deliveries in flight and writes the marks.
import t from 'tap'
import pino from 'pino'
import { PartitionWorker, rowsToken, type PartitionWorkerDeps } from '../../src/cluster/partition-worker.js'
import { PartitionEffects, effectEventId, type Marks } from '../../src/cluster/effects.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'

const P = 3
const ev = (id: string) => ({ eventId: id, subject: 'unit:U', unitId: 'U' }) as unknown as AlertEvent
const ZERO: Marks = { rows: 0n, alerts: 0n, intent: null }

interface Deferred { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void }
function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (e: unknown) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Fakes for every dependency, with one ordered log of what the worker did. */
function harness(opts: { marks?: Marks; owns?: boolean } = {}) {
  const log: string[] = []
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>) } })
  const h = {
    log,
    lines,
    stored: opts.marks ?? { ...ZERO },
    owned: opts.owns ?? true,
    effects: new PartitionEffects(),
    inserts: [] as Array<{ token: string; rows: string[] }>,
    delivered: [] as string[][],
    /** Set to make the next inserts fail / wait. */
    insertFailures: 0,
    insertGate: null as Deferred | null,
    setGate: null as Deferred | null,
    deliveries: new Map<string, Deferred>(),
    autoDeliver: true,
  }
  const fmt = (m: Marks) => `rows=${m.rows} alerts=${m.alerts}${m.intent === null ? '' : ` intent=${m.intent.from}-${m.intent.to}`}`
  const deps: PartitionWorkerDeps = {
    partition: P,
    effects: h.effects,
    logger,
    idleMs: 5,
    retryMs: 5,
    marks: {
      get: async (p) => { log.push(`get p${p}`); return h.stored },
      set: async (p, m) => {
        log.push(`set p${p} ${fmt(m)}`)
        if (h.setGate !== null) await h.setGate.promise
        h.stored = m
      },
    },
    insertRows: async (rows, token) => {
      log.push(`insert ${token} ${rows.join(',')}`)
      if (h.insertGate !== null) await h.insertGate.promise
      if (h.insertFailures > 0) {
        h.insertFailures--
        throw new Error('ClickHouse away')
      }
      h.inserts.push({ token, rows })
    },
    deliver: async (events) => {
      const ids = events.map(effectEventId)
      log.push(`deliver ${ids.join(',')}`)
      h.delivered.push(ids)
      if (h.autoDeliver) return
      const d = deferred()
      h.deliveries.set(ids[0]!, d)
      await d.promise
    },
    owns: () => h.owned,
  }
  return { h, deps, fmt }
}

t.test('rowsToken', async (t) => {
  t.equal(rowsToken(3, 0n, 12n), 'hexpatrol-cluster:p3:0:12')
  t.equal(rowsToken(0, 9_007_199_254_740_993n, 9_007_199_254_740_999n), 'hexpatrol-cluster:p0:9007199254740993:9007199254740999')
})

t.test('rows go in batches of whole entries under their sequence range, the intent written before each insert', async (t) => {
  const { h, deps } = harness()
  h.effects.add(P, 1n, ['a'], [])
  h.effects.add(P, 2n, ['b'], [])
  h.effects.add(P, 3n, ['c', 'd'], [])
  h.effects.add(P, 5n, ['e'], [])
  const w = new PartitionWorker({ ...deps, maxRows: 2 })
  await until(() => h.stored.rows === 5n, 'rows mark at 5')
  await w.stop()
  t.same(h.log.filter((l) => !l.startsWith('get')), [
    'set p3 rows=0 alerts=0 intent=0-2', 'insert hexpatrol-cluster:p3:0:2 a,b', 'set p3 rows=2 alerts=0',
    'set p3 rows=2 alerts=0 intent=2-3', 'insert hexpatrol-cluster:p3:2:3 c,d', 'set p3 rows=3 alerts=0',
    'set p3 rows=3 alerts=0 intent=3-5', 'insert hexpatrol-cluster:p3:3:5 e', 'set p3 rows=5 alerts=0',
  ])
  t.equal(h.effects.pending(P), 0, 'the effects dropped what the marks passed')
  t.equal(h.log.filter((l) => l.startsWith('get')).length, 1, 'the marks are read once while nothing fails')
})

t.test('poke wakes an idle worker at once', async (t) => {
  const { h, deps } = harness()
  const w = new PartitionWorker({ ...deps, idleMs: 60_000 })
  await until(() => h.log.includes('get p3'), 'first read')
  await pause(20)
  h.effects.add(P, 7n, ['x'], [])
  const t0 = Date.now()
  w.poke()
  await until(() => h.stored.rows === 7n, 'shipped after the poke', 1000)
  t.ok(Date.now() - t0 < 1000, 'not after the idle pause')
  w.poke()
  await w.stop()
})

t.test('a new owner finding an intent repeats exactly that range with the same token', async (t) => {
  const { h, deps } = harness({ marks: { rows: 2n, alerts: 0n, intent: { from: 2n, to: 5n } } })
  for (let s = 3n; s <= 6n; s++) h.effects.add(P, s, [`r${s}`], [])
  const w = new PartitionWorker({ ...deps, maxRows: 1 })
  await until(() => h.stored.rows === 6n, 'rows mark at 6')
  await w.stop()
  t.same(h.log.filter((l) => !l.startsWith('get')), [
    'insert hexpatrol-cluster:p3:2:5 r3,r4,r5',
    'set p3 rows=5 alerts=0 intent=5-6', 'insert hexpatrol-cluster:p3:5:6 r6', 'set p3 rows=6 alerts=0',
  ], 'the intent\'s range whatever maxRows, no new intent before it; the next intent write carries rows=5')
})

t.test('an intent that does not start at the rows mark (already done) is not repeated', async (t) => {
  const { h, deps } = harness({ marks: { rows: 5n, alerts: 0n, intent: { from: 2n, to: 5n } } })
  for (let s = 3n; s <= 6n; s++) h.effects.add(P, s, [`r${s}`], [])
  const w = new PartitionWorker(deps)
  await until(() => h.stored.rows === 6n, 'rows mark at 6')
  await w.stop()
  t.same(h.inserts, [{ token: 'hexpatrol-cluster:p3:5:6', rows: ['r6'] }])
})

t.test('an intent whose rows this engine does not hold moves the mark without an insert', async (t) => {
  const { h, deps } = harness({ marks: { rows: 2n, alerts: 0n, intent: { from: 2n, to: 5n } } })
  const w = new PartitionWorker(deps)
  await until(() => h.stored.rows === 5n, 'rows mark at 5')
  await w.stop()
  t.same(h.inserts, [])
})

t.test('a failing insert retries the same range and token without advancing', async (t) => {
  const { h, deps } = harness()
  h.effects.add(P, 1n, ['a'], [])
  h.effects.add(P, 2n, ['b'], [])
  h.insertFailures = 2
  const w = new PartitionWorker(deps)
  await until(() => h.stored.rows === 2n, 'rows mark at 2')
  h.effects.add(P, 3n, ['c'], [])
  w.poke()
  await until(() => h.stored.rows === 3n, 'rows mark at 3')
  await w.stop()
  const inserts = h.log.filter((l) => l.startsWith('insert'))
  t.same(inserts, ['insert hexpatrol-cluster:p3:0:2 a,b', 'insert hexpatrol-cluster:p3:0:2 a,b', 'insert hexpatrol-cluster:p3:0:2 a,b', 'insert hexpatrol-cluster:p3:2:3 c'])
  t.same(h.inserts.map((i) => i.token), ['hexpatrol-cluster:p3:0:2', 'hexpatrol-cluster:p3:2:3'])
  const firstAdvance = h.log.indexOf('set p3 rows=2 alerts=0')
  t.ok(firstAdvance > h.log.lastIndexOf('insert hexpatrol-cluster:p3:0:2 a,b'), 'the rows mark moves only after the insert that worked')
  t.equal(h.log.filter((l) => l === 'set p3 rows=0 alerts=0 intent=0-2').length, 1, 'the intent is written once, then found again')
  t.equal(h.lines.filter((l) => l.msg === 'Partition side effects failed (ClickHouse or NATS away?); retrying.' && l.partition === P).length, 2, 'each failure logged')
})

t.test('a failing marks write retries from the stored marks', async (t) => {
  const { h, deps } = harness()
  h.effects.add(P, 1n, ['a'], [])
  let fail = 1
  const w = new PartitionWorker({ ...deps, marks: { get: deps.marks.get, set: async (p, m) => { if (fail-- > 0) throw new Error('NATS away'); await deps.marks.set(p, m) } } })
  await until(() => h.stored.rows === 1n, 'rows mark at 1')
  await w.stop()
  t.same(h.inserts, [{ token: 'hexpatrol-cluster:p3:0:1', rows: ['a'] }], 'the insert happens once the intent is stored')
})

t.test('the alerts mark advances only past completed deliveries, in order', async (t) => {
  const { h, deps } = harness()
  h.autoDeliver = false
  h.effects.add(P, 1n, [], [ev('e1')])
  h.effects.add(P, 2n, [], [ev('e2a'), ev('e2b')])
  h.effects.add(P, 4n, [], [ev('e4')])
  const w = new PartitionWorker(deps)
  await until(() => h.delivered.length === 3, 'three deliveries started')
  t.same(h.delivered, [['e1'], ['e2a', 'e2b'], ['e4']], 'started in order, one call per sequence')
  h.deliveries.get('e2a')!.resolve()
  h.deliveries.get('e4')!.resolve()
  await pause(30)
  t.equal(h.stored.alerts, 0n, 'a slow early delivery holds the later ones')
  h.effects.add(P, 6n, [], [ev('e6')])
  w.poke()
  await until(() => h.delivered.length === 4, 'the next one started while waiting')
  t.equal(h.delivered.filter((d) => d[0] === 'e1').length, 1, 'nothing delivered twice')
  h.deliveries.get('e1')!.resolve()
  await until(() => h.stored.alerts === 4n, 'alerts mark at 4')
  t.notOk(h.log.some((l) => / alerts=[12] /.test(`${l} `)), 'never a mark between')
  h.deliveries.get('e6')!.resolve()
  await until(() => h.stored.alerts === 6n, 'alerts mark at 6')
  await w.stop()
  t.equal(h.effects.pending(P), 0)
})

t.test('a delivery that fails unexpectedly never advances the mark', async (t) => {
  const { h, deps } = harness()
  h.effects.add(P, 1n, [], [ev('e1')])
  h.effects.add(P, 2n, [], [ev('e2')])
  const w = new PartitionWorker({ ...deps, deliver: async (evs) => { h.delivered.push(evs.map(effectEventId)); if ((evs[0] === undefined ? '' : effectEventId(evs[0])) === 'e1') throw new Error('bug') } })
  await until(() => h.delivered.length === 2, 'both started')
  await pause(30)
  await w.stop()
  t.equal(h.stored.alerts, 0n)
  t.ok(h.lines.some((l) => l.msg === 'Alert delivery failed; delivering again from the partition\'s alerts mark.'))
})

t.test('losing the lease stops it at the next step', async (t) => {
  await t.test('during an insert: no marks written after it', async (t) => {
    const { h, deps } = harness()
    h.effects.add(P, 1n, ['a'], [])
    h.insertGate = deferred()
    const w = new PartitionWorker(deps)
    await until(() => h.log.some((l) => l.startsWith('insert')), 'insert started')
    h.owned = false
    h.insertGate.resolve()
    await w.stop()
    t.same(h.stored, { rows: 0n, alerts: 0n, intent: { from: 0n, to: 1n } }, 'the intent stays for the next owner')
    t.equal(h.log.at(-1), 'insert hexpatrol-cluster:p3:0:1 a')
  })
  await t.test('between the intent and the insert: no insert', async (t) => {
    const { h, deps } = harness()
    h.effects.add(P, 1n, ['a'], [])
    h.setGate = deferred()
    const w = new PartitionWorker(deps)
    await until(() => h.log.some((l) => l.startsWith('set')), 'intent write started')
    h.owned = false
    h.setGate.resolve()
    await w.stop()
    t.same(h.inserts, [])
    t.notOk(h.log.some((l) => l.startsWith('insert')))
  })
  await t.test('while idle: new effects are left alone', async (t) => {
    const { h, deps } = harness()
    const w = new PartitionWorker(deps)
    await until(() => h.log.includes('get p3'), 'started')
    h.owned = false
    h.effects.add(P, 1n, ['a'], [ev('e1')])
    w.poke()
    await pause(30)
    t.same(h.log, ['get p3'])
    await w.stop()
    t.same(h.log, ['get p3'], 'and a stop after the loss writes nothing')
  })
  await t.test('not the owner from the start: nothing at all', async (t) => {
    const { h, deps } = harness({ owns: false })
    h.effects.add(P, 1n, ['a'], [ev('e1')])
    const w = new PartitionWorker(deps)
    await pause(20)
    await w.stop()
    t.same(h.log, [])
  })
  await t.test('while deliveries start: the rest are not started', async (t) => {
    const { h, deps } = harness()
    h.effects.add(P, 1n, [], [ev('e1')])
    h.effects.add(P, 2n, [], [ev('e2')])
    const w = new PartitionWorker({ ...deps, deliver: async (evs) => { h.delivered.push(evs.map(effectEventId)); h.owned = false } })
    await pause(30)
    await w.stop()
    t.same(h.delivered, [['e1']])
  })
})

t.test('a graceful stop waits for deliveries in flight, then writes the marks', async (t) => {
  const { h, deps } = harness()
  h.autoDeliver = false
  h.effects.add(P, 1n, ['a'], [ev('e1')])
  h.effects.add(P, 2n, [], [ev('e2')])
  const w = new PartitionWorker({ ...deps, finalWaitMs: 5000 })
  await until(() => h.delivered.length === 2 && h.stored.rows === 1n, 'deliveries started, rows shipped')
  const stopping = w.stop()
  await pause(30)
  h.deliveries.get('e1')!.resolve()
  h.deliveries.get('e2')!.resolve()
  const t0 = Date.now()
  await stopping
  t.ok(Date.now() - t0 < 1000, 'stops soon after they settle')
  t.same(h.stored, { rows: 1n, alerts: 2n, intent: null }, 'the marks cover both deliveries')
})

t.test('a graceful stop gives up on a delivery that takes longer than finalWaitMs', async (t) => {
  const { h, deps } = harness()
  h.autoDeliver = false
  h.effects.add(P, 1n, [], [ev('e1')])
  h.effects.add(P, 2n, [], [ev('e2')])
  const w = new PartitionWorker({ ...deps, finalWaitMs: 60 })
  await until(() => h.delivered.length === 2, 'deliveries started')
  h.deliveries.get('e1')!.resolve()
  await pause(5)
  const t0 = Date.now()
  await w.stop()
  t.ok(Date.now() - t0 >= 50, 'waited about finalWaitMs')
  t.equal(h.stored.alerts, 1n, 'the mark covers the completed one only; the next owner delivers e2 again')
})

t.test('a graceful stop during an insert writes the rows mark it reached', async (t) => {
  const { h, deps } = harness()
  h.effects.add(P, 1n, ['a'], [])
  h.insertGate = deferred()
  const w = new PartitionWorker(deps)
  await until(() => h.log.some((l) => l.startsWith('insert')), 'insert started')
  const stopping = w.stop()
  h.insertGate.resolve()
  await stopping
  t.same(h.stored, { rows: 1n, alerts: 0n, intent: null })
})

t.test('a graceful stop right after a failure writes nothing', async (t) => {
  const { h, deps } = harness()
  h.effects.add(P, 1n, ['a'], [])
  h.insertFailures = 1000
  const w = new PartitionWorker({ ...deps, retryMs: 60_000 })
  await until(() => h.log.some((l) => l.startsWith('insert')), 'insert tried')
  await pause(5)
  const writes = h.log.filter((l) => l.startsWith('set')).length
  await w.stop()
  t.equal(h.log.filter((l) => l.startsWith('set')).length, writes)
})

t.test('an unexpected error outside a round is logged and ends the worker', async (t) => {
  const { h, deps } = harness()
  const w = new PartitionWorker({ ...deps, owns: () => { throw new Error('lease bug') } })
  await w.stop()
  t.ok(h.lines.some((l) => l.msg === 'Partition worker stopped on an unexpected error; the partition is carried out again when it is owned again.' && l.partition === P && l.level === 50))
})

t.test('the default pauses (250 ms idle, 1 s retry) apply when none are given', async (t) => {
  const { h, deps } = harness()
  h.effects.add(P, 1n, ['a'], [])
  h.insertFailures = 1
  const { idleMs: _i, retryMs: _r, ...defaults } = deps
  const t0 = Date.now()
  const w = new PartitionWorker(defaults)
  await until(() => h.stored.rows === 1n, 'shipped after one retry')
  t.ok(Date.now() - t0 >= 900, `the retry waited about 1 s (${Date.now() - t0} ms)`)
  await w.stop()
})

t.test('a marks write that fails after deliveries does not deliver them again', async (t) => {
  const { h, deps } = harness()
  h.effects.add(P, 1n, [], [ev('e1')])
  h.effects.add(P, 2n, ['r2'], [ev('e2')])
  let fail = 1
  const w = new PartitionWorker({ ...deps, marks: { get: deps.marks.get, set: async (p, m) => { if (m.alerts > 0n && fail-- > 0) throw new Error('NATS away'); await deps.marks.set(p, m) } } })
  await until(() => h.stored.alerts === 2n && h.stored.rows === 2n, 'marks at 2')
  await w.stop()
  t.same(h.delivered, [['e1'], ['e2']], 'each event delivered once: this worker knows what it delivered')
  t.same(h.inserts, [{ token: 'hexpatrol-cluster:p3:0:2', rows: ['r2'] }])
})

t.test('a moment without the lease pauses the worker; holding it again it reads the marks again and goes on', async (t) => {
  const { h, deps } = harness()
  h.effects.add(P, 1n, ['a'], [])
  const w = new PartitionWorker({ ...deps, shipEveryMs: 0 })
  await until(() => h.stored.rows === 1n, 'first batch')
  h.owned = false
  await pause(30)
  // Another owner moved on meanwhile; this one must start from its marks, not from its own.
  h.stored = { rows: 2n, alerts: 0n, intent: null }
  h.effects.add(P, 2n, ['b'], [])
  h.effects.add(P, 3n, ['c'], [])
  const gets = h.log.filter((l) => l.startsWith('get')).length
  h.owned = true
  await until(() => h.stored.rows === 3n, 'resumed after the lease came back')
  await w.stop()
  t.equal(h.log.filter((l) => l.startsWith('get')).length, gets + 1, 'the marks were read again')
  t.same(h.inserts.map((i) => i.rows), [['a'], ['c']], 'only what the other owner had not done')
})
