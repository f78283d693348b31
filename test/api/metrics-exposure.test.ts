// Issue 19 item 11: /metrics (live coverage per zone, unit counts) is public only on loopback. A
// non-loopback http.host without a metrics token stops start-up with HEXP_ERR_CONFIG naming
// http.metrics_token_env (exit code 2 from the CLI, nothing opened); with a token, a scrape needs it.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, validateConfig } from '../../src/config/load.js'
import type { HexpatrolError } from '../../src/errors.js'
import { rig, testConfig } from './helpers.js'
import { tempDir } from '../helpers/harness.js'

const refusal = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
  try {
    validateConfig(raw, undefined, env)
  } catch (e) {
    return { code: (e as HexpatrolError).code, message: (e as Error).message }
  }
  return null
}

t.test('a non-loopback http.host without a metrics token is refused, naming the key', async (t) => {
  for (const host of ['0.0.0.0', '::', '192.168.1.20', 'hexpatrol.example.org', '127.lan']) {
    const r = refusal({ http: { host } })
    t.equal(r?.code, 'HEXP_ERR_CONFIG', `${host} refused`)
    t.match(r?.message, new RegExp(`^http\\.metrics_token_env: unset while http\\.host is ${host.replace(/\./g, '\\.')} \\(not loopback\\)`))
  }
  for (const host of ['127.0.0.1', '127.0.0.53', '::1', '[::1]', 'localhost']) t.equal(refusal({ http: { host } }), null, `${host} is loopback: /metrics may stay public`)
  t.equal(refusal({ http: { host: '0.0.0.0', metrics_token: 'scrape-token-0123456789' } }), null, 'an inline token')
  t.equal(refusal({ http: { host: '0.0.0.0', metrics_token_env: 'M' } }, { M: 'scrape-token-0123456789' }), null, 'a token from the environment')
})

t.test('loadConfig: HEXPATROL_HTTP_HOST=0.0.0.0 (the Docker image) needs HEXPATROL_METRICS_TOKEN', async (t) => {
  const path = join(tempDir('hexp-metrics-'), 'c.json')
  writeFileSync(path, JSON.stringify({}))
  t.throws(() => loadConfig({ path, env: { HEXPATROL_HTTP_HOST: '0.0.0.0' } }), { code: 'HEXP_ERR_CONFIG', message: /^http\.metrics_token_env: / })
  const { config } = loadConfig({ path, env: { HEXPATROL_HTTP_HOST: '0.0.0.0', HEXPATROL_METRICS_TOKEN: 'scrape-token-0123456789' } })
  t.equal(config.http.metrics_token, 'scrape-token-0123456789')
  const short = (() => {
    try {
      loadConfig({ path, env: { HEXPATROL_HTTP_HOST: '0.0.0.0', HEXPATROL_METRICS_TOKEN: 'short-value' } })
    } catch (e) {
      return (e as Error).message
    }
    return ''
  })()
  t.match(short, /http\.metrics_token: Expected string length greater or equal to 16/)
  t.notMatch(short, 'short-value', 'the error names the key, never the secret')
  t.notMatch(refusal({ http: { session_secret: 'short-session-value' } })?.message, 'short-session-value', 'nor the session secret')
})

t.test('with the token from HEXPATROL_METRICS_TOKEN, a scrape needs it', async (t) => {
  const x = await rig({ config: testConfig({ http: { host: '0.0.0.0', metrics_token: 'scrape-token-0123456789' } }) })
  t.teardown(() => x.app.close())
  t.equal((await x.app.inject('/metrics')).statusCode, 401)
  t.equal((await x.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-token-0123456789' } })).statusCode, 200)
})
