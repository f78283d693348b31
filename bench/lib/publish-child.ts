// Publisher process for benchmarks: publishes N native fixes (QoS 1, bounded in flight) to a
// broker and prints a JSON line with its own timing. Runs apart from the engine so the two do not
// share an event loop (they do share the machine's two cores, as in a real single-box deployment).
// The fixes follow a track model (bench/lib/tracks.ts): `plausible` reports as the units
// benchUnits() makes of the deployment passed as JSON (units, posts, zones: the engine must
// register the same), the last fix no later than the publisher's start; `jumps` is the old stream
// (unknown units U-0…). The deployment comes from the parent, not the config loader: importing
// that costs this process most of a second of CPU, which the benchmarks count as the publisher's.
import mqtt from 'mqtt'
import { benchUnits, jumpsStream, plausibleStream, trackFromArgs, type FleetStream, type Sample } from './tracks.js'

const [url = 'mqtt://127.0.0.1:1883', countArg = '100000', inflightArg = '500', unitsArg = '300', batchArg = '1', rateArg = '0', trackArg = 'jumps', sampleArg = ''] = process.argv.slice(2)
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
const track = trackFromArgs([`--track=${trackArg}`])
// A plausible batch would be one unit's buffer; the old stream's batches mixed units under one topic.
if (batch > 1 && track !== 'jumps') throw new Error('batches (batch > 1) are published with the jumps track only')
/** Built before the clock starts: the per-unit state is the device's, not the publisher's per-message cost. */
function stream(): FleetStream {
  if (track === 'jumps') return jumpsStream(units, Date.now() - 60_000)
  if (sampleArg === '') throw new Error('the plausible track needs the deployment (units, posts, zones) as JSON: runPublisher({ track, sample })')
  const sample = JSON.parse(sampleArg) as Sample
  return plausibleStream({ units: benchUnits(sample.units, units), posts: sample.posts, zones: sample.zones, fixes: count, endTs: Date.now() })
}
const fleet = stream()
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
      const f = fleet.next()
      fixes.push(`{"ts":${f.ts},"lat":${f.lat},"lon":${f.lon},"speed":${f.speed},"heading":${f.heading},"accuracy":${f.accuracy},"seq":${f.seq}}`)
      if (batch === 1) await client.publishAsync(`fleet/${f.unit}/position`, fixes[0]!, { qos: 1 })
    }
    // (jumps only) the old batch: units mixed under the first one's topic.
    if (batch > 1) await client.publishAsync(`fleet/${fleet.ids[i % units]}/position`, `[${fixes.join(',')}]`, { qos: 1 })
  }
}
await Promise.all(Array.from({ length: inflight }, worker))
const elapsed = (performance.now() - started) / 1000
process.stdout.write(`${JSON.stringify({ published: count, seconds: elapsed, rate: count / elapsed })}\n`)
await client.endAsync()
