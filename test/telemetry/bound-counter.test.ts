import t from 'tap'
import { Counter, Registry } from 'prom-client'
import { boundCounter } from '../../src/telemetry/bound-counter.js'

t.test('a bound counter\'s increments are what any read of the counter or the registry sees', async (t) => {
  const registry = new Registry()
  let collected = 0
  const c = new Counter({ name: 'x_total', help: 'x', labelNames: ['format', 'transport'] as const, registers: [registry], collect() { collected++ } })
  const a = boundCounter(c, { format: 'native', transport: 'mqtt' })
  const b = boundCounter(c, { format: 'owntracks', transport: 'http' })
  a.inc()
  a.inc(4)
  b.inc(2)
  c.inc({ format: 'native', transport: 'mqtt' }, 10)
  const values = async () => Object.fromEntries((await c.get()).values.map((v) => [`${v.labels.format}/${v.labels.transport}`, v.value]))
  t.same(await values(), { 'native/mqtt': 15, 'owntracks/http': 2 }, 'summed with the unbound increments, per label set')
  t.equal(collected, 1, 'the counter\'s own collect hook still runs')
  t.same(await values(), { 'native/mqtt': 15, 'owntracks/http': 2 }, 'a second read adds nothing')
  a.inc()
  t.match(await registry.metrics(), /x_total\{format="native",transport="mqtt"\} 16/, 'a scrape flushes too')
})
