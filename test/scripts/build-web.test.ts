// The map bundle: a production build ships no debugging handle (`window.hexpatrol` is compiled
// out), a test build (--probes) has it and says so with a marker file that `npm start` rebuilds over.
import t from 'tap'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
// @ts-expect-error: a plain ES module script without type declarations
import { TEST_BUILD_MARKER, buildWeb } from '../../scripts/build-web.mjs'
import { tempDir } from '../helpers/harness.js'

const scripts = (out: string) => readdirSync(join(out, 'assets')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(out, 'assets', f), 'utf8')).join('\n')

t.test('a production build has no window.hexpatrol and no test marker', async (t) => {
  const { out, sizes } = await buildWeb(tempDir('hexp-web-prod-')) as { out: string; sizes: Record<string, { bytes: number }> }
  t.ok(existsSync(join(out, 'index.html')))
  t.ok(sizes['app.js']!.bytes > 10_000, 'the app is there')
  const js = scripts(out)
  t.notMatch(js, /\.hexpatrol\b/, 'no debugging handle')
  t.notMatch(js, /recordMoves|opsProbe/, 'no probe code')
  t.notOk(existsSync(join(out, TEST_BUILD_MARKER)))
})

t.test('a test build exposes the probes and leaves the marker; a production build over it removes the marker', async (t) => {
  const dir = tempDir('hexp-web-test-')
  await buildWeb(dir, { probes: true })
  t.match(scripts(dir), /\.hexpatrol\b/)
  t.ok(existsSync(join(dir, TEST_BUILD_MARKER)))
  await buildWeb(dir)
  t.notOk(existsSync(join(dir, TEST_BUILD_MARKER)))
  t.notMatch(scripts(dir), /\.hexpatrol\b/)
})
