// What the multi-engine cluster tests share: waiting on a condition, and reading which partitions
// an engine owns from its /readyz (the cluster component's detail ends with `[p,p,…]`).
import type { Test } from 'tap'
import type { EngineProcess } from './engine-process.js'
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
