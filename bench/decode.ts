// Decode throughput on one core: native single fixes, native batches of 50, OwnTracks, and
// invalid payloads, beside the ceiling of bare JSON.parse on the same payloads.
// Run: npx tsx bench/decode.ts   (median of 5 runs after a warm-up run)
import { createDecoder, decoderOptionsFromConfig } from '../src/decode/decoder.js'
import { validateConfig } from '../src/config/load.js'

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0)
const RUNS = 5
const decode = createDecoder(decoderOptionsFromConfig(validateConfig({})))

interface Message { topic: string; payload: Buffer }
interface Scenario { name: string; messages: Message[]; iterations: number }

let seed = 42
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
const nativeFix = (i: number) => ({
  ts: NOW - Math.floor(rand() * 60_000), lat: 36.49 + (rand() - 0.5) * 0.2, lon: 117.86 + (rand() - 0.5) * 0.2,
  speed: Math.round(rand() * 200) / 10, heading: Math.round(rand() * 360), accuracy: 5, battery: 80, seq: i,
})
const msg = (topic: string, body: unknown): Message => ({ topic, payload: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) })

const scenarios: Scenario[] = [
  { name: 'native single', iterations: 200_000, messages: Array.from({ length: 1000 }, (_, i) => msg(`fleet/P-${i % 200}/position`, nativeFix(i))) },
  { name: 'native batch x50', iterations: 5_000, messages: Array.from({ length: 100 }, (_, i) => msg(`fleet/P-${i}/position`, Array.from({ length: 50 }, (_, k) => nativeFix(k)))) },
  {
    name: 'owntracks', iterations: 200_000, messages: Array.from({ length: 1000 }, (_, i) => msg(`owntracks/user${i % 100}/phone`, {
      _type: 'location', tst: Math.floor(NOW / 1000) - 10, lat: 36.49 + rand() * 0.1, lon: 117.86 + rand() * 0.1,
      acc: 12, alt: 40, vel: 30, cog: 90, batt: 70, tid: 'u1', t: 'u', conn: 'm',
    })),
  },
  {
    name: 'invalid (mixed)', iterations: 200_000, messages: Array.from({ length: 1000 }, (_, i) => {
      switch (i % 5) {
        case 0: return msg('fleet/P-1/position', { ...nativeFix(i), lat: 95 })
        case 1: return msg('fleet/P-1/position', { ...nativeFix(i), lon: '117.8' })
        case 2: return msg('fleet/P-1/position', { ...nativeFix(i), ts: 1_000 })
        case 3: return msg('fleet/P-1/position', '{"ts":1,"lat":')
        default: return msg('fleet/P-1/position', { lat: 1, lon: 2 })
      }
    }),
  },
]

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function measure(s: Scenario): { msgs: number; fixes: number; parse: number } {
  const n = s.messages.length
  let fixes = 0
  const decodeRun = () => {
    fixes = 0
    for (let i = 0; i < s.iterations; i++) {
      const m = s.messages[i % n]!
      fixes += decode(m.topic, m.payload, NOW).fixes.length
    }
  }
  const parseRun = () => {
    for (let i = 0; i < s.iterations; i++) {
      try {
        JSON.parse(s.messages[i % n]!.payload.toString('utf8'))
      } catch {
        // invalid payloads are part of the ceiling too
      }
    }
  }
  decodeRun()
  parseRun()
  const dt: number[] = []
  const pt: number[] = []
  for (let r = 0; r < RUNS; r++) {
    dt.push(time(decodeRun))
    pt.push(time(parseRun))
  }
  const d = median(dt)
  return { msgs: s.iterations / d, fixes: fixes / d, parse: s.iterations / median(pt) }
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(12)
console.log(`decode throughput, one core, median of ${RUNS} runs (node ${process.version})`)
console.log(`${'scenario'.padEnd(18)}${'msgs/s'.padStart(12)}${'fixes/s'.padStart(12)}${'JSON.parse/s'.padStart(14)}${'of ceiling'.padStart(12)}`)
for (const s of scenarios) {
  const r = measure(s)
  console.log(`${s.name.padEnd(18)}${fmt(r.msgs)}${fmt(r.fixes)}  ${fmt(r.parse)}${`${Math.round((100 * r.msgs) / r.parse)} %`.padStart(12)}`)
}
