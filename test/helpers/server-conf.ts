// Small readers for the two non-YAML configuration formats under docker/cluster/, so the tests can
// check what the files say without the servers: NATS server configs (key: value, blocks, arrays)
// and nginx configs (directives and blocks). Only the syntax those files use; anything else throws,
// so a file that grows beyond it fails loudly instead of being half read.

export type NatsValue = string | NatsValue[] | { [key: string]: NatsValue }

function natsTokens(text: string): string[] {
  const out: string[] = []
  const re = /\s*(?:(?:#|\/\/)[^\n]*|("(?:[^"\\]|\\.)*"|'[^']*')|([{}[\],:=])|([^\s{}[\],:="'#]+(?::[^\s{}[\],]+)*)|(\n))/y
  let i = 0
  while (i < text.length) {
    re.lastIndex = i
    const m = re.exec(text)
    if (m === null || m[0] === '') {
      if (/^\s*$/.test(text.slice(i))) break
      throw new Error(`nats conf: cannot read at ${JSON.stringify(text.slice(i, i + 20))}`)
    }
    i = re.lastIndex
    const tok = m[1] !== undefined ? m[1].slice(1, -1) : (m[2] ?? m[3])
    if (tok !== undefined) out.push(tok)
    else if (m[4] !== undefined) out.push('\n')
  }
  return out
}

/** Parses a NATS server config into nested objects (values stay strings: `4222`, `20GB`, `30s`). */
export function parseNatsConf(text: string): Record<string, NatsValue> {
  const toks = natsTokens(text)
  let i = 0
  const skipNl = () => { while (toks[i] === '\n' || toks[i] === ',') i++ }
  const value = (): NatsValue => {
    skipNl()
    const t = toks[i++]
    if (t === '{') return block('}')
    if (t === '[') {
      const arr: NatsValue[] = []
      for (;;) {
        skipNl()
        if (toks[i] === ']') { i++; return arr }
        arr.push(value())
      }
    }
    if (t === undefined || '{}[]:='.includes(t)) throw new Error(`nats conf: unexpected ${t ?? 'end'}`)
    return t
  }
  const block = (end: string | null): Record<string, NatsValue> => {
    const obj: Record<string, NatsValue> = {}
    for (;;) {
      skipNl()
      if (i >= toks.length) {
        if (end !== null) throw new Error('nats conf: unclosed block')
        return obj
      }
      if (toks[i] === end) { i++; return obj }
      const key = toks[i++]!
      if (toks[i] === ':' || toks[i] === '=') i++
      if (key in obj) throw new Error(`nats conf: ${key} given twice`)
      obj[key] = value()
    }
  }
  return block(null)
}

export interface NginxDirective { name: string; args: string[]; block?: NginxDirective[] }

/** Parses an nginx config into directives (name, arguments, nested block). */
export function parseNginxConf(text: string): NginxDirective[] {
  const toks: string[] = []
  const re = /\s*(?:#[^\n]*|("(?:[^"\\]|\\.)*"|'[^']*')|([{};])|([^\s{};"'#]+))/y
  let pos = 0
  while (pos < text.length) {
    re.lastIndex = pos
    const m = re.exec(text)
    if (m === null || m[0] === '') {
      if (/^\s*$/.test(text.slice(pos))) break
      throw new Error(`nginx conf: cannot read at ${JSON.stringify(text.slice(pos, pos + 20))}`)
    }
    pos = re.lastIndex
    const tok = m[1] !== undefined ? m[1].slice(1, -1) : (m[2] ?? m[3])
    if (tok !== undefined) toks.push(tok)
  }
  let i = 0
  const list = (nested: boolean): NginxDirective[] => {
    const out: NginxDirective[] = []
    while (i < toks.length) {
      if (toks[i] === '}') {
        if (!nested) throw new Error('nginx conf: unbalanced }')
        i++
        return out
      }
      const name = toks[i++]!
      const args: string[] = []
      while (i < toks.length && toks[i] !== ';' && toks[i] !== '{' && toks[i] !== '}') args.push(toks[i++]!)
      const t = toks[i++]
      if (t === ';') out.push({ name, args })
      else if (t === '{') out.push({ name, args, block: list(true) })
      else throw new Error(`nginx conf: ${name} ${args.join(' ')} is not ended by ; or {`)
    }
    if (nested) throw new Error('nginx conf: unclosed block')
    return out
  }
  return list(false)
}

/** Every directive named `name` directly in `ds`. */
export function directives(ds: readonly NginxDirective[], name: string): NginxDirective[] {
  return ds.filter((d) => d.name === name)
}
