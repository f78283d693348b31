// The contract between an MQTT source and the pipeline: hand over one message; the returned
// promise (or undefined when done synchronously) settles once the message is durable, and only
// then may the source acknowledge it (PUBACK).
export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<void>

/**
 * Group commit, as a source sees the journal: `defer(fn)` runs the handler with the journal's
 * writes held; `flush()` writes what is held (false: not yet, retry once `whenWritable()` resolves).
 * A source that defers sends no acknowledgement of those messages before flush() returned true.
 */
export interface GroupCommit {
  /** Returns the handler's result, or undefined when the group itself holds its durability (cluster mode's LogGroup). */
  defer(fn: () => void | Promise<void>): void | Promise<void>
  flush(): boolean
  whenWritable(): Promise<void>
}

/** Publishes from the engine (alerts) through whichever broker is in use. */
export type Publish = (topic: string, payload: string, opts: { qos: 1; retain: boolean }) => Promise<void>

/** Thrown by a source's handler while the engine stops: the message is not acknowledged (the broker re-sends it after the restart). */
export class SourcePausedError extends Error {
  constructor() {
    super('the engine is stopping; the message is not acknowledged and will be delivered again')
    this.name = 'SourcePausedError'
  }
}
