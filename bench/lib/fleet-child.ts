// Fleet publisher for the map benchmark: `units` units each report once a second for `seconds`
// seconds (QoS 1, spread evenly over each second), the fix time being the publish time, so the
// page can measure publish → marker moved from the fix alone. Positions drive east on a grid
// inside the benchmark zone. Prints a JSON line with what it published.
import mqtt from 'mqtt'

const [url = 'mqtt://127.0.0.1:1883', unitsArg = '5000', secondsArg = '20', latArg = '36.40', lonArg = '117.70'] = process.argv.slice(2)
const units = Number(unitsArg)
const seconds = Number(secondsArg)
const lat0 = Number(latArg)
const lon0 = Number(lonArg)
const side = Math.ceil(Math.sqrt(units))

const client = mqtt.connect(url, { clientId: `bench-fleet-${process.pid}`, reconnectPeriod: 500 })
await new Promise<void>((resolve, reject) => {
  client.once('connect', () => resolve())
  client.once('error', reject)
})
const started = performance.now()
const total = units * seconds
let next = 0
let late = 0
async function worker(): Promise<void> {
  while (next < total) {
    const i = next++
    const due = started + (i / units) * 1000
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    else if (wait < -1000) late++
    const u = i % units
    const tick = Math.floor(i / units)
    const lat = lat0 + Math.floor(u / side) * (0.15 / side)
    const lon = lon0 + (u % side) * (0.18 / side) + tick * 0.0001
    await client.publishAsync(`fleet/U-${u}/position`, `{"ts":${Date.now()},"lat":${lat.toFixed(6)},"lon":${lon.toFixed(6)},"speed":9,"accuracy":5}`, { qos: 1 })
  }
}
await Promise.all(Array.from({ length: 400 }, worker))
const elapsed = (performance.now() - started) / 1000
process.stdout.write(`${JSON.stringify({ published: total, seconds: elapsed, rate: total / elapsed, lateOver1s: late })}\n`)
await client.endAsync()
