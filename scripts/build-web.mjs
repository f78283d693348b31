// Bundles the live map (src/web) with esbuild into <out>/ (default dist/web): index.html and
// /assets/ (app.js, app.css, Leaflet's images). Everything the page loads comes from here: no CDN.
// --probes: a TEST build that exposes `window.hexpatrol` (read-only probes into the canvas layers
// for the browser tests, benchmarks and screenshots); it leaves TEST_BUILD_MARKER in the output, so
// `npm start` never serves it (scripts/build-if-stale.mjs rebuilds). Production builds compile the
// probes out.
// Usage: node scripts/build-web.mjs [--out dir] [--quiet] [--probes]
import { build } from 'esbuild'
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Beside index.html in a build made with probes. */
export const TEST_BUILD_MARKER = 'TEST-BUILD-WITH-PROBES'

export async function buildWeb (out = join(root, 'dist', 'web'), { probes = false } = {}) {
  const assets = join(out, 'assets')
  // A fresh directory: chunk names carry a hash, old ones must not linger (or count in the size).
  rmSync(assets, { recursive: true, force: true })
  mkdirSync(assets, { recursive: true })
  await build({
    absWorkingDir: root,
    entryPoints: { app: 'src/web/main.ts', style: 'src/web/style.css' },
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'esm',
    // Code loaded on demand (the PMTiles reader) goes into its own chunk.
    splitting: true,
    chunkNames: '[name]-[hash]',
    target: ['chrome110', 'firefox110', 'safari16'],
    outdir: assets,
    entryNames: '[name]',
    assetNames: '[name]',
    loader: { '.png': 'file', '.svg': 'file' },
    legalComments: 'none',
    logLevel: 'warning',
    // A constant, so a production build drops the probe code altogether.
    define: { __HEXP_PROBES__: probes ? 'true' : 'false' },
  })
  rmSync(join(out, TEST_BUILD_MARKER), { force: true })
  if (probes) writeFileSync(join(out, TEST_BUILD_MARKER), 'Built with --probes for tests: exposes window.hexpatrol. Not for production.\n')
  copyFileSync(join(root, 'src/web/index.html'), join(out, 'index.html'))
  copyFileSync(join(root, 'src/web/favicon.svg'), join(assets, 'favicon.svg'))
  const sizes = {}
  for (const f of readdirSync(assets)) {
    const p = join(assets, f)
    if (statSync(p).isFile()) sizes[f] = { bytes: statSync(p).size, gzip: gzipSync(readFileSync(p)).length }
  }
  return { out, sizes }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out')
  const { out, sizes } = await buildWeb(i > 0 ? resolve(process.argv[i + 1]) : undefined, { probes: process.argv.includes('--probes') })
  if (!process.argv.includes('--quiet')) {
    const total = Object.values(sizes).reduce((n, s) => n + s.gzip, 0)
    for (const [f, s] of Object.entries(sizes)) console.log(`${f.padEnd(16)} ${String(s.bytes).padStart(8)} B  ${String(s.gzip).padStart(7)} B gzip`)
    console.log(`map bundle in ${out}: ${(total / 1024).toFixed(1)} KiB gzipped`)
  }
}
