// Where the bulletin schedule remembers its progress: when it started (periods due before are not
// owed) and which periods were delivered. One small interface, two stores that pass one test suite
// (test/reports/schedule-state.test.ts): a private file per engine (schedule-state-file.ts) and, in
// cluster mode, one JetStream KV key shared by every engine (schedule-state-kv.ts), so the engine
// that takes the schedule role over owes exactly what the previous holder had not delivered.
import type { Period } from './periods.js'

export interface ScheduleState {
  /** When the schedule first ran (epoch ms): periods due before it are not owed. */
  since: number
  /** Delivered periods (`kind/period`) → the delivered generation's generatedAt. */
  done: Readonly<Record<string, number>>
}

export interface ScheduleStateStore {
  /** The state as stored now (another engine may have moved it); started at `now` when there is none. */
  load(now: number): Promise<ScheduleState>
  /** Records a period as delivered (durable when it resolves). */
  markDone(key: string, generatedAt: number): Promise<void>
}

/** Periods remembered as done (older ones are past the catch-up horizon anyway). */
export const KEEP_DONE = 200

export function periodKey(p: Pick<Period, 'kind' | 'period'>): string {
  return `${p.kind}/${p.period}`
}

/** The stored form (both stores keep the same JSON). */
export interface StoredScheduleState { v: 1; since: number; done: Record<string, number> }

/** Parses a stored state; null when it is not one (the caller starts afresh and says so). */
export function parseScheduleState(text: string): StoredScheduleState | null {
  const s = JSON.parse(text) as Partial<StoredScheduleState> | null
  if (s !== null && typeof s === 'object' && s.v === 1 && typeof s.since === 'number' && typeof s.done === 'object' && s.done !== null) return s as StoredScheduleState
  return null
}

/** The state with one more period done, keeping the newest KEEP_DONE periods (keys sort by date). */
export function withDone(s: StoredScheduleState, key: string, generatedAt: number): StoredScheduleState {
  const done = { ...s.done, [key]: generatedAt }
  const keys = Object.keys(done)
  if (keys.length > KEEP_DONE) for (const k of keys.sort().slice(0, keys.length - KEEP_DONE)) delete done[k]
  return { v: 1, since: s.since, done }
}
