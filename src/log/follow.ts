// Follows a log partition by reading it in batches and sleeping until woken when it is caught up:
// the consume() of a log whose appends are local (the journal), where an in-process signal says
// that something new was written. Entries are handed over one at a time, in order.
import type { EntryHandler, LogEntry, LogPosition, LogSubscription } from './log.js'

export interface FollowSource {
  read(after: LogPosition, max: number): Promise<LogEntry[]>
  /** Calls `wake` whenever new entries may be readable; returns the unsubscribe function. */
  onAppend(wake: () => void): () => void
}

export function follow(source: FollowSource, after: LogPosition, handler: EntryHandler, batch = 256): LogSubscription {
  let stopped = false
  let appended = false
  let sleeper: (() => void) | null = null
  const wake = (): void => {
    appended = true
    const s = sleeper
    sleeper = null
    s?.()
  }
  const off = source.onAppend(wake)
  const done = (async () => {
    try {
      let position = after
      for (;;) {
        if (stopped) return
        appended = false
        const entries = await source.read(position, batch)
        for (const e of entries) {
          if (stopped) return
          await handler(e)
          position = e.position
        }
        // An append between the read and now set `appended`: read again instead of sleeping.
        if (entries.length === 0 && !appended && !stopped) await new Promise<void>((resolve) => { sleeper = resolve })
      }
    } finally {
      off()
    }
  })()
  return {
    done,
    async stop() {
      stopped = true
      wake()
      await done.catch(() => undefined)
    },
  }
}
