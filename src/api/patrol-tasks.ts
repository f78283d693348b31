// Make-up patrols over HTTP: the board (proposals and tasks with their progress) for
// scope `read`; accepting (optionally for another unit), dismissing a proposal and cancelling a
// task for scope `operate`. Each change is audited (audit hook, details set here) and its event
// (patrol_task.assigned / .cancelled) goes out through the engine's one publish path. In cluster
// mode the changes go through the log and any engine answers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { HexpatrolError } from '../errors.js'
import type { BoardError } from '../patrol-tasks/task-board.js'
import { taskView, type PatrolTaskDesk } from '../patrol-tasks/service.js'
import type { ApiContext } from './context.js'
import { notFound } from './errors.js'
import { routeDeps } from './incidents/common.js'
import { TaskBoardView, TaskView } from '../wire/patrol-tasks.js'
import { Closed } from '../wire/schema-helpers.js'
import { IdParams, responses } from './schemas.js'

const tags = ['patrol-tasks']

/** Optional: no body (null) accepts the proposal for its unit. */
const AcceptBody = Type.Union([
  Closed({
    unitId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Assign to this unit instead of the proposed one (reassign); it must be live and free.' })),
  }),
  Type.Null(),
])

const Dismissed = Type.Object({ id: Type.String(), dismissed: Type.Literal(true) }, { additionalProperties: false })

/** A board refusal as the API answers it. */
function refusal(e: BoardError, id: string, unitId?: string): HexpatrolError {
  switch (e) {
    case 'unknown_proposal': return notFound(`make-up proposal ${id} (proposals are recomputed every patrol_tasks.refresh_every; list them again)`)
    case 'unknown_task': return notFound(`open patrol task ${id}`)
    case 'unit_busy': return new HexpatrolError('HEXP_ERR_CONFLICT', `${unitId === undefined ? 'The proposed unit' : `Unit ${unitId}`} is committed to an active plan or holds an open patrol task; choose another unit or cancel its task first.`)
    case 'no_unit': return new HexpatrolError('HEXP_ERR_CONFLICT', unitId === undefined
      ? `Proposal ${id} has no available unit; give unitId of a live, free unit.`
      : `Unit ${unitId} is not live (not configured, silent or without a position); choose a live unit.`)
  }
}

export const patrolTasksPlugin: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, opts) => {
  const { ctx } = opts
  const { audit } = routeDeps(ctx)
  const svc = (): PatrolTaskDesk => {
    if (ctx.patrolTasks === undefined) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'Make-up patrols are not running (they need the rules, and this engine runs without them).')
    return ctx.patrolTasks
  }

  app.get('/api/v1/patrol-tasks', {
    config: { scope: 'read' },
    schema: { tags, summary: 'Make-up patrol proposals (most urgent first) and tasks with their progress', response: responses({ 200: TaskBoardView }) },
  }, async () => {
    const s = svc()
    return { proposals: s.proposals().map((p) => ({ ...p, cells: p.cells.map((c) => ({ cell: c.cell, lat: c.lat, lon: c.lon, lastVisit: c.lastVisit, priority: c.priority })) })), tasks: s.tasks() }
  })

  app.post('/api/v1/patrol-tasks/proposals/:id/accept', {
    config: { scope: 'operate', action: 'patrol_task.accept' },
    schema: {
      tags,
      summary: 'Accept a proposal: the task is assigned to its unit (or to unitId) and patrol_task.assigned is published',
      params: IdParams,
      body: Type.Optional(AcceptBody),
      response: responses({ 201: TaskView }),
    },
  }, async (req, reply) => {
    const unitId = req.body?.unitId
    const r = await svc().accept(req.params.id, ctx.now(), unitId)
    if (typeof r === 'string') throw refusal(r, req.params.id, unitId)
    audit(req, 'patrol_task.accept', req.params.id, { taskId: r.spec.id, unitId: r.spec.unitId })
    return reply.status(201).send(taskView(r))
  })

  app.post('/api/v1/patrol-tasks/proposals/:id/dismiss', {
    config: { scope: 'operate', action: 'patrol_task.dismiss' },
    schema: { tags, summary: 'Dismiss a proposal: hidden for patrol_tasks.dismiss_for', params: IdParams, response: responses({ 200: Dismissed }) },
  }, async (req) => {
    const r = await svc().dismiss(req.params.id, ctx.now())
    if (r !== true) throw refusal(r, req.params.id)
    audit(req, 'patrol_task.dismiss', req.params.id, {})
    return { id: req.params.id, dismissed: true as const }
  })

  app.post('/api/v1/patrol-tasks/:id/cancel', {
    config: { scope: 'operate', action: 'patrol_task.cancel' },
    schema: { tags, summary: 'Cancel an open task: patrol_task.cancelled is published', params: IdParams, response: responses({ 200: TaskView }) },
  }, async (req) => {
    const r = await svc().cancel(req.params.id, ctx.now())
    if (typeof r === 'string') throw refusal(r, req.params.id)
    audit(req, 'patrol_task.cancel', req.params.id, { unitId: r.spec.unitId })
    return taskView(r)
  })
}
