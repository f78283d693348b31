// The one URL redactor (webhook URLs, the MQTT broker URL, the ClickHouse URL).
import t from 'tap'
import { redactUrl } from '../../src/telemetry/redact.js'

t.test('urls are shown without secrets', async (t) => {
  t.equal(redactUrl('https://user:pw@oapi.dingtalk.com/robot/send?access_token=abc123'), 'https://oapi.dingtalk.com/robot/send?access_token=***')
  t.equal(redactUrl('https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX'), 'https://hooks.slack.com/services/T000/B000/***')
  t.equal(redactUrl('https://duty.example.org/hooks/hexpatrol'), 'https://duty.example.org/hooks/hexpatrol')
  t.equal(redactUrl('mqtt://u:p4ss@b:1883'), 'mqtt://b:1883', 'broker credentials')
  t.equal(redactUrl('http://default:chpw@127.0.0.1:8123'), 'http://127.0.0.1:8123/', 'ClickHouse credentials')
  t.equal(redactUrl('not a url'), '(invalid url)')
})
