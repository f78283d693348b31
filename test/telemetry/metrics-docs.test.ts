// Every metric the engine registers (a prom-client Counter, Gauge, Histogram or Summary named in
// src/) is in the metrics table of docs/operations.md, so an operator can look up what it counts.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

t.test('every registered metric is documented in docs/operations.md', async (t) => {
  const names = new Set<string>()
  for (const file of sources('src')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/new (?:Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{\s*name:\s*['`](hexpatrol_[a-z0-9_]+)/g)) names.add(m[1]!)
  }
  t.ok(names.size > 40, `the metrics are found in src/ (${names.size})`)
  const doc = readFileSync('docs/operations.md', 'utf8')
  for (const n of [...names].sort()) t.ok(doc.includes(`\`${n}\``), `${n} is in the metrics table of docs/operations.md`)
})
