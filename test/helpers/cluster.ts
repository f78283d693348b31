// What the multi-engine cluster tests share: waiting on a condition, and reading which partitions
// an engine owns from its /readyz (the cluster component's detail ends with `[p,p,…]`).
import type { EngineProcess } from './engine-process.js'

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
