import t from 'tap'
import { runtimeLine, runtimeWarning, supportedMajor } from '../../bench/lib/runtime.js'

t.test('the supported baseline comes from package.json engines', async (t) => {
  t.equal(supportedMajor(), 22)
  t.equal(supportedMajor('>= 24'), 24)
  t.throws(() => supportedMajor('^22 || ^24'), /expected ">=N"/)
})

t.test('an older Node is named as not what users run', async (t) => {
  t.match(runtimeWarning('v20.20.2', '>=22'), /Node v20.20.2 is older than the supported lines \(engines: >=22\).*Node 22 or later/)
  t.equal(runtimeWarning('v22.23.5', '>=22'), null)
  t.equal(runtimeWarning('v24.22.3', '>=22'), null)
  t.match(runtimeLine('v20.20.2'), /^node v20.20.2, \d+ cores, load average [\d. ]+\nWARNING: /)
  t.notMatch(runtimeLine('v24.22.3'), /WARNING/)
})
