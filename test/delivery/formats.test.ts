import t from 'tap'
import fs from 'node:fs'
import { createHmac } from 'node:crypto'
import Ajv2020 from 'ajv/dist/2020.js'
import { ALERT_KINDS, ALERT_STATES, type StaleCell } from '../../src/rules/alert-event.js'
import { renderDelivery, standardBody, standardBodyObject, dingtalkSignedUrl, facts, MAX_BODY_BYTES } from '../../src/delivery/formats.js'
import { makeEvent } from './fixtures/alerts.js'

const schema = JSON.parse(fs.readFileSync(new URL('../../docs/webhook-payload.schema.json', import.meta.url), 'utf8')) as object
const Ajv = Ajv2020.default
const ajv = new Ajv({ allErrors: true, strict: false })
// date-time format without ajv-formats: checked by round trip below.
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s)
const validate = ajv.compile(schema)

t.test('every kind × state renders a body valid against docs/webhook-payload.schema.json', async (t) => {
  for (const kind of ALERT_KINDS) {
    for (const state of ALERT_STATES) {
      const ev = makeEvent(kind, state)
      const { body, headers, urlOverride } = renderDelivery('standard', ev, { url: 'https://x.example/', now: 0 })
      t.equal(headers['content-type'], 'application/json')
      t.equal(urlOverride, undefined)
      const parsed = JSON.parse(body) as { type: string; timestamp: string; data: unknown }
      t.ok(validate(parsed), `${kind}.${state}: ${JSON.stringify(validate.errors)}`)
      t.equal(parsed.type, `${kind}.${state}`)
      t.equal(parsed.timestamp, new Date(ev.at).toISOString())
      t.same(parsed.data, ev)
    }
  }
  t.notOk(validate({ type: 'radius_breach.opened', timestamp: 'yesterday', data: makeEvent('radius_breach', 'opened') }), 'the schema rejects bad bodies')
  t.notOk(validate({ type: 'radius_breach.opened', timestamp: new Date().toISOString(), data: { ...makeEvent('radius_breach', 'opened'), postId: undefined } }))
})

t.test('huge stale-cell lists are cut to stay under 20 kB, with a count', async (t) => {
  const cells: StaleCell[] = Array.from({ length: 2000 }, (_, i) => ({ cell: '891fb466257ffff', lat: 48.85 + i / 1e5, lon: 2.29, lastVisit: i % 3 === 0 ? null : 1_700_000_000_000 + i, name: `cell ${i}` }))
  const ev = makeEvent('coverage_gap', 'opened', { staleCells: cells })
  const body = standardBody(ev)
  t.ok(Buffer.byteLength(body) <= MAX_BODY_BYTES, `${Buffer.byteLength(body)} bytes`)
  const data = (JSON.parse(body) as { data: { staleCells: StaleCell[]; staleCellsTruncated: number } }).data
  t.ok(data.staleCells.length > 50)
  t.equal(data.staleCells.length + data.staleCellsTruncated, 2000)
  t.same(data.staleCells[0], cells[0], 'the first (most important) cells are kept')
  t.ok(validate(JSON.parse(body)))
  // Big cells first: the average-size estimate overshoots and the cut shrinks until it fits.
  const uneven = [...cells.slice(0, 60).map((c) => ({ ...c, name: 'x'.repeat(400) })), ...cells.slice(60)]
  const unevenBody = standardBody(makeEvent('coverage_gap', 'opened', { staleCells: uneven }))
  t.ok(Buffer.byteLength(unevenBody) <= MAX_BODY_BYTES)
  // A tiny limit still terminates (down to zero cells).
  const tiny = standardBodyObject(ev, 100)
  t.same(tiny.data.staleCells, [])
  t.equal(tiny.data.staleCellsTruncated, 2000)
  t.notOk('staleCellsTruncated' in standardBodyObject(makeEvent('coverage_gap', 'opened')).data)
  t.notOk('staleCellsTruncated' in standardBodyObject(makeEvent('coverage_gap', 'opened', { staleCells: [] }), 10).data)
})

t.test('slack: readable text and blocks', async (t) => {
  const ev = makeEvent('radius_breach', 'opened', { summary: 'P-17 <left> & gone' })
  const { body } = renderDelivery('slack', ev, { url: 'https://hooks.slack.com/services/x', now: 0 })
  const m = JSON.parse(body) as { text: string; blocks: Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }>; elements?: Array<{ text: string }> }> }
  t.match(m.text, /^🚨 Radius breach opened: P-17 &lt;left&gt; &amp; gone$/)
  t.equal(m.blocks[0]?.type, 'header')
  t.equal(m.blocks[0]?.text?.text, '🚨 Radius breach opened')
  const fields = m.blocks[2]?.fields?.map((f) => f.text) ?? []
  t.ok(fields.includes('*Unit*\nPatrol 17 (P-017)'))
  t.ok(fields.includes('*Post*\nStation 3 (station-03)'))
  t.ok(fields.includes('*Distance*\n412 m (radius 300 m)'))
  t.ok(fields.some((f) => f.startsWith('*Position*\n48.85801, 2.29452 ±8 m at ')))
  t.match(m.blocks.at(-1)?.elements?.[0]?.text, /radius_breach\.opened · alert al-radius_breach-1 · .*<https:\/\/www\.openstreetmap\.org\/\?mlat=48\.85801&mlon=2\.29452.*\|map>/)
  const cov = JSON.parse(renderDelivery('slack', makeEvent('coverage_gap', 'resolved'), { url: 'u', now: 0 }).body) as { text: string; blocks: Array<{ text?: { text: string } }> }
  t.match(cov.text, /^✅ Coverage gap resolved/)
  t.match(cov.blocks[3]?.text?.text, /Embassy gate \(priority\): last visit never/)
  const silent = JSON.parse(renderDelivery('slack', makeEvent('unit_silent', 'acknowledged'), { url: 'u', now: 0 }).body) as { text: string; blocks: Array<{ type: string }> }
  t.match(silent.text, /^👀 Unit silent acknowledged/)
  t.equal(silent.blocks.length, 4, 'no stale-cell block, no map link')
})

t.test('facts cover every field a supervisor needs', async (t) => {
  const f = Object.fromEntries(facts(makeEvent('coverage_gap', 'acknowledged')))
  t.equal(f['Zone'], 'Grid 2 (grid-2)')
  t.equal(f['Coverage'], '62 % (minimum 80 %)')
  t.equal(f['Stale cells'], '2 of 50')
  t.equal(f['Acknowledged by'], 'sgt.martin')
  const s = Object.fromEntries(facts(makeEvent('unit_silent', 'opened', { lastFixAt: null, unitName: 'P-017' })))
  t.equal(s['Last fix'], 'never')
  t.equal(s['Unit'], 'P-017')
  const z = Object.fromEntries(facts(makeEvent('zone_exit', 'opened')))
  t.equal(z['Distance'], '120 m')
  t.match(z['Position'], /^48\.86000, 2\.30000 at /)
  const r = Object.fromEntries(facts(makeEvent('response_gap', 'opened', { minRatio: undefined, cellCount: undefined })))
  t.equal(r['Coverage'], '50 %')
  t.equal(r['Stale cells'], '1')
})

t.test('dingtalk: markdown and the signed URL, recomputed per attempt', async (t) => {
  const ev = makeEvent('zone_exit', 'opened')
  const url = 'https://oapi.dingtalk.com/robot/send?access_token=abc'
  const r1 = renderDelivery('dingtalk', ev, { url, dingtalkSecret: 'SECxyz', now: 1_700_000_000_000 })
  const m = JSON.parse(r1.body) as { msgtype: string; markdown: { title: string; text: string } }
  t.equal(m.msgtype, 'markdown')
  t.equal(m.markdown.title, 'Zone exit opened')
  t.match(m.markdown.text, /^### 🚨 Zone exit opened\n\nPatrol 17 left Grid 2\n/)
  t.match(m.markdown.text, /- \*\*Zone\*\*: Grid 2 \(grid-2\)/)
  t.match(m.markdown.text, /\[Map\]\(https:\/\/www\.openstreetmap\.org/)
  t.equal(r1.headers['content-type'], 'application/json;charset=utf-8')
  const u = new URL(r1.urlOverride!)
  t.equal(u.searchParams.get('access_token'), 'abc')
  t.equal(u.searchParams.get('timestamp'), '1700000000000')
  const expected = createHmac('sha256', 'SECxyz').update('1700000000000\nSECxyz').digest('base64')
  t.equal(u.searchParams.get('sign'), expected)
  t.match(r1.urlOverride!, /&sign=[^&]*%/, 'sign is URL-encoded')
  t.not(renderDelivery('dingtalk', ev, { url, dingtalkSecret: 'SECxyz', now: 1_700_000_001_000 }).urlOverride, r1.urlOverride)
  t.equal(renderDelivery('dingtalk', ev, { url, now: 0 }).urlOverride, undefined, 'no secret: keyword/IP-secured robot, URL unchanged')
  t.match(dingtalkSignedUrl('https://oapi.dingtalk.com/robot/send', 's', 1), /^https:\/\/oapi\.dingtalk\.com\/robot\/send\?timestamp=1&sign=/)
})

t.test('wecom: markdown content within 4096 bytes', async (t) => {
  const m = JSON.parse(renderDelivery('wecom', makeEvent('coverage_gap', 'opened'), { url: 'u', now: 0 }).body) as { msgtype: string; markdown: { content: string } }
  t.equal(m.msgtype, 'markdown')
  t.match(m.markdown.content, /^### <font color="warning">Coverage gap opened<\/font>\nGrid 2 coverage 62 %/)
  t.match(m.markdown.content, /\*\*Stale cells\*\*/)
  const many: StaleCell[] = Array.from({ length: 30 }, (_, i) => ({ cell: '891fb466257ffff', lat: 0, lon: 0, lastVisit: null, name: `门口 ${i}` }))
  const big = JSON.parse(renderDelivery('wecom', makeEvent('coverage_gap', 'resolved', { staleCells: many, summary: '覆盖率 '.repeat(700) }), { url: 'u', now: 0 }).body) as { markdown: { content: string } }
  t.ok(Buffer.byteLength(big.markdown.content) <= 4096)
  t.notOk(big.markdown.content.includes('\uFFFD'), 'no broken multi-byte character at the cut')
  t.match(big.markdown.content, /^### <font color="info">/)
  const ack = JSON.parse(renderDelivery('wecom', makeEvent('unit_silent', 'acknowledged'), { url: 'u', now: 0 }).body) as { markdown: { content: string } }
  t.match(ack.markdown.content, /color="comment"/)
  const slackMany = JSON.parse(renderDelivery('slack', makeEvent('coverage_gap', 'opened', { staleCells: many }), { url: 'u', now: 0 }).body) as { blocks: Array<{ text?: { text: string } }> }
  t.match(slackMany.blocks[3]?.text?.text, /… and 20 more$/)
})
