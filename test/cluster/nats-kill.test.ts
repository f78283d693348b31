// Engine level, a NATS server killed under load (issue 21; test/log/jetstream-r3.test.ts does it
// for the log alone). A three-server NATS cluster (test/helpers/nats-cluster.ts), the stream and
// buckets replicated three times (cluster.replicas: 3), two engines (child processes) sharing one
// ClickHouse endpoint. Phones post OsmAnd fixes over HTTP to either engine without pause, each
// re-sending a fix that did not get a 200 (as Traccar Client does) before its next one. The
// server leading the fix stream is killed with SIGKILL: every fix a phone got a 200 for is stored
// in ClickHouse exactly once, and both engines' /readyz answer 200 again.
import t from 'tap'
import { startEngineProcess, type TestEngine } from '../helpers/engine-process.js'
import { startNatsCluster, streamLeader } from '../helpers/nats-cluster.js'
import { startClickHouseHttp } from '../helpers/clickhouse-http.js'
import { sleep, waitFor } from '../helpers/cluster.js'

const UNITS = 24
const PASSWORD = 'phone-secret-0123'
const STREAM = 'HEXPATROL_FIXES'
/** Fixes acknowledged before the kill, and after it: the load runs on both sides. */
const LEAD_FIXES = 300
const AFTER_FIXES = 300
/** Bounds every wait: it only stops a hung test on a loaded machine, it asserts no speed. */
const WAIT_LIMIT_MS = 120_000
const countBy = (keys: string[], of: (k: string) => string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const k of keys) out[of(k)] = (out[of(k)] ?? 0) + 1
  return out
}
const unitId = (i: number): string => `PH-${String(i).padStart(2, '0')}`

t.test('a NATS server of three killed under HTTP ingest: every acknowledged fix stored once, /readyz recovers', { timeout: 420_000 }, async (t) => {
  const nats = await startNatsCluster(t)
  if (nats === null) return
  const ch = await startClickHouseHttp(t)
  const config = {
    clickhouse: { url: ch.url },
    units: Array.from({ length: UNITS }, (_, i) => ({ id: unitId(i) })),
    broker: { allow_anonymous: false, users: Array.from({ length: UNITS }, (_, i) => ({ username: unitId(i), password: PASSWORD })) },
    journal: { fsync: 'never' },
    cluster: { partitions: 4, replicas: 3, takeover: '5s' },
  }
  const engines: TestEngine[] = []
  for (let i = 1; i <= 2; i++) engines.push(await startEngineProcess(t, { config, clusterUrl: nats.urls, nodeId: `engine-${i}`, start: false, logLevel: 'warn' }))
  // One after the other, and started again if one still exits with HEXP_ERR_LOG_UNAVAILABLE (the
  // engine itself tries JetStream again for a minute at start-up, src/cluster/retry-open.ts): what
  // a supervisor's restart policy does.
  for (const e of engines) {
    for (let attempt = 1; ; attempt++) {
      try {
        await e.start()
        break
      } catch (err) {
        if (attempt >= 3 || !/HEXP_ERR_LOG_UNAVAILABLE/.test((err as Error).message)) throw err
        t.comment(`engine start ${attempt}: JetStream did not answer in time; started again`)
      }
    }
  }

  // Phones: one loop per unit, a fix every ~100 ms, alternating engines; a fix without a 200 is
  // re-sent (same time and place, so the same dedup id) to the other engine until it gets one.
  const acked = new Map<string, number>()
  const answers = new Map<string, number>()
  const load = { on: true }
  const phone = async (i: number): Promise<void> => {
    const id = unitId(i)
    for (let n = 0; load.on; n++) {
      const ts = Date.now()
      const lat = (36.45 + i * 0.01 + (n % 50) * 0.00001).toFixed(6)
      const lon = (117.8 + i * 0.01).toFixed(6)
      for (let attempt = 0; ; attempt++) {
        const e = engines[(n + attempt) % engines.length]!
        const status = await fetch(`${e.httpUrl}/ingest/osmand?id=${id}&key=${PASSWORD}&timestamp=${ts}&lat=${lat}&lon=${lon}&accuracy=8`, { method: 'POST', signal: AbortSignal.timeout(15_000) })
          .then((r) => r.status, (err: unknown) => `${(err as Error).name}`)
        answers.set(String(status), (answers.get(String(status)) ?? 0) + 1)
        if (status === 200) {
          acked.set(`${id}@${ts}`, Date.now())
          break
        }
        // A device gives up on a fix in the end; this test never does (bounded by the waits below).
        if (!load.on && attempt > 50) return
        await sleep(200)
      }
      await sleep(100)
    }
  }
  const phones = Array.from({ length: UNITS }, (_, i) => phone(i))
  t.teardown(async () => {
    load.on = false
    await Promise.all(phones)
  })

  await waitFor(`${LEAD_FIXES} fixes acknowledged`, () => acked.size >= LEAD_FIXES, WAIT_LIMIT_MS)
  const leader = await streamLeader(nats, STREAM)
  const killedAt = Date.now()
  const before = acked.size
  await nats.nodes.find((n) => n.name === leader)!.kill()
  // /readyz of both engines over the kill: when it was last not 200 (a 503 or no answer).
  let lastUnready = 0
  const watching = { on: true }
  const watch = (async () => {
    while (watching.on) {
      for (const e of engines) if ((await e.readyz())?.status !== 200) lastUnready = Date.now()
      await sleep(200)
    }
  })()
  const stall = await waitFor(`${AFTER_FIXES} fixes acknowledged after the kill`, () => acked.size - before >= AFTER_FIXES, WAIT_LIMIT_MS)
  load.on = false
  await Promise.all(phones)
  const ready = await waitFor('both engines ready', async () => (await Promise.all(engines.map((e) => e.readyz()))).every((r) => r?.status === 200), WAIT_LIMIT_MS)
  watching.on = false
  await watch
  const newLeader = await streamLeader(nats, STREAM)
  t.comment(`killed ${leader} (stream leader) after ${before} acknowledged fixes; ${AFTER_FIXES} more acknowledged within ${stall} ms; new leader ${newLeader}; /readyz last not 200 ${lastUnready === 0 ? 'never' : `${lastUnready - killedAt} ms after the kill`}, all 200 again ${ready} ms after the load stopped; answers ${JSON.stringify(Object.fromEntries(answers))}`)
  t.not(newLeader, leader, 'another server leads the stream')
  for (const [i, e] of engines.entries()) t.comment(`engine-${i + 1}: ${JSON.stringify((await e.readyz())?.body.components)}; consumers created again after a stall: ${await e.metric('hexpatrol_cluster_log_resubscribed_total')}; ${JSON.stringify(e.logs.filter((l) => Number(l.level) >= 40 && !/HTTP ingest/.test(String(l.msg))).slice(-4).map((l) => [l.time, l.msg, (l.err as { message?: string } | undefined)?.message?.slice(0, 300)]))}`)

  // Every acknowledged fix reaches ClickHouse (the partitions' owners insert each second), once.
  const stored = async (): Promise<Map<string, number>> => {
    const rows = await ch.query<{ unit_id: string; ms: number; n: number }>('SELECT unit_id, toUnixTimestamp64Milli(ts) AS ms, count() AS n FROM hexpatrol.positions GROUP BY unit_id, ms')
    return new Map(rows.map((r) => [`${r.unit_id}@${r.ms}`, Number(r.n)]))
  }
  let byFix = new Map<string, number>()
  await waitFor('every acknowledged fix in ClickHouse', async () => {
    byFix = await stored()
    return [...acked.keys()].every((k) => byFix.has(k))
  }, WAIT_LIMIT_MS).catch(async (err: unknown) => {
    const missing = [...acked.keys()].filter((k) => !byFix.has(k))
    t.comment(`missing ${missing.length} of ${acked.size}; by unit ${JSON.stringify(countBy(missing, (k) => k.split('@')[0]!))}`)
    for (const [i, e] of engines.entries()) {
      const worst = e.logs.filter((l) => Number(l.level) >= 40)
      t.comment(`engine-${i + 1}: readyz ${JSON.stringify(await e.readyz())}; messages ${JSON.stringify(countBy(worst.map((l) => String(l.msg)), (m) => m.slice(0, 80)))}`)
      t.comment(`engine-${i + 1}: ${worst.length} warnings/errors, the last: ${worst.slice(-20).map((l) => JSON.stringify(l).slice(0, 600)).join('\n')}`)
    }
    throw err
  })
  await sleep(3000)
  byFix = await stored()
  const missing = [...acked.keys()].filter((k) => !byFix.has(k))
  const doubled = [...byFix].filter(([, n]) => n !== 1)
  t.same(missing, [], `every fix acknowledged with a 200 is stored (${acked.size})`)
  t.same(doubled, [], 'none is stored twice (re-sent fixes deduplicated by the log, rows by their tokens)')
  t.ok(byFix.size >= acked.size, `stored ${byFix.size} fixes (more than acknowledged: a re-sent fix whose first attempt was stored but not answered)`)
})
