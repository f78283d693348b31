// Journaling incidents and reading them back, with a fake store and journal: the read model holds
// journaled rows, a failed append forgets them, ClickHouse absent or failing answers with what
// is known (logged), get() alone refuses while ClickHouse is not ready.
import t from 'tap'
import { IncidentRecords, INCIDENTS_PER_RECORD } from '../../src/incidents/incident-records.js'
import type { IncidentRecord } from '../../src/incidents/incident-journal.js'
import type { IncidentRow, IncidentStore } from '../../src/incidents/incident-store.js'
import { UnshippedIncidents } from '../../src/incidents/unshipped.js'
import { HexpatrolError } from '../../src/errors.js'
import { captureLogger } from '../helpers/harness.js'

const T0 = Date.UTC(2025, 5, 1)
const rec = (id: string, ts = T0): IncidentRecord => ({ id, type: 'theft', priority: 2, lat: 36.49, lon: 117.86, ts, address: '', description: '', zone: 'Z1', source: 'api', createdAt: T0 })
const row = ({ source: _s, createdAt: _c, ...r }: IncidentRecord): IncidentRow => r

function setup(store: Partial<IncidentStore> | null, appendFails: (n: number) => boolean = () => false) {
  const { logger, logs } = captureLogger()
  const unshipped = new UnshippedIncidents()
  const appended: number[] = []
  const records = new IncidentRecords({
    store: () => store as IncidentStore | null,
    journal: {
      incidents: async (rows) => {
        if (appendFails(appended.length)) throw new Error('disk full')
        appended.push(rows.length)
      },
      planEvents: () => undefined,
    },
    unshipped,
    logger,
  })
  return { records, unshipped, appended, logs }
}

t.test('storedIds: asks the store; none without one, for no ids, or when it fails (logged)', async (t) => {
  t.same([...await setup({ existing: async (ids) => new Set(ids.slice(0, 1)) }).records.storedIds(['a', 'b'])], ['a'])
  t.same([...await setup(null).records.storedIds(['a'])], [])
  t.same([...await setup({ existing: async () => { throw new Error('never asked') } }).records.storedIds([])], [])
  const failing = setup({ existing: async () => { throw new Error('connection refused') } })
  t.same([...await failing.records.storedIds(['a', 'b'])], [])
  t.match(failing.logs.at(-1), { level: 40, err: 'connection refused', incidents: 2 })
})

t.test('journal: records of INCIDENTS_PER_RECORD rows, held by the read model; a failed append forgets its rows and the rest', async (t) => {
  const rows = Array.from({ length: INCIDENTS_PER_RECORD + 5 }, (_, i) => rec(`I-${i}`))
  const ok = setup(null)
  await ok.records.journal(rows)
  t.same(ok.appended, [INCIDENTS_PER_RECORD, 5])
  t.equal(ok.unshipped.size, rows.length)

  const failing = setup(null, (n) => n === 1)
  await t.rejects(failing.records.journal(rows), /disk full/)
  t.equal(failing.unshipped.size, INCIDENTS_PER_RECORD, 'the first record was durable; the second is forgotten')
  t.notOk(failing.unshipped.has(`I-${INCIDENTS_PER_RECORD}`))
})

t.test('query: stored plus not shipped yet, newest first, deduplicated, limited; partial while ClickHouse cannot be read', async (t) => {
  const q = { from: 0, to: T0 * 2, limit: 2 }
  const stored = [row(rec('S-1', T0 + 3)), row(rec('U-1', T0 + 1)), row(rec('S-2', T0))]
  const s = setup({ query: async () => stored })
  await s.records.journal([rec('U-1', T0 + 1), rec('U-2', T0 + 2)])
  t.same(await s.records.query(q), { rows: [row(rec('S-1', T0 + 3)), row(rec('U-2', T0 + 2))], partial: false })

  const none = setup(null)
  await none.records.journal([rec('U-1')])
  t.same(await none.records.query(q), { rows: [row(rec('U-1'))], partial: true })
  t.match(none.logs.at(-1), { level: 40, err: 'ClickHouse is not ready' })

  const failing = setup({ query: async () => { throw new Error('timeout') } })
  t.same(await failing.records.query(q), { rows: [], partial: true })
  t.match(failing.logs.at(-1), { err: 'timeout' })
})

t.test('get: not shipped yet first, then the store; NOT_READY without one', async (t) => {
  const s = setup({ get: async (id) => (id === 'S-1' ? row(rec('S-1')) : null) })
  await s.records.journal([rec('U-1')])
  t.same(await s.records.get('U-1'), row(rec('U-1')))
  t.same(await s.records.get('S-1'), row(rec('S-1')))
  t.equal(await s.records.get('nope'), null)
  const none = setup(null)
  const err = await none.records.get('x').catch((e: unknown) => e)
  t.ok(err instanceof HexpatrolError)
  t.match(err, { code: 'HEXP_ERR_NOT_READY' })
})
