import t from 'tap'
import { createDecoder, decoderOptionsFromConfig } from '../../src/decode/decoder.js'
import { rejectUnknownUnits } from '../../src/decode/known-units.js'
import { validateConfig } from '../../src/config/load.js'

t.test('known_units_only: unknown ids are rejected as unknown_unit, known ones pass, the rest of a batch is kept', async (t) => {
  const cfg = validateConfig({ rules: { known_units_only: true } })
  t.equal(cfg.rules.known_units_only, true)
  const decode = rejectUnknownUnits(createDecoder(decoderOptionsFromConfig(cfg)), new Set(['P-1']), 200)
  const now = Date.now()
  const ok = decode('fleet/P-1/position', Buffer.from(JSON.stringify({ ts: now, lat: 36.5, lon: 117.9 })), now)
  t.equal(ok.fixes.length, 1)
  t.same(ok.rejects, [])
  const bad = decode('fleet/X-9/position', Buffer.from(JSON.stringify([{ ts: now, lat: 36.5, lon: 117.9 }, { ts: now + 1, lat: 36.5, lon: 117.9 }])), now)
  t.equal(bad.fixes.length, 0)
  t.same(bad.rejects.map((r) => [r.reason, r.unitId]), [['unknown_unit', 'X-9'], ['unknown_unit', 'X-9']])
  t.match(bad.rejects[0]?.detail, /not in the configuration/)
})
