// The import check (`npm run depcheck`, run by `npm test`): .dependency-cruiser.cjs refuses circular
// imports and imports from a lower layer to a higher one. It must be able to fail: a fixture tree
// with one violation of each kind is refused with exactly those violations, a clean one passes, and
// so does the repository.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { tempDir } from '../helpers/harness.js'

const ROOT = resolve(import.meta.dirname, '../..')
const CONFIG = join(ROOT, '.dependency-cruiser.cjs')
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs')

/**
 * Runs depcruise on `cwd`'s src/ with the repository's rules, as `npm run depcheck` does (the `err`
 * output, whose exit code is the number of errors): the exit code and the violations, one
 * `rule: from → to` line each (a circle as `no-circular: a → b → a`).
 */
function cruise(cwd: string): Promise<{ code: number; violations: string[] }> {
  return new Promise((done) => {
    execFile(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'err'], { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const violations = stdout.split(/\n(?=\s*(?:error|warn) )/).map((v) => v.replace(/\s+/g, ' ').trim()).filter((v) => /^(error|warn) /.test(v))
        .map((v) => v.replace(/^(error|warn) /, '').replace(/ x \d+ dependency violations.*$/, ''))
      done({ code: typeof err?.code === 'number' ? err.code : 0, violations: violations.length > 0 || err === null ? violations : [`depcruise failed: ${stderr}`] })
    })
  })
}

/** A tree of TypeScript files: path → the paths it imports (`type:` marks a type-only import). */
function tree(files: Record<string, string[]>): string {
  const root = tempDir('hexp-depcheck-')
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }))
  for (const [file, imports] of Object.entries(files)) {
    const lines = imports.map((spec, i) => {
      const typeOnly = spec.startsWith('type:')
      const target = relative(dirname(file), (typeOnly ? spec.slice(5) : spec).replace(/[.]ts$/, '.js'))
      const from = target.startsWith('.') ? target : `./${target}`
      return typeOnly ? `import type { T${i} } from '${from}'\nexport type U${i} = T${i}` : `import { v${i} } from '${from}'\nexport const u${i} = v${i}`
    })
    mkdirSync(dirname(join(root, file)), { recursive: true })
    writeFileSync(join(root, file), [...lines, 'export const v0 = 0, v1 = 1, v2 = 2', 'export type T0 = 0', 'export type T1 = 1', 'export type T2 = 2', ''].join('\n'))
  }
  return root
}

const CLEAN: Record<string, string[]> = {
  'src/errors.ts': [],
  'src/config/load.ts': ['src/errors.ts'],
  'src/decode/fix.ts': ['src/config/load.ts'],
  'src/rules/engine.ts': ['src/decode/fix.ts', 'type:src/config/load.ts'],
  'src/ingest/ingestor.ts': ['src/decode/fix.ts', 'src/journal/record.ts', 'type:src/rules/engine.ts'],
  // the journal's record format encodes the incidents stage's shapes: a downward import
  'src/journal/record.ts': ['type:src/rules/engine.ts', 'type:src/incidents/incident-journal.ts'],
  'src/incidents/incident-journal.ts': [],
  'src/api/wire.ts': [],
  'src/web/main.ts': ['src/web/dom.ts', 'type:src/api/wire.ts'],
  'src/web/dom.ts': [],
  'src/boot.ts': ['src/config/load.ts', 'src/rules/engine.ts'],
  'src/engine.ts': ['src/boot.ts', 'src/ingest/ingestor.ts', 'src/store/clickhouse/client.ts'],
  'src/store/clickhouse/client.ts': ['src/api/wire.ts', 'src/journal/record.ts'],
  // the journal writer is passed in from above
  'src/incidents/service.ts': ['type:src/incidents/incident-journal.ts'],
}

t.test('a tree that keeps the layers passes', async (t) => {
  const r = await cruise(tree(CLEAN))
  t.same(r.violations, [])
  t.equal(r.code, 0, 'npm run depcheck passes')
})

t.test('an upward import, a circle, a browser bundle reaching the server: each refused by its rule', async (t) => {
  const r = await cruise(tree({
    ...CLEAN,
    // config calls into a stage (what src/boot.ts now does)
    'src/config/load.ts': ['src/errors.ts', 'src/ingest/broker-auth.ts'],
    'src/ingest/broker-auth.ts': [],
    // two decode modules importing each other's types
    'src/decode/a.ts': ['type:src/decode/b.ts'],
    'src/decode/b.ts': ['type:src/decode/a.ts'],
    // the target folders of the parallel moves are layered too
    'src/rules/engine.ts': ['src/decode/fix.ts', 'src/delivery/publish.ts'],
    'src/delivery/publish.ts': [],
    'src/api/wire.ts': ['src/store/clickhouse/tracks.ts'],
    'src/store/clickhouse/tracks.ts': [],
    // the bundle imports a server value
    'src/web/main.ts': ['src/web/dom.ts', 'src/api/wire.ts', 'src/errors.ts'],
    // the incidents stage encoding its own journal rows (the last upward import, now gone): no
    // exception is left, a type-only import is refused too
    'src/incidents/service.ts': ['type:src/incidents/incident-journal.ts', 'src/journal/record.ts'],
    'src/incidents/unshipped.ts': ['type:src/journal/record.ts'],
    // integrity reads fixes and geometry; the rules' state is above it
    'src/integrity/monitor.ts': ['src/decode/fix.ts', 'src/geo/distance.ts', 'type:src/rules/engine.ts'],
  }))
  t.same(r.violations.sort(), [
    // the API reads storage through its own interfaces: an import of the store is an upward one
    'layer-api: src/api/wire.ts → src/store/clickhouse/tracks.ts',
    'layer-config: src/config/load.ts → src/ingest/broker-auth.ts',
    'layer-incidents: src/incidents/service.ts → src/journal/record.ts',
    'layer-incidents: src/incidents/unshipped.ts → src/journal/record.ts',
    'layer-integrity: src/integrity/monitor.ts → src/rules/engine.ts',
    'layer-rules: src/rules/engine.ts → src/delivery/publish.ts',
    'no-circular: src/decode/a.ts → src/decode/b.ts → src/decode/a.ts',
    'web-is-a-bundle: src/web/main.ts → src/errors.ts',
    'web-wire-shapes-type-only: src/web/main.ts → src/api/wire.ts',
  ].sort())
  t.equal(r.code, 9, 'npm run depcheck fails, one error per violation')
})

t.test('the repository keeps its layers', async (t) => {
  const r = await cruise(ROOT)
  t.same(r.violations, [])
  t.equal(r.code, 0)
})
