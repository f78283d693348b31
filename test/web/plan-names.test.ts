// Plan and checkpoint names on the page: both names read from the API (name in the engine's locale,
// nameEn as configured), picked by the page's language (English here: node has no zh navigator),
// and an alert's carried name looked up among the active plan's checkpoints, then the definition's.
import t from 'tap'
import { local, localIfSame, named } from '../../src/web/plan-names.js'
import { Operations } from '../../src/web/operations.js'

t.test('named, local, localIfSame', async (t) => {
  t.same(named({ name: '东桥', nameEn: 'East bridge' }, 'x'), { name: '东桥', nameEn: 'East bridge' })
  t.same(named({ name: '', nameEn: 7 }, 'x'), { name: 'x', nameEn: null })
  t.equal(local({ name: '东桥', nameEn: 'East bridge' }), 'East bridge', 'English page: nameEn')
  t.equal(local({ name: '东桥', nameEn: null }), '东桥', 'no English name: the name')
  const a = { name: '东桥', nameEn: 'East bridge' }
  const b = { name: '北口', nameEn: 'North exit' }
  t.equal(localIfSame([undefined, a], '东桥'), 'East bridge')
  t.equal(localIfSame([a, b], '北口'), 'North exit', 'the first candidate still called so')
  t.equal(localIfSame([a], '西门'), undefined, 'renamed: none')
  t.equal(localIfSame([undefined, b], null), 'North exit', 'no name given: the first known')
  t.equal(localIfSame([], null), undefined)
})

t.test('Operations reads both names from GET /plans and GET /plans/{id} and looks names up', async (t) => {
  const replies: Record<string, unknown> = {
    '/api/v1/plans': { plans: [{ id: 'ring', name: '抢劫案外围封控', nameEn: 'Robbery ring', active: true, checkpoints: [{ name: '东桥', nameEn: 'East bridge' }, { name: '北口' }] }, { id: 'bare', name: '', active: false, checkpoints: [] }] },
    '/api/v1/plans/ring': { id: 'ring', name: '抢劫案外围封控', nameEn: 'Robbery ring', checkpoints: [{ name: '东桥', nameEn: 'East bridge' }, { name: '北口' }], active: { activationId: 'ring.1', checkpoints: [{ index: 0, name: '东桥', nameEn: 'East bridge (active)', state: 'pending', units: [] }] } },
  }
  const fetchWas = globalThis.fetch
  t.teardown(() => { globalThis.fetch = fetchWas })
  globalThis.fetch = (async (path: string) => {
    const body = replies[path]
    return body === undefined ? new Response('{}', { status: 404 }) : new Response(JSON.stringify(body), { status: 200 })
  }) as typeof fetch
  const ops = new Operations()
  const calls: string[] = []
  ops.subscribe((e) => calls.push(e.type))
  await ops.load()
  ops.stop()
  const p = ops.plans.get('ring')!
  t.match(p, { name: '抢劫案外围封控', nameEn: 'Robbery ring', checkpoints: [{ index: 0, name: '东桥', nameEn: 'East bridge (active)' }] })
  t.equal(local(p), 'Robbery ring')
  t.equal(ops.planName('ring', '抢劫案外围封控'), 'Robbery ring')
  t.equal(ops.planName('ring', '旧名'), undefined)
  t.equal(ops.planName('bare', null), 'bare', 'no name: the id')
  t.equal(ops.planName('nope', null), undefined)
  t.equal(ops.checkpointName('ring', 0, '东桥'), 'East bridge (active)', 'the activation\'s checkpoint first')
  t.equal(ops.checkpointName('ring', 1, '北口'), '北口', 'the definition\'s; no English name')
  t.equal(ops.checkpointName('ring', 2, null), undefined)
  t.ok(calls.includes('plans'))
})
