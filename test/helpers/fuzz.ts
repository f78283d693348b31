// Shared by the fuzz tests (test/ingest/fuzz-ingestor.test.ts, test/api/fuzz-http-ingest.test.ts):
// byte-level mutations of a payload and hostile JSON values.
import fc from 'fast-check'

export type Op = { k: 'flip'; at: number; v: number } | { k: 'cut'; at: number } | { k: 'del'; at: number; n: number } | { k: 'ins'; at: number; bytes: Uint8Array } | { k: 'dup'; at: number; n: number }
export const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('del' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ k: fc.constant('ins' as const), at: fc.nat(), bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(...['"', '{', '[', ',', ':', '\\u0000', '1e999', '-', 'null', '%', '&', '=', '\u00ff', '🚓'].map((s) => new Uint8Array(Buffer.from(s))))) }),
  fc.record({ k: fc.constant('dup' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 32 }) }),
)
export function mutate(b: Buffer, ops: readonly Op[]): Buffer {
  let out = Buffer.from(b)
  for (const o of ops) {
    const at = out.length === 0 ? 0 : o.at % (out.length + 1)
    if (o.k === 'flip' && out.length > 0) out[at % out.length] = o.v
    else if (o.k === 'cut') out = out.subarray(0, at)
    else if (o.k === 'del') out = Buffer.concat([out.subarray(0, at), out.subarray(at + o.n)])
    else if (o.k === 'ins') out = Buffer.concat([out.subarray(0, at), Buffer.from(o.bytes), out.subarray(at)])
    else if (o.k === 'dup') out = Buffer.concat([out.subarray(0, at), out.subarray(at, at + o.n), out.subarray(at)])
  }
  return out
}
export const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, '', 'NaN', -1, 0, -0, 1e308, -1e308, 91, -181, 2 ** 64, '1', [], {}, { __proto__: 1 }, '2026-13-45T99:99:99Z', 1e21, 0.5),
)
