// The level desk alone: a level set, expired and written; a busy zone's suggestion (raised, or the
// level itself with auto_apply; none for a zone already that high); accepted (a refused expiry
// leaves it open), dismissed, settled by reaching the level; restored without the suggestions
// that no longer fit the configuration. The service's tests cover the same through its API.
import t from 'tap'
import { pino } from 'pino'
import { LevelDesk } from '../../src/incidents/level-desk.js'
import { LevelError, type LevelSpec } from '../../src/incidents/levels.js'
import { SuggestionError } from '../../src/incidents/level-suggestions.js'
import { StateFiles } from '../../src/incidents/state-files.js'
import { incidentTexts } from '../../src/i18n/incident-texts.js'
import type { OutboundEvent } from '../../src/delivery/outbound-event.js'
import { tempDir } from '../helpers/harness.js'

/** The error fn throws (tap's throws() matches a pattern, not a class). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

const ladder: LevelSpec[] = [{ name: 'normal', rank: 0 }, { name: 'high', rank: 1 }, { name: 'emergency', rank: 2 }]
const T = Date.UTC(2026, 11, 6, 8, 0, 0)

function desk(o: { autoApply?: boolean; dir?: string } = {}) {
  const dir = o.dir ?? tempDir()
  const files = new StateFiles({ dir, logger: pino({ level: 'silent' }), persist: true })
  files.prepare()
  const events: OutboundEvent[] = []
  const rate = { threshold: 3, windowMs: 2 * 3_600_000, suggestLevel: 'high', autoApply: o.autoApply ?? false, autoExpiryMs: 3_600_000 }
  const d = new LevelDesk({ setup: { ladder, baseLevels: new Map([['g1', 'normal'], ['g2', 'high']]), rate }, texts: incidentTexts('en', 'UTC'), files, emit: (e) => events.push(e), zoneLabel: (z) => `zone ${z}` })
  return { d, events, files, dir }
}

t.test('a level set and expired: written, emitted, back to base', async (t) => {
  const { d, events, files } = desk()
  const c = d.setAt('g1', 'emergency', { reason: 'robbery', by: 'duty', expiresAt: T + 60_000 }, T)
  t.match(c, { zoneId: 'g1', from: 'normal', to: 'emergency' })
  t.equal(d.setAt('g1', 'emergency', { reason: 'again', by: 'duty', expiresAt: T + 60_000 }, T + 1), null, 'no change, nothing emitted')
  t.match(events, [{ id: `patrol_level.g1.${T}.emergency`, type: 'patrol_level.changed', subject: 'zone:g1', summary: /^zone g1: patrol level normal → emergency/ }])
  t.match(files.read('levels.json'), { overrides: [{ zoneId: 'g1', level: 'emergency' }] })
  d.expire(T + 59_999)
  t.equal(events.length, 1)
  d.expire(T + 60_000)
  t.match(events[1], { type: 'patrol_level.changed', data: { from: 'emergency', to: 'normal' } })
  t.equal(d.levels.effective('g1', T + 60_000).name, 'normal')
  t.ok(thrown(() => d.setAt('nope', 'high', { reason: 'x', by: 'y', expiresAt: null }, T)) instanceof LevelError, 'an unknown zone is a LevelError')
})

t.test('a busy zone gets a suggestion, accepted; a zone already that high gets none', async (t) => {
  const { d, events, files } = desk()
  d.rateReached('g2', 3, T - 5000, T)
  t.equal(events.length, 0, 'g2 is at the suggested level already')
  d.rateReached('g1', 3, T - 5000, T)
  const id = `patrol_level.suggested.g1.${T - 5000}`
  t.match(events, [{ id, type: 'patrol_level.suggested', data: { zoneId: 'g1', from: 'normal', to: 'high', incidents: 3, autoApplied: false } }])
  t.same(d.suggestions.list().map((s) => s.id), [id])
  t.match(files.read('level-suggestions.json'), { open: [{ id }] })
  t.ok(thrown(() => d.acceptAt(id, { by: 'duty', expiresAt: T - 1 }, T + 1000)) instanceof LevelError, 'an expiry in the past is refused')
  t.same(d.suggestions.list().map((s) => s.id), [id], 'and the suggestion stays open')
  const r = d.acceptAt(id, { by: 'duty', expiresAt: null }, T + 1000)
  t.match(r, { suggestion: { id, status: 'accepted', closedBy: 'duty' }, change: { zoneId: 'g1', to: 'high', reason: `accepted suggestion ${id} (3 incidents in 120 min)` } })
  t.equal(d.levels.effective('g1', T + 1000).name, 'high')
  t.same(d.suggestions.list(), [])
  t.match(thrown(() => d.acceptAt(id, { by: 'duty', expiresAt: null }, T + 2000)), { code: 'closed' }, 'closed')
  t.ok(thrown(() => d.dismissAt('nope', { by: 'duty', reason: null }, T + 2000)) instanceof SuggestionError, 'unknown')
})

t.test('a suggestion dismissed, or settled by the zone reaching the level', async (t) => {
  const { d, events } = desk()
  d.rateReached('g1', 4, T, T)
  const first = `patrol_level.suggested.g1.${T}`
  const c = d.dismissAt(first, { by: 'duty', reason: 'a fair, expected' }, T + 10)
  t.match(c, { id: first, status: 'dismissed', closedBy: 'duty', reason: 'a fair, expected' })
  t.match(events[events.length - 1], { id: `${first}.dismissed`, type: 'patrol_level.suggestion_dismissed', summary: /dismissed by duty \(a fair, expected\)/ })
  d.rateReached('g1', 5, T + 100, T + 100)
  t.equal(d.suggestions.list().length, 1)
  d.setAt('g1', 'emergency', { reason: 'by hand', by: 'cmd', expiresAt: null }, T + 200)
  t.same(d.suggestions.list(), [], 'a zone above the suggested level needs it no more')
})

t.test('auto_apply: the level itself, for auto_expiry, by hexpatrol', async (t) => {
  const { d, events } = desk({ autoApply: true })
  d.rateReached('g1', 3, T, T)
  t.match(events, [{ type: 'patrol_level.suggested', data: { autoApplied: true } }, { type: 'patrol_level.changed', data: { to: 'high', by: 'hexpatrol', expiresAt: T + 3_600_000, reason: 'automatic: 3 incidents within 2 h' } }])
  t.same(d.suggestions.list(), [])
})

t.test('load(): the last run\'s levels and suggestions, without those that no longer fit', async (t) => {
  const a = desk()
  a.d.setAt('g1', 'emergency', { reason: 'x', by: 'y', expiresAt: null }, T)
  a.d.rateReached('g1', 3, T, T) // no suggestion: already above
  const b = desk({ dir: a.dir })
  b.d.load()
  t.equal(b.d.levels.effective('g1', T).name, 'emergency')
  const stale = { version: 1, open: [{ id: 's1', zoneId: 'gone', from: 'normal', to: 'high', incidents: 3, windowMs: 1, at: T }, { id: 's2', zoneId: 'g1', from: 'normal', to: 'unknown-level', incidents: 3, windowMs: 1, at: T }, { id: 's3', zoneId: 'g1', from: 'normal', to: 'high', incidents: 3, windowMs: 1, at: T }] }
  b.d.restore(null, stale)
  t.same(b.d.suggestions.list().map((s) => s.id), ['s3'], 'unknown zone and unknown level dropped')
  t.equal(b.d.levels.effective('g1', T).name, 'emergency', 'restore(null): nothing readable, the levels stay')
})
