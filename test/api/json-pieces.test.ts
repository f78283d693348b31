// JSON in pieces: joined, the pieces are exactly JSON.stringify of the value (random JSON-like
// values, plus the cases JSON.stringify treats specially), and each piece but the last has at
// least the asked size.
import t from 'tap'
import fc from 'fast-check'
import { jsonPieces, joinPieces } from '../../src/api/json-pieces.js'

t.test('joined pieces equal JSON.stringify, for any JSON value and piece size', async (t) => {
  fc.assert(fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 4 }), (v, size, depth) => {
    const pieces = [...jsonPieces(v, size, { depth })]
    if (pieces.join('') !== JSON.stringify(v)) return false
    return pieces.slice(0, -1).every((p) => p.length >= size)
  }), { seed: 19, numRuns: 500 })
  t.pass('500 random values')
})

t.test('what JSON.stringify treats specially', async (t) => {
  class Point { constructor(readonly x: number) {} }
  const bare = Object.create(null) as Record<string, unknown>
  bare.k = [1, { deep: [2] }]
  const v = {
    units: [{ id: 'U-1', at: new Date(0), gone: undefined }, undefined, () => 1, Symbol('s'), null, new Point(3)],
    skipped: undefined,
    fn: () => 2,
    sym: Symbol('t'),
    custom: { toJSON: () => 'custom' },
    bare,
    empty: [],
    none: {},
    text: 'line\nbreak "quoted" 中文',
  }
  t.equal([...jsonPieces(v, 3)].join(''), JSON.stringify(v))
  t.same([...jsonPieces(undefined, 8)], ['null'])
  t.same([...jsonPieces({ a: 1 }, 1000, { prefix: 'data: ', suffix: '\n\n' })], ['data: {"a":1}\n\n'], 'prefix and suffix, one piece when small')
  const big = { units: Array.from({ length: 1000 }, (_, i) => ({ id: `U-${i}`, pad: 'x'.repeat(50) })) }
  const pieces = [...jsonPieces(big, 4096)]
  t.ok(pieces.length > 10 && pieces.every((p) => p.length < 4096 + 100), `${pieces.length} pieces of about 4 KiB`)
  t.same([...joinPieces(['ab', 'cd', 'e'], 3)], ['abcd', 'e'])
  t.same([...joinPieces([], 3)], [])
})
