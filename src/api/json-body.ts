// The JSON body parser: refuses nesting deeper than MAX_DEPTH before parsing (a 400,000-deep body
// otherwise overflows the stack in the parser or the validator), accepts an empty body (DELETE
// with content-type application/json, the CSRF guard asks for it), and keeps fastify's
// prototype-poisoning protection.
import type { FastifyInstance } from 'fastify'
import { HexpatrolError } from '../errors.js'

export const MAX_DEPTH = 32

/** Deepest [ / { nesting in a JSON text, ignoring brackets inside strings; stops past `limit`. */
export function jsonDepth(text: string, limit = MAX_DEPTH): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) {
      inString = true
    } else if (c === 123 || c === 91) {
      if (++depth > max && (max = depth) > limit) return max
    } else if (c === 125 || c === 93) {
      depth--
    }
  }
  return max
}

export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string
    if (text.trim() === '') return done(null, undefined)
    if (jsonDepth(text) > MAX_DEPTH) return done(new HexpatrolError('HEXP_ERR_BAD_REQUEST', `The JSON body is nested deeper than ${MAX_DEPTH} levels.`), undefined)
    parse(req, text, done)
  })
}
