// npm run bench: every benchmark in turn, each in its own process (one embedded ClickHouse per
// process), printing its table. Figures are medians of runs within one process run: compare the
// ratios, not absolute numbers across machines.
import { spawnSync } from 'node:child_process'
import { runtimeLine } from './lib/runtime.js'

console.log(runtimeLine())

const quick = process.argv.includes('--quick')
const scripts: Array<[string, string[]]> = [
  ['bench/decode.ts', []],
  ['bench/jt808.ts', []],
  ['bench/journal.ts', []],
  ['bench/coverage.ts', []],
  ['bench/rules.ts', []],
  ['bench/rule-quality.ts', quick ? ['2', '5', '1', '2'] : []],
  ['bench/integrity.ts', quick ? ['20', '5'] : []],
  ['bench/track-filter.ts', quick ? ['5'] : []],
  ['bench/state.ts', quick ? ['20000', '5'] : []],
  ['bench/pipeline.ts', quick ? ['20000', '2'] : []],
  ['bench/soak.ts', quick ? ['300', '4'] : []],
  ['bench/sink.ts', []],
  ['bench/ingest.ts', quick ? ['20000', '1'] : ['100000', '3']],
  ['bench/webhooks.ts', quick ? ['500'] : []],
  ['bench/alert-latency.ts', quick ? ['20', '20000'] : []],
  ['bench/api.ts', quick ? ['2'] : []],
  ['bench/http-ingest.ts', quick ? ['2'] : []],
  ['bench/stream.ts', quick ? ['3'] : []],
  ['bench/incidents.ts', quick ? ['20000', '10000'] : []],
  ['bench/places.ts', []],
  ['bench/patrol-tasks.ts', []],
  ['bench/reports.ts', quick ? ['100', '10', '1'] : []],
  ['bench/cluster.ts', quick ? ['5000', '500', '2'] : []],
]
let failed = 0
for (const [script, args] of scripts) {
  console.log(`\n=== ${script} ${args.join(' ')}`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' })
  if (r.status !== 0) {
    failed++
    console.log(`${script} exited ${r.status}`)
  }
}
process.exit(failed === 0 ? 0 : 1)
