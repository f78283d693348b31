// The seam between HTTP ingest's policy (http-ingest.ts: who may post, limits, journal before the
// answer) and the two ways its answers are written: fastify's reply, or the fast path's raw
// response (http-fast-path.ts). Apart so that neither writer depends on the other.
import type { Buffer } from 'node:buffer'
import type { ErrorCode } from '../errors.js'
import type { Metrics } from '../telemetry/metrics.js'

/**
 * Where an ingest decision is answered: a fastify reply, or the fast path's raw response
 * (http-fast-path.ts). The policy (HttpIngest) is the same for both; only the writing differs.
 */
export interface IngestAnswer {
  /** The client address (trust_proxy applied). */
  readonly ip: string
  /** For log lines only. */
  readonly reqId: string
  /** A header of the answer to come (in the order set). */
  header(name: string, value: string): void
  /** A coded JSON error `{ code, message }`. */
  error(status: number, body: { code: ErrorCode; message: string }): void
  /** 200, empty body. */
  osmandOk(): void
  /** 200 `[]` as JSON (the OwnTracks app reads commands from the answer: none). */
  owntracksOk(): void
  /** Closes the connection unanswered. */
  abort(): void
}

/** What the fast path needs of HttpIngest (http-ingest.ts implements it). */
export interface IngestPolicy {
  readonly config: { readonly osmand_path: string; readonly owntracks_path: string }
  readonly bodyLimit: number
  readonly metrics: Pick<Metrics, 'httpIngestRequests'>
  /** The dedicated port's address check: true (and answered 403) when refused. */
  forbiddenAddress(a: IngestAnswer): boolean
  /** OwnTracks authentication before the body: the unit, or null when refused (and answered). */
  owntracksUnit(a: IngestAnswer, authorization: string | undefined, limitU: string | undefined): string | null
  owntracks(a: IngestAnswer, unit: string, body: Buffer): void | Promise<void>
  osmand(a: IngestAnswer, query: string, body: Buffer, authorization: string | undefined): void | Promise<void>
}
