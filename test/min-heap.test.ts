// The one min-heap, against a sort: any sequence of pushes and pops yields pairs in (key, value)
// order; it grows past its initial capacity; clear and pop on empty are harmless.
import t from 'tap'
import fc from 'fast-check'
import { MinHeap } from '../src/min-heap.js'

t.test('pops in (key, value) order for any push/pop sequence', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(fc.array(fc.oneof(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 5 })), fc.constant(null)), { maxLength: 200 }), (ops) => {
    const heap = new MinHeap(2)
    const model: Array<[number, number]> = []
    for (const op of ops) {
      if (op === null) {
        model.sort((a, b) => a[0] - b[0] || a[1] - b[1])
        const want = model.shift()
        if (want === undefined) {
          if (heap.topKey() !== Infinity) return false
        } else if (heap.topKey() !== want[0] || heap.topVal() !== want[1]) return false
        heap.pop()
      } else {
        heap.push(op[0], op[1])
        model.push(op)
      }
      if (heap.size !== model.length) return false
    }
    return true
  }), { numRuns: 300, seed: 8 }), '300 random sequences agree with a sorted model')
})

t.test('ties on the key come out by value; clear empties', async (t) => {
  const h = new MinHeap(0)
  for (const [k, v] of [[5, 3], [5, 1], [1, 9], [5, 2]] as const) h.push(k, v)
  const out: string[] = []
  while (h.size > 0) {
    out.push(`${h.topKey()}:${h.topVal()}`)
    h.pop()
  }
  t.same(out, ['1:9', '5:1', '5:2', '5:3'])
  h.pop()
  t.equal(h.size, 0, 'pop on empty does nothing')
  h.push(1, 1)
  h.clear()
  t.equal(h.topKey(), Infinity)
})
