// Unit-days for the patrol integrity detectors (src/integrity/), on the GPS realism kit: honest
// ones (foot and vehicle patrols, an officer riding along on short trips, a vehicle parked for a
// long break, a phone on network location) and dishonest ones (mock location, a phone left in a
// car all shift, yesterday's track replayed, a frozen position, a phone left at the station).
// Each scenario is one seed → two consecutive days of its units (the replay detector compares a
// day with the one before), fed to an IntegrityMonitor in fix-time order. Shared by
// test/integrity/ and bench/integrity.ts.
import { validateConfig } from '../../src/config/load.js'
import { FixFlag, type Fix } from '../../src/decode/fix.js'
import { IntegrityMonitor } from '../../src/integrity/monitor.js'
import { integrityOptions, type IntegrityOptions } from '../../src/integrity/options.js'
import type { IntegrityKind, IntegritySignal } from '../../src/integrity/signal.js'
import { NETWORK, generateTrack, offsetM, route, sweepLoop, waypoints, type LatLon, type Noise } from './gps-realism.js'
import { rng } from './workload.js'

export const DAY0 = Date.UTC(2026, 10, 2, 0, 0, 0)
const DAY_MS = 86_400_000
/** Shift: 08:00–16:00 UTC. */
const SHIFT_START_S = 8 * 3600
const SHIFT_S = 8 * 3600
const CITY = { lat: 36.65, lon: 117.0 }

export interface UnitDays {
  /** Every fix of every unit, both days, in fix-time order. */
  fixes: Fix[]
  kinds: Map<string, string>
  /** Units × days. */
  unitDays: number
  /** The unit whose dishonesty the scenario stages (dishonest scenarios only). */
  culprit?: string
  /** The vehicle the culprit's phone rode in (phone in a car), or its paired terminal (device_disagreement). */
  vehicle?: string
  /** Phone unit → the vehicle terminal it is paired with (units[].pair). */
  pairs?: Map<string, string>
}

export interface Scenario {
  name: string
  honest: boolean
  /** The detector that must catch it (dishonest scenarios). */
  expect?: IntegrityKind
  /** A dishonest case beyond what the detectors promise (the benchmark prints its rate; no test asserts it). */
  limit?: boolean
  build: (seed: number) => UnitDays
}

type Leg = { to: LatLon[]; speedMps: number } | { pauseS: number }

/** Truth along legs walked or driven in turn, with pauses: `once` first, then `legs` over and over until the shift ends. */
function plan(start: LatLon, legs: Leg[], once: Leg[] = []): (tS: number) => LatLon {
  const pts: Array<[number, LatLon]> = [[0, start]]
  let t = 0
  let at = start
  let first = true
  while (t < SHIFT_S) {
    const before = t
    for (const leg of first ? [...once, ...legs] : legs) {
      if ('pauseS' in leg) {
        t += leg.pauseS
        pts.push([t, at])
        continue
      }
      const r = route([at, ...leg.to], leg.speedMps, t)
      for (const w of r.slice(1)) pts.push(w)
      t = (r[r.length - 1] as [number, LatLon])[0]
      at = leg.to[leg.to.length - 1] as LatLon
    }
    if (t === before) break
    first = false
  }
  return waypoints(pts)
}

interface Unit { id: string; kind: string; truth: (tS: number) => LatLon; periodS: number; noise?: Partial<Noise> }

/** Both days of some units; `alter` may rewrite a unit's fixes of a day (the dishonest part). */
function days(seed: number, units: Unit[], alter?: (unitId: string, day: number, fixes: Fix[], all: Map<string, Fix[]>) => Fix[]): UnitDays {
  const rand = rng(seed)
  const out: Fix[] = []
  for (let day = 0; day < 2; day++) {
    const byUnit = new Map<string, Fix[]>()
    for (const u of units) {
      const start = DAY0 + day * DAY_MS + SHIFT_START_S * 1000
      // A dropout or two (tunnels, lifts): buffered and sent late, in fix time they are where they were.
      const d = Math.floor(rand() * SHIFT_S)
      const fixes = generateTrack({
        seed: Math.floor(rand() * 2 ** 31), unitId: u.id, start, durationS: SHIFT_S, periodS: u.periodS, truth: u.truth,
        ...(u.noise === undefined ? {} : { noise: u.noise }), dropouts: [[d, d + 60 + rand() * 240]],
      }).map((r) => r.fix)
      byUnit.set(u.id, fixes)
    }
    for (const u of units) {
      const fixes = byUnit.get(u.id) as Fix[]
      out.push(...(alter === undefined ? fixes : alter(u.id, day, fixes, byUnit)))
    }
  }
  out.sort((a, b) => a.ts - b.ts)
  return { fixes: out, kinds: new Map(units.map((u) => [u.id, u.kind])), unitDays: units.length * 2 }
}

/** A beat somewhere in the city, its own for each seed. */
function beatCentre(rand: () => number): LatLon {
  return offsetM(CITY, (rand() - 0.5) * 10_000, (rand() - 0.5) * 10_000)
}

const footBeat = (c: LatLon) => sweepLoop(c, 500, 125)
const carBeat = (c: LatLon) => sweepLoop(c, 2000, 400)
const WALK = 1.3
const DRIVE = 9

function footPatrol(c: LatLon, rand: () => number): (tS: number) => LatLon {
  const loop = footBeat(c)
  // A coffee or a talk with a shopkeeper now and then: 5–15 min stops between laps.
  return plan(loop[0] as LatLon, [{ to: loop.slice(1), speedMps: WALK * (0.9 + 0.2 * rand()) }, { pauseS: 300 + rand() * 600 }])
}

/** A car sweeping its beat (a lap is ~70 min) with a 2–7 min stop mid-lap and a 10 min stop after it; one break of `breakS` after the second lap. */
function carPatrol(c: LatLon, rand: () => number, breakS = 0): (tS: number) => LatLon {
  const loop = carBeat(c)
  const lap: Leg[] = [{ to: loop.slice(1, 6), speedMps: DRIVE }, { pauseS: 120 + rand() * 300 }, { to: loop.slice(6), speedMps: DRIVE }, { pauseS: 600 }]
  return plan(loop[0] as LatLon, lap, breakS === 0 ? [] : [...lap, ...lap, { pauseS: breakS }])
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'foot patrol',
    honest: true,
    build: (seed) => {
      const rand = rng(seed)
      return days(seed, [{ id: 'F-1', kind: 'officer', truth: footPatrol(beatCentre(rand), rand), periodS: 30 }])
    },
  },
  {
    name: 'vehicle patrol',
    honest: true,
    build: (seed) => {
      const rand = rng(seed)
      return days(seed, [{ id: 'V-1', kind: 'vehicle', truth: carPatrol(beatCentre(rand), rand), periodS: 10 }])
    },
  },
  {
    name: 'ride-along (car trips of 5-6 min)',
    honest: true,
    build: (seed) => {
      const rand = rng(seed)
      const c = beatCentre(rand)
      const loop = footBeat(c)
      const car = carBeat(c)
      // The officer walks a lap, rides 5–6 min to a call across the district, stays 30 min, rides back 4–5 min, walks two laps; and again.
      const legs: Leg[] = [
        { to: loop.slice(1), speedMps: WALK }, { pauseS: 600 },
        { to: car.slice(1, 3), speedMps: DRIVE }, { pauseS: 1800 }, { to: [loop[0] as LatLon], speedMps: DRIVE },
        { to: loop.slice(1), speedMps: WALK }, { to: loop.slice(1), speedMps: WALK }, { pauseS: 600 },
      ]
      const officer = plan(loop[0] as LatLon, legs)
      // The car follows the officer during the trips and patrols elsewhere otherwise: here it rides along all day (the worst case for companion matching).
      return days(seed, [
        { id: 'F-1', kind: 'officer', truth: officer, periodS: 30 },
        { id: 'V-1', kind: 'vehicle', truth: (tS) => officer(tS), periodS: 10 },
      ])
    },
  },
  {
    name: 'vehicle parked 90 min after two laps',
    honest: true,
    build: (seed) => {
      const rand = rng(seed)
      return days(seed, [{ id: 'V-1', kind: 'vehicle', truth: carPatrol(beatCentre(rand), rand, 5400), periodS: 10 }])
    },
  },
  {
    name: 'phone on network location',
    honest: true,
    build: (seed) => {
      const rand = rng(seed)
      return days(seed, [{ id: 'F-1', kind: 'officer', truth: footPatrol(beatCentre(rand), rand), periodS: 60, noise: NETWORK }])
    },
  },
  {
    name: 'mock location (2 h of the shift)',
    honest: false,
    expect: 'mock_location',
    build: (seed) => {
      const rand = rng(seed)
      const r = days(seed, [{ id: 'F-1', kind: 'officer', truth: footPatrol(beatCentre(rand), rand), periodS: 30 }], (_u, day, fixes) => {
        if (day === 1) for (const f of fixes.slice(300, 540)) f.flags |= FixFlag.Mock
        return fixes
      })
      return { ...r, culprit: 'F-1' }
    },
  },
  {
    name: 'phone left in a patrol car all shift',
    honest: false,
    expect: 'vehicle_speed',
    build: (seed) => {
      const rand = rng(seed)
      const c = beatCentre(rand)
      const car = carPatrol(c, rand)
      const walk = footPatrol(c, rand)
      // Day 0 the officer walks the beat; day 1 the phone stays in the car.
      const r = days(seed, [
        { id: 'V-1', kind: 'vehicle', truth: car, periodS: 10 },
        { id: 'F-1', kind: 'officer', truth: car, periodS: 30 },
      ], (u, day, fixes) => u === 'F-1' && day === 0
        ? generateTrack({ seed: seed + 1, unitId: u, start: DAY0 + SHIFT_START_S * 1000, durationS: SHIFT_S, periodS: 30, truth: walk }).map((x) => x.fix)
        : fixes)
      return { ...r, culprit: 'F-1', vehicle: 'V-1' }
    },
  },
  {
    name: "yesterday's track replayed (exact)",
    honest: false,
    expect: 'replayed_track',
    build: (seed) => replayed(seed, (f) => f),
  },
  {
    name: "yesterday's track replayed (every other fix, 0.5 m jitter)",
    honest: false,
    expect: 'replayed_track',
    build: (seed) => {
      const j = rng(seed + 7)
      return replayed(seed, (f, i) => (i % 2 === 1 ? null : { ...f, ...offsetM(f, (j() - 0.5), (j() - 0.5)) }))
    },
  },
  {
    name: 'frozen position (3 h)',
    honest: false,
    expect: 'frozen_position',
    build: (seed) => {
      const rand = rng(seed)
      const r = days(seed, [{ id: 'F-1', kind: 'officer', truth: footPatrol(beatCentre(rand), rand), periodS: 30 }], (_u, day, fixes) => {
        if (day === 1) {
          const pin = fixes[200] as Fix
          for (const f of fixes.slice(200, 560)) Object.assign(f, { lat: pin.lat, lon: pin.lon, h3: pin.h3 })
        }
        return fixes
      })
      return { ...r, culprit: 'F-1' }
    },
  },
  {
    name: 'phone left at the station (6 h)',
    honest: false,
    expect: 'stationary_share',
    build: (seed) => {
      const rand = rng(seed)
      const c = beatCentre(rand)
      const loop = footBeat(c)
      const day2 = plan(c, [{ to: loop.slice(0, 4), speedMps: WALK }, { to: [c], speedMps: WALK }, { pauseS: 6 * 3600 }])
      const r = days(seed, [{ id: 'F-1', kind: 'officer', truth: footPatrol(c, rand), periodS: 30 }], (u, day, fixes) => {
        if (day === 0) return fixes
        return generateTrack({ seed: seed + 1, unitId: u, start: DAY0 + DAY_MS + SHIFT_START_S * 1000, durationS: SHIFT_S, periodS: 30, truth: day2 }).map((x) => x.fix)
      })
      return { ...r, culprit: 'F-1' }
    },
  },
  {
    name: 'crew phone paired with its car terminal (walks of 10-20 min up to 350 m away)',
    honest: true,
    build: (seed) => {
      const rand = rng(seed)
      const c = beatCentre(rand)
      const car = carPatrol(c, rand)
      // Now and then the crew stops and an officer walks off (a shop, a call) with the phone while the car waits.
      const walks: Array<[number, number, number]> = []
      for (let t = 1800 + rand() * 1800; t < SHIFT_S - 1800; t += 3600 + rand() * 3600) walks.push([t, 600 + rand() * 600, 100 + rand() * 250])
      const phone = (tS: number): LatLon => {
        const w = walks.find(([from, len]) => tS >= from && tS < from + len)
        if (w === undefined) return car(tS)
        const [from, len, far] = w
        const k = (tS - from) / len
        const parkedAt = car(from)
        return offsetM(parkedAt, far * Math.sin(Math.PI * k), 0)
      }
      const car2 = (tS: number): LatLon => {
        const w = walks.find(([from, len]) => tS >= from && tS < from + len)
        return w === undefined ? car(tS) : car(w[0])
      }
      const r = days(seed, [
        { id: 'V-1', kind: 'vehicle', truth: car2, periodS: 10 },
        { id: 'P-1', kind: 'crew', truth: phone, periodS: 30 },
      ])
      return { ...r, pairs: new Map([['P-1', 'V-1']]) }
    },
  },
  {
    name: 'crew phone left at the station while its car patrols (3 h)',
    honest: false,
    expect: 'device_disagreement',
    build: (seed) => {
      const rand = rng(seed)
      const c = beatCentre(rand)
      const car = carPatrol(c, rand)
      const station = offsetM(c, 2500, 0)
      // Day 1, 10:00-13:00: the phone lies at the station.
      const phone = (day: number) => (tS: number): LatLon => (day === 1 && tS >= 7200 && tS < 18_000 ? station : car(tS))
      const r = days(seed, [
        { id: 'V-1', kind: 'vehicle', truth: car, periodS: 10 },
        { id: 'P-1', kind: 'crew', truth: car, periodS: 30 },
      ], (u, day, fixes) => u === 'P-1' && day === 1
        ? generateTrack({ seed: seed + 3, unitId: u, start: DAY0 + DAY_MS + SHIFT_START_S * 1000, durationS: SHIFT_S, periodS: 30, truth: phone(1) }).map((x) => x.fix)
        : fixes)
      return { ...r, culprit: 'P-1', vehicle: 'V-1', pairs: new Map([['P-1', 'V-1']]) }
    },
  },
  {
    name: "limit: yesterday's track replayed with 5 m of noise added",
    honest: false,
    limit: true,
    expect: 'replayed_track',
    build: (seed) => {
      const j = rng(seed + 11)
      return replayed(seed, (f) => ({ ...f, ...offsetM(f, 5 * (j() - 0.5) * 3.4, 5 * (j() - 0.5) * 3.4) }))
    },
  },
  {
    name: 'limit: phone left in a patrol car for 20 min',
    honest: false,
    limit: true,
    expect: 'vehicle_speed',
    build: (seed) => {
      const rand = rng(seed)
      const c = beatCentre(rand)
      const car = carPatrol(c, rand)
      const walk = footPatrol(c, rand)
      const inCar = (tS: number) => (tS >= 7200 && tS < 8400 ? car(tS) : walk(tS))
      const r = days(seed, [
        { id: 'V-1', kind: 'vehicle', truth: car, periodS: 10 },
        { id: 'F-1', kind: 'officer', truth: inCar, periodS: 30 },
      ], (u, day, fixes) => u === 'F-1' && day === 0
        ? generateTrack({ seed: seed + 1, unitId: u, start: DAY0 + SHIFT_START_S * 1000, durationS: SHIFT_S, periodS: 30, truth: walk }).map((x) => x.fix)
        : fixes)
      return { ...r, culprit: 'F-1', vehicle: 'V-1' }
    },
  },
]

/** Day 0 an honest foot patrol; day 1 the same fixes 24 h later, through `edit` (null drops a fix). */
function replayed(seed: number, edit: (f: Fix, i: number) => Fix | null): UnitDays {
  const rand = rng(seed)
  let yesterday: Fix[] = []
  const r = days(seed, [{ id: 'F-1', kind: 'officer', truth: footPatrol(beatCentre(rand), rand), periodS: 30 }], (_u, day, fixes) => {
    if (day === 0) {
      yesterday = fixes
      return fixes
    }
    return yesterday.map((f, i) => edit({ ...f, ts: f.ts + DAY_MS, receivedAt: f.receivedAt + DAY_MS }, i)).filter((f): f is Fix => f !== null)
  })
  return { ...r, culprit: 'F-1' }
}

export const DEFAULT_OPTIONS: IntegrityOptions = integrityOptions(validateConfig({}).integrity)

/** Every signal of a scenario's unit-days, the detectors fed in fix-time order and flushed at the end. */
export function signalsOf(u: UnitDays, o: IntegrityOptions = DEFAULT_OPTIONS): IntegritySignal[] {
  const m = new IntegrityMonitor(o, { kindOf: (id) => u.kinds.get(id), ...(u.pairs === undefined ? {} : { pairs: u.pairs }) })
  const out: IntegritySignal[] = []
  for (const f of u.fixes) out.push(...m.observe(f))
  out.push(...m.flush())
  return out
}

export interface Rates {
  unitDays: number
  runs: number
  falseSignals: number
  /** Every signal, by kind (true ones included). */
  byKind: Map<IntegrityKind, number>
  /** False signals by kind. */
  falseByKind: Map<IntegrityKind, number>
  /** Runs whose staged dishonesty the expected detector caught (on the culprit, on the dishonest day). */
  caught: number
  /** Caught runs whose signal names the vehicle the phone rode in (or needs none). */
  named: number
}

/** Runs a scenario over `runs` seeds: false signals (honest) or catches by the expected detector (dishonest). */
export function evaluate(s: Scenario, runs: number, seed0 = 1, o: IntegrityOptions = DEFAULT_OPTIONS): Rates {
  const r: Rates = { unitDays: 0, runs, falseSignals: 0, byKind: new Map(), falseByKind: new Map(), caught: 0, named: 0 }
  for (let k = 0; k < runs; k++) {
    const u = s.build(seed0 + k * 7919)
    r.unitDays += u.unitDays
    const sig = signalsOf(u, o)
    for (const x of sig) r.byKind.set(x.kind, (r.byKind.get(x.kind) ?? 0) + 1)
    // On a dishonest run, what the expected detector says about the culprit's dishonest day is true;
    // anything else (about an honest unit, about the culprit's honest day) is false.
    const isTrue = (x: IntegritySignal): boolean => !s.honest && x.kind === s.expect && x.unitId === u.culprit && x.from >= DAY0 + DAY_MS
    const hit = sig.filter(isTrue)
    if (hit.length > 0) r.caught++
    if (hit.some((x) => u.vehicle === undefined || x.relatedUnitId === u.vehicle)) r.named++
    for (const x of sig) {
      if (isTrue(x)) continue
      r.falseSignals++
      r.falseByKind.set(x.kind, (r.falseByKind.get(x.kind) ?? 0) + 1)
    }
  }
  return r
}
