// Writes docs/configuration.md from the config schema: every key path with its type, default,
// environment override and description, so the reference can never drift from what the engine
// accepts. Types and defaults come from the TypeBox schema itself; descriptions are the schema's
// doc comments (TypeBox keeps none at run time, so they are read from the sources with the
// TypeScript parser, following imports); overrides are ENV_MAP in src/config/load.ts.
// `npm run docs:config` rewrites the page; `--check` (and test/scripts/config-reference.test.ts)
// fails when the checked-in page differs.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { Kind, OptionalKind, TransformKind, type TSchema } from '@sinclair/typebox'
import { ConfigSchema } from '../src/config/schema.js'

export const SCHEMA_FILE = 'src/config/schema.ts'
export const LOAD_FILE = 'src/config/load.ts'
export const OUT_FILE = 'docs/configuration.md'

/** One documented key: `http.port`, `units[].id`, `rules.max_speed_kmh.<key>`. */
export interface Row {
  path: string
  type: string
  default: string
  env: string
  description: string
}

// ---------------------------------------------------------------------------------------------
// Descriptions: the doc comments of the schema's property assignments, keyed by dotted path.

interface Module { file: string; sf: ts.SourceFile; consts: Map<string, ts.Expression>; imports: Map<string, { file: string; name: string }> }

function parseModule (file: string): Module {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const consts = new Map<string, ts.Expression>()
  const imports = new Map<string, { file: string; name: string }>()
  for (const st of sf.statements) {
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer !== undefined) consts.set(d.name.text, d.initializer)
      }
    } else if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text.startsWith('.')) {
      const target = resolve(dirname(file), st.moduleSpecifier.text.replace(/\.js$/, '.ts'))
      const named = st.importClause?.namedBindings
      if (named !== undefined && ts.isNamedImports(named)) {
        for (const el of named.elements) imports.set(el.name.text, { file: target, name: (el.propertyName ?? el.name).text })
      }
    }
  }
  return { file, sf, consts, imports }
}

/** The text of the `/** … *\/` comment just before a node (in its leading trivia), on one line; '' without one. */
export function docComment (node: ts.Node, sf: ts.SourceFile): string {
  const trivia = sf.getFullText().slice(node.getFullStart(), node.getStart(sf))
  const found = [...trivia.matchAll(/\/\*\*([\s\S]*?)\*\//g)].pop()
  if (found === undefined) return ''
  return found[1]!
    .split('\n')
    .map((l) => l.replace(/^\s*\*?\s?/, '').trim())
    .filter((l) => l !== '')
    .join(' ')
}

/** Dotted key path (array levels are not marked) → description, for the schema held by `name` in `file`. */
export function schemaComments (file: string, name: string): Map<string, string> {
  const modules = new Map<string, Module>()
  const mod = (f: string): Module => {
    let m = modules.get(f)
    if (m === undefined) { m = parseModule(f); modules.set(f, m) }
    return m
  }
  const out = new Map<string, string>()
  const seen = new Set<string>()
  const lookup = (m: Module, id: string): { m: Module; e: ts.Expression } | undefined => {
    const local = m.consts.get(id)
    if (local !== undefined) return { m, e: local }
    const imp = m.imports.get(id)
    if (imp === undefined) return undefined
    const other = mod(imp.file)
    const e = other.consts.get(imp.name)
    return e === undefined ? undefined : { m: other, e }
  }
  const walk = (e: ts.Expression, path: string[], m: Module): void => {
    if (ts.isIdentifier(e)) {
      const key = `${path.join('.')}@${m.file}#${e.text}`
      const found = lookup(m, e.text)
      if (found === undefined || seen.has(key)) return
      seen.add(key)
      walk(found.e, path, found.m)
    } else if (ts.isCallExpression(e)) {
      const callee = e.expression.getText(m.sf)
      const [first] = e.arguments
      if ((callee === 'Obj' || callee === 'Type.Object') && first !== undefined && ts.isObjectLiteralExpression(first)) {
        props(first, path, m)
        return
      }
      for (const a of e.arguments) if (!ts.isObjectLiteralExpression(a)) walk(a, path, m)
    } else if (ts.isArrayLiteralExpression(e)) {
      for (const el of e.elements) walk(el, path, m)
    }
  }
  const props = (obj: ts.ObjectLiteralExpression, path: string[], m: Module): void => {
    for (const p of obj.properties) {
      if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) {
        const at = [...path, p.name.text]
        const doc = docComment(p, m.sf)
        if (doc !== '' && !out.has(at.join('.'))) out.set(at.join('.'), doc)
        walk(p.initializer, at, m)
      } else if (ts.isSpreadAssignment(p) && ts.isIdentifier(p.expression)) {
        const found = lookup(m, p.expression.text)
        if (found !== undefined && ts.isObjectLiteralExpression(found.e)) props(found.e, path, found.m)
      }
    }
  }
  const root = mod(file)
  const start = root.consts.get(name)
  if (start === undefined) throw new Error(`${file} declares no "${name}": update scripts/config-reference.ts to where the config schema lives`)
  walk(start, [], root)
  return out
}

/** Config path → HEXPATROL_* variable, read from the ENV_MAP table of src/config/load.ts. */
export function envOverrides (source: string): Map<string, string> {
  const sf = ts.createSourceFile('load.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  let table: ts.ArrayLiteralExpression | undefined
  const find = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === 'ENV_MAP' && n.initializer !== undefined) {
      let init: ts.Expression = n.initializer
      while (ts.isAsExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression
      if (ts.isArrayLiteralExpression(init)) table = init
    }
    ts.forEachChild(n, find)
  }
  find(sf)
  if (table === undefined) throw new Error(`${LOAD_FILE} has no ENV_MAP array: update envOverrides() in scripts/config-reference.ts to where the HEXPATROL_* overrides are listed`)
  const out = new Map<string, string>()
  for (const entry of table.elements) {
    const [name, path] = ts.isArrayLiteralExpression(entry) ? entry.elements : []
    if (name === undefined || !ts.isStringLiteral(name) || path === undefined || !ts.isArrayLiteralExpression(path) || !path.elements.every(ts.isStringLiteral)) {
      throw new Error(`${LOAD_FILE}: ENV_MAP entry ${entry.getText(sf)} is not ['NAME', ['key', …], kind]: update envOverrides() in scripts/config-reference.ts`)
    }
    out.set(path.elements.map((s) => (s as ts.StringLiteral).text).join('.'), `HEXPATROL_${name.text}`)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Rows: a walk over the run-time schema.

type S = TSchema & Record<string | symbol, unknown>

const code = (s: string): string => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``)

function bounds (s: S): string[] {
  const b: string[] = []
  const lo = s.minimum as number | undefined
  const hi = s.maximum as number | undefined
  if (lo !== undefined && hi !== undefined) b.push(`${lo}–${hi}`)
  else if (lo !== undefined) b.push(`≥ ${lo}`)
  else if (hi !== undefined) b.push(`≤ ${hi}`)
  if (s.exclusiveMinimum !== undefined) b.push(`> ${String(s.exclusiveMinimum)}`)
  if (s.minLength !== undefined) b.push(`${String(s.minLength)}+ chars`)
  if (s.maxLength !== undefined) b.push(`≤ ${String(s.maxLength)} chars`)
  if (s.pattern !== undefined) b.push(`pattern ${code(String(s.pattern))}`)
  if (s.minItems !== undefined) b.push(`${String(s.minItems)}+ items`)
  if (s.maxItems !== undefined) b.push(`≤ ${String(s.maxItems)} items`)
  return b
}

/** A short type name: `integer (0–65535)`, `duration`, `"never" \| "always"`, `list of string`. */
export function typeName (schema: TSchema): string {
  const s = schema as S
  if (s[TransformKind] !== undefined) return 'duration'
  const b = bounds(s)
  const withBounds = (t: string) => (b.length > 0 ? `${t} (${b.join(', ')})` : t)
  switch (s[Kind]) {
    case 'Literal': return code(JSON.stringify(s.const))
    case 'Union': {
      const members = [...new Set((s.anyOf as TSchema[]).map(typeName))]
      return members.join(' or ')
    }
    case 'Array': return withBounds(`list of ${typeName(s.items as TSchema)}`)
    case 'Record': return `map of ${typeName(Object.values(s.patternProperties as Record<string, TSchema>)[0]!)}`
    case 'Object': return 'object'
    default: return withBounds(String(s[Kind]).toLowerCase())
  }
}

function defaultText (s: S, required: boolean, form: boolean): string {
  if (s.default !== undefined) {
    if (s[Kind] === 'Object') return ''
    return code(typeof s.default === 'string' && s.default !== '' ? s.default : JSON.stringify(s.default))
  }
  return required ? (form ? 'required in its form' : 'required') : 'unset'
}

/** Every key of `schema` in schema order (objects before their keys), with its description and override. */
export function configRows (schema: TSchema, comments: ReadonlyMap<string, string>, env: ReadonlyMap<string, string>): Row[] {
  const rows = new Map<string, Row>()
  const add = (path: string, plain: string, s: S, required: boolean, form: boolean): void => {
    const prev = rows.get(path)
    const type = typeName(s)
    if (prev !== undefined) {
      // The same key in several forms of a union (zones[].geometry): one row, every type.
      if (!prev.type.split(' or ').includes(type)) prev.type = `${prev.type} or ${type}`
      return
    }
    rows.set(path, { path, type, default: defaultText(s, required, form), env: env.get(plain) ?? '', description: comments.get(plain) ?? '' })
  }
  // `form`: the keys of one form of a union (zones[].geometry): required only when that form is used.
  const children = (s: S, path: string, plain: string, form = false): void => {
    const props = s.properties as Record<string, S>
    const required = new Set((s.required as string[] | undefined) ?? [])
    for (const [k, v] of Object.entries(props)) visit(v, path === '' ? k : `${path}.${k}`, plain === '' ? k : `${plain}.${k}`, required.has(k) && v[OptionalKind] === undefined, form)
  }
  const visit = (s: S, path: string, plain: string, required: boolean, form: boolean): void => {
    add(path, plain, s, required, form)
    if (s[TransformKind] !== undefined) return
    const kind = s[Kind]
    if (kind === 'Object') children(s, path, plain, form)
    else if (kind === 'Array' && (s.items as S)[Kind] === 'Object') children(s.items as S, `${path}[]`, plain)
    else if (kind === 'Union') for (const m of s.anyOf as S[]) if (m[Kind] === 'Object') children(m, path, plain, true)
  }
  children(schema as S, '', '')
  for (const [path, name] of env) {
    if (!rows.has(path)) throw new Error(`${LOAD_FILE}: ${name} overrides ${path}, which the config schema does not have`)
  }
  return [...rows.values()]
}

// ---------------------------------------------------------------------------------------------
// The page.

/** A table cell: pipes escaped, and `<…>` outside code spans shown as text, not taken for HTML. */
const cell = (s: string): string => s.split('`').map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, '&lt;'))).join('`').replace(/\|/g, '\\|')

const INTRO = `# Configuration reference

<!-- Generated by scripts/config-reference.ts from the config schema (src/config/schema.ts and the
     schema parts it imports) and the environment overrides in src/config/load.ts.
     Do not edit by hand: change the schema's doc comments, then run \`npm run docs:config\`. -->

Every key the engine accepts, with its type, default and environment override. What the settings
mean together is explained on the topic pages: [getting started](getting-started.md) (files,
start-up checks, exit codes), [devices and ingest](devices-and-ingest.md) (\`mqtt\`, \`broker\`,
\`http_ingest\`, \`jt808\`, \`validation\`), [rules and alerts](rules-and-alerts.md) (\`units\`,
\`posts\`, \`zones\`, \`rules\`), [webhooks](webhooks.md) (\`webhooks\`, \`delivery\`),
[HTTP API](http-api.md) (\`http\`, \`api\`), [live map](live-map.md) (\`map\`),
[reports and bulletins](reports-and-bulletins.md) (\`reports\`), [incidents and plans](incidents-and-plans.md)
(\`incidents\`, \`patrol_levels\`, \`plans\`) and [operations](operations.md) (\`journal\`, \`clickhouse\`).

The configuration is a YAML (or JSON) file, \`config/hexpatrol.yaml\` by default, plus the
\`HEXPATROL_*\` environment variables below, which override the file. It is validated once at
start-up: an unknown key or a bad value stops the engine with a message naming the key. Durations
accept \`250ms\`, \`90s\`, \`30m\`, \`2h\`, \`1d\` or a number of seconds. A \`[]\` in a key marks the
elements of a list (\`units[].id\`); \`<key>\` the keys of a map. "unset" means the key has no default
and may be left out; "required" that it must be given.
`

/** The page that explains each top-level key's settings together (a key missing here gets no link). */
const EXPLAINED: Readonly<Record<string, readonly [string, string]>> = {
  data_dir: ['operations', 'operations.md#settings'],
  log_level: ['operations', 'operations.md#settings'],
  http: ['HTTP API', 'http-api.md'],
  api: ['HTTP API', 'http-api.md'],
  mqtt: ['devices and ingest', 'devices-and-ingest.md'],
  http_ingest: ['devices and ingest', 'devices-and-ingest.md#phones-over-http-owntracks-http-mode-and-traccar-client-osmand'],
  jt808: ['devices and ingest', 'devices-and-ingest.md#vehicle-terminals-jtt-808'],
  broker: ['devices and ingest', 'devices-and-ingest.md#embedded-broker-security'],
  validation: ['devices and ingest', 'devices-and-ingest.md#validation-and-rejects'],
  clickhouse: ['operations', 'operations.md#clickhouse-tables'],
  h3: ['operations', 'operations.md#clickhouse-tables'],
  journal: ['operations', 'operations.md#guarantees'],
  units: ['rules and alerts', 'rules-and-alerts.md#the-deployment'],
  posts: ['rules and alerts', 'rules-and-alerts.md#the-deployment'],
  zones: ['rules and alerts', 'rules-and-alerts.md#the-deployment'],
  rules: ['rules and alerts', 'rules-and-alerts.md#semantics'],
  map: ['live map', 'live-map.md#offline'],
  reports: ['reports and bulletins', 'reports-and-bulletins.md#configuration'],
  webhooks: ['webhooks', 'webhooks.md#configuration'],
  delivery: ['webhooks', 'webhooks.md#delivery-guarantees'],
  incidents: ['incidents and plans', 'incidents-and-plans.md'],
  patrol_levels: ['incidents and plans', 'incidents-and-plans.md#patrol-levels'],
  plans: ['incidents and plans', 'incidents-and-plans.md#emergency-plans'],
  integrity: ['patrol integrity', 'patrol-integrity.md'],
  patrol_tasks: ['make-up patrols', 'make-up-patrols.md'],
}

/** The whole page. */
export function renderReference (rows: readonly Row[], env: ReadonlyMap<string, string>): string {
  const lines: string[] = [INTRO, '## Environment variables', '', '| variable | config key | default |', '|---|---|---|',
    '| `HEXPATROL_CONFIG` | (the config file\'s path; same as `--config <file>`) | `config/hexpatrol.yaml` if it exists |']
  const byPath = new Map(rows.map((r) => [r.path, r]))
  for (const [path, name] of env) lines.push(`| \`${name}\` | \`${path}\` | ${cell(byPath.get(path)!.default)} |`)
  lines.push('', 'Any `*_env` key (`password_env`, `token_env`, `secret_env`, …) names a further variable that holds a secret; it must be set when the key is given.', '')
  const sections: Row[][] = []
  for (const r of rows) {
    if (!r.path.includes('.') && !r.path.includes('[]')) sections.push([r])
    else sections[sections.length - 1]!.push(r)
  }
  const loose = sections.filter((s) => s.length === 1 && s[0]!.type !== 'object')
  const table = (rs: readonly Row[]) => ['| key | type | default | env | description |', '|---|---|---|---|---|',
    ...rs.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${r.env === '' ? '' : `\`${r.env}\``} | ${cell(r.description)} |`)]
  const explain = (r: Row): Row => {
    const e = EXPLAINED[r.path]
    return e === undefined || r.description !== '' ? r : { ...r, description: `Explained in [${e[0]}](${e[1]}).` }
  }
  lines.push('## Top-level keys', '', ...table(loose.map((s) => explain(s[0]!))), '')
  for (const s of sections) {
    if (loose.includes(s)) continue
    const [head, ...rest] = s as [Row, ...Row[]]
    lines.push(`## \`${head.path}\``, '')
    const what = head.type === 'object' ? [] : [`${cell(head.type[0]!.toUpperCase() + head.type.slice(1))}, default ${cell(head.default)}.`]
    if (head.description !== '') what.push(cell(head.description))
    const explained = EXPLAINED[head.path]
    if (explained !== undefined) what.push(`Explained in [${explained[0]}](${explained[1]}).`)
    if (what.length > 0) lines.push(what.join(' '), '')
    if (rest.length > 0) lines.push(...table(rest), '')
  }
  return `${lines.join('\n').trimEnd()}\n`
}

/** The page for the sources under `root`. */
export function generate (root: string): string {
  const comments = schemaComments(join(root, SCHEMA_FILE), 'ConfigSchema')
  const env = envOverrides(readFileSync(join(root, LOAD_FILE), 'utf8'))
  return renderReference(configRows(ConfigSchema, comments, env), env)
}

/** `[--check]`: 0 when written (or current), 1 when `--check` finds the page stale. */
export function main (argv: readonly string[], root: string, out = join(root, OUT_FILE), log: (line: string) => void = console.error): number {
  const page = generate(root)
  if (argv.includes('--check')) {
    let current = ''
    try { current = readFileSync(out, 'utf8') } catch { /* a missing page is stale */ }
    if (current === page) return 0
    log(`${OUT_FILE} is not what the config schema generates: run \`npm run docs:config\` and commit the result.`)
    return 1
  }
  writeFileSync(out, page)
  log(`wrote ${OUT_FILE}`)
  return 0
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2), resolve(dirname(fileURLToPath(import.meta.url)), '..'))
}
