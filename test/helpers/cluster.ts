// What the multi-engine cluster tests share: waiting on a condition, reading which partitions an
// engine owns from its /readyz (the cluster component's detail ends with `[p,p,…]`), and the peers
// and the common config of the clusters they start (child processes or engines in this process).
import type { Test } from 'tap'
import type { EngineProcess } from './engine-process.js'
import { startClickHouseHttp, type ClickHouseHttp } from './clickhouse-http.js'
import { startEngine, waitFor as waitUntil, type Harness } from './harness.js'
import { startMosquitto, type Mosquitto } from './mosquitto.js'
import { startNats, type NatsServer } from './nats.js'
import { startReceiver } from './receiver.js'

type Receiver = Awaited<ReturnType<typeof startReceiver>>

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `cond` every 100 ms; resolves with the ms it took, throws naming `what` after `ms`. */
export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, ms: number): Promise<number> {
  const t0 = Date.now()
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(100)
  }
  return Date.now() - t0
}

/** The partitions an engine says it owns on /readyz (null when it does not answer). */
export async function ownedPartitions(e: EngineProcess): Promise<number[] | null> {
  const r = await e.readyz()
  const c = (r?.body.components as Record<string, { detail?: string }> | undefined)?.cluster
  const m = /\[([\d,]*)\]/.exec(c?.detail ?? '')
  return m === null ? null : m[1] === '' ? [] : m[1]!.split(',').map(Number)
}

/**
 * The peers a multi-engine test runs against: nats-server (JetStream), Mosquitto and a webhook
 * receiver verifying signatures, each stopped at the end; null when nats-server is missing (the
 * test is skipped visibly by startNats).
 */
export async function startClusterPeers(t: Test, secret: string): Promise<{ nats: NatsServer; mosq: Mosquitto; rx: Receiver } | null> {
  const nats = await startNats(t)
  if (nats === null) return null
  const mosq = await startMosquitto()
  t.teardown(() => mosq.stop())
  const rx = await startReceiver(secret)
  t.teardown(() => rx.close())
  return { nats, mosq, rx }
}

export interface EngineClusterOptions {
  /** The webhook signing secret the receiver verifies. */
  secret: string
  /** The operate token (sgt.wang) every API call of the test carries. */
  token: string
  /** The webhook's event patterns. */
  events: string[]
  /** The test's own config (units, zones, posts, plans, rules, …), over the shared part. */
  config: Record<string, unknown>
}

export interface EngineCluster {
  nats: NatsServer
  ch: ClickHouseHttp
  rx: Receiver
  /** Starts an engine in this process as node `nodeId`; every one is stopped when the test ends, in start order. */
  start(nodeId: string): Promise<Harness>
  /** An API request to engine `h` with the operate token (JSON body when given). */
  call(h: Harness, method: string, path: string, body?: unknown): Promise<Response>
}

/**
 * Engines in this process sharing one nats-server (4 partitions, takeover 2 s), one ClickHouse
 * endpoint (one process may open only one embedded ClickHouse) and one webhook receiver; null when
 * nats-server is missing (the test is skipped visibly by startNats).
 */
export async function startEngineCluster(t: Test, opts: EngineClusterOptions): Promise<EngineCluster | null> {
  const nats = await startNats(t)
  if (nats === null) return null
  const ch = await startClickHouseHttp(t)
  const rx = await startReceiver(opts.secret)
  t.teardown(() => rx.close())
  const raw = {
    clickhouse: { url: ch.url },
    webhooks: [{ id: 'desk', url: rx.url, secret: opts.secret, events: opts.events }],
    delivery: { allow_private_networks: ['127.0.0.0/8'] },
    api: { tokens: [{ name: 'sgt.wang', scope: 'operate', token_env: 'HEXP_T_OP' }] },
    journal: { fsync: 'never' },
    ...opts.config,
  }
  const env = { HEXP_T_OP: opts.token }
  const harnesses: Harness[] = []
  t.teardown(async () => { for (const h of harnesses) await h.engine.stop() })
  return {
    nats,
    ch,
    rx,
    async start(nodeId) {
      const h = await startEngine({ ...raw, cluster: { url: nats.url, node_id: nodeId, partitions: 4, takeover: '2s' } }, { env })
      harnesses.push(h)
      return h
    },
    call: (h, method, path, body) => fetch(`${h.httpUrl}${path}`, {
      method, headers: { authorization: `Bearer ${opts.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  }
}

/** Engine A, once it owns every partition, then engine B, once it has taken a share from A. */
export async function startEnginePair(c: EngineCluster): Promise<[Harness, Harness]> {
  const a = await c.start('a')
  await waitUntil(async () => (await a.engine.cluster!.status()).owned.length === 4, 30_000)
  const b = await c.start('b')
  await waitUntil(async () => (await b.engine.cluster!.status()).owned.length > 0 && (await a.engine.cluster!.status()).owned.length < 4, 60_000)
  return [a, b]
}
