// Make-up patrols in cluster mode. The board runs in every engine's replica (replica.ts): a
// PatrolTaskService on the replica's rules and incidents, fed every fix and tick in the log's one
// order, so every engine holds the same proposals and tasks; what it publishes is taken by the
// replica as effects of the event's partition (its `patrol_tasks` row and the event, carried out
// by the owner). The board is part of the fleet snapshot, not of <data_dir>/patrol-tasks. The API
// reads the local board and sends accept, dismiss and cancel through the log (ClusterNode.
// taskCommand), answering with the board's outcome once this engine applied the command. Pure
// apart from the command callback.
import type { OutboundEvent } from '../delivery/outbound-event.js'
import { HexpatrolError } from '../errors.js'
import { PatrolTaskService, type PatrolTaskDesk, type PatrolTaskDeps } from '../patrol-tasks/service.js'
import type { PatrolTask } from '../patrol-tasks/patrol-task.js'
import type { BoardError } from '../patrol-tasks/task-board.js'
import type { TaskOp } from './records.js'
import type { ReplicatedTasks, TaskOutcome } from './replica.js'

export type BoardDeps = Omit<PatrolTaskDeps, 'publish' | 'journal' | 'journalFailed' | 'save'>

/** The replica's board: its service (read by the API) and the face the replica drives. */
export function replicatedBoard(d: BoardDeps): { service: PatrolTaskService; replica: ReplicatedTasks & { snapshot(): unknown } } {
  const out: OutboundEvent[] = []
  const service = new PatrolTaskService({ ...d, publish: (e) => out.push(e) })
  return {
    service,
    replica: {
      observe: (fix) => service.observe(fix),
      tick: (now) => service.tick(now),
      accept: (id, now, unitId) => service.accept(id, now, unitId),
      dismiss: (id, now) => service.dismiss(id, now),
      cancel: (id, now) => service.cancel(id, now),
      take: () => out.splice(0),
      snapshot: () => service.board.toJSON(),
    },
  }
}

/** The board as the API drives it in cluster mode: reads are local, changes go through the log. */
export function clusterTaskDesk(service: PatrolTaskService, command: (op: TaskOp, id: string, unitId?: string) => Promise<TaskOutcome>): PatrolTaskDesk {
  const send = async <T>(op: TaskOp, id: string, unitId?: string): Promise<T> => {
    const r = await command(op, id, unitId)
    // Every engine of one version builds the board: null means another version applied it.
    if (r === null) throw new HexpatrolError('HEXP_ERR_NOT_READY', 'Make-up patrols are not running on the engine that applied the command (run one version across the cluster).')
    return r as T
  }
  return {
    proposals: () => service.proposals(),
    tasks: () => service.tasks(),
    accept: (id, _now, unitId) => send<PatrolTask | BoardError>('accept', id, unitId),
    dismiss: (id) => send<true | BoardError>('dismiss', id),
    cancel: (id) => send<PatrolTask | BoardError>('cancel', id),
  }
}
