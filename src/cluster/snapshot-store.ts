// The fleet-state snapshot in a JetStream Object Store (bucket hexpatrol_state, object `fleet`):
// written periodically by the schedule-role holder, read by a starting engine, which then replays
// the stream after the snapshot's sequence. The bytes are gzip-compressed off the event loop
// (node:zlib, async) and chunked by the object store; the meta (stream sequence, writer node, time,
// config hash) travels in the object's metadata, so it is replaced with the data in one step.
// Guarantees: a put becomes visible only when its meta record is stored (the chunks go first), and
// the object store then purges the previous version's chunks, so one version is kept; a reader
// that loses a race with a replacement (digest mismatch, or chunks purged under it) reads again;
// a save never replaces a snapshot at a later sequence (a stale writer loses, compare-and-set on
// the meta's revision); chunks a writer left when it died mid-save are purged by a later save;
// NATS unreachable rejects with LogUnavailableError within about the request timeout, never hangs.
import { gunzip, gzip } from 'node:zlib'
import { promisify } from 'node:util'
import { jetstream, jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream'
import { Objm, setSha256Backend, type ObjectInfo, type ObjectStore } from '@nats-io/obj'
import type { NatsConnection } from '@nats-io/transport-node'
import { LogUnavailableError } from '../log/log-errors.js'
import { within } from '../within.js'

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

export const DEFAULT_STATE_BUCKET = 'hexpatrol_state'
export const SNAPSHOT_OBJECT = 'fleet'
/** Bumped if the stored layout changes; a reader refuses a format it does not know. */
const FORMAT = 'gzip-v1'
/** Chunks as large as a NATS message may be (1 MiB by default), so a 20 MB snapshot is a few dozen publishes. */
const CHUNK_BYTES = 1024 * 1024
/** JetStream's "wrong last sequence": another writer replaced the snapshot between our read and our put. */
const WRONG_LAST_SEQUENCE = 10071

export interface SnapshotMeta {
  /** The stream sequence the state includes (replay starts after it). */
  seq: bigint
  /** The node id of the writer. */
  node: string
  /** When it was taken (epoch ms). */
  at: number
  /** Hash of the configuration the state was computed with. */
  configHash: string
}

export interface Snapshot extends SnapshotMeta {
  data: Uint8Array
}

export interface SavedSnapshot {
  /** The object store revision of the new meta record. */
  revision: number
  bytes: number
  compressedBytes: number
  /** Chunk subjects of versions no meta points to (a writer that died mid-save) purged after this save. */
  orphansPurged: number
}

export interface SnapshotStoreOptions {
  nc: NatsConnection
  replicas: number
  bucket?: string
  /** How long each NATS request (one chunk, the meta, a read) may wait before the call rejects (default 5 s). */
  timeoutMs?: number
  /** Chunks no meta points to are purged once this old (default 10 min: far longer than a save takes, so another writer's save in flight is never touched). */
  orphanAgeMs?: number
  /** gzip level 1-9 (default 1: a third of level 6's CPU for ~13 % more bytes on fleet JSON, bench/snapshot-store.ts). */
  level?: number
}

/** The stored snapshot cannot be used as it is (bad meta, bad gzip, wrong size or format). Not retriable. */
export class SnapshotCorruptError extends Error {
  readonly code = 'HEXP_ERR_SNAPSHOT_CORRUPT'
  constructor(bucket: string, why: string, options?: { cause?: unknown }) {
    super(`the fleet snapshot in object store ${bucket} is unreadable (${why}): delete it (nats object rm ${bucket} ${SNAPSHOT_OBJECT}) so engines rebuild the state from the stream, or wait for the schedule-role holder to write a new one`, options)
    this.name = 'SnapshotCorruptError'
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

function isConflict(err: unknown): boolean {
  return (err as { code?: unknown }).code === WRONG_LAST_SEQUENCE || (err as { api_error?: { err_code?: unknown } }).api_error?.err_code === WRONG_LAST_SEQUENCE ||
    /wrong last sequence/i.test(err instanceof Error ? err.message : String(err))
}

/** Raised inside a read when the data stops coming for a whole timeout. */
class ReadStalled extends Error {}

export class SnapshotStore {
  private constructor(
    private readonly os: ObjectStore,
    private readonly bucket: string,
    private readonly timeoutMs: number,
    private readonly level: number,
    private readonly jsm: JetStreamManager,
    private readonly orphanAgeMs: number,
  ) {}

  /** Opens (creating if needed) the object store bucket, replicated `replicas` times. */
  static async open(opts: SnapshotStoreOptions): Promise<SnapshotStore> {
    const bucket = opts.bucket ?? DEFAULT_STATE_BUCKET
    const timeoutMs = opts.timeoutMs ?? 5000
    const level = opts.level ?? 1
    if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError(`gzip level must be 1-9 (got ${level})`)
    // The client's default SHA-256 is pure JavaScript: ~250 ms of blocked event loop per 7 MB
    // object. Node's own is native (process-wide setting of the client; Node always has it).
    setSha256Backend('native')
    try {
      const os = await new Objm(jetstream(opts.nc, { timeout: timeoutMs })).create(bucket, { replicas: opts.replicas, storage: StorageType.File })
      const jsm = await jetstreamManager(opts.nc, { timeout: timeoutMs })
      return new SnapshotStore(os, bucket, timeoutMs, level, jsm, opts.orphanAgeMs ?? 10 * 60_000)
    } catch (err) {
      throw new LogUnavailableError(`cannot open the state object store ${bucket} on NATS (${describe(err)}): check that the servers in cluster.url are up with JetStream and that cluster.replicas (${opts.replicas}) servers can hold it`, { cause: err })
    }
  }

  /**
   * Stores the snapshot, replacing the previous one. Resolves null, storing nothing, when the stored
   * snapshot is at a later sequence than `meta.seq` (another writer got further).
   */
  async save(data: Uint8Array, meta: SnapshotMeta): Promise<SavedSnapshot | null> {
    checkMeta(meta)
    const packed = await gzipAsync(data, { level: this.level })
    const metadata: Record<string, string> = {
      format: FORMAT,
      seq: meta.seq.toString(),
      node: meta.node,
      at: String(meta.at),
      config_hash: meta.configHash,
      bytes: String(data.length),
    }
    for (let attempt = 0; ; attempt++) {
      const old = await this.unavailable('read the snapshot meta', () => this.os.info(SNAPSHOT_OBJECT))
      if (old !== null && !old.deleted) {
        const stored = storedSeq(old)
        if (stored !== null && stored > meta.seq) return null
      }
      try {
        const info = await this.os.putBlob(
          { name: SNAPSHOT_OBJECT, description: `hexpatrol fleet state at stream sequence ${meta.seq} from ${meta.node}`, metadata, options: { max_chunk_size: CHUNK_BYTES } },
          packed,
          { timeout: this.timeoutMs, ...(old !== null ? { previousRevision: old.revision } : {}) },
        )
        const orphansPurged = await this.purgeOrphans(info.nuid).catch(() => 0)
        return { revision: info.revision, bytes: data.length, compressedBytes: packed.length, orphansPurged }
      } catch (err) {
        if (isConflict(err) && attempt < 3) continue
        throw new LogUnavailableError(`cannot store the fleet snapshot in ${this.bucket} (${describe(err)}): the previous snapshot stays in place and the next save tries again; check that the NATS servers in cluster.url are up`, { cause: err })
      }
    }
  }

  /** The stored snapshot, or null when none was saved yet. */
  async load(): Promise<Snapshot | null> {
    for (let attempt = 0; ; attempt++) {
      const got = await this.unavailable('read the fleet snapshot', () => this.os.get(SNAPSHOT_OBJECT))
      if (got === null) return null
      let packed: Uint8Array
      try {
        packed = await this.drain(got.data)
        const err = await got.error
        if (err !== null && err !== undefined) throw err
      } catch (err) {
        // Replaced while we read: the old chunks were purged under us. Read the new one.
        const now = await this.unavailable('read the snapshot meta', () => this.os.info(SNAPSHOT_OBJECT)).catch(() => null)
        if (now !== null && now.nuid !== got.info.nuid && attempt < 3) continue
        if (err instanceof ReadStalled) throw new LogUnavailableError(`the fleet snapshot in ${this.bucket} stopped arriving for ${this.timeoutMs} ms: check that the NATS servers in cluster.url are up, then start again`, { cause: err })
        if (/digest/i.test(describe(err))) throw new SnapshotCorruptError(this.bucket, describe(err), { cause: err })
        throw new LogUnavailableError(`cannot read the fleet snapshot from ${this.bucket} (${describe(err)}): check that the NATS servers in cluster.url are up`, { cause: err })
      }
      return this.unpack(got.info, packed)
    }
  }

  /**
   * A writer that dies between its chunks and its meta leaves chunks nothing points to, which the
   * object store never purges. Best effort after each save: chunk subjects other than the current
   * version's whose last chunk is older than orphanAgeMs.
   */
  private async purgeOrphans(current: string): Promise<number> {
    const stream = `OBJ_${this.bucket}`
    const prefix = `$O.${this.bucket}.C.`
    const si = await this.jsm.streams.info(stream, { subjects_filter: `${prefix}>` })
    let purged = 0
    for (const subject of Object.keys(si.state.subjects ?? {})) {
      if (subject === `${prefix}${current}`) continue
      const last = await this.jsm.streams.getMessage(stream, { last_by_subj: subject })
      if (last === null || Date.now() - last.time.getTime() < this.orphanAgeMs) continue
      await this.jsm.streams.purge(stream, { filter: subject })
      purged++
    }
    return purged
  }

  private async unpack(info: ObjectInfo, packed: Uint8Array): Promise<Snapshot> {
    const md = info.metadata ?? {}
    if (md.format !== FORMAT) throw new SnapshotCorruptError(this.bucket, `format ${JSON.stringify(md.format)}, this engine reads ${FORMAT}`)
    const seq = /^(0|[1-9][0-9]*)$/.test(md.seq ?? '') ? BigInt(md.seq!) : null
    const at = Number(md.at)
    const bytes = Number(md.bytes)
    if (seq === null || md.node === undefined || !Number.isFinite(at) || md.config_hash === undefined || !Number.isInteger(bytes)) {
      throw new SnapshotCorruptError(this.bucket, `meta ${JSON.stringify(md)} lacks seq, node, at, config_hash or bytes`)
    }
    let data: Buffer
    try {
      data = await gunzipAsync(packed)
    } catch (err) {
      throw new SnapshotCorruptError(this.bucket, `gunzip: ${describe(err)}`, { cause: err })
    }
    if (data.length !== bytes) throw new SnapshotCorruptError(this.bucket, `${data.length} bytes after gunzip, the meta says ${bytes}`)
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), seq, node: md.node, at, configHash: md.config_hash }
  }

  /** Reads the object's stream to the end; rejects with ReadStalled when no chunk comes for a whole timeout. */
  private async drain(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
    const reader = stream.getReader()
    const parts: Uint8Array[] = []
    let total = 0
    for (;;) {
      try {
        const r = await within(reader.read(), this.timeoutMs, () => new ReadStalled('stalled'))
        if (r.done) break
        parts.push(r.value)
        total += r.value.length
      } catch (err) {
        void reader.cancel().catch(() => undefined)
        throw err
      }
    }
    return Buffer.concat(parts, total)
  }

  private async unavailable<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op()
    } catch (err) {
      throw new LogUnavailableError(`cannot ${what} in ${this.bucket} (${describe(err)}): check that the NATS servers in cluster.url are up`, { cause: err })
    }
  }
}

function storedSeq(info: ObjectInfo): bigint | null {
  const s = info.metadata?.seq
  return s !== undefined && /^(0|[1-9][0-9]*)$/.test(s) ? BigInt(s) : null
}

function checkMeta(meta: SnapshotMeta): void {
  if (typeof meta.seq !== 'bigint' || meta.seq < 0n) throw new RangeError(`snapshot seq must be a non-negative bigint (got ${String(meta.seq)})`)
  if (meta.node === '') throw new RangeError('snapshot node must not be empty')
  if (!Number.isFinite(meta.at)) throw new RangeError(`snapshot at must be epoch ms (got ${meta.at})`)
}
