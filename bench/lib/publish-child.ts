// Publisher process for benchmarks: publishes N native fixes (QoS 1, bounded in flight) to a
// broker and prints a JSON line with its own timing. Runs apart from the engine so the two do not
// share an event loop (they do share the machine's two cores, as in a real single-box deployment).
import mqtt from 'mqtt'

const [url = 'mqtt://127.0.0.1:1883', countArg = '100000', inflightArg = '500', unitsArg = '300', batchArg = '1', rateArg = '0'] = process.argv.slice(2)
const count = Number(countArg)
const inflight = Number(inflightArg)
const units = Number(unitsArg)
const batch = Number(batchArg)
/** Messages per second across all workers; 0 = as fast as the broker acknowledges. */
const rate = Number(rateArg)

const client = mqtt.connect(url, { clientId: `bench-pub-${process.pid}`, reconnectPeriod: 500 })
await new Promise<void>((resolve, reject) => {
  client.once('connect', () => resolve())
  client.once('error', reject)
})
const base = Date.now() - 60_000
let next = 0
const started = performance.now()
async function worker(): Promise<void> {
  while (next < count) {
    if (rate > 0) {
      const due = started + (next / rate) * 1000
      const wait = due - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      if (next >= count) break
    }
    const i = next
    next += batch
    const n = Math.min(batch, count - i)
    const fixes: string[] = []
    for (let k = 0; k < n; k++) {
      const j = i + k
      const u = j % units
      fixes.push(`{"ts":${base + Math.floor(j / units) * 10 + 1},"lat":${36.43 + (j % 997) * 0.0001},"lon":${117.77 + (j % 991) * 0.00015},"speed":8.5,"heading":90,"accuracy":5,"seq":${j}}`)
      if (batch === 1) await client.publishAsync(`fleet/U-${u}/position`, fixes[0]!, { qos: 1 })
    }
    if (batch > 1) await client.publishAsync(`fleet/U-${i % units}/position`, `[${fixes.join(',')}]`, { qos: 1 })
  }
}
await Promise.all(Array.from({ length: inflight }, worker))
const elapsed = (performance.now() - started) / 1000
process.stdout.write(`${JSON.stringify({ published: count, seconds: elapsed, rate: count / elapsed })}\n`)
await client.endAsync()
