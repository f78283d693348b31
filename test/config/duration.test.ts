import t from 'tap'
import { parseDuration, formatDuration } from '../../src/config/duration.js'

t.test('parses units and bare seconds', async (t) => {
  t.equal(parseDuration('90s'), 90_000)
  t.equal(parseDuration('30m'), 1_800_000)
  t.equal(parseDuration('2h'), 7_200_000)
  t.equal(parseDuration('1d'), 86_400_000)
  t.equal(parseDuration('250ms'), 250)
  t.equal(parseDuration('1.5'), 1500)
  t.equal(parseDuration(120), 120_000)
})

t.test('rejects nonsense with a message that shows the format', async (t) => {
  t.throws(() => parseDuration('soon'), /use e\.g\. 90s/)
  t.throws(() => parseDuration('-5s'), /invalid duration/)
  t.throws(() => parseDuration(-1), /non-negative/)
  t.throws(() => parseDuration(Number.NaN), /non-negative/)
})

t.test('formats back', async (t) => {
  t.equal(formatDuration(90_000), '90s')
  t.equal(formatDuration(1_800_000), '30m')
  t.equal(formatDuration(7_200_000), '2h')
  t.equal(formatDuration(86_400_000), '1d')
  t.equal(formatDuration(250), '250ms')
})
