// checkpoint_missed in words, both locales: the summaries the alert book writes (opened, manned
// late, stood down), the DingTalk and WeCom messages (title, plan, checkpoint, deadline, the
// responsible units, who manned it, a map link to the checkpoint), and the page's alert text.
import t from 'tap'
import { alertTexts } from '../../src/i18n/alert-texts.js'
import { chatTexts } from '../../src/i18n/chat-texts.js'
import { facts, renderDelivery } from '../../src/delivery/formats.js'
import { zhCN } from '../../src/web/messages/zh-CN.js'
import { en as pageEn } from '../../src/web/messages/en.js'
import { alertRow } from '../../src/journal/record.js'
import { makeEvent } from '../delivery/fixtures/alerts.js'

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0) // 16:00 in Shanghai
const AT = Date.UTC(2025, 4, 1, 8, 5, 0)

t.test('summaries in English and Chinese, times in the zone', async (t) => {
  const en = alertTexts('en', 'Asia/Shanghai')
  const zh = alertTexts('zh-CN', 'Asia/Shanghai')
  t.equal(en.checkpointMissed('North bridge', 'Flood', T0, ['P-017', 'P-018']), 'Checkpoint North bridge of plan Flood not manned by 16:00:00 (P-017, P-018)')
  t.equal(zh.checkpointMissed('北桥', '防汛', T0, ['P-017', 'P-018']), '预案「防汛」卡点「北桥」未在 16:00:00 前到位（P-017、P-018）')
  t.equal(en.checkpointMissed('North bridge', 'Flood', T0, []), 'Checkpoint North bridge of plan Flood not manned by 16:00:00')
  t.equal(en.checkpointManned('North bridge', 'Flood', 'P-017', AT), 'Checkpoint North bridge of plan Flood manned late by P-017 at 16:05:00')
  t.equal(zh.checkpointManned('北桥', '防汛', 'P-017', AT), '预案「防汛」卡点「北桥」已由 P-017 于 16:05:00 迟到到位')
  t.equal(en.checkpointStoodDown('North bridge', 'Flood', 'sgt.li'), 'Checkpoint North bridge of plan Flood was never manned: the plan was stood down by sgt.li')
  t.equal(zh.checkpointStoodDown('北桥', '防汛', 'sgt.li'), '预案「防汛」卡点「北桥」始终未到位：预案已由 sgt.li 解除')
})

t.test('DingTalk and WeCom: title, plan, checkpoint, deadline, responsible, manned by, map link', async (t) => {
  const zh = chatTexts('zh-CN', 'Asia/Shanghai')
  const en = chatTexts('en', 'Asia/Shanghai')
  const opened = makeEvent('checkpoint_missed', 'opened', { at: AT, summary: '预案「防汛」卡点「北桥」未在 16:00:00 前到位' })
  const d = JSON.parse(renderDelivery('dingtalk', opened, { url: 'https://oapi.dingtalk.com/robot/send?access_token=a', now: 0, texts: zh }).body) as { markdown: { title: string; text: string } }
  t.equal(d.markdown.title, '卡点未到位 已触发')
  t.match(d.markdown.text, /- \*\*预案\*\*: Flood response（flood）/)
  t.match(d.markdown.text, /- \*\*卡点\*\*: North bridge/)
  t.match(d.markdown.text, /- \*\*到位时限\*\*: 2025年5月1日 16:00:00/)
  t.match(d.markdown.text, /- \*\*责任警力\*\*: P-017、P-018/)
  t.match(d.markdown.text, /- \*\*位置\*\*: 48\.86100, 2\.29500/)
  t.match(d.markdown.text, /- \[地图\]\(https:\/\/www\.openstreetmap\.org\/\?mlat=48\.861&mlon=2\.295/)
  t.match(d.markdown.text, /checkpoint_missed\.opened · 告警 al-checkpoint_missed-1 · 2025年5月1日 16:05:00$/)
  const resolved = makeEvent('checkpoint_missed', 'resolved', { at: AT })
  const w = JSON.parse(renderDelivery('wecom', resolved, { url: 'u', now: 0, texts: zh }).body) as { markdown: { content: string } }
  t.match(w.markdown.content, /^### <font color="info">卡点未到位 已解除<\/font>/)
  t.match(w.markdown.content, /- \*\*到位警力\*\*: P-017 · 2025年5月1日 16:02:00/)
  const f = Object.fromEntries(facts(makeEvent('checkpoint_missed', 'resolved', { reachedBy: undefined, reachedAt: undefined, reason: 'plan_deactivated', deactivatedBy: 'sgt.li' }), en))
  t.equal(f['Stood down by'], 'sgt.li')
  t.equal(f.Plan, 'Flood response (flood)')
  t.equal(f.Responsible, 'P-017, P-018')
  const s = JSON.parse(renderDelivery('slack', opened, { url: 'u', now: 0, texts: en }).body) as { text: string }
  t.match(s.text, /^🚨 Checkpoint missed opened: /)
})

t.test('the page and the chat formats name the kind alike; the alerts row points at the checkpoint', async (t) => {
  t.equal(chatTexts('zh-CN', 'UTC').title('checkpoint_missed', 'opened'), `${zhCN['alert.checkpoint_missed']} 已触发`)
  t.equal(chatTexts('en', 'UTC').title('checkpoint_missed', 'opened'), `${pageEn['alert.checkpoint_missed']} opened`)
  t.match(zhCN['alertText.checkpoint_missed'], /\{plan\}.*\{checkpoint\}.*\{time\}/)
  const row = JSON.parse(alertRow(makeEvent('checkpoint_missed', 'opened'))) as Record<string, unknown>
  t.match(row, { kind: 'checkpoint_missed', subject: 'plan:flood/checkpoint:0', lat: 48.861, lon: 2.295, unit_id: '', zone_id: '' })
})
