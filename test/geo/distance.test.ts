import t from 'tap'
import { greatCircleDistance } from 'h3-js'
import { haversineM, metresPerDegree, EARTH_RADIUS_M } from '../../src/geo/distance.js'

t.test('known distances', async (t) => {
  t.equal(haversineM(36.49, 117.86, 36.49, 117.86), 0, 'same point')
  const oneDegLat = haversineM(36, 117.86, 37, 117.86)
  t.ok(Math.abs(oneDegLat - 111_195) < 5, `1° of latitude ≈ 111.2 km (got ${oneDegLat})`)
  const oneDegLonEquator = haversineM(0, 0, 0, 1)
  t.ok(Math.abs(oneDegLonEquator - 111_195) < 5, '1° of longitude at the equator ≈ 111.2 km')
  const oneDegLon = haversineM(36.49, 117.5, 36.49, 118.5)
  t.ok(Math.abs(oneDegLon - 111_195 * Math.cos((36.49 * Math.PI) / 180)) < 100, '1° of longitude shrinks by cos(lat)')
  t.equal(haversineM(10, 20, 30, 40), haversineM(30, 40, 10, 20), 'symmetric')
  const antipodal = haversineM(0, 0, 0, 180)
  t.ok(Math.abs(antipodal - Math.PI * EARTH_RADIUS_M) < 1e-6, 'antipodal points: half the circumference, no NaN')
})

t.test('agrees with h3-js greatCircleDistance on random pairs', async (t) => {
  let seed = 12345
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  let worst = 0
  for (let i = 0; i < 2000; i++) {
    const a: [number, number] = [rnd() * 180 - 90, rnd() * 360 - 180]
    // Half the pairs at city scale near the deployment, half anywhere.
    const b: [number, number] = i % 2 === 0 ? [36.49 + (rnd() - 0.5) * 0.2, 117.86 + (rnd() - 0.5) * 0.2] : [rnd() * 180 - 90, rnd() * 360 - 180]
    if (i % 2 === 0) a.splice(0, 2, 36.49 + (rnd() - 0.5) * 0.2, 117.86 + (rnd() - 0.5) * 0.2)
    const ours = haversineM(a[0], a[1], b[0], b[1])
    const h3 = greatCircleDistance(a, b, 'm')
    worst = Math.max(worst, Math.abs(ours - h3) / Math.max(1, h3))
  }
  t.ok(worst < 1e-9, `relative difference ${worst}`)
})

t.test('metresPerDegree', async (t) => {
  const eq = metresPerDegree(0)
  t.ok(Math.abs(eq.perLat - eq.perLon) < 1e-9)
  const here = metresPerDegree(36.49)
  t.ok(Math.abs(here.perLon / here.perLat - Math.cos((36.49 * Math.PI) / 180)) < 1e-12)
  t.ok(Math.abs(here.perLat - 111_195) < 5)
})
