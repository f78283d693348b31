// Standard Webhooks signing: `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`,
// one per configured secret, so receivers keep verifying while a secret is rotated.
import { createHmac } from 'node:crypto'

const PREFIX = 'whsec_'

/**
 * The HMAC key of a secret: the base64-decoded part after `whsec_` (the Standard Webhooks form).
 * A secret without the prefix is used as its raw UTF-8 bytes (receivers verify it with
 * `new Webhook(secret, { format: 'raw' })`).
 */
export function secretKey(secret: string): Buffer {
  return secret.startsWith(PREFIX) ? Buffer.from(secret.slice(PREFIX.length), 'base64') : Buffer.from(secret, 'utf8')
}

/** `v1,<base64>` for one key. */
function signOne(key: Buffer, msgId: string, timestampSec: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${msgId}.${timestampSec}.${body}`).digest('base64')}`
}

/** Signs with keys decoded once (the dispatcher keeps one per subscription). */
export class Signer {
  private readonly keys: Buffer[]
  constructor(secrets: readonly string[]) {
    this.keys = secrets.map(secretKey)
  }
  get empty(): boolean {
    return this.keys.length === 0
  }
  /** The `webhook-signature` value: one `v1,` signature per secret, space-separated. */
  sign(msgId: string, timestampSec: number, body: string): string {
    return this.keys.map((k) => signOne(k, msgId, timestampSec, body)).join(' ')
  }
}

/**
 * Every header of one attempt. With no secret configured the signature header is left out
 * (chat robots ignore it anyway); the dispatcher warns about standard-format subscriptions without one.
 */
export function webhookHeaders(
  signer: Signer | readonly string[],
  msgId: string,
  timestampSec: number,
  body: string,
  version: string,
): Record<string, string> {
  const s = signer instanceof Signer ? signer : new Signer(signer)
  const headers: Record<string, string> = {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSec),
    'content-type': 'application/json',
    'user-agent': `hexpatrol/${version}`,
  }
  if (!s.empty) headers['webhook-signature'] = s.sign(msgId, timestampSec, body)
  return headers
}
