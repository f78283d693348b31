// The runtime a benchmark's figures were measured on. The engine supports the Node.js lines that
// package.json's "engines" names (CI tests the oldest and the newest, 22 and 24); a figure from an
// older Node, such as the development machine's own Node 20 (past end of life), is not what users
// run: V8 has changed since (bench/pipeline.ts costs 10–40 % more CPU per fix on 20 than on 24 in interleaved runs), so
// each benchmark prints its runtime and says so under an unsupported one.
import { readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'

const ENGINES = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node

/** The oldest supported major version, from an "engines" range of the form ">=N". */
export function supportedMajor(range: string = ENGINES): number {
  const m = /^>=\s*(\d+)/.exec(range.trim())
  if (m === null) throw new Error(`package.json engines.node is "${range}": expected ">=N"`)
  return Number(m[1])
}

/** A warning when `version` (process.version) is older than the supported lines; null otherwise. */
export function runtimeWarning(version: string = process.version, range: string = ENGINES): string | null {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? Number.NaN)
  const min = supportedMajor(range)
  if (major >= min) return null
  return `Node ${version} is older than the supported lines (engines: ${range}): these figures are not what users run. Run the benchmark with Node ${min} or later on PATH (docs/benchmarks.md says how).`
}

/** One line for the top of a benchmark's output: runtime, cores, load, and the warning if any. */
export function runtimeLine(version: string = process.version): string {
  const warning = runtimeWarning(version)
  return `node ${version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}${warning === null ? '' : `\nWARNING: ${warning}`}`
}
