// Issue 19 item 11: every file the engine writes under its data directory is 0600 and every
// directory 0700 (positions, incidents, the bulletin schedule, the embedded ClickHouse, the
// instance id, webhooks' outbox). A real run of the engine (src/main.ts in a child process, with
// its embedded broker and embedded ClickHouse): a fix in, a patrol level set, a clean stop; then
// the whole data directory is walked.
import t from 'tap'
import { chmodSync, lstatSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { engineProcess } from '../helpers/engine-process.js'
import { freePort } from '../helpers/mosquitto.js'
import { connect } from '../helpers/publisher.js'
import { tempDir, waitFor } from '../helpers/harness.js'

const OPERATE = 'operate-token-0123456789'

t.test('after a real run, the data directory holds nothing readable by others', { timeout: 240_000 }, async (t) => {
  const dataDir = tempDir('hexp-modes-')
  // Opened up as an older version or a careless mkdir would leave it: tightened at start-up.
  chmodSync(dataDir, 0o755)
  const brokerPort = await freePort()
  const engine = await engineProcess(dataDir, {
    broker: { host: '127.0.0.1', port: brokerPort },
    units: [{ id: 'P-1', post: 's1', zone: 'g1' }],
    posts: [{ id: 's1', lat: 36.49, lon: 117.86, radius_m: 500 }],
    zones: [{ id: 'g1', geometry: { type: 'Polygon', coordinates: [[[117.84, 36.47], [117.88, 36.47], [117.88, 36.51], [117.84, 36.51], [117.84, 36.47]]] } }],
    webhooks: [{ id: 'desk', url: 'https://duty.example.org/hook', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
    api: { tokens: [{ name: 'sgt.wang', scope: 'operate', token_env: 'HEXP_T_OPERATE' }] },
    journal: { segment_max_age: '250ms' },
  }, { HEXP_T_OPERATE: OPERATE })
  t.teardown(() => engine.kill9())
  await engine.start()
  const pub = await connect(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'modes-test' })
  await pub.publishAsync('fleet/P-1/position', JSON.stringify({ ts: Date.now() - 1000, lat: 36.49, lon: 117.86 }), { qos: 1 })
  await pub.endAsync()
  const r = await fetch(`${engine.httpUrl}/api/v1/zones/g1/level`, { method: 'PUT', headers: { authorization: `Bearer ${OPERATE}`, 'content-type': 'application/json' }, body: JSON.stringify({ level: 'high', reason: 'test' }) })
  t.equal(r.status, 200, 'a patrol level set (written to incidents/levels.json)')
  // The fix reaches ClickHouse (the journal ships it), so the embedded database has written parts.
  await waitFor(async () => (await engine.metric('hexpatrol_sink_rows_committed_total')) >= 1, 60_000)
  t.equal(await engine.stop(), 0, 'a clean stop')

  const files: string[] = []
  const open: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      const st = lstatSync(p)
      const rel = relative(dataDir, p)
      // The test's own config file.
      if (rel === 'hexpatrol.yaml' || st.isSymbolicLink()) continue
      const mode = st.mode & 0o777
      if (st.isDirectory()) {
        if (mode !== 0o700) open.push(`${rel}/ ${mode.toString(8)}`)
        walk(p)
      } else {
        files.push(rel)
        if (mode !== 0o600) open.push(`${rel} ${mode.toString(8)}`)
      }
    }
  }
  t.equal(lstatSync(dataDir).mode & 0o777, 0o700, 'the data directory itself')
  walk(dataDir)
  for (const want of ['instance-id', 'incidents/levels.json', 'reports/state.json']) t.ok(files.includes(want), `${want} was written`)
  t.ok(files.some((f) => f.startsWith('clickhouse/')), 'the embedded ClickHouse wrote files')
  t.ok(files.some((f) => f.startsWith('journal/')), 'the journal wrote files')
  t.same(open.slice(0, 20), [], `every one of ${files.length} files 0600, every directory 0700`)
})
