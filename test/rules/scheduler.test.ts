// The rule scheduler on a fake clock: the tick and the coverage snapshot run when due (once when
// late, not once per missed period), transitions go to emit, a quiet tick persists the state.
import t from 'tap'
import { RuleScheduler } from '../../src/rules/scheduler.js'
import type { AlertEvent } from '../../src/rules/alert-event.js'

function setup(eventsAt: Record<number, AlertEvent[]> = {}) {
  const log: string[] = []
  let clock = 0
  const s = new RuleScheduler({
    rules: { tick: (now) => { log.push(`tick@${now}`); return eventsAt[now] ?? [] } },
    tickMs: 5000,
    snapshotMs: 60_000,
    emit: (ev) => log.push(`emit:${ev.map((e) => e.alertId).join(',')}`),
    persist: () => log.push('persist'),
    snapshot: (now) => log.push(`snapshot@${now}`),
    ticked: (now, seconds) => log.push(`ticked@${now}:${seconds}`),
    elapsedMs: () => (clock += 2),
  }, 0)
  return { s, log }
}

t.test('runs each job when due, on the caller\'s clock', async (t) => {
  const { s, log } = setup({ 10_000: [{ alertId: 'a1' } as AlertEvent] })
  t.equal(s.periodMs, 5000)
  s.beat(4999)
  t.same(log, [], 'nothing due yet')
  s.beat(5000)
  t.same(log.splice(0), ['tick@5000', 'persist', 'ticked@5000:0.002'], 'a quiet tick persists the state')
  s.beat(9000)
  t.same(log, [], 'not due again until 10 000')
  s.beat(10_000)
  t.same(log.splice(0), ['tick@10000', 'emit:a1', 'ticked@10000:0.002'], 'transitions are emitted (and persisted by the emitter)')
  s.beat(120_000)
  t.same(log.splice(0), ['tick@120000', 'persist', 'ticked@120000:0.002', 'snapshot@120000'], 'late: each job runs once')
  s.beat(124_999)
  t.same(log, [], 'rescheduled from when it ran')
})

t.test('tick() runs a tick at once (the final tick at shutdown)', async (t) => {
  const { s, log } = setup()
  s.tick(1)
  t.same(log, ['tick@1', 'persist', 'ticked@1:0.002'])
  const plain = new RuleScheduler({ rules: { tick: () => [] }, tickMs: 0, snapshotMs: 0, emit: () => {}, persist: () => {}, snapshot: () => {} }, 0)
  t.equal(plain.periodMs, 1, 'never a zero-period timer')
  t.doesNotThrow(() => plain.beat(5), 'no ticked callback needed; default monotonic clock')
})
