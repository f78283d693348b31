// Who could reach the embedded broker, checked once at boot from the config: anonymous devices only
// on a loopback address, never anonymous beside listed devices, never no way in at all. An external
// broker's exposure is its own configuration's business, so nothing is checked when mqtt.url is set.
import { HexpatrolError } from '../errors.js'
import { configError, type ResolvedConfig } from '../config/resolve.js'
import { isLoopbackHost } from '../net/addresses.js'
import { anonymousAllowed } from './broker-auth.js'

/** Throws HEXP_ERR_BROKER_EXPOSED (anonymous beyond loopback) or HEXP_ERR_CONFIG, naming the key. */
export function checkBrokerExposure(config: Pick<ResolvedConfig, 'mqtt' | 'broker'>): void {
  if (config.mqtt.url !== undefined) return
  const b = config.broker
  const anonymousOk = anonymousAllowed(b)
  if (b.allow_anonymous === true && b.users.length > 0) {
    throw configError(`broker.allow_anonymous: true while broker.users lists ${b.users.length} device(s): anyone could publish as those units without their password. Remove broker.allow_anonymous (anonymous is then off) or the users.`)
  }
  if (anonymousOk && !isLoopbackHost(b.host)) {
    throw new HexpatrolError(
      'HEXP_ERR_BROKER_EXPOSED',
      `broker.allow_anonymous: true while broker.host is ${b.host} (not loopback)${b.allow_anonymous === undefined ? ' (anonymous is on by default while broker.users is empty)' : ''}: devices could publish without credentials. Set broker.allow_anonymous: false and list devices under broker.users, or bind broker.host to 127.0.0.1.`,
    )
  }
  if (!anonymousOk && b.users.length === 0) throw configError('broker.users: empty while broker.allow_anonymous is false: no device could connect. Add broker.users entries.')
}
