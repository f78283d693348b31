// Part of `npm run screenshots`: the printable daily bulletin (the scripted patrol day of the
// reports tests, with a plan activation) as a person sees it in Chromium, in the engine's two
// languages: docs/bulletin.png (English, the name the docs have always linked) and
// docs/bulletin-zh.png (Chinese, the sample deployment's locale). One engine per language: the
// bulletin speaks the engine's configured locale.
import { join } from 'node:path'
import { chromiumPath, openPage } from '../test/helpers/browser.js'
import { PERIOD, READ, bulletinEngine } from '../test/helpers/bulletin-day.js'

if (chromiumPath() === null) {
  console.error('No Chromium binary (/usr/bin/chromium): cannot take screenshots.')
  process.exit(1)
}
for (const [locale, file] of [['en', 'bulletin.png'], ['zh-CN', 'bulletin-zh.png']] as const) {
  const h = await bulletinEngine({ locale })
  const s = await openPage(h.httpUrl, { width: 1280, height: 900, locale })
  const login = await s.context.request.post(`${h.httpUrl}/api/v1/session`, { data: { token: READ } })
  if (login.status() !== 204) throw new Error(`login: ${login.status()}`)
  await s.page.goto(`${h.httpUrl}/api/v1/reports/bulletins/daily/${PERIOD}?format=html`)
  const out = join(import.meta.dirname, '..', 'docs', file)
  await s.page.screenshot({ path: out, fullPage: true })
  console.log(`wrote ${out}`)
  await s.close()
  await h.engine.stop()
}
