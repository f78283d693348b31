import t from 'tap'
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync, appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { RuleStateStore } from '../../src/state/rule-state-store.js'
import type { RuleDelta, RuleSnapshot } from '../../src/rules/state-codec.js'
import { tempDir } from '../helpers/harness.js'

const unit = (id: string, n: number) => ({ id, n }) as unknown as RuleSnapshot['units'][number]
const delta = (over: Partial<RuleDelta>): RuleDelta => ({ units: [], removed: [], alerts: null, coverage: [], responseRatios: [], zoneTimers: [], ...over })

t.test('appends deltas, replays them, compacts asynchronously, survives a torn line; files are private', async (t) => {
  const dir = join(tempDir(), 'rules')
  const store = new RuleStateStore(dir, { compactBytes: 2000 })
  t.equal(store.load(), null, 'nothing yet')
  t.equal(statSync(dir).mode & 0o777, 0o700)
  store.save(delta({ units: [unit('A', 1), unit('B', 1)], alerts: { version: 1, open: [] }, coverage: [{ zoneId: 'z', state: { v: 1 } }], zoneTimers: [{ zoneId: 'z', coverage: { pendingSince: 5 }, response: { pendingSince: null } }] }))
  await store.flush()
  const before = readFileSync(join(dir, 'changes.jsonl'), 'utf8').length
  await store.save(delta({ units: [unit('A', 2)], removed: ['B'] }))
  const grown = readFileSync(join(dir, 'changes.jsonl'), 'utf8').length - before
  t.ok(grown < 200, `a save costs what changed (${grown} bytes), not the whole state`)
  t.equal(statSync(join(dir, 'changes.jsonl')).mode & 0o777, 0o600)
  let snap = new RuleStateStore(dir).load()
  t.same(snap?.units, [unit('A', 2)], 'last write wins; removals applied')
  t.same(snap?.coverage, [{ zoneId: 'z', state: { v: 1 } }])
  t.same(snap?.zoneTimers, [], 'zone timers are whole in every delta: the latest wins')
  // Grow the log past the threshold: a compaction runs and the log starts over.
  // One save at a time (saves made while one waits would be written together, as one line).
  for (let i = 0; i < 40; i++) await store.save(delta({ units: [unit(`U-${i}`, i)] }))
  await store.flush()
  // Saves and a compaction interleave: one or more compactions ran, and the log started over.
  const compacted = store.compactions
  t.ok(compacted >= 1)
  t.ok(existsSync(join(dir, 'base.jsonl')))
  t.equal(statSync(join(dir, 'base.jsonl')).mode & 0o777, 0o600)
  t.notOk(existsSync(join(dir, 'changes.old.jsonl')))
  store.save(delta({ units: Array.from({ length: 150 }, (_, i) => unit(`V-${i}`, i)) }))
  await store.flush()
  t.ok(store.compactions > compacted, 'a compaction of more than one slice')
  await store.save(delta({ units: [unit('A', 3)] }))
  appendFileSync(join(dir, 'changes.jsonl'), '{"units":[{"id":"A"')
  snap = new RuleStateStore(dir).load()
  t.equal(snap?.units.length, 191)
  t.same(snap?.units.find((u) => u.id === 'A'), unit('A', 3), 'base + log; the torn tail is skipped')
})

t.test('a base with a bad header still loads its entries; a legacy snapshot.json is read once', async (t) => {
  const dir = join(tempDir(), 'rules')
  const legacy: RuleSnapshot = { version: 1, units: [unit('L', 1)], alerts: { version: 1, open: [] }, coverage: [], responseRatios: [{ zoneId: 'z', ratio: 0.5 }] }
  t.equal(new RuleStateStore(dir).load(), null, 'creates the directory')
  writeFileSync(join(dir, 'snapshot.json'), JSON.stringify(legacy))
  const s = new RuleStateStore(dir).load()
  t.same(s?.units, [unit('L', 1)])
  t.same(s?.responseRatios, [{ zoneId: 'z', ratio: 0.5 }])
  writeFileSync(join(dir, 'snapshot.json'), '{"version":1,"units":[')
  t.equal(new RuleStateStore(dir).load(), null, 'a torn legacy snapshot starts fresh')
  writeFileSync(join(dir, 'base.jsonl'), 'not json\n{"u":{"id":"Q"}}\n{"c":"z","s":{"v":2}}\n')
  const b = new RuleStateStore(dir).load()
  t.same(b?.units, [{ id: 'Q' }])
  t.same(b?.coverage, [{ zoneId: 'z', state: { v: 2 } }])
  t.same(b?.alerts, { version: 1, open: [] })
})

t.test('a large delta is serialised in slices, one event-loop turn each, and written as one line after the ones before it', async (t) => {
  const dir = join(tempDir(), 'rules')
  const store = new RuleStateStore(dir)
  let turns = 0
  let counting = true
  const count = (): void => {
    turns++
    if (counting) setImmediate(count)
  }
  setImmediate(count)
  const first = store.save(delta({ units: Array.from({ length: 1000 }, (_, i) => unit(`U-${i}`, 1)) }))
  const second = store.save(delta({ units: [unit('U-1', 2)] }))
  await first
  t.ok(turns >= 9, `other work ran between the slices (${turns} event-loop turns)`)
  await second
  t.equal(store.saveSlices, 11, '1,000 units: ten slices of 100; then the second delta: one')
  counting = false
  const lines = readFileSync(join(dir, 'changes.jsonl'), 'utf8').trim().split('\n')
  t.equal(lines.length, 2, 'one line per delta')
  t.equal((JSON.parse(lines[0] as string) as RuleDelta).units.length, 1000)
  t.same(new RuleStateStore(dir).load()?.units.find((u) => u.id === 'U-1'), unit('U-1', 2), 'the later delta wins')
})

t.test('a small delta (an alert\'s save) is serialised and appended at once: the alert waits no event-loop turn', async (t) => {
  const dir = join(tempDir(), 'rules')
  const store = new RuleStateStore(dir)
  let turned = false
  setImmediate(() => { turned = true })
  await store.save(delta({ units: Array.from({ length: 300 }, (_, i) => unit(`U-${i}`, 1)) }))
  t.notOk(turned, 'written before any other event-loop turn ran')
  t.equal(store.saveSlices, 1, '300 units: one step')
  t.equal((JSON.parse(readFileSync(join(dir, 'changes.jsonl'), 'utf8').trim()) as RuleDelta).units.length, 300)
  const big = store.save(delta({ units: Array.from({ length: 501 }, (_, i) => unit(`B-${i}`, 1)) }))
  await big
  t.equal(store.saveSlices, 1 + 6, 'beyond 500 units a delta is sliced again, 100 per turn')
  const wide = { id: 'W', pad: 'x'.repeat(300 * 1024) } as unknown as RuleSnapshot['units'][number]
  await store.save(delta({ units: [wide] }))
  t.same(new RuleStateStore(dir).load()?.units.find((u) => u.id === 'W'), wide, 'a line over 256 KiB is appended asynchronously, whole')
})

t.test('deltas saved while a write is in progress are written together (one line, the same effect as one line each)', async (t) => {
  const dir = join(tempDir(), 'rules')
  const store = new RuleStateStore(dir)
  const alerts = (n: number) => ({ version: 1, open: [{ n }] }) as unknown as RuleDelta['alerts']
  const first = store.save(delta({ units: Array.from({ length: 300 }, (_, i) => unit(`U-${i}`, 1)), removed: ['GONE'], alerts: alerts(1) }))
  // A burst, as when every alert saves before its delivery: all wait behind `first`.
  const burst: Array<Promise<void>> = []
  burst.push(store.save(delta({ units: [unit('U-1', 2), unit('X', 1)], coverage: [{ zoneId: 'z', state: { v: 1 } }] })))
  burst.push(store.save(delta({ removed: ['X', 'U-2'], alerts: alerts(2) })))
  burst.push(store.save(delta({ units: [unit('X', 2)], coverage: [{ zoneId: 'z', state: { v: 2 } }, { zoneId: 'y', state: { v: 1 } }] })))
  burst.push(store.save(delta({ units: [unit('U-3', 5)], removed: ['U-3'], responseRatios: [{ zoneId: 'z', ratio: 0.5 }] })))
  for (let i = 0; i < 40; i++) burst.push(store.save(delta({ units: [unit('U-1', 10 + i)] })))
  t.equal(new Set(burst).size, 1, 'every save of the burst settles with the one line that holds it')
  await first
  await Promise.all(burst)
  const lines = readFileSync(join(dir, 'changes.jsonl'), 'utf8').trim().split('\n')
  t.equal(lines.length, 2, 'the write in progress, then one line for the burst (not 44)')
  const snap = new RuleStateStore(dir).load()
  const byId = new Map(snap?.units.map((u) => [u.id, u]))
  t.same(byId.get('U-1'), unit('U-1', 49), 'the latest save of a unit wins')
  t.same(byId.get('X'), unit('X', 2), 'removed, then saved again: present')
  t.notOk(byId.has('U-2'), 'removed in the burst')
  t.notOk(byId.has('U-3'), 'saved and removed in one delta: removed')
  t.equal(snap?.units.length, 300 - 2 + 1)
  t.same(snap?.alerts, alerts(2), 'the latest open-alert list')
  t.same(snap?.coverage.sort((a, b) => a.zoneId.localeCompare(b.zoneId)), [{ zoneId: 'y', state: { v: 1 } }, { zoneId: 'z', state: { v: 2 } }])
  t.same(snap?.responseRatios, [], 'zone timers and ratios are whole in every delta: the latest wins')
})

t.test('a failed write is reported and the store runs on; save() never rejects', async (t) => {
  const dir = join(tempDir(), 'rules')
  const errors: unknown[] = []
  const store = new RuleStateStore(dir, { compactBytes: 10, onError: (err) => errors.push(err) })
  await store.save(delta({ units: [unit('A', 1)] }))
  await store.flush()
  t.equal(store.compactions, 1, 'compacted')
  // A directory where the log should be: the append fails.
  mkdirSync(join(dir, 'changes.jsonl'))
  await store.save(delta({ units: [unit('B', 1)] }))
  t.equal(errors.length, 1)
  t.match(String(errors[0]), /EISDIR/)
  rmdirSync(join(dir, 'changes.jsonl'))
  // A compaction that cannot start (the log to rotate is gone) is reported, not thrown.
  const c = new RuleStateStore(join(tempDir(), 'rules'), { compactBytes: 10, onError: (err) => errors.push(err) })
  const realRename = (c as unknown as { compact: () => Promise<void> }).compact
  ;(c as unknown as { compact: () => Promise<void> }).compact = () => Promise.reject(new Error('rename failed'))
  await c.save(delta({ units: [unit('C', 1)] }))
  await c.flush()
  t.match(String(errors[1]), /rename failed/)
  ;(c as unknown as { compact: () => Promise<void> }).compact = realRename
  await c.save(delta({ units: [unit('D', 1)] }))
  await c.flush()
  t.equal(c.compactions, 1, 'the next save compacts again')
  const plain = new RuleStateStore(join(tempDir(), 'rules'))
  mkdirSync(join(tempDir(), 'x'), { recursive: true })
  t.resolves(plain.save(delta({})), 'without onError a failure is swallowed, never an unhandled rejection')
})
