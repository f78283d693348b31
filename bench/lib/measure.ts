// Shared helpers for benchmark scripts: child publishers, medians, tables.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { childEnv } from '../../test/helpers/child-env.js'
import type { Sample, TrackModel } from './tracks.js'

const here = dirname(fileURLToPath(import.meta.url))

export interface PublishResult { published: number; seconds: number; rate: number }

/** Publisher children still running: stopped when the benchmark exits, so none outlives it. */
const publishers = new Set<ReturnType<typeof spawn>>()
process.on('exit', () => {
  for (const c of publishers) c.kill('SIGKILL')
})

/**
 * Publisher options. track: the fix stream (bench/lib/tracks.ts); `jumps` unless named, so the
 * benchmarks that have not chosen one keep the stream their figures were measured with.
 * sample: the deployment (units, posts, zones) the plausible stream reports against.
 */
export interface PublishOptions { inflight?: number; units?: number; batch?: number; rate?: number; track?: TrackModel; sample?: Sample }

export function runPublisher(url: string, count: number, opts: PublishOptions = {}): Promise<PublishResult> {
  return startPublisher(url, count, opts).done
}

/** runPublisher that can be stopped early (a background load the benchmark ends itself). */
export function startPublisher(url: string, count: number, opts: PublishOptions = {}): { done: Promise<PublishResult>; stop(): void } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'publish-child.ts'), url, String(count), String(opts.inflight ?? 500), String(opts.units ?? 300), String(opts.batch ?? 1), String(opts.rate ?? 0), opts.track ?? 'jumps', opts.sample === undefined ? '' : JSON.stringify({ units: opts.sample.units, posts: opts.sample.posts, zones: opts.sample.zones })], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() })
  publishers.add(child)
  let out = ''
  let stopped = false
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.on('exit', () => publishers.delete(child))
  const done = new Promise<PublishResult>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as PublishResult) : reject(new Error(stopped ? 'publisher stopped' : `publisher exited ${code}`))))
  })
  return {
    done,
    stop: () => {
      stopped = true
      child.kill('SIGKILL')
    },
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN
}

export function table(title: string, header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)))
  const line = (r: Array<string | number>) => `| ${r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ')} |`
  return [`\n${title}`, line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n')
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  if (Number.isInteger(n)) return n.toLocaleString('en-US')
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US')
  if (Math.abs(n) >= 1) return n.toFixed(2)
  return n.toPrecision(3)
}

/** CPU time of the main thread (the event loop) alone, µs, from /proc (clock ticks of 10 ms); NaN where there is no /proc. */
export function mainThreadUs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    // utime and stime are fields 14 and 15 of stat(5); [0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return Number.NaN
  }
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms))
}
