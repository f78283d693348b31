// The JetStream log with three replicas on a three-server cluster (test/helpers/nats-cluster.ts):
// (a) the stream leader's server is killed (SIGKILL) while several appenders write continuously:
// every append that resolved is stored exactly once, appends during the election reject with
// LogUnavailableError and succeed when re-sent with the same ids (Nats-Msg-Id dedup); (b) with
// every server down an append rejects within the ack timeout, and once the servers are back the
// same ids append and nothing is doubled. The election stall is printed (t.comment).
import t from 'tap'
import { connect } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { JetStreamLog } from '../../src/log/jetstream-log.js'
import { LogUnavailableError } from '../../src/log/log-errors.js'
import { LOG_START, type LogEntry, type LogPosition } from '../../src/log/log.js'
import { natsServerPath, NATS_MISSING } from '../helpers/nats.js'
import { startNatsCluster, streamLeader, type NatsCluster } from '../helpers/nats-cluster.js'
import { waitFor } from '../helpers/cluster.js'
import { rec } from './log-suite.js'

const PARTITIONS = 4
const APPENDERS = 3
const BATCH = 4
const ACK_TIMEOUT_MS = 1500
const PACE_MS = 10
const LEAD_MS = 1500
const LEAD_RECORDS = 200
/** The appenders go on after the fault until RESUMED_BATCHES batches resolved, then 1 s more. */
const RESUMED_BATCHES = 50
/** Bounds every wait: it only stops a hung test, it asserts no speed (docs/CONTRIBUTING.md, tests). */
const WAIT_LIMIT_MS = 90_000

async function readAll(log: JetStreamLog, partition: number): Promise<LogEntry[]> {
  const out: LogEntry[] = []
  let after: LogPosition = LOG_START
  for (;;) {
    const page = await log.read(partition, after, 500)
    if (page.length === 0) return out
    out.push(...page)
    after = page[page.length - 1]!.position
  }
}

/** The server_name the log's connection (named `name`) is on, or '?' (for the printed figures). */
async function connectedTo(cluster: NatsCluster, name: string): Promise<string> {
  for (const n of cluster.nodes.filter((x) => x.running)) {
    const body = await fetch(`${n.monitorUrl}/connz`).then(async (r) => (await r.json()) as { connections?: Array<{ name?: string }> }, () => null)
    if (body?.connections?.some((c) => c.name === name) === true) return n.name
  }
  return '?'
}

/** Every stored entry of the log, keyed by id, with the positions each id was stored at. */
async function stored(log: JetStreamLog): Promise<Map<string, LogPosition[]>> {
  const byId = new Map<string, LogPosition[]>()
  for (let p = 0; p < PARTITIONS; p++) {
    for (const e of await readAll(log, p)) byId.set(e.id, [...(byId.get(e.id) ?? []), e.position])
  }
  return byId
}

/** The NATS client's error under a LogUnavailableError, e.g. `TimeoutError: timeout`. */
function describeCause(err: Error): string {
  const c = err.cause
  return c instanceof Error ? `${c.name}: ${c.message}` : String(c)
}

interface LoadRun { before: number; after: number; stallMs: number; rejected: number; deduplicated: number; causes: string; ratePerS: number }

/**
 * APPENDERS loops append batches of BATCH records (paced to about a thousand records/s in all),
 * each batch re-sent with the same ids until acknowledged, as a device re-sends an unacked fix;
 * `fault` runs after LEAD_MS and LEAD_RECORDS, the appenders go on until appends have resumed. Acked ids land in `acked`.
 * The stall is the longest time after the fault with no append resolving anywhere.
 */
async function underLoad(log: JetStreamLog, acked: Map<string, LogPosition>, tag: string, fault: () => Promise<void>): Promise<LoadRun> {
  const resolvedAt: number[] = []
  let rejected = 0
  /** Records of re-sent batches answered `duplicate`: a rejected attempt had stored them. */
  let deduplicated = 0
  const causes = new Map<string, number>()
  const run = { on: true }
  const appender = async (a: number): Promise<void> => {
    for (let b = 0; run.on; b++) {
      const partition = (a + b) % PARTITIONS
      const batch = Array.from({ length: BATCH }, (_, i) => rec(`${tag}-a${a}-b${b}-r${i}`))
      for (;;) {
        try {
          const done = await log.append(partition, batch)
          resolvedAt.push(Date.now())
          done.forEach((d, i) => acked.set(batch[i]!.id, d.position))
          deduplicated += done.filter((d) => d.duplicate).length
          break
        } catch (err) {
          if (!(err instanceof LogUnavailableError)) throw err
          rejected++
          causes.set(describeCause(err), (causes.get(describeCause(err)) ?? 0) + 1)
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      await new Promise((r) => setTimeout(r, PACE_MS))
    }
  }
  const start = acked.size
  const appenders = Array.from({ length: APPENDERS }, (_, a) => appender(a))
  // At least LEAD_MS and LEAD_RECORDS before the fault (a loaded machine appends slower).
  const leadStart = Date.now()
  await new Promise((r) => setTimeout(r, LEAD_MS))
  while (acked.size - start < LEAD_RECORDS && Date.now() - leadStart < WAIT_LIMIT_MS) await new Promise((r) => setTimeout(r, 50))
  const leadMs = Date.now() - leadStart
  const before = acked.size - start
  const faultAt = Date.now()
  await fault()
  // Until appends have flowed again for a while (the election can take several seconds), bounded.
  const deadline = Date.now() + WAIT_LIMIT_MS
  while (resolvedAt.filter((x) => x >= faultAt).length < RESUMED_BATCHES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  await new Promise((r) => setTimeout(r, 1000))
  run.on = false
  await Promise.all(appenders)
  const after = [faultAt, ...resolvedAt.filter((x) => x >= faultAt)].sort((x, y) => x - y)
  let stallMs = 0
  for (let i = 1; i < after.length; i++) stallMs = Math.max(stallMs, after[i]! - after[i - 1]!)
  return { before, after: (after.length - 1) * BATCH, stallMs, rejected, deduplicated, causes: [...causes].map(([c, n]) => `${n}× ${c}`).join(', ') || 'none', ratePerS: Math.round(before / (leadMs / 1000)) }
}

/** Waits until every replica of the stream is current (the restarted server has caught up). */
async function waitCurrent(cluster: NatsCluster, stream: string): Promise<void> {
  const nc = await connect({ servers: cluster.servers.filter((_, i) => cluster.nodes[i]!.running) })
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000, checkAPI: false })
    await waitFor(`every replica of stream ${stream} current`, async () => {
      const replicas = (await jsm.streams.info(stream).catch(() => null))?.cluster?.replicas ?? []
      return replicas.length === 2 && replicas.every((r) => r.current)
    }, 60_000)
  } finally {
    await nc.close()
  }
}

if (natsServerPath() === null) {
  void t.skip(NATS_MISSING, () => undefined)
} else {
  t.test('R3: the stream leader killed under continuous appends loses and doubles nothing', { timeout: 300_000 }, async (t) => {
    const cluster = (await startNatsCluster(t))!
    const log = await JetStreamLog.open({ servers: cluster.servers, partitions: PARTITIONS, replicas: 3, stream: 'R3A', subjectPrefix: 'r3a.fixes', ackTimeoutMs: ACK_TIMEOUT_MS, reconnectWaitMs: 50, name: 'r3-test' })
    t.teardown(() => log.close())

    const acked = new Map<string, LogPosition>()

    // Phase 1: the stream leader's server is killed.
    const leader = await streamLeader(cluster, 'R3A')
    const via1 = await connectedTo(cluster, 'r3-test')
    const one = await underLoad(log, acked, 'k1', () => cluster.nodes.find((n) => n.name === leader)!.kill())
    t.comment(`killed the stream leader ${leader} (the log's connection was on ${via1}): longest append stall ${one.stallMs} ms, ${one.rejected} rejected appends re-sent, ${one.deduplicated} re-sent records answered duplicate (causes: ${one.causes}); ~${one.ratePerS} records/s before the kill`)
    t.ok(one.before >= LEAD_RECORDS, `appends ran before the kill (${one.before} records)`)
    t.ok(one.after > 0, `appends resumed after the election (${one.after} records)`)
    const newLeader = await streamLeader(cluster, 'R3A')
    t.not(newLeader, leader, `a new stream leader was elected (${newLeader})`)

    // Phase 2: the killed server rejoins; then a follower's server is killed.
    const victim = cluster.nodes.find((n) => n.name === leader)!
    await victim.restart()
    await cluster.waitForMetaLeader()
    await waitCurrent(cluster, 'R3A')
    const follower = cluster.nodes.find((n) => n.name !== newLeader && n.running)!
    const via2 = await connectedTo(cluster, 'r3-test')
    const two = await underLoad(log, acked, 'k2', () => follower.kill())
    t.comment(`killed a follower ${follower.name} (the log's connection was on ${via2}): longest append stall ${two.stallMs} ms, ${two.rejected} rejected appends re-sent, ${two.deduplicated} re-sent records answered duplicate`)
    t.ok(two.after > 0, `appends went on after a follower was killed (${two.after} records)`)

    const byId = await stored(log)
    const missing = [...acked.keys()].filter((id) => !byId.has(id))
    const doubled = [...byId].filter(([, ps]) => ps.length !== 1).map(([id]) => id)
    const moved = [...acked].filter(([id, pos]) => byId.get(id)?.[0] !== pos).map(([id]) => id)
    t.same(missing, [], `every acknowledged record is readable (${acked.size})`)
    t.same(doubled, [], 'no record is stored twice (re-sent ids were deduplicated)')
    t.same(moved, [], 'each ack named the position the record is read at')
    t.equal(byId.size, acked.size, 'nothing stored that was not acknowledged (every batch was re-sent until acked)')

  })

  t.test('R3: every server down rejects within the ack timeout; the same ids append once after restart', { timeout: 300_000 }, async (t) => {
    const cluster = (await startNatsCluster(t))!
    const log = await JetStreamLog.open({ servers: cluster.servers, partitions: PARTITIONS, replicas: 3, stream: 'R3B', subjectPrefix: 'r3b.fixes', ackTimeoutMs: ACK_TIMEOUT_MS, reconnectWaitMs: 50, name: 'r3-test' })
    t.teardown(() => log.close())
    const first = [rec('u1@1'), rec('u1@2')]
    const [a1, a2] = await log.append(1, first)
    const during = [rec('u1@3'), rec('u2@1')]

    await Promise.all(cluster.nodes.map((n) => n.kill()))
    const t0 = Date.now()
    await t.rejects(log.append(1, during), LogUnavailableError, 'no server: the append rejects with LogUnavailableError')
    const took = Date.now() - t0
    t.comment(`all servers down: append rejected after ${took} ms (ack timeout ${ACK_TIMEOUT_MS} ms)`)
    // The ack timeout's timer, not a reconnection (which never gives up), ends the append; the slack
    // is for a loaded machine's late timers only.
    t.ok(took <= ACK_TIMEOUT_MS + 5000, `rejected within the ack timeout (${took} ms), not left hanging`)

    for (const n of cluster.nodes) await n.restart()
    await cluster.waitForMetaLeader()
    const back = Date.now()
    let done: Awaited<ReturnType<JetStreamLog['append']>> | null = null
    let tries = 0
    while (done === null && Date.now() - back < WAIT_LIMIT_MS) {
      tries++
      done = await log.append(1, during).catch(async (err: unknown) => {
        if (!(err instanceof LogUnavailableError)) throw err
        await new Promise((r) => setTimeout(r, 20))
        return null
      })
    }
    t.comment(`after restarting all three: the stream accepted appends ${Date.now() - back} ms after the meta leader (${tries} attempts)`)
    t.ok(done, 'the same ids append once the servers are back')
    t.same(done?.map((d) => d.duplicate), [false, false], 'stored now: the rejected attempt had stored nothing')
    const again = await log.append(1, first)
    t.same(again.map((d) => [d.position, d.duplicate]), [[a1!.position, true], [a2!.position, true]], 'records stored before the outage are still deduplicated after it')
    const entries = await readAll(log, 1)
    t.same(entries.map((e) => e.id), ['u1@1', 'u1@2', 'u1@3', 'u2@1'], 'each record once, in append order')
  })
}
