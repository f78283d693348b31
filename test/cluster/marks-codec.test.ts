import t from 'tap'
import { decodeMarks, encodeMarks, mergeMarks, sameMarks, ZERO_MARKS, type Marks } from '../../src/cluster/marks-codec.js'

const enc = new TextEncoder()
const dec = new TextDecoder()

t.test('round trip, sequences as decimal strings (beyond 2^53 too)', async (t) => {
  const m: Marks = { rows: 12n, alerts: 9_007_199_254_740_993n, intent: { from: 5n, to: 40n } }
  const bytes = encodeMarks(m)
  t.equal(dec.decode(bytes), '{"rows":"12","alerts":"9007199254740993","intent":{"from":"5","to":"40"}}', 'golden: the stored format')
  t.same(decodeMarks(bytes), m)
  const plain: Marks = { rows: 0n, alerts: 3n, intent: null }
  t.equal(dec.decode(encodeMarks(plain)), '{"rows":"0","alerts":"3"}', 'no intent key when there is none')
  t.same(decodeMarks(encodeMarks(plain)), plain)
})

t.test('an absent value is zero marks, without a warning', async (t) => {
  const warnings: string[] = []
  t.same(decodeMarks(null, (w) => warnings.push(w)), ZERO_MARKS)
  t.same(decodeMarks(undefined, (w) => warnings.push(w)), ZERO_MARKS)
  t.same(decodeMarks(new Uint8Array(0), (w) => warnings.push(w)), ZERO_MARKS)
  t.same(warnings, [])
})

t.test('a garbled value reads as zero marks and says why', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /JSON/],
    ['[1,2]', /not a JSON object/],
    ['{"rows":12,"alerts":"3"}', /rows is not a decimal sequence string/],
    ['{"rows":"-1","alerts":"3"}', /rows/],
    ['{"rows":"1"}', /alerts/],
    ['{"rows":"01","alerts":"3"}', /rows/],
    ['{"rows":"1","alerts":"3","intent":{"from":"9","to":"2"}}', /intent.from is after intent.to/],
    ['{"rows":"1","alerts":"3","intent":"x"}', /intent is not an object/],
  ]
  for (const [raw, why] of cases) {
    const warnings: string[] = []
    t.same(decodeMarks(enc.encode(raw), (w) => warnings.push(w)), ZERO_MARKS, raw)
    t.equal(warnings.length, 1, `${raw}: one warning`)
    t.match(warnings[0], why)
    t.match(warnings[0], /read as zero/)
  }
  const warnings: string[] = []
  t.same(decodeMarks(new Uint8Array([0xff, 0xfe, 0x7b]), (w) => warnings.push(w)), ZERO_MARKS, 'invalid UTF-8')
  t.equal(warnings.length, 1)
})

t.test('encode refuses what it could not decode', async (t) => {
  t.throws(() => encodeMarks({ rows: -1n, alerts: 0n, intent: null }), RangeError)
  t.throws(() => encodeMarks({ rows: 1n, alerts: 0n, intent: { from: 3n, to: 2n } }), /intent.from \(3\) is after intent.to \(2\)/)
  t.throws(() => encodeMarks({ rows: 1 as unknown as bigint, alerts: 0n, intent: null }), /non-negative bigint/)
})

t.test('merge: sequences never move backwards, the intent is the newer value', async (t) => {
  const prev: Marks = { rows: 10n, alerts: 7n, intent: { from: 1n, to: 9n } }
  t.same(mergeMarks(prev, { rows: 4n, alerts: 8n, intent: null }), { rows: 10n, alerts: 8n, intent: null })
  t.same(mergeMarks(prev, ZERO_MARKS), { rows: 10n, alerts: 7n, intent: null }, 'a deleted key does not reset a reader')
  t.ok(sameMarks(prev, { rows: 10n, alerts: 7n, intent: { from: 1n, to: 9n } }))
  t.notOk(sameMarks(prev, { rows: 10n, alerts: 7n, intent: null }))
  t.notOk(sameMarks(prev, { rows: 10n, alerts: 7n, intent: { from: 1n, to: 8n } }))
  t.notOk(sameMarks(ZERO_MARKS, prev))
})

t.test('a garbled value without a warning callback still reads as zero marks', async (t) => {
  t.same(decodeMarks(new TextEncoder().encode('{"rows":"x"}')), ZERO_MARKS)
})
