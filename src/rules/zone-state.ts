// One zone's live rule state: its coverage, its response coverage and the dwell timers of their
// gap alerts. Shared by the engine, which evaluates it, and the state codec, which persists it.
import { ZoneCoverage } from './coverage.js'
import type { ZoneSpec } from './deployment.js'
import { initialGapDwell, type GapDwellState } from './gap-dwell.js'
import { ResponseCoverage } from './response-coverage.js'

export interface ZoneState {
  spec: ZoneSpec
  coverage: ZoneCoverage
  response: ResponseCoverage | null
  responseRatio: number | null
  coverageDwell: GapDwellState
  responseDwell: GapDwellState
  /** overrideKey() of the override the spec was built from ('' = as configured). */
  overrideKey: string
}

/** A configured zone's state at engine start: nothing visited, no timer running. */
export function createZoneState(spec: ZoneSpec, startedAt: number): ZoneState {
  return {
    spec,
    coverage: new ZoneCoverage(spec.coverage, startedAt),
    response: responseCoverageOf(spec),
    responseRatio: null,
    coverageDwell: initialGapDwell(),
    responseDwell: initialGapDwell(),
    overrideKey: '',
  }
}

/** The response coverage a spec asks for, or null when it sets no response radius. */
export function responseCoverageOf(spec: ZoneSpec): ResponseCoverage | null {
  return spec.responseRadiusM === null ? null : new ResponseCoverage(spec.coverage.cells, spec.resolution, spec.responseRadiusM)
}
