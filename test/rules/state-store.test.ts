import t from 'tap'
import { writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { RuleStateStore } from '../../src/rules/state-store.js'
import type { RuleSnapshot } from '../../src/rules/engine.js'
import { tempDir } from '../helpers/harness.js'

t.test('saves atomically and loads back; a torn snapshot starts fresh', async (t) => {
  const dir = join(tempDir(), 'rules')
  const store = new RuleStateStore(dir)
  t.equal(store.load(), null, 'nothing yet')
  const snap = { version: 1, units: [], alerts: { alerts: [] }, coverage: [], responseRatios: [] } as unknown as RuleSnapshot
  store.save(snap)
  t.same(store.load(), snap)
  t.same(JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')), snap)
  writeFileSync(join(dir, 'snapshot.json'), '{"version":1,"units":[')
  t.equal(store.load(), null, 'a snapshot cut short by power loss is ignored')
})
