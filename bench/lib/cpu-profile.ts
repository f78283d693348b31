// Reads a V8 CPU profile (node --cpu-prof) into the few lines a benchmark prints under its table:
// where the busy time went by area (a src/ folder, a package, node's own modules, native calls,
// the garbage collector) and the functions that spent most of it themselves. Idle time is left out
// of the shares, so they add up to the process's busy time.
import { readFileSync } from 'node:fs'

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export interface ProfileSummary {
  /** Wall time covered by the samples, ms. */
  totalMs: number
  /** Of which not idle, ms. */
  busyMs: number
  /** Self time by area, share of busy time, largest first. */
  areas: Array<{ area: string; share: number }>
  /** Self time by function, share of busy time, largest first. */
  functions: Array<{ fn: string; share: number }>
}

/** `src/ingest`, `fastify`, `node:http`, `native writev`, `(garbage collector)`. */
function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : `native ${fn}`
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg !== null) return pkg[1]!
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').replace(/^(node:[^/]+).*$/, '$1')
  const src = /\/((?:src|bench|test)\/[^/]+)/.exec(url)
  if (src !== null) return src[1]!
  return url
}

function fnOf(n: ProfileNode): string {
  const f = n.callFrame
  const where = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/((?:src|bench|test)\/)/, '$1')
  return `${f.functionName || '(anonymous)'}${where === '' ? '' : ` ${where}:${f.lineNumber + 1}`}`
}

/**
 * `leaveOut` names functions whose samples (with everything they call) count as idle: the
 * profiler's own stop, which the sampler still sees.
 */
export function summarizeProfile(profile: Profile, top = 15, leaveOut: ReadonlySet<string> = new Set()): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const leftOut = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (leaveOut.has(byId.get(at)!.callFrame.functionName)) return true
    return false
  }
  const selfUs = new Map<number, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt)
    total += dt
  })
  const areas = new Map<string, number>()
  const fns = new Map<string, number>()
  let idle = 0
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!
    if (n.callFrame.functionName === '(idle)' || (leaveOut.size > 0 && leftOut(id))) {
      idle += us
      continue
    }
    const a = areaOf(n.callFrame.url, n.callFrame.functionName)
    areas.set(a, (areas.get(a) ?? 0) + us)
    const f = fnOf(n)
    fns.set(f, (fns.get(f) ?? 0) + us)
  }
  const busy = total - idle
  const ranked = <K extends string>(m: Map<string, number>, key: K) =>
    [...m].sort((x, y) => y[1] - x[1]).slice(0, top).map(([k, us]) => ({ [key]: k, share: busy > 0 ? us / busy : 0 }) as { [P in K]: string } & { share: number })
  return { totalMs: total / 1000, busyMs: busy / 1000, areas: ranked(areas, 'area'), functions: ranked(fns, 'fn') }
}

export function readProfile(path: string): Profile {
  return JSON.parse(readFileSync(path, 'utf8')) as Profile
}
