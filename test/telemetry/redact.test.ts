// The one URL redactor (webhook URLs, the MQTT broker URL, the ClickHouse URL).
import t from 'tap'
import { pino } from 'pino'
import { redactUrl } from '../../src/telemetry/redact.js'
import { validateConfig } from '../../src/config/load.js'
import { Dispatcher } from '../../src/delivery/dispatcher.js'
import { tempDir } from '../helpers/harness.js'

t.test('urls are shown without secrets', async (t) => {
  t.equal(redactUrl('https://user:pw@oapi.dingtalk.com/robot/send?access_token=abc123'), 'https://oapi.dingtalk.com/robot/send?access_token=***')
  t.equal(redactUrl('https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX'), 'https://hooks.slack.com/services/T000/B000/***')
  t.equal(redactUrl('https://duty.example.org/hooks/hexpatrol'), 'https://duty.example.org/hooks/hexpatrol')
  t.equal(redactUrl('mqtt://u:p4ss@b:1883'), 'mqtt://b:1883', 'broker credentials')
  t.equal(redactUrl('http://default:chpw@127.0.0.1:8123'), 'http://127.0.0.1:8123/', 'ClickHouse credentials')
  t.equal(redactUrl('not a url'), '(invalid url)')
})

t.test('secrets in the path are masked like query secrets, whatever their length', async (t) => {
  t.equal(redactUrl('https://hooks.slack.com/services/T000/B000/XXXX'), 'https://hooks.slack.com/services/T000/B000/***', "Slack's third segment after /services is the secret, however short")
  t.equal(redactUrl('https://hooks.slack.com/services/T01ABCDEF2/B01ABCDEF/abcdEFGHijklMNOPqrstUVwx'), 'https://hooks.slack.com/services/***/***/***', 'ids with letters and digits are masked too')
  t.equal(redactUrl('https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeo/sendMessage'), 'https://api.telegram.org/***/sendMessage', 'a bot token beside a colon')
  t.equal(redactUrl('https://x.webhook.office.com/webhookb2/3f0e1a2b-1111-2222-3333-444455556666@aaaabbbb-1111-2222-3333-444455556666/IncomingWebhook/0123456789abcdef0123456789abcdef/x'),
    'https://x.webhook.office.com/***/***/IncomingWebhook/***/x')
  t.equal(redactUrl('https://open.feishu.cn/open-apis/bot/v2/hook/0f6e3c1e-8a8d-4a8b-9f55-0e1b2c3d4e5f'), 'https://open.feishu.cn/open-apis/bot/v2/hook/***')
  t.equal(redactUrl('https://h.example/hook/s3cr3t%2Fx'), 'https://h.example/hook/***', 'an encoded character is not a plain name')
  t.equal(redactUrl('https://h.example/hook/abc12345'), 'https://h.example/hook/***', 'eight letters and digits')
  t.equal(redactUrl('https://h.example/hook/abcdefgh'), 'https://h.example/hook/abcdefgh', 'a plain word stays')
  t.equal(redactUrl('https://h.example/api/v1/alerts#token=abc'), 'https://h.example/api/v1/alerts#***', 'the fragment')
})

t.test('GET /webhooks views and the log line show a path secret masked', async (t) => {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) })
  const config = validateConfig({})
  const d = new Dispatcher({ dir: tempDir(), webhooks: [], delivery: config.delivery, logger, now: () => 0 })
  t.teardown(() => d.stop())
  const secret = 'Zq9sLKDbW2xa7Rt'
  d.addSubscription({ id: 'slack', url: `https://hooks.slack.com/services/T000/B000/${secret}`, format: 'slack' })
  t.same(d.subscriptions().map((s) => s.url), ['https://hooks.slack.com/services/T000/B000/***'])
  t.ok(lines.some((l) => l.includes('Webhook subscription added.')))
  t.notMatch(lines.join(''), secret, 'no log line holds the secret')
})
