// A JT/T 808 connection without TCP: a simulated terminal's frames in, the gateway's answers out.
// Answers to locations wait for the journal; nothing is taken from an unauthenticated connection
// or as another terminal; failed authentications back off; bounds hold.
import t from 'tap'
import { AuthThrottle } from '../../../src/ingest/auth-throttle.js'
import { Session, type Emergency, type Refusal, type SessionDeps } from '../../../src/ingest/jt808/session.js'
import { compileTerminals } from '../../../src/ingest/jt808/terminals.js'
import { validateConfig } from '../../../src/config/load.js'
import type { DecodeResult } from '../../../src/decode/fix.js'
import { encodeFrame } from '../../../src/decode/jt808/frame.js'
import { encodeMessage, type Message } from '../../../src/decode/jt808/message.js'
import { MsgId, Result } from '../../../src/decode/jt808/bodies.js'
import { batchBody, generalAnswer, subPackageFrame, locationBody, readAnswers, Terminal } from '../../helpers/jt808-terminal.js'

const NOW = Date.UTC(2026, 11, 6, 2, 0, 0)
const config = validateConfig({ units: [{ id: 'car-1', jt808: '013800000001' }, { id: 'car-2', jt808: '13800000002', jt808_timezone: '+00:00' }] })

function setup(over: Partial<SessionDeps> = {}) {
  let clock = NOW
  const sent: Buffer[] = []
  const ingested: DecodeResult[] = []
  const refused: Refusal[] = []
  const frames: string[] = []
  const emergencies: Emergency[] = []
  const events: string[] = []
  let junk = 0
  let closed = 0
  const codes = new Map<string, string>()
  const claimed = new Map<string, number>()
  const d: SessionDeps = {
    terminals: compileTerminals(config),
    codes: { issue: (k) => { if (!codes.has(k)) codes.set(k, `code-${k}`); return codes.get(k)! }, check: (k, c) => codes.get(k) === c },
    throttle: new AuthThrottle({ freeFailures: 2, baseBackoffMs: 1000, maxBackoffMs: 60_000, forgetAfterMs: 600_000, maxAddresses: 100, now: () => clock }).forTransport('jt808'),
    ingest: (r) => { ingested.push(r); events.push('ingest') },
    emergency: (e) => { emergencies.push(e); events.push('emergency') },
    lim: { maxFutureSkewMs: 120_000, maxAgeMs: 7 * 86_400_000, h3Resolution: 9, rejectNullIsland: true },
    rejectPayloadBytes: 2048,
    maxBatchItems: 1000,
    maxFrameBytes: 2200,
    maxReassemblyBytes: 4096,
    now: () => clock,
    counters: { frame: (r) => frames.push(r), junk: (n) => { junk += n }, message: () => undefined, refused: (r) => refused.push(r) },
    claim: (k) => { const n = claimed.get(k) ?? 0; if (n >= 1) return false; claimed.set(k, n + 1); return true },
    release: (k) => { claimed.set(k, (claimed.get(k) ?? 1) - 1) },
    send: (f) => { sent.push(f); events.push('send') },
    backpressure: (on) => events.push(on ? 'pause' : 'resume'),
    close: () => { closed++ },
    ...over,
  }
  const s = new Session(d)
  const answers = (): Message[] => readAnswers(Buffer.concat(sent))
  return { s, d, sent, answers, ingested, refused, frames, emergencies, events, codes, claimed, get junk() { return junk }, get closed() { return closed }, tick: (ms: number) => { clock += ms } }
}

/** Registers and authenticates `term` on the session; returns the auth code. */
function login(x: ReturnType<typeof setup>, term: Terminal): string {
  x.s.push(term.register())
  const reg = x.answers().at(-1)!
  const code = reg.body.toString('latin1', 3)
  x.s.push(term.auth(code))
  return code
}

t.test('register → auth → heartbeat → location → batch → logout', async (t) => {
  const x = setup()
  const term = new Terminal('013800000001')
  x.s.push(term.register('粤B88888'))
  let a = x.answers()
  t.equal(a.length, 1)
  t.match(a[0]!.header, { msgId: MsgId.RegisterResponse, phone: '013800000001', serial: 0 })
  t.equal(a[0]!.body.readUInt16BE(0), 0, 'answers the registration serial')
  t.equal(a[0]!.body[2], 0, 'result ok')
  t.equal(a[0]!.body.toString('latin1', 3), 'code-13800000001')
  x.s.push(term.auth('code-13800000001'))
  t.same(generalAnswer(x.answers()[1]!), { serial: 1, msgId: MsgId.Authenticate, result: Result.Ok })
  t.equal(x.s.terminal, '13800000001')
  x.s.push(term.heartbeat())
  t.same(generalAnswer(x.answers()[2]!), { serial: 2, msgId: MsgId.Heartbeat, result: Result.Ok })
  x.s.push(term.location({ ts: NOW - 5000, lat: 22.5, lon: 114.05, speedKmh: 36, heading: 90, altitude: 12 }))
  t.equal(x.ingested.length, 1)
  t.match(x.ingested[0]!.fixes, [{ unitId: 'car-1', ts: NOW - 5000, lat: 22.5, lon: 114.05, speed: 10, heading: 90, altitude: 12, source: 'jt808', topic: 'jt808:13800000001' }])
  t.same(generalAnswer(x.answers()[3]!), { serial: 3, msgId: MsgId.Location, result: Result.Ok })
  x.s.push(term.batch([0, 1, 2].map((i) => ({ ts: NOW - 600_000 + i * 1000, lat: 22.5 + i / 1000, lon: 114 }))))
  t.equal(x.ingested[1]!.fixes.length, 3, 'the whole batch in one ingest')
  t.same(generalAnswer(x.answers()[4]!), { serial: 4, msgId: MsgId.LocationBatch, result: Result.Ok })
  x.s.push(term.logout())
  t.same(generalAnswer(x.answers()[5]!), { serial: 5, msgId: MsgId.Logout, result: Result.Ok })
  t.equal(x.closed, 1)
  a = x.answers()
  t.same(a.map((m) => m.header.serial), [0, 1, 2, 3, 4, 5], 'platform serials count up per connection')
  x.s.end()
  x.s.end()
  t.equal(x.claimed.get('13800000001'), 0, 'slot released once')
  t.same(x.refused, [])
  t.same(x.frames, ['ok', 'ok', 'ok', 'ok', 'ok', 'ok'])
})

t.test('a location is answered only once the journal has it; a failed append is not answered', async (t) => {
  let release!: () => void
  let fail = false
  const x = setup({
    ingest: (r) => {
      if (fail) throw new Error('journal failed')
      x.ingested.push(r)
      x.events.push('ingest')
      return new Promise<void>((res) => { release = res })
    },
  })
  const term = new Terminal('13800000001')
  login(x, term)
  const before = x.answers().length
  x.s.push(term.location({ ts: NOW - 1000, lat: 22.5, lon: 114, alarm: 1 }))
  x.s.push(term.heartbeat())
  t.equal(x.answers().length, before, 'nothing answered while the record waits')
  release()
  await new Promise((r) => setImmediate(r))
  const a = x.answers().slice(before)
  t.same(a.map((m) => generalAnswer(m).msgId), [MsgId.Location, MsgId.Heartbeat], 'answered in order once journaled')
  t.same(x.events.slice(-4), ['ingest', 'send', 'emergency', 'send'], 'the SOS is raised after the answer, after the journal')
  t.match(x.emergencies, [{ unitId: 'car-1', at: NOW - 1000, position: { lat: 22.5, lon: 114, ts: NOW - 1000 } }])
  fail = true
  const n = x.answers().length
  x.s.push(term.location({ ts: NOW - 500, lat: 22.5, lon: 114 }))
  x.s.push(term.heartbeat())
  t.same(x.answers().slice(n).map((m) => generalAnswer(m).msgId), [MsgId.Heartbeat], 'the failed one is not answered (the terminal re-sends it)')
  fail = false
  const rejecting = setup({ ingest: () => Promise.reject(new Error('append failed')) })
  login(rejecting, term)
  const m = rejecting.answers().length
  rejecting.s.push(term.location({ ts: NOW - 500, lat: 22.5, lon: 114 }))
  await new Promise((r) => setImmediate(r))
  rejecting.s.push(term.heartbeat())
  t.same(rejecting.answers().slice(m).map((x) => generalAnswer(x).msgId), [MsgId.Heartbeat])
})

t.test('an answer due after the connection ended is not sent', async (t) => {
  let release!: () => void
  const x = setup({ ingest: () => new Promise<void>((res) => { release = res }) })
  const term = new Terminal('13800000001')
  login(x, term)
  const n = x.sent.length
  x.s.push(term.location({ ts: NOW - 1000, lat: 22.5, lon: 114 }))
  x.s.end()
  release()
  await new Promise((r) => setImmediate(r))
  t.equal(x.sent.length, n)
})

t.test('many messages waiting for the journal pause reading, then resume', async (t) => {
  const waiting: Array<() => void> = []
  const x = setup({ ingest: () => new Promise<void>((res) => waiting.push(res)) })
  const term = new Terminal('13800000001')
  login(x, term)
  for (let i = 0; i < 70; i++) x.s.push(term.location({ ts: NOW - 100_000 + i, lat: 22.5, lon: 114 }))
  t.ok(x.events.includes('pause'))
  while (waiting.length > 0) {
    waiting.shift()!()
    await new Promise((r) => setImmediate(r))
  }
  t.equal(x.events.at(-1), 'resume')
  t.equal(x.answers().filter((m) => m.header.msgId === MsgId.PlatformResponse && generalAnswer(m).msgId === MsgId.Location).length, 70)
})

t.test('unauthenticated, unknown and impostor terminals are refused and nothing is ingested', async (t) => {
  const x = setup()
  const stranger = new Terminal('13999999999')
  x.s.push(stranger.location({ ts: NOW, lat: 22, lon: 114 }))
  t.same(generalAnswer(x.answers()[0]!), { serial: 0, msgId: MsgId.Location, result: Result.Failure })
  x.s.push(stranger.register())
  t.equal(x.answers()[1]!.body[2], 4, 'registration: no such terminal')
  x.s.push(stranger.auth('anything'))
  t.equal(generalAnswer(x.answers()[2]!).result, Result.Failure)
  x.s.push(stranger.heartbeat())
  t.same(x.ingested, [])
  t.same(x.refused, ['unauthenticated', 'unknown_terminal', 'auth_failed', 'unauthenticated'])

  const y = setup()
  login(y, new Terminal('13800000001'))
  y.s.push(new Terminal('13800000002').location({ ts: NOW, lat: 22, lon: 114 }))
  t.equal(generalAnswer(y.answers().at(-1)!).result, Result.Failure)
  t.same(y.refused, ['wrong_terminal'], 'a terminal reports only as itself')
  t.same(y.ingested, [])
})

t.test('failed authentications back off per terminal', async (t) => {
  const x = setup()
  const term = new Terminal('13800000001')
  x.s.push(term.register())
  for (let i = 0; i < 3; i++) x.s.push(term.auth('wrong'))
  x.s.push(term.auth('code-13800000001'))
  t.same(x.refused, ['auth_failed', 'auth_failed', 'auth_failed', 'throttled'], 'the right code is refused during the back-off')
  x.tick(1500)
  x.s.push(term.auth('code-13800000001'))
  t.equal(generalAnswer(x.answers().at(-1)!).result, Result.Ok)
  t.equal(x.s.terminal, '13800000001')
})

t.test('a second connection of a terminal at its limit is refused and closed; re-auth keeps the slot', async (t) => {
  const x = setup()
  const term = new Terminal('13800000001')
  login(x, term)
  const code = x.codes.get('13800000001')!
  x.s.push(term.auth(code))
  t.equal(x.claimed.get('13800000001'), 1, 'same terminal again: no second slot')
  login(x, new Terminal('13800000002'))
  t.equal(x.claimed.get('13800000001'), 0, 'switching terminal releases the first slot')
  t.equal(x.s.terminal, '13800000002')
  const y = setup({ claim: () => false })
  login(y, term)
  t.same(y.refused, ['terminal_limit'])
  t.equal(y.closed, 1)
  t.equal(y.s.terminal, null)
})

t.test('the terminal zone: per-unit override; 2019 headers answered in kind', async (t) => {
  const x = setup()
  const t2 = new Terminal('00000000013800000002', true)
  x.s.push(t2.register())
  const reg = x.answers()[0]!
  t.match(reg.header, { v2019: true, phone: '00000000013800000002', protocolVersion: 1 })
  x.s.push(t2.auth(reg.body.toString('latin1', 3)))
  t.equal(generalAnswer(x.answers()[1]!).result, Result.Ok)
  x.s.push(t2.location({ ts: NOW - 60_000, lat: 51.5, lon: -0.12, offsetMinutes: 0 }))
  t.match(x.ingested[0]!.fixes, [{ unitId: 'car-2', ts: NOW - 60_000, lat: 51.5, lon: -0.12 }], 'unit car-2 reports UTC times')
})

t.test('what the gateway does not take: encrypted, unsupported, bad bodies, rejects', async (t) => {
  const x = setup()
  const term = new Terminal('13800000001')
  login(x, term)
  const n = x.answers().length
  const enc = encodeMessage(MsgId.Location, '13800000001', 9, locationBody({ ts: NOW, lat: 1, lon: 1 }), false)
  enc.writeUInt16BE(enc.readUInt16BE(2) | 0x0400, 2)
  x.s.push(encodeFrame(enc))
  x.s.push(term.frame(0x0201, Buffer.alloc(4)))
  x.s.push(term.frame(MsgId.GeneralResponse, Buffer.alloc(5)))
  x.s.push(term.frame(MsgId.LocationBatch, Buffer.from('0005010010', 'hex')))
  x.s.push(term.frame(MsgId.Register, Buffer.alloc(10)))
  const a = x.answers().slice(n)
  t.same(a.slice(0, 3).map(generalAnswer).map((g) => [g.msgId, g.result]), [[MsgId.Location, Result.NotSupported], [0x0201, Result.NotSupported], [MsgId.LocationBatch, Result.BadMessage]])
  t.equal(a[3]!.header.msgId, MsgId.RegisterResponse)
  t.equal(a[3]!.body[2], 4)
  t.same(x.refused, ['encrypted', 'bad_body', 'bad_body'])
  const m = x.answers().length
  x.s.push(term.location({ ts: NOW, lat: 22, lon: 114, status: 0, alarm: 1 }))
  t.same(x.ingested.at(-1)!.rejects.map((r) => r.reason), ['invalid_fix'], 'unpositioned: stored as a reject, never as a position')
  t.equal(generalAnswer(x.answers()[m]!).result, Result.Ok, 'answered: the reject is journaled, the terminal must not re-send it')
  t.match(x.emergencies.at(-1), { unitId: 'car-1', at: NOW, position: null }, 'an SOS without a GNSS fix is still an SOS')
  const noSos = setup({ emergency: undefined })
  login(noSos, term)
  noSos.s.push(term.location({ ts: NOW, lat: 22, lon: 114, alarm: 1 }))
  t.equal(noSos.ingested.length, 1)
})

t.test('a registration whose code cannot be stored is not answered', async (t) => {
  const x = setup({ codes: { issue: () => { throw new Error('disk full') }, check: () => false } })
  x.s.push(new Terminal('13800000001').register())
  t.same(x.answers(), [])
  t.same(x.refused, ['register_failed'])
})

t.test('sub-packages: reassembled, answered once the whole message is journaled; bounded', async (t) => {
  const x = setup()
  const term = new Terminal('13800000001')
  login(x, term)
  const n = x.answers().length
  const body = batchBody([0, 1, 2, 3].map((i) => locationBody({ ts: NOW - 100_000 + i * 1000, lat: 22.5, lon: 114 + i / 1000 })))
  const cut = [body.subarray(0, 50), body.subarray(50, 100), body.subarray(100)]
  x.s.push(subPackageFrame('13800000001', MsgId.LocationBatch, 20, 3, 3, cut[2]!))
  x.s.push(subPackageFrame('13800000001', MsgId.LocationBatch, 18, 3, 1, cut[0]!))
  t.equal(x.s.buffered > 0, true, 'held while incomplete')
  t.equal(x.answers().length, n, 'nothing answered before the whole message')
  x.s.push(subPackageFrame('13800000001', MsgId.LocationBatch, 19, 3, 2, cut[1]!))
  t.equal(x.ingested.at(-1)!.fixes.length, 4)
  t.same(x.answers().slice(n).map((m) => generalAnswer(m).serial), [18, 19, 20], 'every part answered')
  t.equal(x.s.buffered, 0)

  const y = setup({ maxReassemblyBytes: 1024 })
  login(y, term)
  y.s.push(subPackageFrame('13800000001', MsgId.LocationBatch, 1, 999, 1, Buffer.alloc(10)))
  for (let i = 1; i <= 3; i++) y.s.push(subPackageFrame('13800000001', MsgId.LocationBatch, 1 + i, 10, i, Buffer.alloc(400)))
  for (let id = 0x0900; id < 0x0906; id++) y.s.push(subPackageFrame('13800000001', id, 9, 2, 1, Buffer.alloc(1)))
  t.ok(y.s.buffered <= 1024, `held ${y.s.buffered} bytes`)
  t.same(y.refused, ['sub_package', 'sub_package', 'sub_package', 'sub_package'], 'too many parts, too many bytes, too many unfinished messages')
  t.same(y.ingested, [])
})

t.test('broken frames are counted and dropped; the connection goes on', async (t) => {
  const x = setup({ maxFrameBytes: 100 })
  const term = new Terminal('13800000001')
  const good = term.register()
  // The check code flipped (a byte that needs no escape either way).
  const bad = Buffer.from(good)
  bad[bad.length - 2] = bad[bad.length - 2]! ^ 0x01
  x.s.push(Buffer.concat([Buffer.from('garbage'), bad, Buffer.from([0x7e, 0x7d, 0x07, 0x7e]), Buffer.from([0x7e, ...Buffer.alloc(300, 1), 0x7e]), good]))
  t.equal(x.junk, 7)
  t.same(x.frames.slice(0, 4), ['bad_check', 'bad_escape', 'too_large', 'ok'])
  t.equal(x.answers().length, 1, 'the good frame after the bad ones is answered')
})
