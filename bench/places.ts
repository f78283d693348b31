// The place lookup's cost: one Gazetteer.search() over 1,000, 10,000 and 50,000 (the config's
// bound) places with Chinese names, English names and an alias each, for a mix of queries that
// match exactly, by prefix, inside and in order, beside the ceiling of a bare scan that only
// compares each normalised name with the query (String.includes), the least any lookup must do.
// Run: npx tsx bench/places.ts
import { Gazetteer, normalise, type PlaceEntry } from '../src/incidents/places.js'

const CHARS = '人民广场东门火车站医院学校市场新华路东关派出所中心小学实验中学农贸区政府长途汽车北南西'
let seed = 7
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}
const word = (n: number) => Array.from({ length: n }, () => CHARS[Math.floor(rnd() * CHARS.length)]).join('')
const QUERIES = ['人民广场', '火车站', '东门', '人广', 'place 12', '派出所东']
const RUNS = 200

function perSearch(f: (q: string) => unknown): number {
  for (const q of QUERIES) f(q)
  const t0 = performance.now()
  for (let i = 0; i < RUNS; i++) f(QUERIES[i % QUERIES.length] as string)
  return (performance.now() - t0) / RUNS
}

console.log('| places | Gazetteer.search, ms | bare includes scan (ceiling), ms |')
console.log('|---:|---:|---:|')
for (const size of [1_000, 10_000, 50_000]) {
  const entries: PlaceEntry[] = Array.from({ length: size }, (_, i) => ({ name: word(4 + (i % 6)), nameEn: `place ${i}`, aliases: [word(3)], kind: 'landmark', lat: 36.49, lon: 117.86, source: 'config' }))
  const g = new Gazetteer(entries)
  const keys = entries.flatMap((e) => [e.name, e.nameEn ?? '', ...e.aliases].map(normalise))
  const bare = (q: string) => {
    const n = normalise(q)
    let hits = 0
    for (const k of keys) if (k.includes(n)) hits++
    return hits
  }
  console.log(`| ${size.toLocaleString('en')} | ${perSearch((q) => g.search(q)).toFixed(3)} | ${perSearch(bare).toFixed(3)} |`)
}
