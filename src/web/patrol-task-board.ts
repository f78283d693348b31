// Make-up patrols on the page (issue 25), from the public API only: the board (GET
// /api/v1/patrol-tasks: proposals and tasks with their progress), re-read every few seconds
// (proposals have no event of their own: the engine recomputes them every
// patrol_tasks.refresh_every and as cells get visited) and at once on every `patrol_task` stream
// event (assigned, completed, expired, cancelled). The dispatcher's hands (accept, reassign,
// dismiss, cancel) are the API's routes; the board is read again after each. A deployment without
// make-up patrols (no rules, cluster mode: 503) simply shows none.
import { api } from './api.js'
import type { ProposalWire, TaskWire } from '../wire/patrol-tasks.js'

/** A make-up proposal and a task as GET /api/v1/patrol-tasks sends them (the wire schema's shapes). */
export type Proposal = ProposalWire
export type Task = TaskWire

/** How often the board is re-read (proposals move with the units). */
export const BOARD_POLL_MS = 3000
/** An ended task stays on the page this long, fading out. */
export const ENDED_SHOWN_MS = 10 * 60_000

export const isOpen = (t: Pick<Task, 'status'>) => t.status === 'assigned' || t.status === 'started'

/** 1 for an open task, then fading linearly to 0 over ENDED_SHOWN_MS after it ended. */
export function taskOpacity(t: Pick<Task, 'status' | 'endedAt'>, now: number): number {
  if (isOpen(t) || t.endedAt === null) return 1
  return Math.max(0, 1 - (now - t.endedAt) / ENDED_SHOWN_MS)
}

export class PatrolTaskBoard {
  proposals: Proposal[] = []
  tasks: Task[] = []
  /** False until the engine answered once with a board (make-up patrols are running). */
  available = false
  private readonly listeners: Array<() => void> = []
  private timer: ReturnType<typeof setInterval> | null = null
  private loading: Promise<void> | null = null
  private again = false
  private last = ''

  subscribe(f: () => void): void {
    this.listeners.push(f)
  }

  /** Reads the board; a read asked for while one runs is done once after it. */
  load(): Promise<void> {
    if (this.loading !== null) {
      this.again = true
      return this.loading
    }
    this.loading = this.read().finally(() => {
      this.loading = null
      if (this.again) {
        this.again = false
        void this.load()
      }
    })
    return this.loading
  }

  private async read(): Promise<void> {
    let r: { proposals: Proposal[]; tasks: Task[] }
    try {
      r = await api.get<{ proposals: Proposal[]; tasks: Task[] }>('/api/v1/patrol-tasks')
    } catch {
      return // Not running here (503), or the engine is away: the last board stays.
    }
    this.available = true
    // Views redraw only when something changed, or while an ended task fades out.
    const json = JSON.stringify(r)
    if (json === this.last && !this.tasks.some((x) => !isOpen(x) && taskOpacity(x, Date.now()) > 0)) return
    this.last = json
    this.proposals = r.proposals
    this.tasks = r.tasks
    for (const f of this.listeners) f()
  }

  start(): void {
    if (this.timer !== null) return
    void this.load()
    this.timer = setInterval(() => void this.load(), BOARD_POLL_MS)
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** A stream event (type `patrol_task`): the board is read again. */
  onEvent(type: string): void {
    if (type === 'patrol_task') void this.load()
  }

  /** Accepts a proposal for its unit, or (reassign) for `unitId`. */
  async accept(proposalId: string, unitId?: string): Promise<Task> {
    const t = await api.post<Task>(`/api/v1/patrol-tasks/proposals/${encodeURIComponent(proposalId)}/accept`, unitId === undefined ? {} : { unitId })
    await this.load()
    return t
  }

  async dismiss(proposalId: string): Promise<void> {
    await api.post(`/api/v1/patrol-tasks/proposals/${encodeURIComponent(proposalId)}/dismiss`)
    await this.load()
  }

  async cancel(taskId: string): Promise<void> {
    await api.post(`/api/v1/patrol-tasks/${encodeURIComponent(taskId)}/cancel`)
    await this.load()
  }

  /** Open tasks, then ended ones still fading (newest first, as the API orders them). */
  shown(now: number): Task[] {
    return this.tasks.filter((t) => taskOpacity(t, now) > 0)
  }
}
