import t from 'tap'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { Objm } from '@nats-io/obj'
import { gzipSync } from 'node:zlib'
import { SnapshotStore, SNAPSHOT_OBJECT, type SnapshotMeta } from '../../src/cluster/snapshot-store.js'
import { fleetJson } from '../helpers/fleet-json.js'
import { natsFixture, natsServerPath, NATS_MISSING } from '../helpers/nats.js'

const enc = new TextEncoder()

const meta = (seq: number, node = 'engine-a'): SnapshotMeta => ({ seq: BigInt(seq), node, at: 1_760_000_000_000 + seq, configHash: 'cfg-1f2e' })

if (natsServerPath() === null) {
  void t.skip(NATS_MISSING, () => undefined)
} else {
  const nats = natsFixture(t, 'state')
  const { conn, bucket } = nats

  t.test('no snapshot yet: load is null', async (t) => {
    const store = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: bucket() })
    t.equal(await store.load(), null)
  })

  t.test('round trip, then a replacement: the newest is read, one version is kept, the meta travels with it', async (t) => {
    const b = bucket()
    const nc = await conn()
    const store = await SnapshotStore.open({ nc, replicas: 1, bucket: b })
    const first = fleetJson(50, 1)
    const saved = await store.save(first, meta(100))
    t.ok(saved)
    t.equal(saved?.bytes, first.length)
    t.ok(saved!.compressedBytes < first.length / 2, `gzip: ${first.length} → ${saved?.compressedBytes} bytes`)
    const other = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: b })
    const got = await other.load()
    t.same(got, { data: first, seq: 100n, node: 'engine-a', at: 1_760_000_000_100, configHash: 'cfg-1f2e' }, 'another engine loads it')
    const second = fleetJson(60, 2)
    await store.save(second, meta(250, 'engine-b'))
    const again = await other.load()
    t.equal(again?.seq, 250n)
    t.equal(again?.node, 'engine-b')
    t.ok(Buffer.from(again!.data).equals(Buffer.from(second)))
    const jsm = await jetstreamManager(nc)
    const si = await jsm.streams.info(`OBJ_${b}`)
    const info = await (await new Objm(nc).open(b)).info(SNAPSHOT_OBJECT)
    t.equal(si.state.messages, info!.chunks + 1, `only the newest version's ${info!.chunks} chunk(s) and its meta are stored`)
  })

  t.test('chunks left by a writer that died mid-save are purged by a later save once old enough', async (t) => {
    const b = bucket()
    const nc = await conn()
    const store = await SnapshotStore.open({ nc, replicas: 1, bucket: b, orphanAgeMs: 300 })
    const js = jetstream(nc)
    await js.publish(`$O.${b}.C.deadwriter`, new Uint8Array(1000))
    await js.publish(`$O.${b}.C.deadwriter`, new Uint8Array(1000))
    t.equal((await store.save(enc.encode('{"v":1}'), meta(1)))?.orphansPurged, 0, 'too recent: it could be another writer\'s save in flight')
    await new Promise((r) => setTimeout(r, 350))
    await js.publish(`$O.${b}.C.inflight`, new Uint8Array(1000))
    t.equal((await store.save(enc.encode('{"v":2}'), meta(2)))?.orphansPurged, 1, 'the old orphan goes')
    const si = await (await jetstreamManager(nc)).streams.info(`OBJ_${b}`, { subjects_filter: '>' })
    const current = (await (await new Objm(nc).open(b)).info(SNAPSHOT_OBJECT))!.nuid
    t.same(Object.keys(si.state.subjects ?? {}).filter((s) => s.includes('.C.')).sort(), [`$O.${b}.C.${current}`, `$O.${b}.C.inflight`].sort(), 'the current version\'s chunks and the recent one stay')
    t.same(JSON.parse(new TextDecoder().decode((await store.load())!.data)), { v: 2 })
  })

  t.test('a stale writer does not replace a snapshot at a later sequence', async (t) => {
    const store = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: bucket() })
    await store.save(enc.encode('{"at":500}'), meta(500))
    t.equal(await store.save(enc.encode('{"at":400}'), meta(400, 'engine-old')), null, 'refused: nothing stored')
    t.equal((await store.load())?.seq, 500n)
    t.ok(await store.save(enc.encode('{"at":500,"again":true}'), meta(500)), 'the same sequence may be written again')
    t.same(JSON.parse(new TextDecoder().decode((await store.load())!.data)), { at: 500, again: true })
    t.equal(await store.save(new Uint8Array(0), meta(0)), null)
    await t.rejects(store.save(new Uint8Array(1), { ...meta(1), seq: -1n }), RangeError)
  })

  t.test('two writers at once: the one that lost the compare-and-set reads again and stores', async (t) => {
    const b = bucket()
    const a = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: b })
    const other = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: b })
    await a.save(enc.encode('{"at":1}'), meta(1))
    // Counts a's reads of the object's info (its own and the object store's), and once armed lets
    // the other engine save right after one of them: between a's read of the meta and its write.
    const os = (a as unknown as { os: { info(n: string): Promise<unknown> } }).os
    const info = os.info.bind(os)
    let reads = 0
    let race = false
    os.info = async (n) => {
      const r = await info(n)
      reads++
      if (race) {
        race = false
        await other.save(enc.encode('{"at":3}'), meta(3, 'engine-b'))
      }
      return r
    }
    t.ok(await a.save(enc.encode('{"at":2}'), meta(2)), 'a save without a race')
    const alone = reads
    reads = 0
    race = true
    t.ok(await a.save(enc.encode('{"at":4}'), meta(4)), 'stored')
    t.ok(reads > alone, `its first write lost (wrong last sequence): it read the meta again (${reads} reads against ${alone})`)
    t.same(await other.load().then((g) => [g?.seq, g?.node]), [4n, 'engine-a'])
  })

  t.test('an empty snapshot round-trips', async (t) => {
    const store = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: bucket() })
    await store.save(new Uint8Array(0), meta(1))
    t.same((await store.load())?.data, new Uint8Array(0))
  })

  t.test('a 20+ MB fleet (5,000+ units): saved and loaded intact; times printed', async (t) => {
    const b = bucket()
    const store = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: b })
    const data = fleetJson(6500, 7)
    t.ok(data.length > 20e6, `${(data.length / 1e6).toFixed(1)} MB of JSON`)
    let start = performance.now()
    const saved = await store.save(data, meta(123_456))
    const saveMs = performance.now() - start
    const reader = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: b })
    start = performance.now()
    const got = await reader.load()
    const loadMs = performance.now() - start
    t.ok(got !== null && Buffer.from(got.data).equals(Buffer.from(data)), 'byte for byte')
    t.equal(got?.seq, 123_456n)
    t.comment(`20 MB snapshot: ${(data.length / 1e6).toFixed(1)} MB JSON → ${(saved!.compressedBytes / 1e6).toFixed(1)} MB gzip; save ${saveMs.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms (R1, loopback)`)
  })

  t.test('a reader racing a replacement gets one whole version, never half of one', async (t) => {
    const b = bucket()
    const writer = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: b })
    const reader = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: b })
    const a = fleetJson(2000, 11)
    const c = fleetJson(2000, 12)
    await writer.save(a, meta(1))
    for (let i = 0; i < 4; i++) {
      const [got] = await Promise.all([reader.load(), writer.save(i % 2 === 0 ? c : a, meta(2 + i))])
      const whole = got !== null && (Buffer.from(got.data).equals(Buffer.from(a)) || Buffer.from(got.data).equals(Buffer.from(c)))
      t.ok(whole, `round ${i}: a whole version (seq ${got?.seq})`)
    }
  })

  t.test('chunks purged between the reader\'s meta read and its data read: the reader reads the new version', async (t) => {
    const b = bucket()
    const writer = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: b })
    const reader = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: b, timeoutMs: 500 })
    await writer.save(enc.encode('{"v":1}'), meta(1))
    // The narrowest window, made certain: the object store client has read the meta (version 1)
    // and the replacement lands, purging version 1's chunks, before the client subscribes to them.
    const os = (reader as unknown as { os: { rawInfo: (name: string) => Promise<unknown> } }).os
    const rawInfo = os.rawInfo.bind(os)
    let raced = false
    os.rawInfo = async (name: string) => {
      const info = await rawInfo(name)
      if (!raced) {
        raced = true
        await writer.save(enc.encode('{"v":2}'), meta(2))
      }
      return info
    }
    const started = Date.now()
    const got = await reader.load()
    t.ok(raced)
    t.equal(got?.seq, 2n)
    t.same(JSON.parse(new TextDecoder().decode(got!.data)), { v: 2 })
    t.ok(Date.now() - started < 3000, `read again after the stalled read (${Date.now() - started} ms)`)
  })

  t.test('an object this engine cannot read fails loudly with what to do', async (t) => {
    const b = bucket()
    const nc = await conn()
    const store = await SnapshotStore.open({ nc, replicas: 1, bucket: b })
    const os = await new Objm(nc).open(b)
    const md = { format: 'gzip-v1', seq: '9', node: 'x', at: '1', config_hash: 'h', bytes: '3' }
    await os.putBlob({ name: SNAPSHOT_OBJECT, metadata: md }, enc.encode('not gzip'))
    await t.rejects(store.load(), { name: 'SnapshotCorruptError', code: 'HEXP_ERR_SNAPSHOT_CORRUPT', message: /gunzip.*delete it \(nats object rm .* fleet\) so engines rebuild the state from the stream/ })
    await os.putBlob({ name: SNAPSHOT_OBJECT, metadata: { ...md, bytes: '4' } }, gzipSync('abc'))
    await t.rejects(store.load(), { name: 'SnapshotCorruptError', message: /3 bytes after gunzip, the meta says 4/ })
    await os.putBlob({ name: SNAPSHOT_OBJECT, metadata: { ...md, seq: 'nine' } }, gzipSync('abc'))
    await t.rejects(store.load(), { name: 'SnapshotCorruptError', message: /lacks seq/ })
    await os.putBlob({ name: SNAPSHOT_OBJECT }, gzipSync('abc'))
    await t.rejects(store.load(), { name: 'SnapshotCorruptError', message: /format undefined, this engine reads gzip-v1/ })
    t.ok(await store.save(enc.encode('{}'), meta(10)), 'a save replaces it')
    t.equal((await store.load())?.seq, 10n)
  })

  t.test('NATS stopped: save and load reject with a clear error within a bounded time', async (t) => {
    const store = await SnapshotStore.open({ nc: await conn(), replicas: 1, bucket: bucket(), timeoutMs: 1000 })
    await store.save(fleetJson(100), meta(5))
    await nats.server.stop()
    let started = Date.now()
    await t.rejects(store.load(), { name: 'LogUnavailableError', code: 'HEXP_ERR_LOG_UNAVAILABLE', message: /check that the NATS servers in cluster.url are up/ })
    t.ok(Date.now() - started < 4000, `load rejected in ${Date.now() - started} ms`)
    started = Date.now()
    await t.rejects(store.save(fleetJson(100), meta(6)), { name: 'LogUnavailableError', message: /check that the NATS servers in cluster.url are up/ })
    t.ok(Date.now() - started < 4000, `save rejected in ${Date.now() - started} ms`)
    await nats.server.restart()
    let got = null
    for (let i = 0; got === null && i < 30; i++) got = await store.load().catch(async () => { await new Promise((r) => setTimeout(r, 100)); return null })
    t.equal(got?.seq, 5n, 'the snapshot is still there after the restart')
  })
}
