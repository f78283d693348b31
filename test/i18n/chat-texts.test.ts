// The chat formats in both locales: DingTalk, WeCom and Slack messages of alerts (titles, fact
// labels, stale cells, footers; dates in the configured zone) and of other events (footer), and
// the Chinese words shared with the live map.
import t from 'tap'
import { chatTexts, DEFAULT_CHAT_TEXTS } from '../../src/i18n/chat-texts.js'
import { facts, renderDelivery } from '../../src/delivery/formats.js'
import { renderEvent } from '../../src/delivery/event-formats.js'
import { ALERT_KINDS } from '../../src/rules/alert-event.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { zhCN } from '../../src/web/messages/zh-CN.js'
import { en as pageEn } from '../../src/web/messages/en.js'
import { makeEvent } from '../delivery/fixtures/alerts.js'

const zh = chatTexts('zh-CN', 'Asia/Shanghai')
const en = chatTexts('en', 'Asia/Shanghai')
const T0 = Date.UTC(2025, 4, 1, 8, 0, 0) // 16:00 in Shanghai
const AT = Date.UTC(2025, 4, 1, 8, 5, 0)

t.test('DingTalk in Chinese: title, summary, facts, map link, footer with local time', async (t) => {
  const ev = makeEvent('radius_breach', 'opened', { at: AT, summary: 'P-017 距城西派出所 412 米' })
  const r = renderDelivery('dingtalk', ev, { url: 'https://oapi.dingtalk.com/robot/send?access_token=a', now: 0, texts: zh })
  const m = JSON.parse(r.body) as { markdown: { title: string; text: string } }
  t.equal(m.markdown.title, '超出岗位半径 已触发')
  t.match(m.markdown.text, /^### 🚨 超出岗位半径 已触发\n\nP-017 距城西派出所 412 米\n/)
  t.match(m.markdown.text, /- \*\*警力\*\*: Patrol 17（P-017）/)
  t.match(m.markdown.text, /- \*\*岗位\*\*: Station 3（station-03）/)
  t.match(m.markdown.text, /- \*\*距离\*\*: 412 米（值守半径 300 米）/)
  t.match(m.markdown.text, /- \*\*位置\*\*: 48\.85801, 2\.29452 ±8 米，2025年5月1日 15:59:59/)
  t.match(m.markdown.text, /- \*\*触发时间\*\*: 2025年5月1日 16:00:00/)
  t.match(m.markdown.text, /- \[地图\]\(https:\/\/www\.openstreetmap\.org/)
  t.match(m.markdown.text, /radius_breach\.opened · 告警 al-radius_breach-1 · 2025年5月1日 16:05:00$/)
})

t.test('WeCom in Chinese: stale cells, counts, never', async (t) => {
  const many = Array.from({ length: 12 }, (_, i) => ({ cell: '891fb466257ffff', lat: 0, lon: 0, lastVisit: i === 0 ? T0 : null, ...(i === 1 ? { priority: true, name: '中心小学' } : {}) }))
  const ev = makeEvent('coverage_gap', 'resolved', { at: AT, staleCells: many })
  const m = JSON.parse(renderDelivery('wecom', ev, { url: 'u', now: 0, texts: zh }).body) as { markdown: { content: string } }
  t.match(m.markdown.content, /^### <font color="info">覆盖不足 已解除<\/font>/)
  t.match(m.markdown.content, /- \*\*覆盖率\*\*: 62 %（最低 80 %）/)
  t.match(m.markdown.content, /- \*\*超时网格单元\*\*: 12 \/ 50/)
  t.match(m.markdown.content, /\*\*超时网格单元\*\*\n- 891fb466257ffff：最后巡到 2025年5月1日 16:00:00\n- 中心小学（重点）：最后巡到 从未\n/)
  t.match(m.markdown.content, /- ……另有 2 个\n/)
})

t.test('Slack in Chinese; every kind and state has a Chinese title', async (t) => {
  const m = JSON.parse(renderDelivery('slack', makeEvent('unit_sos', 'acknowledged', { at: AT }), { url: 'u', now: 0, texts: zh }).body) as { text: string; blocks: Array<{ fields?: Array<{ text: string }>; elements?: Array<{ text: string }> }> }
  t.match(m.text, /^👀 紧急求助 已确认: /)
  const fields = m.blocks[2]?.fields?.map((f) => f.text) ?? []
  t.ok(fields.includes('*求救来源*\n车载终端（JT/T 808 紧急报警）'))
  t.ok(fields.includes('*确认人*\nsgt.martin'))
  t.match(m.blocks.at(-1)?.elements?.[0]?.text, /\|地图>$/)
  for (const kind of ALERT_KINDS) {
    for (const state of ['opened', 'acknowledged', 'resolved'] as const) t.notMatch(zh.title(kind, state), /[a-z]/, `${kind}.${state}`)
  }
})

t.test('facts in both locales, the same order', async (t) => {
  const silent = makeEvent('unit_silent', 'opened', { lastFixAt: null })
  t.same(facts(silent, zh).map(([k]) => k), ['警力', '最后定位', '触发时间'])
  t.equal(Object.fromEntries(facts(silent, zh))['最后定位'], '从未')
  t.same(facts(silent, en).map(([k]) => k), ['Unit', 'Last fix', 'Opened'])
  const seen = makeEvent('unit_silent', 'opened')
  t.equal(Object.fromEntries(facts(seen, en))['Last fix'], '1 May 2025, 15:56:40', 'English: local date and time')
  const resolved = makeEvent('unit_sos', 'resolved', { resolvedBy: 'sgt.li', note: '误触', via: 'osmand' })
  const f = Object.fromEntries(facts(resolved, zh))
  t.equal(f['处置人'], 'sgt.li：误触')
  t.equal(f['求救来源'], 'Traccar 客户端（alarm=sos）')
  t.equal(Object.fromEntries(facts(makeEvent('unit_sos', 'resolved', { resolvedBy: 'sgt.li', via: 'native' }), zh))['处置人'], 'sgt.li')
  t.equal(Object.fromEntries(facts(makeEvent('unit_sos', 'opened', { via: 'native' }), en))['Raised by'], 'device (sos: true)')
  t.equal(zh.via('other'), '设备（sos: true）')
  t.equal(en.via('other'), 'device (sos: true)')
  t.equal(Object.fromEntries(facts(makeEvent('zone_exit', 'opened'), zh))['距离'], '120 米')
  t.equal(Object.fromEntries(facts(makeEvent('response_gap', 'opened', { minRatio: undefined, cellCount: undefined }), zh))['超时网格单元'], '1')
  t.equal(Object.fromEntries(facts(makeEvent('response_gap', 'opened', { minRatio: undefined }), zh))['覆盖率'], '50 %')
  t.equal(Object.fromEntries(facts(makeEvent('zone_exit', 'opened', { position: { lat: 1, lon: 2, ts: T0, accuracy: null, h3: 'x' } }), zh))['位置'], '1.00000, 2.00000，2025年5月1日 16:00:00')
  t.equal(DEFAULT_CHAT_TEXTS.locale, 'en')
  t.equal(en.more(3), '… and 3 more')
  t.equal(en.position(1, 2, 8.4, T0), '1.00000, 2.00000 ±8 m at 1 May 2025, 16:00:00')
  t.equal(en.position(1, 2, null, T0), '1.00000, 2.00000 at 1 May 2025, 16:00:00')
  t.equal(en.resolvedBy('sgt.li', undefined), 'sgt.li')
  t.equal(en.staleCount(2, undefined), '2')
  t.equal(en.coverage(0.5, undefined), '50 %')
  t.equal(en.distance(120, undefined), '120 m')
  t.equal(zh.distance(120, undefined), '120 米')
})

t.test('other events: the summary over a footer in the locale', async (t) => {
  const e: OutboundEvent = { id: 'plan.activated.1', type: 'plan.activated', at: AT, subject: 'plan:p1', summary: '预案「抢劫案」已由 duty 启动：共 2 个卡点', data: {} }
  const d = JSON.parse(renderEvent('dingtalk', e, { url: 'https://x/', now: 0, texts: zh }).body) as { markdown: { text: string } }
  t.equal(d.markdown.text, '### 预案「抢劫案」已由 duty 启动：共 2 个卡点\n\nplan.activated · plan:p1 · 2025年5月1日 16:05:00')
  const w = JSON.parse(renderEvent('wecom', e, { url: 'u', now: 0, texts: en }).body) as { markdown: { content: string } }
  t.match(w.markdown.content, /plan\.activated · plan:p1 · 1 May 2025, 16:05:00$/)
  const s = JSON.parse(renderEvent('slack', e, { url: 'u', now: 0, texts: zh }).body) as { blocks: Array<{ elements?: Array<{ text: string }> }> }
  t.equal(s.blocks[1]?.elements?.[0]?.text, 'plan.activated · plan:p1 · 2025年5月1日 16:05:00')
  const plain = JSON.parse(renderEvent('slack', e, { url: 'u', now: 0 }).body) as { blocks: Array<{ elements?: Array<{ text: string }> }> }
  t.equal(plain.blocks[1]?.elements?.[0]?.text, 'plan.activated · plan:p1 · 2025-05-01T08:05:00.000Z', 'no texts: English, UTC (ISO 8601)')
})

t.test('the Chinese alert titles are the live map\'s words', async (t) => {
  for (const kind of ALERT_KINDS) {
    t.ok(`alert.${kind}` in pageEn, kind)
    t.equal(zh.title(kind, 'opened'), `${zhCN[`alert.${kind}` as keyof typeof zhCN]} 已触发`, kind)
  }
})
