import t from 'tap'
import { loadConfig, validateConfig } from '../../src/config/load.js'
import { clusterProblem, clusterServers } from '../../src/config/cluster-schema.js'

t.test('without cluster.url nothing changes: defaults, no node id needed', async (t) => {
  const c = validateConfig({})
  t.same({ ...c.cluster }, { partitions: 32, replicas: 1, takeover: 10_000, shared_subscription: false })
  t.equal(c.cluster.url, undefined)
})

t.test('a full cluster section decodes (takeover to ms)', async (t) => {
  const c = validateConfig({ cluster: { url: 'nats://a:4222, nats://b:4222', node_id: 'engine-1', partitions: 64, replicas: 3, takeover: '6s' } })
  t.same({ ...c.cluster }, { url: 'nats://a:4222, nats://b:4222', node_id: 'engine-1', partitions: 64, replicas: 3, takeover: 6000, shared_subscription: false })
  t.same(clusterServers(c.cluster.url!), ['nats://a:4222', 'nats://b:4222'])
})

t.test('HEXPATROL_CLUSTER_URL and HEXPATROL_NODE_ID set the section', async (t) => {
  const { config } = loadConfig({ path: '/dev/null', env: { HEXPATROL_CLUSTER_URL: 'nats://127.0.0.1:4222', HEXPATROL_NODE_ID: 'n2' } })
  t.equal(config.cluster.url, 'nats://127.0.0.1:4222')
  t.equal(config.cluster.node_id, 'n2')
})

t.test('every refusal names the key and says what to do', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ url: 'nats://a:4222' }, /cluster\.node_id: required when cluster\.url is set.*HEXPATROL_NODE_ID/],
    [{ partitions: 0 }, /cluster\.partitions: 0 is out of range; use 1 to 1024/],
    [{ partitions: 1025 }, /cluster\.partitions: 1025 is out of range/],
    [{ replicas: 2 }, /cluster\.replicas: 2 is not allowed; use 1 .*, 3 .* or 5/],
    [{ takeover: '500ms' }, /cluster\.takeover: use a duration from 1s to 5m/],
    [{ takeover: '6m' }, /cluster\.takeover/],
    [{ node_id: 'has space' }, /cluster\.node_id: use 1 to 64 letters/],
    [{ url: ' , ', node_id: 'n' }, /cluster\.url: give at least one NATS server/],
    [{ url: 'nats://a:4222,http://x/y', node_id: 'n' }, /cluster\.url: "http:\/\/x\/y" is not a NATS server address/],
    [{ urls: 'x' }, /cluster\.urls: unknown key/],
  ]
  for (const [cluster, re] of cases) t.throws(() => validateConfig({ cluster }), { code: 'HEXP_ERR_CONFIG', message: re }, JSON.stringify(cluster))
})

t.test('accepted server forms', async (t) => {
  for (const url of ['nats://127.0.0.1:4222', 'tls://nats.example:4443', 'user:pw@host:4222', 'localhost', 'wss://h:443'])
    {t.equal(clusterProblem({ url, node_id: 'a', partitions: 1, replicas: 5, takeover: 1000, shared_subscription: false }), null, url)}
})
