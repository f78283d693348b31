import t from 'tap'
import { gridDisk, gridDistance, gridPathCells, latLngToCell } from 'h3-js'
import { clusterCells, localSteps, overdueCell, urgencyOrder } from '../../src/patrol-tasks/cell-clusters.js'

const here = latLngToCell(36.4722, 117.8116, 9)
const far = latLngToCell(36.4774, 117.8497, 9)
const S = { linkRings: 2, maxCells: 30 }

t.test('cells within linkRings steps form one cluster; far cells another', async (t) => {
  const a = gridDisk(here, 1).map((c) => overdueCell(c, 1_000))
  const b = [overdueCell(far, null)]
  const out = clusterCells('z1', [...a, ...b], S)
  t.equal(out.length, 2)
  // The never-visited cell is more urgent than cells visited at t=1000.
  t.same(out.map((c) => c.cells.length), [1, 7])
  t.equal(out[0]?.oldestVisit, null)
  t.equal(out[1]?.oldestVisit, 1_000)
  t.equal(out[1]?.id, `z1:${[...gridDisk(here, 1)].sort()[0]}`, 'id = zone and smallest cell')
  t.equal(out[1]?.zoneId, 'z1')
})

t.test('a gap of linkRings steps still links; one more step does not', async (t) => {
  const line = gridPathCells(here, far)
  const twoApart = [line[0] as string, line[2] as string]
  t.equal(clusterCells('z', twoApart.map((c) => overdueCell(c, 0)), S).length, 1)
  const fourApart = [line[0] as string, line[4] as string]
  t.equal(clusterCells('z', fourApart.map((c) => overdueCell(c, 0)), { linkRings: 3, maxCells: 30 }).length, 2)
})

t.test('priority cells come first; an oversized area is cut into neighbouring pieces', async (t) => {
  const disk = gridDisk(here, 3) // 37 cells
  const cells = disk.map((c, i) => overdueCell(c, 5_000 + i, c === here))
  const out = clusterCells('z', cells, { linkRings: 1, maxCells: 10 })
  t.equal(out.length, 4)
  t.equal(out.reduce((n, c) => n + c.cells.length, 0), 37, 'no cell lost or doubled')
  t.ok(out.every((c) => c.cells.length <= 10))
  t.equal(out[0]?.priorityCells, 1, 'the piece holding the priority cell is most urgent')
  t.ok(out[0]?.cells.some((c) => c.cell === here))
})

t.test('duplicates collapse; output is deterministic whatever the input order', async (t) => {
  const cells = gridDisk(here, 2).map((c) => overdueCell(c, 7))
  const a = clusterCells('z', [...cells, ...cells], S)
  const b = clusterCells('z', [...cells].reverse(), S)
  t.same(a, b)
  t.equal(a[0]?.cells.length, 19)
})

t.test('cells H3 cannot relate (different resolutions) stay apart instead of throwing', async (t) => {
  const coarse = latLngToCell(36.4722, 117.8116, 5)
  t.equal(clusterCells('z', [overdueCell(here, 1), overdueCell(coarse, 1)], S).length, 2)
})

t.test('urgency order: priority, then oldest, then size, then id', async (t) => {
  const mk = (id: string, priorityCells: number, oldestVisit: number | null, n: number) =>
    ({ id, zoneId: 'z', cells: Array.from({ length: n }, () => overdueCell(here, 0)), lat: 0, lon: 0, priorityCells, oldestVisit })
  const list = [mk('d', 0, 10, 1), mk('c', 0, 10, 3), mk('b', 0, null, 1), mk('a', 1, 50, 1), mk('e', 0, 10, 1)]
  t.same(list.sort(urgencyOrder).map((c) => c.id), ['a', 'b', 'c', 'd', 'e'])
})

t.test('cells joined only through a later cell end in one cluster (union-find chains)', async (t) => {
  const line = gridPathCells(here, far)
  const [a, b, c] = [line[0] as string, line[4] as string, line[2] as string]
  const out = clusterCells('z', [a, b, c, line[6] as string].map((x) => overdueCell(x, 0)), S)
  t.equal(out.length, 1)
  t.equal(out[0]?.cells.length, 4)
})

t.test('localSteps: the grid distances H3 gives, from one placement per cell', async (t) => {
  for (const [lat, lon, res] of [[36.49, 117.86, 9], [39.9, 116.4, 10], [-33.9, 151.2, 8], [64.1, -21.9, 9]] as const) {
    const cells = gridDisk(latLngToCell(lat, lon, res), 12)
    const dist = localSteps(cells)
    if (dist === null) throw new Error('not placed')
    let seed = 11
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    let same = 0
    for (let k = 0; k < 2000; k++) {
      const a = cells[Math.floor(rnd() * cells.length)] as string
      const b = cells[Math.floor(rnd() * cells.length)] as string
      if (dist(a, b) === gridDistance(a, b)) same++
    }
    t.equal(same, 2000, `${lat},${lon} r${res}`)
  }
  t.equal(localSteps([]), null)
})

t.test('localSteps: a cell outside the placed set is measured by H3 itself, Infinity when H3 cannot relate the two', async (t) => {
  const dist = localSteps(gridDisk(here, 2))
  if (dist === null) throw new Error('not placed')
  t.equal(dist(here, far), gridDistance(here, far), 'a cell not placed: gridDistance')
  // A cell on another continent: gridDistance throws, the distance is Infinity (never clustered).
  const sydney = latLngToCell(-33.9, 151.2, 9)
  t.throws(() => gridDistance(here, sydney))
  t.equal(dist(here, sydney), Infinity)
})
