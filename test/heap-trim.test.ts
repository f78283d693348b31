import t from 'tap'
import { HEAP_TRIM_DEFAULTS, HeapTrimPolicy, HeapTrimmer, heapSample, v8Gc, trimHeap, type HeapSample } from '../src/heap-trim.js'

const MB = 1024 * 1024
const HOUR = 3_600_000

t.test('policy: trims once the heap has held 256 MiB beyond its use, at most once an hour', (t) => {
  const p = new HeapTrimPolicy(HEAP_TRIM_DEFAULTS, 0)
  t.notOk(p.due({ physical: 900 * MB, used: 100 * MB }, HOUR - 1), 'not within the first hour of the engine')
  t.ok(p.due({ physical: 300 * MB, used: 100 * MB }, HOUR), 'an hour on: the peak (900 MiB) is remembered against 100 used')
  const q = new HeapTrimPolicy(HEAP_TRIM_DEFAULTS, 0)
  t.notOk(q.due({ physical: 300 * MB, used: 100 * MB }, 2 * HOUR), '200 MiB to give back: not worth a pause')
  t.notOk(q.due({ physical: 200 * MB, used: 100 * MB }, 2 * HOUR + 60_000), 'still 200 MiB from the peak')
  t.ok(q.due({ physical: 150 * MB, used: 40 * MB }, 2 * HOUR + 120_000), 'the peak of 300 MiB against 40 used: 260 MiB, pooled pages included')
  q.trimmed({ physical: 60 * MB, used: 40 * MB }, 2 * HOUR + 120_000)
  t.notOk(q.due({ physical: 400 * MB, used: 40 * MB }, 3 * HOUR + 60_000), 'within the hour after a trim: no second one')
  t.ok(q.due({ physical: 100 * MB, used: 40 * MB }, 3 * HOUR + 120_000), 'an hour on, the new peak (400 MiB) counts')
  t.end()
})

t.test('policy: a peak before a trim no longer counts after it', (t) => {
  const p = new HeapTrimPolicy({ minReclaimBytes: 100, minIntervalMs: 10 }, 0)
  t.ok(p.due({ physical: 500, used: 100 }, 10))
  p.trimmed({ physical: 150, used: 100 }, 10)
  t.notOk(p.due({ physical: 150, used: 100 }, 100), 'the heap as the trim left it: nothing to give back')
  t.end()
})

t.test('trimmer: samples, trims when due, records the pause and logs what it gave back', (t) => {
  let now = 0
  const samples: HeapSample[] = [{ physical: 600 * MB, used: 90 * MB }, { physical: 120 * MB, used: 90 * MB }]
  const logs: Array<{ o: Record<string, unknown>; msg: string }> = []
  const pauses: number[] = []
  let trims = 0
  const trimmer = new HeapTrimmer({
    logger: { info: (o, msg) => logs.push({ o: o as Record<string, unknown>, msg }) },
    observePause: (s) => pauses.push(s),
    now: () => now,
    sample: () => samples[Math.min(trims, samples.length - 1)]!,
    trim: () => {
      trims++
      return { pauseMs: 180, rssBefore: 700 * MB, rssAfter: 310 * MB }
    },
  })
  t.notOk(trimmer.check(), 'too early')
  now = HOUR
  t.ok(trimmer.check(), 'an hour on, 510 MiB to give back')
  t.equal(trims, 1)
  t.same(pauses, [0.18])
  t.match(logs[0], { o: { component: 'memory', pauseMs: 180, residentMbBefore: 700, residentMbAfter: 310 }, msg: /memory-reducing garbage collection/ })
  now = 2 * HOUR
  t.notOk(trimmer.check(), 'the heap as the trim left it')
  t.equal(trims, 1)
  t.end()
})

t.test('the memory-reducing collection gives a grown heap back (real V8)', (t) => {
  const gc = v8Gc()
  t.equal(v8Gc(), gc, 'installed once')
  // Garbage enough to grow the young generation and promote some pages to the old one.
  let junk: unknown[] = []
  for (let round = 0; round < 4; round++) {
    junk = []
    for (let i = 0; i < 400_000; i++) junk.push({ i, s: `x${i}`, a: [i, i] })
  }
  t.equal(junk.length, 400_000)
  junk = []
  const before = heapSample()
  const r = trimHeap(gc)
  const after = heapSample()
  t.ok(r.pauseMs > 0, `paused ${r.pauseMs.toFixed(0)} ms`)
  t.ok(after.physical < before.physical, `committed heap ${Math.round(before.physical / MB)} → ${Math.round(after.physical / MB)} MiB`)
  t.ok(r.rssAfter > 0 && r.rssBefore > 0)
  t.end()
})

t.test('the default trimmer runs against the real heap without trimming a fresh process', (t) => {
  const trimmer = new HeapTrimmer({ logger: { info: () => t.fail('no trim expected') }, observePause: () => t.fail('no trim expected') })
  t.notOk(trimmer.check(), 'within its first hour')
  t.end()
})
