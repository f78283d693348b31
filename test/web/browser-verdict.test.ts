// Issue 19 item 12: a browser test without Chromium is skipped visibly on a developer's machine
// and fails where Chromium is expected (CI), instead of passing with a note.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { browserVerdict } from '../helpers/browser.js'

t.test('the verdict: run with a binary; without one, skip, or fail in CI', async (t) => {
  t.equal(browserVerdict('/usr/bin/chromium', { CI: 'true' }), 'run')
  t.equal(browserVerdict(null, {}), 'skip')
  t.equal(browserVerdict(null, { CI: 'true' }), 'fail')
  t.equal(browserVerdict(null, { CI: '1' }), 'fail')
  t.equal(browserVerdict(null, { HEXP_REQUIRE_CHROMIUM: '1' }), 'fail')
  t.equal(browserVerdict(null, { CI: 'false' }), 'skip')
  t.equal(browserVerdict(null, { CI: '0', HEXP_REQUIRE_CHROMIUM: '' }), 'skip')
})

t.test('requireChromium ends a test file as a visible skip, or as a failure in CI', async (t) => {
  // test/fixtures/browser-less.ts: a browser test file in miniature, with no binary to be found.
  const root = join(import.meta.dirname, '..', '..')
  const run = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'fixtures', 'browser-less.ts')], {
    cwd: root, encoding: 'utf8',
    env: { ...process.env, CI: '', HEXP_REQUIRE_CHROMIUM: '', NODE_V8_COVERAGE: '', ...env, CHROMIUM_PATH: join(root, 'no-such-chromium') },
  })
  const dev = run({})
  t.equal(dev.status, 0)
  t.match(dev.stdout, /^1\.\.0 # no Chromium binary/m, 'a skipped plan, which says why')
  t.notMatch(dev.stdout, /ran without a browser/)
  const ci = run({ CI: 'true' })
  t.equal(ci.status, 1, 'CI fails')
  t.match(ci.stdout, /^not ok 1 - no Chromium binary.*CI \(or HEXP_REQUIRE_CHROMIUM\) expects it/m)
  t.notMatch(ci.stdout, /ran without a browser/)
})
