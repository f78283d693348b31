// The documentation stays honest: every relative link and image in README.md and docs/*.md points
// at a file that exists, and a link to a heading (#anchor) names a heading of that page, with
// GitHub's anchor rules. No page cites issue numbers (they mean nothing to a reader of the docs).
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'

const pages = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))]

/** Markdown without fenced code blocks and inline code spans (links in code are not links). */
function prose (md: string): string {
  return md.replace(/^```[\s\S]*?^```/gm, '').replace(/``[^`]*``|`[^`\n]*`/g, '')
}

/** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors (md: string): Set<string> {
  const out = new Set<string>()
  const seen = new Map<string, number>()
  for (const m of md.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!.replace(/[`*_]|<[^>]*>/g, '').trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** The relative targets of a page's links and images: `[text](target)` and `![alt](target)`. */
function relativeLinks (md: string): string[] {
  return [...prose(md).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((m) => m[1]!)
    .filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href))
}

t.test('the link helpers read links, skip code, and build GitHub anchors', async (t) => {
  t.same(relativeLinks('[a](x.md) ![i](p.png "t") [w](https://e.org) [m](mailto:a@b) `[c](code.md)`\n```\n[f](fenced.md)\n```\n[h](#top)'),
    ['x.md', 'p.png', '#top'])
  t.same([...anchors('# Top\n## Phones over HTTP: OwnTracks (OsmAnd)\n## JT/T 808 and SOS\n## `http`\n## Top\n```\n# not a heading\n```')],
    ['top', 'phones-over-http-owntracks-osmand', 'jtt-808-and-sos', 'http', 'top-1'])
})

t.test('every relative link in README.md and docs/*.md resolves', async (t) => {
  t.ok(pages.length > 10, 'README.md and the docs pages are found')
  for (const page of pages) {
    const md = readFileSync(page, 'utf8')
    for (const href of relativeLinks(md)) {
      const [path = '', anchor] = href.split('#')
      const target = path === '' ? page : normalize(join(dirname(page), decodeURIComponent(path)))
      if (!existsSync(target)) {
        t.fail(`${page}: link ${href} points at ${target}, which does not exist`)
        continue
      }
      if (anchor !== undefined && anchor !== '' && target.endsWith('.md')) {
        t.ok(anchors(readFileSync(target, 'utf8')).has(anchor), `${page}: link ${href}: ${target} has a heading #${anchor}`)
      } else {
        t.pass(`${page}: ${href}`)
      }
    }
  }
})

t.test('every screenshot in docs/ is shown on some page', async (t) => {
  const linked = new Set(pages.flatMap((page) => relativeLinks(readFileSync(page, 'utf8')).map((href) => normalize(join(dirname(page), href.split('#')[0]!)))))
  for (const png of readdirSync('docs').filter((f) => f.endsWith('.png'))) t.ok(linked.has(join('docs', png)), `docs/${png} is linked from a page`)
})

t.test('no page cites issue numbers', async (t) => {
  for (const page of pages) {
    const text = readFileSync(page, 'utf8')
    t.notMatch(text, /\bissues?\s+#?\d+|\(#\d+\)|\s#\d+\b/i, `${page} names no issue number`)
  }
})

t.test('the README shows exactly the install and test commands .ci/run runs', async (t) => {
  const ci = readFileSync('.ci/run', 'utf8').split('\n').filter((l) => /^npm /.test(l))
  t.same(ci, ['npm ci', 'npm test'], '.ci/run installs with npm ci and tests with npm test')
  const blocks = [...readFileSync('README.md', 'utf8').matchAll(/^```sh\n([\s\S]*?)^```/gm)].flatMap((m) => m[1]!.split('\n'))
  for (const command of ci) t.ok(blocks.includes(command), `the README has \`${command}\` alone on a line of a shell block`)
})

t.test('every docs page is linked from the README', async (t) => {
  const readme = readFileSync('README.md', 'utf8')
  for (const page of pages.filter((p) => p.startsWith('docs/'))) t.ok(readme.includes(`(${page})`), `README.md links ${page}`)
})
