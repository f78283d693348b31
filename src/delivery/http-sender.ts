// One webhook HTTP attempt over node:http/https: destination guard (literal IPs here, host names in
// the guarded lookup), a deadline covering connect to response, redirects never followed, and at
// most 4 kB of the response body read before it is discarded.
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { checkLiteralHost, destinationError, type AllowList } from './ssrf.js'

/** Response bytes read before the socket is destroyed (the body is discarded anyway). */
export const MAX_RESPONSE_BYTES = 4096

export interface SendRequest {
  url: string
  headers: Record<string, string>
  body: string
  timeoutMs: number
  allow: AllowList
  lookup: LookupFunction
  agent?: http.Agent
}

export type SendResult =
  | { ok: true; status: number }
  | {
      ok: false
      /** HTTP status when a response arrived. */
      status?: number
      retryAfter?: string
      /** Why it failed: `HTTP 500`, `redirect …`, `timed out …`, `webhook destination … refused: …`, a socket error. */
      error: string
      /** The destination guard refused it (no connection was made). */
      refused?: boolean
    }

function classify(status: number, headers: http.IncomingHttpHeaders): SendResult {
  if (status >= 200 && status < 300) return { ok: true, status }
  const retryAfter = typeof headers['retry-after'] === 'string' ? headers['retry-after'] : undefined
  const error = status >= 300 && status < 400
    ? `HTTP ${status} redirect${headers.location !== undefined ? ` to ${headers.location}` : ''} not followed`
    : `HTTP ${status}`
  return { ok: false, status, error, ...(retryAfter !== undefined ? { retryAfter } : {}) }
}

export function sendOnce(r: SendRequest): Promise<SendResult> {
  const url = new URL(r.url)
  const literal = checkLiteralHost(url.hostname, r.allow)
  if (literal !== null && !literal.ok) return Promise.resolve({ ok: false, refused: true, error: destinationError(url.hostname, literal.reason).message })
  const mod = url.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    let done = false
    let status: number | null = null
    let resHeaders: http.IncomingHttpHeaders = {}
    const finish = (res: SendResult): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(res)
    }
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) },
        lookup: r.lookup,
        ...(r.agent !== undefined ? { agent: r.agent } : {}),
      },
      (res) => {
        // A client-side response always has a status code.
        const code = res.statusCode as number
        status = code
        resHeaders = res.headers
        let read = 0
        const settle = (): void => finish(classify(code, resHeaders))
        res.on('data', (chunk: Buffer) => {
          read += chunk.length
          if (read > MAX_RESPONSE_BYTES) {
            res.destroy()
            settle()
          }
        })
        res.on('end', settle)
        res.on('close', settle)
        res.on('error', settle)
      },
    )
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The status line decides once it arrived (a 2xx whose body stalls was still accepted).
      if (status !== null) return finish(classify(status, resHeaders))
      finish({ ok: false, error: err.message, ...(err.code === 'HEXP_ERR_WEBHOOK_DESTINATION' ? { refused: true } : {}) })
    })
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${r.timeoutMs} ms`)), r.timeoutMs)
    req.end(r.body)
  })
}
