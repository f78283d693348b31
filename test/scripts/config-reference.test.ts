// docs/configuration.md is generated from the config schema: the checked-in page must be exactly
// what the schema generates today, and the generator must find every key, its default, its
// environment override and its doc comment (through spreads, named parts and imports).
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import { configRows, envOverrides, generate, main, OUT_FILE, renderReference, schemaComments, typeName } from '../../scripts/config-reference.js'
import { ConfigSchema } from '../../src/config/schema.js'
import { ENV_VARS } from '../../src/config/load.js'
import { tempDir } from '../helpers/harness.js'

const root = process.cwd()
const page = generate(root)

t.test('the checked-in docs/configuration.md is what the schema generates', async (t) => {
  const current = readFileSync(OUT_FILE, 'utf8')
  t.equal(current, page, 'docs/configuration.md is stale: run `npm run docs:config` and commit it')
  t.equal(main(['--check'], root, join(root, OUT_FILE), () => t.fail('no message when current')), 0)
})

t.test('every key, its default and its override are on the page', async (t) => {
  const env = envOverrides(readFileSync('src/config/load.ts', 'utf8'))
  const rows = configRows(ConfigSchema, schemaComments('src/config/schema.ts', 'ConfigSchema'), env)
  const byPath = new Map(rows.map((r) => [r.path, r]))
  for (const key of Object.keys(ConfigSchema.properties)) t.ok(byPath.has(key), `${key} is documented`)
  for (const r of rows) t.ok(page.includes(`| \`${r.path}\` |`) || page.includes(`## \`${r.path}\``), `${r.path} is on the page`)
  for (const v of ENV_VARS) t.ok(page.includes(`\`${v}\``), `${v} is listed`)
  t.same([...env.values()].sort(), ENV_VARS.filter((v) => v !== 'HEXPATROL_CONFIG').sort(), 'ENV_MAP as parsed is the loader\'s list')
  t.match(byPath.get('http.port'), { type: 'integer (0–65535)', default: '`8080`', env: 'HEXPATROL_HTTP_PORT' })
  t.match(byPath.get('broker.port'), { env: 'HEXPATROL_MQTT_PORT' })
  t.match(byPath.get('http.request_timeout'), { type: 'duration', default: '`30s`', env: '' })
  t.match(byPath.get('units[].id'), { default: 'required' })
  t.match(byPath.get('mqtt.url'), { default: 'unset', description: /Unset: start the embedded broker/ })
  t.match(byPath.get('mqtt.password'), { description: /Inline secret/ }, 'a comment in a spread object')
  t.match(byPath.get('mqtt.subscriptions[].unit_from'), { description: /wildcard levels/ }, 'a comment in a named part')
  t.match(byPath.get('incidents.search.k'), { description: /resource search/ }, 'a comment in an imported module')
  t.match(byPath.get('zones[].geometry.type'), { type: '`"Polygon"` or `"MultiPolygon"`' }, 'one row for a key of several union forms')
  t.match(byPath.get('zones[].geometry.file'), { default: 'required in its form' }, 'a key of one union form is required only in that form')
  t.match(byPath.get('map.tiles.attribution'), { default: '`""`' }, 'an empty default is shown, not an empty code span')
  t.match(byPath.get('journal.fsync'), { type: '`"never"` or `"interval"` or `"always"`', default: '`interval`' })
  t.match(byPath.get('rules.max_speed_kmh'), { type: 'map of number (> 0)', default: '`{"vehicle":250,"officer":40,"default":250}`' })
  t.match(page, /embedded chdb under &lt;data_dir>\/clickhouse/, 'angle brackets outside code are text, not HTML')
  t.notMatch(page, /README/, 'no description points at the README')
})

t.test('--check fails on a stale or missing page and says what to run; without it the page is written', async (t) => {
  const dir = tempDir('hexp-docs-')
  const out = join(dir, 'configuration.md')
  const said: string[] = []
  t.equal(main(['--check'], root, out, (l) => said.push(l)), 1, 'missing')
  writeFileSync(out, page.replace('| `http.port` |', '| `http.prt` |'))
  t.equal(main(['--check'], root, out, (l) => said.push(l)), 1, 'stale')
  t.match(said, [/run `npm run docs:config`/, /run `npm run docs:config`/])
  t.equal(main([], root, out, (l) => said.push(l)), 0)
  t.equal(readFileSync(out, 'utf8'), page)
  t.match(said[2], /wrote docs\/configuration\.md/)
})

t.test('the generator fails with a message saying what to update when the sources moved', async (t) => {
  t.throws(() => envOverrides('export const OTHER = []\n'), /no ENV_MAP array: update envOverrides\(\)/)
  t.throws(() => envOverrides("const ENV_MAP = [['X', 'x', 'string']]\n"), /ENV_MAP entry \['X', 'x', 'string'\] is not/)
  t.throws(() => envOverrides("const ENV_MAP = ['X']\n"), /is not \['NAME'/)
  t.same([...envOverrides("const ENV_MAP = ([['A_B', ['a', 'b'], 'int']] as const)\n")], [['a.b', 'HEXPATROL_A_B']])
  t.throws(() => configRows(Type.Object({ a: Type.String() }), new Map(), new Map([['b', 'HEXPATROL_B']])), /HEXPATROL_B overrides b, which the config schema does not have/)
  t.throws(() => schemaComments('src/config/schema.ts', 'NoSuchSchema'), /declares no "NoSuchSchema"/)
})

t.test('comments are followed through consts, spreads and imports; broken references are skipped', async (t) => {
  const dir = tempDir('hexp-docs-')
  writeFileSync(join(dir, 'part.ts'), [
    "import { Type } from '@sinclair/typebox'",
    'export const Part = Type.Object({',
    '  /** From another module. */',
    '  deep: Type.String(),',
    '})',
  ].join('\n'))
  writeFileSync(join(dir, 'root.ts'), [
    "import { Type } from '@sinclair/typebox'",
    "import { Part, Missing } from './part.js'",
    "import { External } from 'elsewhere'",
    'const Spread = {',
    '  /**',
    '   * Two lines',
    '   * of comment.',
    '   */',
    '  s: Type.String(),',
    '}',
    'export const Root = Obj({',
    '  // not a doc comment',
    '  plain: Type.String(),',
    '  ...Spread,',
    '  ...Nowhere,',
    '  part: Part,',
    '  missing: Missing,',
    '  external: External,',
    '  list: Type.Array(Obj({ /** An element. */ e: Type.Number() }), { default: [] }),',
    "  'quoted': Type.Union([Type.Literal(1), Part]),",
    '})',
  ].join('\n'))
  const c = schemaComments(join(dir, 'root.ts'), 'Root')
  t.same(Object.fromEntries(c), { s: 'Two lines of comment.', 'part.deep': 'From another module.', 'list.e': 'An element.', 'quoted.deep': 'From another module.' })
})

t.test('type names carry their bounds', async (t) => {
  t.equal(typeName(Type.Integer({ maximum: 5 })), 'integer (≤ 5)')
  t.equal(typeName(Type.String({ minLength: 1, maxLength: 8 })), 'string (1+ chars, ≤ 8 chars)')
  t.equal(typeName(Type.Array(Type.String(), { minItems: 1, maxItems: 2 })), 'list of string (1+ items, ≤ 2 items)')
  t.equal(typeName(Type.String({ pattern: 'a`b' })), 'string (pattern `` a`b ``)')
  t.equal(typeName(Type.Union([Type.String(), Type.String()])), 'string')
  t.equal(typeName(Type.Object({})), 'object')
})

t.test('a page of a small schema: sections, defaults, escaped cells', async (t) => {
  const schema = Type.Object({
    top: Type.String({ default: 'x' }),
    sec: Type.Object({ a: Type.Optional(Type.String()) }, { default: {} }),
    list: Type.Array(Type.Object({ id: Type.String() }), { default: [] }),
    bare: Type.Object({}),
  })
  const rows = configRows(schema, new Map([['sec', 'A section.'], ['sec.a', 'A | b <c>']]), new Map([['top', 'HEXPATROL_TOP']]))
  const md = renderReference(rows, new Map([['top', 'HEXPATROL_TOP']]))
  t.match(md, '| `HEXPATROL_TOP` | `top` | `x` |')
  t.match(md, '| `top` | string | `x` | `HEXPATROL_TOP` |  |')
  t.match(md, '## `sec`\n\nA section.\n\n| key |')
  t.match(md, '| `sec.a` | string | unset |  | A \\| b &lt;c> |')
  t.match(md, '## `list`\n\nList of object, default `[]`.\n\n| key |')
  t.match(md, '| `list[].id` | string | required |  |  |')
  t.match(md, '## `bare`\n')
  t.ok(md.endsWith('\n') && !md.endsWith('\n\n'))
  const own = renderReference(configRows(Type.Object({ data_dir: Type.String(), log_level: Type.String() }), new Map([['data_dir', 'Its own words.']]), new Map()), new Map())
  t.match(own, '| `data_dir` | string | required |  | Its own words. |', 'a key\'s own description wins over the link')
  t.match(own, '| `log_level` | string | required |  | Explained in [operations](operations.md#settings). |')
})

t.test('each section of the reference links the page that explains it', async (t) => {
  t.match(page, '## `http_ingest`\n\nHTTP ingest for phones: OwnTracks HTTP mode and the OsmAnd protocol (Traccar Client). Explained in [devices and ingest](devices-and-ingest.md#phones-over-http-owntracks-http-mode-and-traccar-client-osmand).')
  t.match(page, '## `units`\n\nList of object, default `[]`. The configured units (vehicles, officers\' phones, terminals); others are still stored and evaluated against zone-wide rules only. Explained in [rules and alerts](rules-and-alerts.md#the-deployment).')
})
