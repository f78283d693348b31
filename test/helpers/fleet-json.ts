// A fleet state the size the engine's would be: `units` units of noisy JSON (positions, times,
// speeds, rule state), from a seeded generator so runs compare. 6,500 units ≈ 21 MB; gzip gets it
// to about a third (numbers do not compress like prose). For the snapshot store's test and bench.
const enc = new TextEncoder()

export function fleetJson(units: number, seed = 1): Uint8Array {
  let s = seed >>> 0
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
  const out: unknown[] = []
  for (let i = 0; i < units; i++) {
    const track = Array.from({ length: 80 }, () => [+(4.3 + rnd() * 0.2).toFixed(6), +(50.8 + rnd() * 0.1).toFixed(6), Math.floor(1.7e12 + rnd() * 1e8), +(rnd() * 30).toFixed(1)])
    out.push({ unit: `patrol-${i}`, h3: `8a1fb4662${Math.floor(rnd() * 0xfffff).toString(16).padStart(5, '0')}ff`, status: rnd() < 0.1 ? 'sos' : 'patrol', zones: [`z${Math.floor(rnd() * 200)}`], track, rules: { parked: { since: Math.floor(1.7e12 + rnd() * 1e8), alerted: rnd() < 0.05 } } })
  }
  return enc.encode(JSON.stringify({ version: 1, units: out }))
}
