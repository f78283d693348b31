// Make-up patrols as they go over the wire: a proposal, a task and the board, as GET
// /api/v1/patrol-tasks and the task routes send them. The TypeBox schema is the one source: the
// API validates and documents with it, the service's views (patrol-tasks/service.ts) are typed by
// it (Static<>), and the web client imports the types (type-only, erased from its bundle).
import { Type, type Static } from '@sinclair/typebox'
import { Closed, Nullable } from './schema-helpers.js'

const Cell = Closed({
  cell: Type.String({ description: 'H3 cell id (the zone\'s coverage resolution).' }),
  lat: Type.Number(),
  lon: Type.Number(),
})

export const ProposalView = Closed({
  id: Type.String({ description: '`makeup:<zone>:<cell>`: stable while the group of overdue cells keeps its smallest cell.' }),
  zoneId: Type.String(),
  cells: Type.Array(Closed({
    ...Cell.properties,
    lastVisit: Nullable(Type.Number({ description: 'Last credited visit, epoch ms; null: never visited.' })),
    priority: Type.Boolean(),
  }), { description: 'Overdue cells in visit order (from the proposed unit, else from the group\'s centre).' }),
  priorityCells: Type.Integer(),
  oldestVisit: Nullable(Type.Number()),
  /** The best available unit; null when none is (the hole is still listed). */
  unit: Nullable(Closed({
    id: Type.String(),
    name: Type.String(),
    kind: Type.String(),
    zone: Nullable(Type.String()),
    post: Nullable(Type.String()),
    distanceM: Type.Number(),
    etaS: Type.Number(),
    load: Type.Integer({ description: 'Make-up tasks the unit was given within patrol_tasks.load_window.' }),
    costS: Type.Number({ description: 'What the unit was chosen on (lowest wins): ETA + other_zone_penalty (unit of another zone) + kind_penalty of its kind + load × load_penalty, seconds.' }),
  })),
  routeM: Type.Number({ description: 'Metres from the unit (or centre) through every cell in order.' }),
}, { title: 'MakeUpProposal' })

export const TaskView = Closed({
  id: Type.String(),
  zoneId: Type.String(),
  unitId: Type.String(),
  by: Type.Union([Type.Literal('dispatcher'), Type.Literal('auto')]),
  assignedAt: Type.Number(),
  etaS: Type.Number({ description: 'Seconds the unit was expected to need to reach its first cell.' }),
  status: Type.Union([Type.Literal('assigned'), Type.Literal('started'), Type.Literal('completed'), Type.Literal('abandoned'), Type.Literal('expired'), Type.Literal('cancelled')]),
  visited: Type.Integer(),
  total: Type.Integer(),
  startedAt: Nullable(Type.Number()),
  endedAt: Nullable(Type.Number()),
  cells: Type.Array(Closed({ ...Cell.properties, visitedAt: Nullable(Type.Number()) })),
}, { title: 'PatrolTask' })

export const TaskBoardView = Closed({
  proposals: Type.Array(ProposalView),
  tasks: Type.Array(TaskView, { description: 'Open tasks first, then ended ones (patrol_tasks.keep_ended), newest first.' }),
})

export type ProposalWire = Static<typeof ProposalView>
export type TaskWire = Static<typeof TaskView>
export type TaskBoardWire = Static<typeof TaskBoardView>
