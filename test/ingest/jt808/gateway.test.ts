// The gateway's parts that need no engine: the terminal directory compiled from the config,
// the auth-code file (0600, atomic, kept across restarts), and the TCP listener's limits
// (connections, idle timeout, a busy port) with its aggregated refusal log.
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { validateConfig, loadConfig } from '../../../src/config/load.js'
import { HexpatrolError } from '../../../src/errors.js'
import { compileTerminals, parseOffset } from '../../../src/ingest/jt808/terminals.js'
import { bootConfig } from '../../../src/boot.js'
import { AuthCodes } from '../../../src/ingest/jt808/auth-codes.js'
import { Jt808Gateway } from '../../../src/ingest/jt808/gateway.js'
import { AuthThrottle, throttleOptions } from '../../../src/ingest/auth-throttle.js'
import { createMetrics } from '../../../src/telemetry/metrics.js'
import { captureLogger, waitFor } from '../../helpers/harness.js'
import { generalAnswer, TerminalConnection, Terminal } from '../../helpers/jt808-terminal.js'
import { Result } from '../../../src/decode/jt808/bodies.js'

const dir = () => mkdtempSync(join(tmpdir(), 'hexp-jt808-'))

t.test('terminals from the config: phone numbers, zones, auto-registration; bad config stops start-up', async (t) => {
  const c = validateConfig({ units: [{ id: 'a', jt808: '013800000001' }, { id: 'b', jt808: '2', jt808_timezone: '-05:30' }, { id: 'c' }] })
  const dirT = compileTerminals(c)
  t.same(dirT.find('13800000001'), { unitId: 'a', offsetMinutes: 480 })
  t.same(dirT.find('000000000002'), { unitId: 'b', offsetMinutes: -330 })
  t.equal(dirT.find('3'), null)
  t.equal(dirT.configured('00000013800000001'), true)
  t.equal(dirT.configured('3'), false)
  const auto = compileTerminals(validateConfig({ jt808: { auto_register: true, timezone: '+00:00' } }))
  t.same(auto.find('0099'), { unitId: 'jt808-99', offsetMinutes: 0 })
  t.throws(() => parseOffset('+15:00', 'k'), /k: "\+15:00" is not a UTC offset/)
  t.throws(() => parseOffset('+10:60', 'k'))
  t.throws(() => parseOffset('+14:30', 'k'))
  t.equal(parseOffset('-14:00', 'k'), -840)
  const err = (raw: Record<string, unknown>) => {
    try {
      bootConfig(raw)
    } catch (e) {
      return e instanceof HexpatrolError ? `${e.code}: ${e.message}` : String(e)
    }
    return 'no error'
  }
  t.match(err({ units: [{ id: 'a', jt808: '13800000001' }, { id: 'b', jt808: '013800000001' }] }), /HEXP_ERR_CONFIG: units.1.jt808: phone number 013800000001 is also unit a's/)
  t.match(err({ units: [{ id: 'a', jt808_timezone: '+01:00' }] }), /units.0.jt808_timezone: unit a has no jt808 phone number/)
  t.match(err({ units: [{ id: 'a', jt808: '12ab' }] }), /HEXP_ERR_CONFIG/)
  t.match(err({ jt808: { port: 1, colour: 'red' } }), /HEXP_ERR_CONFIG/, 'unknown keys are rejected')
  t.match(err({ jt808: { timezone: '+99:00' } }), /jt808.timezone/)
  const { config } = loadConfig({ env: { HEXPATROL_JT808_PORT: '7808', HEXPATROL_JT808_HOST: '0.0.0.0' }, path: undefined })
  t.same([config.jt808.port, config.jt808.host], [7808, '0.0.0.0'], 'the environment turns the gateway on')
})

t.test('auth codes: random per terminal, stored 0600, kept across restarts, compared exactly', async (t) => {
  const d = join(dir(), 'jt808')
  const a = new AuthCodes(d)
  const c1 = a.issue('138')
  t.match(c1, /^[0-9a-f]{24}$/)
  t.equal(a.issue('138'), c1, 'registering again gives the same code')
  t.not(a.issue('139'), c1)
  t.equal(statSync(join(d, 'auth-codes.json')).mode & 0o777, 0o600)
  t.equal(statSync(d).mode & 0o777, 0o700)
  const b = new AuthCodes(d)
  t.equal(b.check('138', c1), true, 'after a restart')
  t.equal(b.check('138', c1.slice(1)), false)
  t.equal(b.check('140', c1), false, 'never registered')
  writeFileSync(join(d, 'auth-codes.json'), JSON.stringify({ x: 'y', n: 5 }))
  t.equal(new AuthCodes(d).check('n', '5'), false, 'only strings are codes')
  // A directory where the temporary file goes: the write fails (even as root).
  mkdirSync(join(d, 'auth-codes.json.tmp'))
  const ro = new AuthCodes(d)
  t.throws(() => ro.issue('141'), 'a code that cannot be stored is not given out')
  t.equal(ro.check('141', ''), false)
  t.equal(ro.issue('x'), 'y', 'codes already stored are still given out')
  t.same(Object.keys(JSON.parse(readFileSync(join(d, 'auth-codes.json'), 'utf8')) as object), ['x', 'n'])
})

async function gateway(t: { teardown(fn: () => unknown): void }, raw: Record<string, unknown>, ingest: () => void | Promise<void> = () => undefined) {
  const { logger, logs } = captureLogger('debug')
  const metrics = createMetrics({ defaults: false })
  const config = validateConfig({ jt808: { port: 0, ...raw }, units: [{ id: 'car-1', jt808: '13800000001' }] })
  // The engine's one credential throttle, as the engine builds it.
  const throttle = new AuthThrottle({ ...throttleOptions(config.broker.limits), metrics: { failures: metrics.authFailures, refused: metrics.authRefused } })
  const g = await Jt808Gateway.start({ config, terminals: compileTerminals(config), dataDir: dir(), ingest, emergency: () => undefined, metrics, logger, now: Date.now, throttle: throttle.forTransport('jt808') })
  t.teardown(() => g.close())
  return { g, logs, metrics, throttle }
}

t.test('connection limit, idle timeout, refused authentications counted by the shared throttle', async (t) => {
  // No timer races a step (a 300 ms idle timeout used to close the first connection before its
  // authentication or before the second connection arrived when the machine was loaded): the limit
  // and the failed authentication run where the idle timeout cannot pass meanwhile, the idle
  // timeout on a connection that does nothing else.
  const { g, metrics, throttle } = await gateway(t, { max_connections: 1, idle_timeout: '10m' })
  const a = await TerminalConnection.open(g.address.port)
  const term = new Terminal('13800000001')
  a.send(term.auth('wrong'))
  // Answered: the gateway holds `a`, so the next connection is over the limit.
  t.equal(generalAnswer(await a.answer(1)).result, Result.Failure)
  const b = await TerminalConnection.open(g.address.port)
  await waitFor(() => b.closed, 60_000, 10)
  t.ok(b.closed, 'over max_connections: closed at once')
  t.notOk(a.closed, 'a failed authentication alone does not close the connection')
  t.match(await metrics.registry.getSingleMetricAsString('hexpatrol_auth_failures_total'), /transport="jt808"} 1/, 'the wrong code is a failure of the shared credential throttle')
  t.equal(throttle.drain()?.failures, 1, 'and in its summary, which the engine logs with every transport\'s')
  const refused = await metrics.registry.getSingleMetricAsString('hexpatrol_jt808_refused_total')
  t.match(refused, /reason="connection_limit"} 1/)
  t.match(refused, /reason="auth_failed"} 1/)
  a.close()

  const idle = await gateway(t, { idle_timeout: '300ms' })
  const c = await TerminalConnection.open(idle.g.address.port)
  await waitFor(() => c.closed, 60_000, 20)
  t.ok(c.closed, 'idle: closed')
  t.match(await idle.metrics.registry.getSingleMetricAsString('hexpatrol_jt808_refused_total'), /reason="idle"} 1/)
})

t.test('two connections of one terminal within its limit; a third is refused', async (t) => {
  const { g, metrics } = await gateway(t, {})
  const term = new Terminal('13800000001')
  const a = await TerminalConnection.open(g.address.port)
  a.send(term.register())
  const code = (await a.answer(1)).body.toString('latin1', 3)
  a.send(term.auth(code))
  t.equal(generalAnswer(await a.answer(2)).result, Result.Ok)
  const b = await TerminalConnection.open(g.address.port)
  b.send(term.auth(code))
  t.equal(generalAnswer(await b.answer(1)).result, Result.Ok, 'a second connection (a terminal reconnecting before the old one timed out)')
  const c = await TerminalConnection.open(g.address.port)
  c.send(term.auth(code))
  t.equal(generalAnswer(await c.answer(1)).result, Result.Failure)
  await waitFor(() => c.closed, 60_000, 10)
  a.close()
  await waitFor(() => a.closed, 60_000, 10)
  // The gateway has seen the close (only `b` left), rather than a 50 ms pause a loaded machine can outrun.
  await waitFor(async () => /^hexpatrol_jt808_connections 1$/m.test(await metrics.registry.getSingleMetricAsString('hexpatrol_jt808_connections')), 60_000, 10)
  const d = await TerminalConnection.open(g.address.port)
  d.send(term.auth(code))
  t.equal(generalAnswer(await d.answer(1)).result, Result.Ok, 'a closed connection frees its slot')
  t.match(await metrics.registry.getSingleMetricAsString('hexpatrol_jt808_refused_total'), /reason="terminal_limit"} 1/)
  b.close()
  d.close()
})

t.test('message-id labels stay bounded', async (t) => {
  const { g, metrics } = await gateway(t, {})
  const term = new Terminal('13800000001')
  const c = await TerminalConnection.open(g.address.port)
  c.send(Buffer.concat(Array.from({ length: 70 }, (_, i) => term.frame(0x0a00 + i, Buffer.alloc(0)))))
  await c.answer(70)
  const text = await metrics.registry.getSingleMetricAsString('hexpatrol_jt808_messages_total')
  t.equal(text.split('\n').filter((l) => l.startsWith('hexpatrol_jt808_messages_total{')).length, 65, '64 ids and other')
  t.match(text, /msg_id="other"} 6/)
  c.close()
})

t.test('a busy port fails start-up; close drops live connections', async (t) => {
  const { g } = await gateway(t, {})
  const c = await TerminalConnection.open(g.address.port)
  const config = validateConfig({ jt808: { port: g.address.port } })
  const { logger } = captureLogger()
  const throttle = new AuthThrottle(throttleOptions(config.broker.limits)).forTransport('jt808')
  await t.rejects(Jt808Gateway.start({ config, terminals: compileTerminals(config), dataDir: dir(), ingest: () => undefined, emergency: () => undefined, metrics: createMetrics({ defaults: false }), logger, now: Date.now, throttle }), /EADDRINUSE/)
  await g.close()
  await waitFor(() => c.closed, 60_000, 10)
  t.ok(c.closed)
  t.same(g.address, { host: '', port: 0 }, 'no address once closed')
})

t.test('a connection whose reports wait for the journal stops being read, then catches up', async (t) => {
  const waiting: Array<() => void> = []
  const { g } = await gateway(t, {}, () => new Promise<void>((r) => waiting.push(r)))
  const term = new Terminal('13800000001')
  const c = await TerminalConnection.open(g.address.port)
  c.send(term.register())
  c.send(term.auth((await c.answer(1)).body.toString('latin1', 3)))
  await c.answer(2)
  const ts = Date.now() - 60_000
  c.send(Buffer.concat(Array.from({ length: 100 }, (_, i) => term.location({ ts: ts + i * 100, lat: 22.5, lon: 114 }))))
  await waitFor(() => waiting.length > 0, 60_000, 10)
  for (let n = 0; n < 100; n++) {
    await waitFor(() => waiting.length > 0, 60_000, 5)
    waiting.shift()!()
  }
  const last = await c.answer(102)
  t.equal(generalAnswer(last).serial, term.lastSerial, 'every report answered, in order')
  c.close()
})
