// Fleet publisher for the map benchmark: `units` units each report once a second for `seconds`
// seconds, spread evenly over each second, over `connections` MQTT connections (each carries
// every connections-th unit) at QoS `qos` (0 by default: what a fleet's trackers mostly send, and
// no PUBACK round trip bounds the rate). The fix time is the publish time, so the page measures
// publish → marker moved from the fix alone. Positions drive east on a grid inside the benchmark
// zone. Prints one JSON line: published, seconds, rate (fixes/s), lateOver1s (fixes sent more
// than a second after their slot: the publisher could not keep the pace).
// Usage: fleet-child.ts url units seconds [lat0 lon0] [--connections=N] [--qos=0|1]
import mqtt, { type MqttClient } from 'mqtt'

const flags = Object.fromEntries(process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=') as [string, string]))
const [url = 'mqtt://127.0.0.1:1883', unitsArg = '5000', secondsArg = '20', latArg = '36.40', lonArg = '117.70'] = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const units = Number(unitsArg)
const seconds = Number(secondsArg)
const lat0 = Number(latArg)
const lon0 = Number(lonArg)
const connections = Math.max(1, Math.min(units, Number(flags.connections ?? 4)))
const qos = Number(flags.qos ?? 0) === 1 ? 1 : 0
const side = Math.ceil(Math.sqrt(units))
/** The pacing loop's period: each turn sends every fix whose slot has come. */
const TURN_MS = 5

const clients: MqttClient[] = await Promise.all(Array.from({ length: connections }, (_, k) => new Promise<MqttClient>((resolve, reject) => {
  const c = mqtt.connect(url, { clientId: `bench-fleet-${process.pid}-${k}`, reconnectPeriod: 500, clean: true })
  c.once('connect', () => resolve(c))
  c.once('error', reject)
})))

const total = units * seconds
let sent = 0
let done = 0
let late = 0
let failed = 0
let lastDone = 0
const started = performance.now()
await new Promise<void>((resolve) => {
  const finish = () => {
    done++
    lastDone = performance.now()
    if (done === total) resolve()
  }
  const turn = () => {
    const now = performance.now()
    const due = Math.min(total, Math.floor(((now - started) * units) / 1000) + 1)
    for (; sent < due; sent++) {
      const i = sent
      if (now - (started + (i / units) * 1000) > 1000) late++
      const u = i % units
      const tick = Math.floor(i / units)
      const lat = lat0 + Math.floor(u / side) * (0.15 / side)
      const lon = lon0 + (u % side) * (0.18 / side) + tick * 0.0001
      const payload = `{"ts":${Date.now()},"lat":${lat.toFixed(6)},"lon":${lon.toFixed(6)},"speed":9,"accuracy":5}`
      clients[u % connections]!.publish(`fleet/U-${u}/position`, payload, { qos }, (err) => {
        if (err) failed++
        finish()
      })
    }
    if (sent < total) setTimeout(turn, TURN_MS)
  }
  turn()
})
const elapsed = (lastDone - started) / 1000
process.stdout.write(`${JSON.stringify({ published: total - failed, failed, seconds: elapsed, rate: (total - failed) / elapsed, lateOver1s: late, connections, qos })}\n`)
await Promise.all(clients.map((c) => c.endAsync()))
