// When demo mode refuses to start: simulated positions, alerts and incidents must never reach a
// production system. The demo runs only on a single engine with the embedded broker and the
// embedded ClickHouse, every listener on loopback, no webhooks, and never with NODE_ENV=production
// (the Docker image sets it). Checked on the overlaid, validated configuration before anything
// starts; the message says what to change.
import type { ResolvedConfig } from '../config/resolve.js'
import { exposedDeviceListener } from '../config/example-logins.js'
import { isLoopbackHost } from '../net/addresses.js'

type Checked = Pick<ResolvedConfig, 'mqtt' | 'broker' | 'http' | 'http_ingest' | 'clickhouse' | 'cluster' | 'webhooks' | 'units'>

/** Why demo mode may not run with this configuration and environment, or null when it may. */
export function demoRefusal(config: Checked, env: NodeJS.ProcessEnv): string | null {
  if (env.NODE_ENV === 'production') return 'NODE_ENV is production: demo mode publishes simulated positions and never runs in production. Run it from a checkout (npm run demo) with the sample configuration.'
  if (config.mqtt.url !== undefined) return 'mqtt.url is set: demo mode drives the embedded broker only, never an external one where real devices report.'
  if (config.clickhouse.url !== undefined) return 'clickhouse.url is set: demo mode stores its simulated positions in the embedded ClickHouse only, never a ClickHouse server.'
  if (config.cluster.url !== undefined) return 'cluster.url is set: demo mode runs one engine, never in a cluster.'
  if (config.webhooks.length > 0) return `webhooks lists ${config.webhooks.length} subscription(s): demo mode would send simulated alerts to them. Run the demo with a configuration without webhooks (the sample has none).`
  const exposed = exposedDeviceListener(config) ?? (isLoopbackHost(config.http.host) ? null : `http.host (${config.http.host})`)
  if (exposed !== null) return `${exposed} is not loopback: demo mode listens on this machine only.`
  if (config.units.length === 0) return 'units is empty: demo mode drives the configured units (the sample lists 38).'
  return null
}
