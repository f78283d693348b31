// In-process CPU profile for benchmarks (node:inspector, the same sampler as `node --cpu-prof`),
// summarised as the top self-time functions: what the main thread spent its time on while the
// measured work ran. Idle time is the thread waiting (for the network, the disk, other threads
// or other processes on the shared cores), so a low busy share means the bound is elsewhere.
import { Session } from 'node:inspector/promises'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface Profile { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[]; startTime: number; endTime: number }

export interface ProfileSummary {
  /** Milliseconds sampled in all. */
  totalMs: number
  /** Share of samples not idle (JS, GC, native work on the main thread). */
  busy: number
  /** Top self-time entries: name (file:line), share of all samples. */
  top: Array<{ name: string; share: number }>
  /** Self-time share grouped by where the code lives (src/<folder>, node_modules/<package>, node:, gc, idle). */
  byArea: Array<{ area: string; share: number }>
}

export class CpuProfiler {
  private session: Session | null = null

  async start(samplingIntervalUs = 200): Promise<void> {
    const s = new Session()
    s.connect()
    await s.post('Profiler.enable')
    await s.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs })
    await s.post('Profiler.start')
    this.session = s
  }

  /** Stops sampling; writes the raw profile (for Chrome DevTools) when `saveTo` is given. */
  async stop(saveTo?: string): Promise<ProfileSummary> {
    const s = this.session
    if (s === null) throw new Error('profiler not started')
    const { profile } = (await s.post('Profiler.stop')) as unknown as { profile: Profile }
    await s.post('Profiler.disable')
    s.disconnect()
    this.session = null
    if (saveTo !== undefined) writeFileSync(saveTo, JSON.stringify(profile))
    return summarise(profile)
  }
}

function area(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle'
  if (fn === '(garbage collector)') return 'gc'
  if (fn === '(program)' || url === '') return 'native / (program)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return `node_modules/${nm[1]}`
  const src = /\/(src|bench|test)\/([^/]+)\//.exec(url)
  if (src) return `${src[1]}/${src[2]}`
  if (url.startsWith('node:')) return 'node: (core)'
  return 'other'
}

export function summarise(profile: Profile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  const self = new Map<number, number>()
  // Each sample's time is the delta to the next one (the last sample's is its own delta).
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? deltas[i] ?? 0
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + dt)
  }
  let total = 0
  let idle = 0
  const byName = new Map<string, number>()
  const byArea = new Map<string, number>()
  for (const [id, us] of self) {
    const n = byId.get(id)
    if (n === undefined) continue
    const { functionName, url, lineNumber } = n.callFrame
    total += us
    if (functionName === '(idle)') idle += us
    const file = url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|src|bench|test)\//, '$1/')
    const name = url === '' ? (functionName || '(anonymous)') : `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`
    byName.set(name, (byName.get(name) ?? 0) + us)
    const a = area(url, functionName)
    byArea.set(a, (byArea.get(a) ?? 0) + us)
  }
  const share = (us: number) => (total > 0 ? us / total : 0)
  return {
    totalMs: total / 1000,
    busy: share(total - idle),
    top: [...byName].filter(([n]) => n !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 15).map(([name, us]) => ({ name, share: share(us) })),
    byArea: [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([a, us]) => ({ area: a, share: share(us) })),
  }
}

export function formatProfile(title: string, p: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`
  return [
    `\n${title}: ${Math.round(p.totalMs)} ms sampled, main thread busy ${pct(p.busy).trim()}`,
    '  by area (self time):',
    ...p.byArea.map((a) => `    ${pct(a.share)}  ${a.area}`),
    '  top functions (self time):',
    ...p.top.map((t) => `    ${pct(t.share)}  ${t.name}`),
  ].join('\n')
}

/**
 * CPU time of this process's threads by thread name (Linux /proc; empty elsewhere), in ms: the
 * main thread ("node"), libuv's pool, V8's GC helpers and the embedded ClickHouse's own threads.
 */
export function threadCpu(): Map<string, number> {
  const out = new Map<string, number>()
  let tasks: string[]
  try {
    tasks = readdirSync('/proc/self/task')
  } catch {
    return out
  }
  const tick = 10 // ms per clock tick (USER_HZ 100 on Linux)
  for (const t of tasks) {
    let stat: string
    try {
      stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8')
    } catch {
      continue
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d-]+$/, '').trim() || '?'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ms = (Number(fields[11]) + Number(fields[12])) * tick
    out.set(name, (out.get(name) ?? 0) + ms)
  }
  return out
}

/** Thread CPU spent between two threadCpu() readings, largest first, as "name ms". */
export function threadCpuDelta(before: Map<string, number>, after: Map<string, number>): Array<{ name: string; ms: number }> {
  return [...after].map(([name, ms]) => ({ name, ms: ms - (before.get(name) ?? 0) })).filter((x) => x.ms > 0).sort((a, b) => b.ms - a.ms)
}

function statFields(path: string): { name: string; f: string[] } | null {
  try {
    const stat = readFileSync(path, 'utf8')
    return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), f: stat.slice(stat.lastIndexOf(')') + 2).split(' ') }
  } catch {
    return null
  }
}

/**
 * CPU ms (Linux /proc) of the processes around the benchmark: this one, its exited (reaped)
 * children (the publisher), and its live children by name (Mosquitto). Zero elsewhere.
 */
export function machineCpu(): { self: number; reaped: number; children: Map<string, number> } {
  const tick = 10
  const me = statFields('/proc/self/stat')
  const self = me === null ? 0 : (Number(me.f[11]) + Number(me.f[12])) * tick
  const reaped = me === null ? 0 : (Number(me.f[13]) + Number(me.f[14])) * tick
  const children = new Map<string, number>()
  let pids: string[] = []
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p))
  } catch {
    // not Linux
  }
  for (const pid of pids) {
    const s = statFields(`/proc/${pid}/stat`)
    if (s === null || Number(s.f[1]) !== process.pid) continue
    children.set(s.name, (children.get(s.name) ?? 0) + (Number(s.f[11]) + Number(s.f[12])) * tick)
  }
  return { self, reaped, children }
}

/** CPU µs per item of each process between two machineCpu() readings. */
export function machineCpuPerItem(a: ReturnType<typeof machineCpu>, b: ReturnType<typeof machineCpu>, items: number): Record<string, number> {
  const out: Record<string, number> = { 'this process': ((b.self - a.self) * 1000) / items, 'publisher (exited children)': ((b.reaped - a.reaped) * 1000) / items }
  for (const [name, ms] of b.children) if (name !== 'node') out[name] = ((ms - (a.children.get(name) ?? 0)) * 1000) / items
  return out
}
