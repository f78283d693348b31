// Start-up compiles the configuration once for the stages: the checks that need a stage's compiler
// (geometry, the broker's exposure, JT/T 808 terminals, incidents, webhooks) still stop start-up
// before any I/O, with the same coded errors; validateConfig alone knows no stage.
import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bootConfig, compileStages, loadAndCompile } from '../src/boot.js'
import { validateConfig } from '../src/config/load.js'
import { checkBrokerExposure } from '../src/ingest/broker-exposure.js'
import { HexpatrolError } from '../src/errors.js'
import { tempDir } from './helpers/harness.js'

/** The HexpatrolError bootConfig throws (fails the test when it does not throw). */
function bootErr(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): HexpatrolError {
  try {
    bootConfig(raw, undefined, env)
  } catch (e) {
    if (e instanceof HexpatrolError) return e
    throw e
  }
  throw new Error('bootConfig accepted the config')
}

const square = (closed: boolean) => ({ type: 'Polygon', coordinates: [[[117.8, 36.4], [117.9, 36.4], [117.9, 36.5], [117.8, 36.5], ...(closed ? [[117.8, 36.4]] : [])]] })

t.test('geometry and coverage cells: a coded error naming the key', async (t) => {
  const open = bootErr({ zones: [{ id: 'g1', geometry: square(false) }] })
  t.equal(open.code, 'HEXP_ERR_CONFIG')
  t.match(open.message, /^zones\.g1\.geometry\.coordinates\[0\]: ring is not closed/)
  t.match(bootErr({ zones: [{ id: 'g1', geometry: square(true), coverage: { priority_cells: [{ cell: 'zz' }] } }] }).message, /zones\.g1\.coverage\.priority_cells\.0\.cell: "zz" is not a valid H3 cell/)
  t.doesNotThrow(() => validateConfig({ zones: [{ id: 'g1', geometry: square(false) }] }, undefined, {}), 'config alone compiles no geometry')
})

t.test('the embedded broker\'s exposure', async (t) => {
  const exposed = bootErr({ broker: { host: '0.0.0.0' } })
  t.equal(exposed.code, 'HEXP_ERR_BROKER_EXPOSED')
  t.match(exposed.message, /^broker\.allow_anonymous: true while broker\.host is 0\.0\.0\.0 \(not loopback\) \(anonymous is on by default while broker\.users is empty\)/)
  t.match(bootErr({ broker: { host: '0.0.0.0', allow_anonymous: true } }).message, /is 0\.0\.0\.0 \(not loopback\): devices could publish/, 'explicit: no default note')
  t.doesNotThrow(() => bootConfig({ broker: { host: '0.0.0.0' }, mqtt: { url: 'mqtt://b' } }, undefined, {}), 'no embedded broker, nothing exposed')
  t.match(bootErr({ broker: { host: '0.0.0.0', allow_anonymous: false } }).message, /^broker\.users: empty while broker\.allow_anonymous is false/)
  t.match(bootErr({ broker: { allow_anonymous: true, users: [{ username: 'u', password: 'p' }] } }), { code: 'HEXP_ERR_CONFIG', message: /^broker\.allow_anonymous: true while broker\.users lists 1 device/ })
  t.doesNotThrow(() => checkBrokerExposure(validateConfig({ broker: { host: '0.0.0.0', allow_anonymous: false, users: [{ username: 'u', password: 'p' }] } }, undefined, {})), 'devices with passwords may listen anywhere')
})

t.test('cluster.url starts cluster mode; without a node id it is refused, naming the key', async (t) => {
  const booted = bootConfig({ cluster: { url: 'nats://127.0.0.1:4222', node_id: 'a' } }, undefined, {})
  t.equal(booted.config.cluster.url, 'nats://127.0.0.1:4222')
  t.equal(booted.config.cluster.node_id, 'a')
  t.match(bootErr({ cluster: { url: 'nats://127.0.0.1:4222' } }), { code: 'HEXP_ERR_CONFIG', message: /cluster\.node_id: required when cluster\.url is set/ })
  const path = join(tempDir(), 'c.json')
  writeFileSync(path, '{}')
  t.equal(loadAndCompile({ path, env: { HEXPATROL_CLUSTER_URL: 'nats://127.0.0.1:4222', HEXPATROL_NODE_ID: 'a' } }).config.cluster.node_id, 'a', 'the same from the environment')
  t.equal(bootConfig({}, undefined, {}).config.cluster.url, undefined, 'without cluster.url nothing changes')
})

t.test('webhooks: the admin API\'s validator, before any secret is read', async (t) => {
  t.throws(() => bootConfig({ webhooks: [{ id: 'w', url: 'ftp://x' }] }), /only http and https/)
  t.throws(() => bootConfig({ webhooks: [{ id: 'w', url: 'not a url' }] }), /is not a URL/)
  t.throws(() => bootConfig({ webhooks: [{ id: 'w', url: 'https://x', zones: ['nope'] }] }), { code: 'HEXP_ERR_CONFIG', message: /webhooks\.w\.zones: no zone with id "nope"/ })
  t.equal(bootErr({ webhooks: [{ id: 'w', url: 'https://x', secret: 'a', secret_env: 'HEXPATROL_WEBHOOK_SECRET_B' }] }, { HEXPATROL_WEBHOOK_SECRET_B: 'b' }).message, 'webhooks.w.secret_env: give secret or secret_env, not both')
  // The admin token's variable is set, but a webhook may not be keyed with it.
  t.match(bootErr({ webhooks: [{ id: 'w', url: 'https://x', secret_env: 'HEXPATROL_ADMIN_TOKEN' }] }, { HEXPATROL_ADMIN_TOKEN: 'a'.repeat(20) }).message, /^webhooks\.w\.secret_env: must name a variable HEXPATROL_WEBHOOK_SECRET_<NAME>/)
})

t.test('JT/T 808 terminals and incidents', async (t) => {
  t.match(bootErr({ units: [{ id: 'a', jt808: '1' }, { id: 'b', jt808: '01' }] }), { code: 'HEXP_ERR_CONFIG', message: /^units\.1\.jt808: phone number 01 is also unit a's/ })
  t.match(bootErr({ patrol_levels: { ladder: [{ name: 'a' }, { name: 'a' }] } }), { code: 'HEXP_ERR_CONFIG', message: /patrol_levels\.ladder: level "a" appears twice/ })
})

t.test('compiled once: what the stages get', async (t) => {
  const { config, stages } = bootConfig({ zones: [{ id: 'g1', geometry: square(true) }], units: [{ id: 'car-1', zone: 'g1', jt808: '13800000001' }] }, undefined, {})
  t.ok(Object.isFrozen(config))
  t.equal(stages.deployment.zonesById.get('g1')?.id, 'g1')
  t.equal(stages.deployment.units.get('car-1')?.zoneId, 'g1')
  t.same([...stages.incidents.baseLevels], [['g1', 'normal']])
  t.same(stages.terminals.find('13800000001'), { unitId: 'car-1', offsetMinutes: 480 })
  const again = compileStages(config)
  t.not(again.deployment, stages.deployment, 'no hidden memo: each compile is a new deployment, so boot compiles once and passes it on')
  t.same(again.deployment.zones.map((z) => z.coverage.cells.length), stages.deployment.zones.map((z) => z.coverage.cells.length))
})

t.test('loadAndCompile: file + env, checked and compiled, nothing created', async (t) => {
  const dir = tempDir()
  const dataDir = join(dir, 'data')
  const path = join(dir, 'c.json')
  writeFileSync(path, JSON.stringify({ data_dir: dataDir, zones: [{ id: 'g1', geometry: square(true) }] }))
  const booted = loadAndCompile({ path, env: {} })
  t.equal(booted.path, path)
  t.equal(booted.stages.deployment.zones.length, 1)
  writeFileSync(path, JSON.stringify({ data_dir: dataDir, webhooks: [{ id: 'w', url: 'https://x', secret_env: 'OTHER' }] }))
  t.throws(() => loadAndCompile({ path, env: { OTHER: 'x' } }), { code: 'HEXP_ERR_CONFIG', message: /^webhooks\.w\.secret_env: must name a variable/ })
  writeFileSync(path, JSON.stringify({ data_dir: dataDir, zones: [{ id: 'g1', geometry: square(false) }] }))
  t.throws(() => loadAndCompile({ path, env: {} }), { code: 'HEXP_ERR_CONFIG', message: /ring is not closed/ })
  t.notOk(existsSync(dataDir), 'nothing was created')
})
