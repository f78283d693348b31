// A webhook receiver on loopback that verifies every request with the `standardwebhooks` library
// (an independent implementation of the signature scheme) and counts what it accepted by
// webhook-id and by (type, subject), so a test can assert "every breach delivered exactly once"
// across engines: a redelivery by a new owner carries the same webhook-id and counts twice.
import { createServer, type Server } from 'node:http'
import { Webhook } from 'standardwebhooks'

export interface Received {
  id: string
  type: string
  /** The event's subject (`unit:P-017`, `zone:grid-2`): data.subject, else from data.unitId / data.zoneId, else ''. */
  subject: string
  body: Record<string, unknown>
  verified: boolean
  /** The status the receiver answered (only 2xx counts as delivered). */
  status: number
  at: number
}

export interface Receiver {
  url: string
  /** Every request, in arrival order (answered non-2xx ones too). */
  received: Received[]
  server: Server
  close(): Promise<void>
  /** Accepted (2xx) deliveries per webhook-id. */
  readonly byId: ReadonlyMap<string, number>
  /** Accepted (2xx) deliveries per `${type} ${subject}`. */
  readonly byTypeSubject: ReadonlyMap<string, number>
  /** Accepted deliveries of one type and subject. */
  count(type: string, subject: string): number
  /** Webhook-ids accepted more than once (a doubled delivery). */
  duplicates(): string[]
  /** Requests whose signature did not verify. */
  unverified(): Received[]
}

function subjectOf(body: Record<string, unknown>): string {
  const data = body.data as Record<string, unknown> | undefined
  if (typeof data?.subject === 'string') return data.subject
  if (typeof data?.unitId === 'string') return `unit:${data.unitId}`
  if (typeof data?.zoneId === 'string') return `zone:${data.zoneId}`
  return ''
}

/** `answer`: the status for each request (default 200), e.g. 503 to make the engine retry. */
export async function startReceiver(secret: string, answer: (req: { id: string; type: string }) => number = () => 200): Promise<Receiver> {
  const wh = new Webhook(secret.replace(/^whsec_/, ''))
  const received: Received[] = []
  const byId = new Map<string, number>()
  const byTypeSubject = new Map<string, number>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString()
      let verified = false
      try {
        wh.verify(raw, req.headers as Record<string, string>)
        verified = true
      } catch {
        verified = false
      }
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(raw) as Record<string, unknown>
      } catch { /* counted as received, unverified or not, with an empty body */ }
      const id = String(req.headers['webhook-id'])
      const type = String(body.type)
      const subject = subjectOf(body)
      const status = answer({ id, type })
      if (status >= 200 && status < 300 && verified) {
        byId.set(id, (byId.get(id) ?? 0) + 1)
        const key = `${type} ${subject}`
        byTypeSubject.set(key, (byTypeSubject.get(key) ?? 0) + 1)
      }
      received.push({ id, type, subject, body, verified, status, at: Date.now() })
      res.statusCode = status
      res.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const a = server.address()
  const port = typeof a === 'object' && a !== null ? a.port : 0
  return {
    url: `http://127.0.0.1:${port}/hooks/hexpatrol`,
    received,
    server,
    byId,
    byTypeSubject,
    close: () => new Promise((r) => {
      server.closeAllConnections()
      server.close(() => r())
    }),
    count: (type, subject) => byTypeSubject.get(`${type} ${subject}`) ?? 0,
    duplicates: () => [...byId].filter(([, n]) => n > 1).map(([id]) => id),
    unverified: () => received.filter((r) => !r.verified),
  }
}
