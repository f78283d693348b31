// The typed records that leave the decode stage: an accepted position fix, or a
// rejection with its reason. Everything downstream (journal, rules, sink) speaks these.

/** Who raised a unit's own emergency signal (src/decode/sos.ts attaches it to a DecodeResult). */
export type SosSource = 'jt808' | 'osmand' | 'native'

/** A unit's own emergency signal (SOS button), carried beside the fixes of its message. */
export interface SosSignal {
  unitId: string
  /** The fix time when the report had an accepted fix, else the arrival time. */
  at: number
  via: SosSource
  fix: Fix | null
}

/** One accepted GPS position. Times are epoch milliseconds (UTC). */
export interface Fix {
  unitId: string
  /** Fix time (device clock), epoch ms. */
  ts: number
  /** Arrival time at the engine, epoch ms. */
  receivedAt: number
  lat: number
  lon: number
  /** H3 cell at the configured resolution (h3.resolution), as an h3-js hex string; set by the decoder. */
  h3: string
  /** m/s */
  speed: number | null
  /** degrees, 0..360 */
  heading: number | null
  /** metres */
  accuracy: number | null
  /** metres */
  altitude: number | null
  /** percent 0..100 */
  battery: number | null
  /** Device sequence number, when the device sends one. */
  seq: number | null
  /** Payload format that produced the fix: native | owntracks | osmand | jt808. */
  source: string
  /** MQTT topic the fix arrived on, or `http:owntracks` / `http:osmand` for HTTP ingest. */
  topic: string
  /** Bit flags set by later stages (see FixFlag). 0 when nothing is wrong. */
  flags: number
}

/**
 * Flags a stage may set on a fix that is stored but must not drive rules (no alert edge, no
 * coverage credit, no report figure: those read `flags = 0`); every arrival is still a sign of life.
 */
export const FixFlag = {
  /** Implies an impossible speed from the unit's previous accepted fix. */
  ImpossibleSpeed: 1,
  /** Same unit and fix time as a fix already seen. */
  Duplicate: 2,
  /** Older than the allowed lateness: stored, but re-fires no edge. */
  TooLate: 4,
  /** Stamped ahead of the unit's estimated device clock by more than rules.future_tolerance: stored, drives no rule. */
  FutureTs: 8,
  /**
   * The device says the position came from a mock-location provider (Traccar Client's `mock=true`):
   * set by the decoder, stored and counted, drives no rule (a position the phone was told is not
   * evidence of where the officer was). Integrity reports it as `mock_location` (src/integrity/).
   */
  Mock: 16,
} as const

/** The FixFlag bits a decoder sets from the payload; the rules' classification adds to them, never clears them. */
export const DECODER_FLAGS = FixFlag.Mock

/** Stable reasons for rejecting a payload or one element of a batch. */
export type RejectReason =
  | 'payload_too_large'
  | 'invalid_json'
  | 'not_an_object'
  | 'batch_too_large'
  | 'missing_field'
  | 'wrong_type'
  | 'lat_out_of_range'
  | 'lon_out_of_range'
  | 'not_finite'
  | 'value_out_of_range'
  | 'ts_in_future'
  | 'ts_too_old'
  | 'invalid_ts'
  | 'unit_mismatch'
  | 'invalid_unit'
  | 'unknown_topic'
  | 'sink_rejected'
  | 'null_island'
  | 'invalid_fix'
  | 'unknown_unit'
  | 'too_many_rejects'

export const REJECT_REASONS: readonly RejectReason[] = [
  'payload_too_large', 'invalid_json', 'not_an_object', 'batch_too_large', 'missing_field',
  'wrong_type', 'lat_out_of_range', 'lon_out_of_range', 'not_finite', 'value_out_of_range',
  'ts_in_future', 'ts_too_old', 'invalid_ts', 'unit_mismatch', 'invalid_unit', 'unknown_topic', 'sink_rejected',
  'null_island', 'invalid_fix', 'unknown_unit', 'too_many_rejects',
]

/** A rejected payload (or batch element), kept for the `rejects` table. */
export interface Reject {
  receivedAt: number
  topic: string
  /** Unit id from the topic, '' when the topic gives none. */
  unitId: string
  reason: RejectReason
  /** Human-readable detail: which field, what was wrong. */
  detail: string
  /** The raw payload (or the offending element), truncated to the configured size. */
  payload: string
}

/**
 * The format of the decode route a message took (its metric label): the subscription's payload
 * format, the HTTP endpoint's, or `unknown` when the topic matches no subscription.
 */
export type MessageFormat = 'native' | 'owntracks' | 'osmand' | 'jt808' | 'unknown'

/** What decoding one message yields: any mix of fixes and rejects, plus ignored non-location messages. */
export interface DecodeResult {
  /** The route's format, whatever the outcome (an empty native batch is still `native`). */
  format: MessageFormat
  fixes: Fix[]
  rejects: Reject[]
  /** Messages accepted but producing no fix (e.g. OwnTracks lwt/transition), by type. */
  ignored: string | null
  /** The unit's own emergency signal, when the message carried one (see sos.ts). */
  sos?: SosSignal[]
}
