import t from 'tap'
import { fnv1a32, partitionOf } from '../../src/cluster/partition.js'

t.test('FNV-1a 32-bit matches the published test vectors', async (t) => {
  // Vectors from the FNV reference (draft-eastlake-fnv): fixed forever, or units change partition.
  t.equal(fnv1a32(''), 0x811c9dc5)
  t.equal(fnv1a32('a'), 0xe40c292c)
  t.equal(fnv1a32('foobar'), 0xbf9cf968)
  t.equal(fnv1a32('警车7'), 0x0e0273dc, 'UTF-8 bytes, not UTF-16 code units')
})

t.test('a unit always lands in the same partition', async (t) => {
  t.equal(partitionOf('unit-001', 32), 13)
  t.equal(partitionOf('patrol-42', 32), 16)
  t.equal(partitionOf('警车7', 32), 28)
  t.equal(partitionOf('anything', 1), 0)
  t.equal(partitionOf('unit-001', 32), partitionOf('unit-001', 32))
})

t.test('5,000 unit ids spread roughly evenly over 32 partitions', async (t) => {
  const n = 32
  const counts = new Array<number>(n).fill(0)
  for (let i = 0; i < 5000; i++) counts[partitionOf(`unit-${String(i).padStart(4, '0')}`, n)]! += 1
  const mean = 5000 / n
  t.ok(Math.min(...counts) > mean * 0.6, `fullest/emptiest ${Math.max(...counts)}/${Math.min(...counts)} around ${mean}`)
  t.ok(Math.max(...counts) < mean * 1.4)
  // Chi-square with 31 degrees of freedom: 61.1 is the 0.1 % critical value.
  const chi2 = counts.reduce((s, c) => s + (c - mean) ** 2 / mean, 0)
  t.ok(chi2 < 61.1, `chi-square ${chi2.toFixed(1)}`)
})

t.test('a partition count that is not a positive integer is refused', async (t) => {
  t.throws(() => partitionOf('u', 0), /positive integer/)
  t.throws(() => partitionOf('u', 1.5), /positive integer/)
})
