// The cluster log's records: every kind survives encode/decode unchanged, what cannot be applied is
// refused with a reason (never thrown), and the dedup ids are stable for the same input and differ
// for different ones (a re-sent fix or tick is stored once; two different fixes never collide).
import t from 'tap'
import { commandRecordId, hotspotsRecordId, decodeRecord, encodeRecord, fixRecordId, sosRecordId, tickRecordId, type ClusterRecord } from '../../src/cluster/records.js'
import { fix, BASE, T0 } from '../rules/helpers.js'

const enc = new TextEncoder()
const raw = (s: string) => decodeRecord(enc.encode(s))

t.test('every kind round trips unchanged', async (t) => {
  const records: ClusterRecord[] = [
    { k: 'f', fix: fix('P-017', T0, BASE, { receivedAt: T0 + 300, speed: 12.5, seq: 7 }), format: 'native', transport: 'mqtt' },
    { k: 's', unitId: 'P-017', at: T0, via: 'jt808', position: { lat: BASE.lat, lon: BASE.lon, ts: T0, accuracy: null, h3: '89283082803ffff' }, now: T0 + 5 },
    { k: 's', unitId: 'O-003', at: T0, via: 'osmand', position: null, now: T0 + 5 },
    { k: 't', now: T0 + 5000 },
    { k: 'ack', alertId: 'a-1', by: 'ops:li', now: T0 + 6000, request: 'req-1' },
    { k: 'resolve_sos', alertId: 'a-2', by: 'ops:li', note: 'false alarm', now: T0 + 7000, request: 'req-2' },
    { k: 'inc', cmd: { op: 'create', incidents: [{ id: 'I-1', type: 'robbery', priority: 2, ts: T0, lat: BASE.lat, lon: BASE.lon, address: '', description: '', zone: 'grid-2' }], source: 'api', search: true, by: 'ops:li' }, now: T0 + 8000, request: 'req-3' },
    { k: 'inc', cmd: { op: 'level', zoneId: 'grid-2', level: 'high', reason: 'festival', by: 'ops:li', expiresAt: null }, now: T0 + 8000, request: 'req-4' },
    { k: 'inc', cmd: { op: 'plan_on', planId: 'gate', by: 'ops:li', incidentId: null, centre: { lat: 1, lon: 2 } }, now: T0 + 8000, request: 'req-5' },
    { k: 'inc', cmd: { op: 'plan_off', planId: 'gate', by: 'ops:li' }, now: T0 + 8000, request: 'req-6' },
    { k: 'inc', cmd: { op: 'suggestion_accept', id: 'patrol_level.suggested.grid-2.1', by: 'ops:li', expiresAt: T0 + 60_000 }, now: T0 + 8000, request: 'req-7' },
    { k: 'inc', cmd: { op: 'suggestion_dismiss', id: 'patrol_level.suggested.grid-2.2', by: 'ops:li', reason: null }, now: T0 + 8000, request: 'req-8' },
    { k: 'inc', cmd: { op: 'plan_on', planId: 'ring', by: 'ops:li', incidentId: 'I-1', centre: { lat: 1, lon: 2 }, picked: [[], ['P-017']] }, now: T0 + 8000, request: 'req-7' },
    { k: 'inc', cmd: { op: 'plan_define', mode: 'create', spec: { id: 'ring', name: 'Ring', positions: 'scene', dwellMs: 30_000, checkpoints: [{ name: 'N', northM: 100, eastM: 0, units: [], nearest: 1, arriveWithinMs: 300_000, radiusM: 100 }] }, source: { id: 'ring', checkpoints: [{ name: 'N', north_m: 100, nearest: 1 }] }, by: 'ops:li' }, now: T0 + 8000, request: 'req-8' },
    { k: 'inc', cmd: { op: 'plan_delete', planId: 'ring', by: 'ops:li' }, now: T0 + 8000, request: 'req-9' },
    { k: 'hot', zones: [['grid-2', [{ cell: '8f2830828052d25', score: 3.5, count: 2, zoneId: 'grid-2', zoneCell: '89283082803ffff' }]]], at: T0, now: T0 + 9000 },
    { k: 'pt', op: 'accept', id: 'makeup:grid-2:c1', now: T0 + 10_000, request: 'req-10' },
    { k: 'pt', op: 'accept', id: 'makeup:grid-2:c1', unitId: 'P-017', now: T0 + 10_000, request: 'req-11' },
    { k: 'pt', op: 'dismiss', id: 'makeup:grid-2:c2', now: T0 + 10_000, request: 'req-12' },
    { k: 'pt', op: 'cancel', id: 'makeup:grid-2:c1:P-017:1', now: T0 + 10_000, request: 'req-13' },
  ]
  for (const r of records) t.same(decodeRecord(encodeRecord(r)), r, r.k)
  t.equal(new TextDecoder().decode(encodeRecord({ k: 't', now: 5 })), '{"k":"t","now":5}', 'golden: plain JSON, readable with the nats CLI')
})

t.test('refusals say why, and never throw', async (t) => {
  t.equal(raw('{"k":"t","now":'), 'not JSON')
  t.equal(decodeRecord(Uint8Array.of(0xff, 0xfe)), 'not JSON')
  t.equal(raw('null'), 'not an object')
  t.equal(raw('42'), 'not an object')
  t.equal(raw('"t"'), 'not an object')
  t.match(raw('{"k":"x9","now":1}'), /^unknown record kind "x9" \(written by a newer engine\? run one version across the cluster\)$/)
  t.match(raw('{"now":1}'), /^unknown record kind undefined/, 'no kind at all')
  t.match(raw(`{"k":"${'y'.repeat(50)}"}`), /^unknown record kind "y{19} /, 'a long kind is cut short in the message')
  t.equal(raw('{"k":"inc","cmd":{"op":"level"}}'), 'an incidents command without now/request')
  t.equal(raw('{"k":"inc","now":1,"request":"r","cmd":{"op":"level","zoneId":"z"}}'), 'an incidents command that cannot be applied: a level change without zoneId/level/reason/by/expiresAt')
  t.equal(raw('{"k":"inc","now":1,"request":"r","cmd":{"op":"suggestion_accept","id":"s","by":"b"}}'), 'an incidents command that cannot be applied: a suggestion acceptance without id/by/expiresAt')
  t.equal(raw('{"k":"inc","now":1,"request":"r","cmd":{"op":"suggestion_dismiss","id":"s","by":"b","reason":3}}'), 'an incidents command that cannot be applied: a suggestion dismissal without id/by/reason')
  t.equal(raw('{"k":"inc","now":1,"request":"r","cmd":{"op":"plan_define","mode":"create","spec":{"id":"p"},"source":{},"by":"x"}}'), 'an incidents command that cannot be applied: a plan definition without mode/spec/source/by')
  t.equal(raw('{"k":"inc","now":1,"request":"r","cmd":{"op":"plan_on","planId":"p","by":"x","incidentId":null,"centre":null,"picked":[[1]]}}'), 'an incidents command that cannot be applied: a plan activation without planId/by/incidentId/centre')
  t.equal(raw('{"k":"inc","now":1,"request":"r","cmd":{"op":"plan_delete"}}'), 'an incidents command that cannot be applied: a plan deletion without planId/by')
  t.equal(raw('{"k":"inc","now":1,"request":"r","cmd":{"op":"drop_table"}}'), 'an incidents command that cannot be applied: unknown incident command "drop_table"')
  t.equal(raw('{"k":"inc","now":1,"request":"r","cmd":{"op":"create","incidents":[{"id":"x"}],"source":"api","search":true,"by":"b"}}'), 'an incidents command that cannot be applied: a create without valid incidents/source/search/by')
  t.equal(raw('{"k":"hot","zones":[],"now":1}'), 'a hotspots record without at/now')
  t.equal(raw('{"k":"hot","zones":[["z",[{"cell":"c"}]]],"at":1,"now":1}'), 'a hotspots record that cannot be applied: a hotspot without cell/score/count/zoneId/zoneCell')
  t.equal(raw('{"k":"hot","zones":{},"at":1,"now":1}'), 'a hotspots record that cannot be applied: hotspots not a list')
  for (const bad of ['{"k":"pt","op":"delete","id":"x","now":1,"request":"r"}', '{"k":"pt","op":"accept","now":1,"request":"r"}', '{"k":"pt","op":"accept","id":"x","unitId":7,"now":1,"request":"r"}', '{"k":"pt","op":"cancel","id":"x","now":1}']) {
    t.equal(raw(bad), 'a make-up patrol command without op/id/now/request', bad)
  }
  t.equal(raw('{"k":"t"}'), 'a tick without now')
  t.equal(raw('{"k":"t","now":"5"}'), 'a tick without now')
  t.equal(raw('{"k":"f"}'), 'a fix record without a valid fix')
  t.equal(raw('{"k":"f","fix":null}'), 'a fix record without a valid fix')
  t.equal(raw('{"k":"f","fix":"x"}'), 'a fix record without a valid fix')
  const good = fix('P-017', T0, BASE) as unknown as Record<string, unknown>
  for (const field of ['unitId', 'ts', 'receivedAt', 'lat', 'lon', 'h3']) {
    const f = { ...good }
    delete f[field]
    t.equal(raw(JSON.stringify({ k: 'f', fix: f })), 'a fix record without a valid fix', `fix without ${field}`)
  }
  t.equal(raw('{"k":"s","at":1,"now":1}'), 'an SOS record without unitId/at/now')
  t.equal(raw('{"k":"s","unitId":"u","now":1}'), 'an SOS record without unitId/at/now')
  t.equal(raw('{"k":"s","unitId":"u","at":1}'), 'an SOS record without unitId/at/now')
  const cmd = { alertId: 'a', by: 'b', now: 1, request: 'r' }
  for (const k of ['ack', 'resolve_sos']) {
    for (const field of Object.keys(cmd)) {
      const c: Record<string, unknown> = { k, ...cmd, note: '' }
      delete c[field]
      t.equal(raw(JSON.stringify(c)), `a ${k} command without alertId/by/now/request`, `${k} without ${field}`)
    }
    t.equal(raw(JSON.stringify({ k, ...cmd, now: 'soon' })), `a ${k} command without alertId/by/now/request`, `${k} with a string now`)
  }
})

t.test('dedup ids: stable for the same input, different for different inputs', async (t) => {
  const a = fix('P-017', T0, BASE)
  t.equal(fixRecordId(a), `f:P-017:${T0}:${BASE.lat}:${BASE.lon}`, 'golden')
  t.equal(fixRecordId(fix('P-017', T0, BASE, { receivedAt: T0 + 999, topic: 'http:osmand', source: 'osmand' })), fixRecordId(a), 'the same fix re-sent later, by another transport: same id')
  t.not(fixRecordId({ ...a, ts: T0 + 1 }), fixRecordId(a), 'another time')
  t.not(fixRecordId({ ...a, lat: a.lat + 1e-7 }), fixRecordId(a), 'another latitude')
  t.not(fixRecordId({ ...a, lon: a.lon + 1e-7 }), fixRecordId(a), 'another longitude')
  t.not(fixRecordId({ ...a, unitId: 'P-020' }), fixRecordId(a), 'another unit')
  t.equal(sosRecordId('P-017', T0, 'jt808'), `s:P-017:${T0}:jt808`)
  t.equal(sosRecordId('P-017', T0, 'jt808'), sosRecordId('P-017', T0, 'jt808'))
  t.not(sosRecordId('P-017', T0, 'jt808'), sosRecordId('P-017', T0, 'osmand'))
  t.not(sosRecordId('P-017', T0, 'jt808'), sosRecordId('P-017', T0 + 1, 'jt808'))
  t.equal(tickRecordId(T0), `t:${T0}`)
  t.not(tickRecordId(T0), tickRecordId(T0 + 5000))
  t.equal(commandRecordId('req-1'), 'c:req-1')
  t.not(commandRecordId('req-1'), commandRecordId('req-2'))
  t.equal(hotspotsRecordId(T0), `h:${T0}`, 'one hotspots record per recomputation instant')
  const kinds = new Set([fixRecordId(a), sosRecordId('P-017', T0, 'native'), tickRecordId(T0), commandRecordId(String(T0)), hotspotsRecordId(T0)])
  t.equal(kinds.size, 5, 'the kinds never share an id (prefixed)')
})
