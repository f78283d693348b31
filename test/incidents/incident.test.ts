// Incident validation (JSON body or CSV row) and CSV splitting.
import t from 'tap'
import { csvFields, parseCsv, parseIncident } from '../../src/incidents/incident.js'

const NOW = Date.UTC(2025, 2, 1, 14)
const ok = { id: 'R-1', type: 'robbery', priority: 1, time: '2025-03-01T13:58:00Z', lat: 36.49, lon: 117.86, address: 'Xinhua Rd 12', description: 'two suspects' }

t.test('a valid incident, defaults, and strings from CSV', async (t) => {
  t.same(parseIncident(ok, NOW), { id: 'R-1', type: 'robbery', priority: 1, ts: Date.UTC(2025, 2, 1, 13, 58), lat: 36.49, lon: 117.86, address: 'Xinhua Rd 12', description: 'two suspects' })
  t.match(parseIncident({ id: 'a', type: 'theft', lat: 36.4, lon: 117.8 }, NOW), { priority: 3, ts: NOW, address: '', description: '' })
  t.match(parseIncident({ id: 'a', type: 'theft', lat: '36.4', lon: '117.8', priority: '2', time: String(NOW - 5) }, NOW), { priority: 2, ts: NOW - 5, lat: 36.4 })
  t.match(parseIncident({ ...ok, time: NOW - 1 }, NOW), { ts: NOW - 1 })
  t.equal((parseIncident({ ...ok, description: 'x'.repeat(5000) }, NOW) as { description: string }).description.length, 4000)
})

t.test('each bad field is named', async (t) => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...ok, id: '' }, /^id:/],
    [{ ...ok, id: 'a b' }, /^id:/],
    [{ ...ok, type: 'Robbery!' }, /^type:/],
    [{ ...ok, priority: 9 }, /^priority:/],
    [{ ...ok, priority: 1.5 }, /^priority:/],
    [{ ...ok, priority: 'x' }, /^priority:/],
    [{ ...ok, time: 'yesterday' }, /^time:/],
    [{ ...ok, time: Infinity }, /^time:/],
    [{ ...ok, time: {} }, /^time:/],
    [{ ...ok, lat: 91 }, /^lat:/],
    [{ ...ok, lat: undefined }, /^lat:/],
    [{ ...ok, lon: -181 }, /^lon:/],
    [{ ...ok, lon: ' ' }, /^lon:/],
    [{ ...ok, lat: 0, lon: 0 }, /\(0, 0\)/],
  ]
  for (const [input, re] of bad) t.match(parseIncident(input, NOW), re)
})

t.test('CSV: header in any order, quotes, CRLF, blank lines, short rows', async (t) => {
  t.same(csvFields('a,"b,c","say ""hi""",'), ['a', 'b,c', 'say "hi"', ''])
  const rows = parseCsv('Type,ID,lat,lon,address\r\nrobbery,R-1,36.49,117.86,"Xinhua Rd, 12"\r\n\r\ntheft,T-2,36.5\n')
  t.same(rows, [
    { type: 'robbery', id: 'R-1', lat: '36.49', lon: '117.86', address: 'Xinhua Rd, 12' },
    { type: 'theft', id: 'T-2', lat: '36.5', lon: '', address: '' },
  ])
  t.same(parseCsv(''), [])
})
