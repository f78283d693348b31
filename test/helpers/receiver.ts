// A webhook receiver on loopback that verifies every request with the `standardwebhooks` library
// (an independent implementation of the signature scheme).
import { createServer, type Server } from 'node:http'
import { Webhook } from 'standardwebhooks'

export interface Received { id: string; type: string; body: Record<string, unknown>; verified: boolean; at: number }

export async function startReceiver(secret: string, answer: () => number = () => 200): Promise<{ url: string; received: Received[]; close(): Promise<void>; server: Server }> {
  const wh = new Webhook(secret.replace(/^whsec_/, ''))
  const received: Received[] = []
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
      const body = JSON.parse(raw) as Record<string, unknown>
      received.push({ id: String(req.headers['webhook-id']), type: String(body.type), body, verified, at: Date.now() })
      res.statusCode = answer()
      res.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const a = server.address()
  const port = typeof a === 'object' && a !== null ? a.port : 0
  return { url: `http://127.0.0.1:${port}/hooks/hexpatrol`, received, server, close: () => new Promise((r) => server.close(() => r())) }
}
