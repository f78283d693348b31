// HTTP ingest's group commit. Each request used to be one journal write (a system call per fix);
// here the requests decoded in one event-loop turn are journaled with their writes held (the
// journal's defer()), written together at the end of the turn (one write, one fsync with
// journal.fsync: always) and only then answered, as the MQTT subscriber holds its PUBACKs. A
// request is answered 200 only after flush() returned true: "answered means kept" holds as before.
// While the disk refuses the write, the answers wait with the records; a write that cannot be
// made at all (the journal closed) fails every request of the group (503 or a closed connection).
import type { GroupCommit } from './message-handler.js'

interface Held { ok(): void; fail(err: unknown): void }

export class AnswerGroup {
  private held: Held[] = []
  private scheduled = false
  private waiting = false

  constructor(private readonly commit: GroupCommit) {}

  /**
   * Runs `fn` (the pipeline taking one request) with the journal's writes held; `ok` once its
   * record is written, `fail` when it could not be kept (fn threw or rejected, or the write failed).
   */
  keep(fn: () => void | Promise<void>, ok: () => void, fail: (err: unknown) => void): void {
    let r: void | Promise<void>
    try {
      r = this.commit.defer(fn)
    } catch (err) {
      fail(err)
      return
    }
    const held = { ok, fail }
    // Queued behind a full journal, or an append in flight: it joins the group once taken.
    if (r !== undefined) r.then(() => this.add(held), fail)
    else this.add(held)
  }

  /** Requests held for the current group (tests). */
  get size(): number {
    return this.held.length
  }

  private add(h: Held): void {
    this.held.push(h)
    if (this.scheduled || this.waiting) return
    this.scheduled = true
    setImmediate(this.release)
  }

  private readonly release = (): void => {
    this.scheduled = false
    let written: boolean
    try {
      written = this.commit.flush()
    } catch (err) {
      this.settle((h) => h.fail(err))
      return
    }
    if (written) {
      this.settle((h) => h.ok())
      return
    }
    // The disk is refusing the write: the whole group (and requests joining it) waits for it.
    this.waiting = true
    this.commit.whenWritable().then(() => {
      this.waiting = false
      this.release()
    }, (err: unknown) => {
      this.waiting = false
      this.settle((h) => h.fail(err))
    })
  }

  private settle(each: (h: Held) => void): void {
    const group = this.held
    this.held = []
    for (const h of group) each(h)
  }
}
