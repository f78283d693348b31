// What cluster mode appends to the JetStream log and every engine applies, in the stream's one
// order: accepted fixes and SOS signals (under the unit's partition), and control records on the
// control subject: rule ticks (from the engine holding the `schedule` role, so every engine ticks
// at the same place in the order with the same clock) and operator commands (acknowledge an alert,
// resolve an SOS; create incidents, change a patrol level, activate or end a plan; accept, dismiss
// or cancel make-up patrols) from whichever
// engine's API took them, and hotspots recomputed by the schedule holder (ClickHouse answers each
// engine differently; the record is what they all apply). Every input that changes rule state is a
// record, and every clock the rules read comes from a record: applying the same records gives
// every engine the same state and the same alert events (deterministic ids).
//
// JSON: a fix is ~300 bytes either way and JSON keeps the log readable with the `nats` CLI.
// The dedup id of each record is stable across redelivery (a device re-sending a fix, an engine
// re-sending a tick after a timeout): the same id within the stream's window is stored once.
import type { Fix } from '../decode/fix.js'
import type { AlertPosition, SosVia } from '../rules/alert-event.js'
import { commandProblem, hotspotsProblem, type HotspotZones, type IncidentCommand } from '../incidents/commands.js'

export type ClusterRecord =
  /** An accepted fix; `fix.receivedAt` is the ingest engine's clock, the rules' `now` for it. */
  | { k: 'f'; fix: Fix; format: string; transport: string }
  | { k: 's'; unitId: string; at: number; via: SosVia; position: AlertPosition | null; now: number }
  | { k: 't'; now: number }
  | { k: 'ack'; alertId: string; by: string; note?: string; now: number; request: string }
  | { k: 'resolve_sos'; alertId: string; by: string; note: string; now: number; request: string }
  /** An incidents command (src/incidents/commands.ts). */
  | { k: 'inc'; cmd: IncidentCommand; now: number; request: string }
  /** Hotspots recomputed at `at` by the schedule holder. */
  | { k: 'hot'; zones: HotspotZones; at: number; now: number }
  /** A make-up patrol command: accept a proposal (optionally for another unit), dismiss it, cancel a task. */
  | { k: 'pt'; op: TaskOp; id: string; unitId?: string; now: number; request: string }

const TASK_OPS = ['accept', 'dismiss', 'cancel'] as const
/** What an operator does to the make-up patrol board. */
export type TaskOp = (typeof TASK_OPS)[number]

/** The alert commands (acknowledge, resolve an SOS): their outcome is the transition. */
export type CommandRecord = Extract<ClusterRecord, { k: 'ack' | 'resolve_sos' }>

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodeRecord(r: ClusterRecord): Uint8Array {
  return encoder.encode(JSON.stringify(r))
}

/** The record, or a string saying why it cannot be applied (a newer engine's kind, garbage). */
export function decodeRecord(data: Uint8Array): ClusterRecord | string {
  let v: unknown
  try {
    v = JSON.parse(decoder.decode(data))
  } catch {
    return 'not JSON'
  }
  if (typeof v !== 'object' || v === null) return 'not an object'
  const r = v as { k?: unknown } & Record<string, unknown>
  switch (r.k) {
    case 'f': return isFix(r.fix) ? (r as ClusterRecord) : 'a fix record without a valid fix'
    case 's': return typeof r.unitId === 'string' && typeof r.at === 'number' && typeof r.now === 'number' ? (r as ClusterRecord) : 'an SOS record without unitId/at/now'
    case 't': return typeof r.now === 'number' ? (r as ClusterRecord) : 'a tick without now'
    case 'ack':
    case 'resolve_sos':
      return typeof r.alertId === 'string' && typeof r.by === 'string' && typeof r.now === 'number' && typeof r.request === 'string' ? (r as ClusterRecord) : `a ${r.k} command without alertId/by/now/request`
    case 'inc': {
      if (typeof r.now !== 'number' || typeof r.request !== 'string') return 'an incidents command without now/request'
      const why = commandProblem(r.cmd)
      return why === null ? (r as ClusterRecord) : `an incidents command that cannot be applied: ${why}`
    }
    case 'hot': {
      if (typeof r.at !== 'number' || typeof r.now !== 'number') return 'a hotspots record without at/now'
      const why = hotspotsProblem(r.zones)
      return why === null ? (r as ClusterRecord) : `a hotspots record that cannot be applied: ${why}`
    }
    case 'pt':
      return (TASK_OPS as readonly unknown[]).includes(r.op) && typeof r.id === 'string' && (r.unitId === undefined || typeof r.unitId === 'string') && typeof r.now === 'number' && typeof r.request === 'string'
        ? (r as ClusterRecord)
        : 'a make-up patrol command without op/id/now/request'
    default: return `unknown record kind ${JSON.stringify(r.k)?.slice(0, 20)} (written by a newer engine? run one version across the cluster)`
  }
}

function isFix(f: unknown): f is Fix {
  if (typeof f !== 'object' || f === null) return false
  const x = f as Record<string, unknown>
  return typeof x.unitId === 'string' && typeof x.ts === 'number' && typeof x.receivedAt === 'number' && typeof x.lat === 'number' && typeof x.lon === 'number' && typeof x.h3 === 'string'
}

/** A fix's dedup id: the same fix re-sent by a device (any transport, any engine) is stored once. */
export function fixRecordId(f: Pick<Fix, 'unitId' | 'ts' | 'lat' | 'lon'>): string {
  return `f:${f.unitId}:${f.ts}:${f.lat}:${f.lon}`
}

export function sosRecordId(unitId: string, at: number, via: SosVia): string {
  return `s:${unitId}:${at}:${via}`
}

/** A tick's id: two schedule holders during a handover (or a re-sent tick) store one per instant. */
export function tickRecordId(now: number): string {
  return `t:${now}`
}

/** Hotspots of one recomputation instant: a re-sent or doubled one (handover) is stored once. */
export function hotspotsRecordId(at: number): string {
  return `h:${at}`
}

export function commandRecordId(request: string): string {
  return `c:${request}`
}
