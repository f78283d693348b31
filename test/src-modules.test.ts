// Every module under src/ is loaded by the suite, so coverage counts it. tap 21 reports only the
// files some test loaded (its c8 report has no `all` option), so a module no test and no other
// module imports would vanish from the figures; importing each one here makes its unrun functions
// count as uncovered and dead code fails the thresholds. Excluded: src/main.ts (it only calls
// main(), coverage-exclude in package.json) and src/web/ (a browser bundle, run in Chromium by
// test/web/, never loaded by Node).
import t from 'tap'
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('../src/', import.meta.url))
const skipped = new Set(['main.ts', 'web'])

function modules (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (skipped.has(relative(root, path))) return []
    if (e.isDirectory()) return modules(path)
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : []
  })
}

const files = modules(root)

t.ok(files.length > 100, `found the modules under src/ (${files.length})`)
t.ok(files.every((f) => !f.includes(`${join('src', 'web')}`)), 'the browser bundle is not loaded in Node')

for (const file of files) {
  t.test(relative(root, file), async (t) => {
    const mod: Record<string, unknown> = await import(pathToFileURL(file).href)
    t.type(mod, 'object', 'the module loads')
  })
}
