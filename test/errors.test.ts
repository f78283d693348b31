import t from 'tap'
import { readFileSync } from 'node:fs'
import { ERRORS, HexpatrolError } from '../src/errors.js'

t.test('every error code is documented in docs/errors.md with its status', async (t) => {
  const doc = readFileSync('docs/errors.md', 'utf8')
  for (const [code, def] of Object.entries(ERRORS)) {
    t.match(doc, new RegExp(`\\| \`${code}\` \\| ${def.status} \\|`), `${code} documented`)
    t.ok(def.help.length > 20, `${code} says what to do`)
  }
})

t.test('HexpatrolError carries code, status and help', async (t) => {
  const e = new HexpatrolError('HEXP_ERR_NOT_FOUND', 'unit X not found', { cause: new Error('x') })
  t.equal(e.code, 'HEXP_ERR_NOT_FOUND')
  t.equal(e.statusCode, 404)
  t.equal(e.name, 'HexpatrolError')
  t.match(e.help, /Check the id/)
  t.ok(e.cause instanceof Error)
})

t.test('every error code is raised or reported somewhere in src/ (no dead codes)', async (t) => {
  const { readdirSync } = await import('node:fs')
  const { join } = await import('node:path')
  const files = (readdirSync('src', { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && f !== 'errors.ts')
  const text = files.map((f) => readFileSync(join('src', f), 'utf8')).join('\n')
  for (const code of Object.keys(ERRORS)) t.ok(text.includes(`'${code}'`), `${code} is used`)
})
