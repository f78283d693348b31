// The live map under load, in headless Chromium against the real engine: 5,000 units reporting
// every second over MQTT and a zone of ~20,000 H3 cells on the page. Measures the page's frame
// time (requestAnimationFrame intervals while updates stream) and the latency from a fix's
// publish to its marker being moved on the map (fix time = publish time, same machine clock).
// With --synthetic the page reads a stand-in API that sends exactly `units` positions a second
// (the browser's side alone, whatever the engine's machine can publish).
// The fleet publishes over --connections=N MQTT connections (default 4) at --qos=0|1 (default 0).
// Usage: npm run bench:map -- [units] [seconds] [--synthetic] [--connections=4] [--qos=0]
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { startEngine, waitFor } from '../test/helpers/harness.js'
import { buildWeb, chromiumPath, openPage } from '../test/helpers/browser.js'
import { childEnv } from '../test/helpers/child-env.js'
import { quantile, table } from './lib/measure.js'
import { syntheticApi } from './lib/synthetic-api.js'

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const synthetic = process.argv.includes('--synthetic')
const fleetFlags = process.argv.slice(2).filter((a) => a.startsWith('--connections=') || a.startsWith('--qos='))
const units = Number(args[0] ?? 5000)
const seconds = Number(args[1] ?? 20)
const TOKEN = 'bench-token-0123456789abcdef'
if (chromiumPath() === null) {
  console.error('No Chromium binary: the map benchmark needs /usr/bin/chromium.')
  process.exit(1)
}

interface FleetResult { published: number; seconds: number; rate: number; lateOver1s: number; connections: number; qos: number }
function fleet(url: string, secs: number): Promise<FleetResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lib', 'fleet-child.ts'), url, String(units), String(secs), ...fleetFlags], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`fleet exited ${code}`))))
  })
}

buildWeb()
// A 0.16° × 0.2° zone at resolution 10: about 20,000 cells. Every unit earns coverage credit.
const zone = { type: 'Polygon', coordinates: [[[117.69, 36.39], [117.89, 36.39], [117.89, 36.55], [117.69, 36.55], [117.69, 36.39]]] }
/** accepted: fixes the engine has validated so far (its hexpatrol_fixes_accepted_total). */
type Target = { url: string; mqttUrl: string | null; stop(): Promise<void>; accepted?: () => Promise<number> }
let target: Target
if (synthetic) {
  const api = await syntheticApi(units, zone as { type: 'Polygon'; coordinates: number[][][] }, 10)
  target = { url: api.url, mqttUrl: null, stop: api.close }
} else {
  const h = await startEngine({
    log_level: 'warn',
    zones: [{ id: 'bench', name: 'Bench zone', geometry: zone, coverage: { resolution: 10, max_interval: '30m', credit: 'any' } }],
    rules: { allowed_lateness: '0s', tick: '1s' },
    // Default stream settings (api.stream_buffer_bytes 1 MiB): the snapshot of the whole fleet is paced, not buffered.
    api: { tokens: [{ name: 'bench', scope: 'read', token_env: 'BENCH_TOKEN' }] },
  }, { env: { BENCH_TOKEN: TOKEN } })
  await fleet(h.mqttUrl, 1) // every unit known before the page loads
  await waitFor(() => h.engine.testHandle().rules!.units(Date.now()).length >= units, 30_000)
  const accepted = async () => (await h.engine.metrics.fixesAccepted.get()).values.reduce((n, v) => n + v.value, 0)
  target = { url: h.httpUrl, mqttUrl: h.mqttUrl, stop: () => h.engine.stop(), accepted }
}

const s = await openPage(target.url, { width: 1400, height: 900 })
const { page } = s
await page.goto(`${target.url}/`)
if (!synthetic) {
  await page.fill('#login-token', TOKEN)
  await page.click('#login-submit')
}
await page.waitForSelector('#conn.live', { timeout: 120_000 })
const shown = await page.evaluate(() => {
  const hx = (window as unknown as { hexpatrol: { store: { cells: Map<string, unknown>; units: Map<string, unknown> } } }).hexpatrol
  return { cells: hx.store.cells.size, units: hx.store.units.size }
})
// A string, not a function: tsx would wrap named closures in a helper the page does not have.
await page.evaluate(`(() => {
  window.frames_ = []
  let last = performance.now()
  const loop = (t) => { window.frames_.push(t - last); last = t; requestAnimationFrame(loop) }
  requestAnimationFrame(loop)
  window.moves_ = window.hexpatrol.recordMoves()
  window.drops_ = 0
  window.hexpatrol.store.subscribe((e) => { if (e.type === 'connection' && !e.live) window.drops_++ })
})()`)
const acceptedBefore = await target.accepted?.()
const pub = target.mqttUrl === null
  ? await page.waitForTimeout(seconds * 1000).then((): FleetResult => ({ published: units * seconds, seconds, rate: units, lateOver1s: 0, connections: 0, qos: 0 }))
  : await fleet(target.mqttUrl, seconds)
const acceptedAtEnd = await target.accepted?.()
await page.waitForTimeout(2500) // the last second's fixes reach the page
const acceptedAfter = await target.accepted?.()
const r = await page.evaluate(() => {
  const w = window as unknown as { frames_: number[]; moves_: Array<[string, number, number]>; drops_: number }
  return { frames: w.frames_.slice(5), lat: w.moves_.map(([, ts, drawn]) => drawn - ts), moved: w.moves_.length, drops: w.drops_ }
})
const lat = r.lat.filter((x) => x >= 0)
console.log(table(`Live map${synthetic ? ' (synthetic API: the page alone)' : ' (real engine, fixes over MQTT)'}, ${shown.units} units reporting every second (${Math.round(pub.rate)} fixes/s published), ${shown.cells} coverage cells, headless Chromium (canvas, no GPU)`,
  ['measure', 'p50', 'p99', 'max', 'samples'],
  [
    ['frame interval (ms)', +quantile(r.frames, 0.5).toFixed(1), +quantile(r.frames, 0.99).toFixed(1), +Math.max(...r.frames).toFixed(1), r.frames.length],
    ['publish → marker moved (ms)', Math.round(quantile(lat, 0.5)), Math.round(quantile(lat, 0.99)), Math.round(Math.max(...lat)), lat.length],
  ]))
console.log(`publisher: ${pub.published} fixes in ${pub.seconds.toFixed(1)} s = ${Math.round(pub.rate)} fixes/s (target ${units}/s)${synthetic ? ' (synthetic stream)' : ` over ${pub.connections} MQTT connection(s) at QoS ${pub.qos}`}; fixes published late by > 1 s: ${pub.lateOver1s}`)
if (acceptedBefore !== undefined) {
  const intake = (acceptedAtEnd! - acceptedBefore) / pub.seconds
  console.log(`engine: accepted ${Math.round(intake)} fixes/s while the fleet published; ${acceptedAfter! - acceptedBefore} of ${pub.published} accepted 2.5 s after the last publish${intake < 0.95 * pub.rate ? ' (the engine fell behind the publisher: its backlog is in the latency above)' : ''}`)
}
console.log(`marker updates: ${r.moved} in ${seconds} s (${Math.round(r.moved / seconds)}/s); fps ≈ ${(1000 / quantile(r.frames, 0.5)).toFixed(0)}; stream reconnects: ${r.drops}`)
await s.close()
await target.stop()
