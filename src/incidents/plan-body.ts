// A plan sent through the API (POST/PUT /api/v1/plans) → PlanSpec, by the same schema and compiler
// as a `plans` entry of the config: one validator, the same shape and units (durations like `5m`,
// metres, posts expanded to units). A refusal is a PlanError('bad_request') naming the field.
import { decodePart } from '../config/decode-part.js'
import { PlanSchema } from '../config/incidents-schema.js'
import { compilePlan, type PlanContext } from './compile.js'
import { PlanError, type PlanSpec } from './plans.js'

/** `id`: the plan the URL names (PUT); the body may omit its id then, but not give another one. */
export function parsePlanBody(raw: unknown, ctx: PlanContext, id?: string): PlanSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PlanError('bad_request', 'the body must be a plan object (id, name, positions, dwell, checkpoints)')
  const body = raw as Record<string, unknown>
  if (id !== undefined) {
    if (body.id !== undefined && body.id !== id) throw new PlanError('bad_request', `id: the body names plan ${JSON.stringify(body.id)} but the URL names ${id}; leave id out or make them equal`)
  }
  const decoded = decodePart(PlanSchema, id === undefined ? body : { ...body, id }, { root: '(body)', max: 5 })
  if (!decoded.ok) throw new PlanError('bad_request', decoded.problems.join('; '))
  try {
    return compilePlan(decoded.value, ctx, '')
  } catch (err) {
    throw new PlanError('bad_request', (err as Error).message)
  }
}
