import t from 'tap'
import { AnswerGroup } from '../../src/ingest/answer-group.js'
import type { GroupCommit } from '../../src/ingest/message-handler.js'

/** A journal's group commit by hand: defer() holds what fn appends, flush() writes it (or refuses). */
function fakeCommit() {
  const c = {
    held: [] as string[],
    written: [] as string[][],
    deferring: 0,
    refuse: false,
    broken: null as Error | null,
    writable: null as null | { resolve(): void; reject(err: Error): void },
    append(rec: string) { c.held.push(rec); if (c.deferring === 0) c.flush() },
    defer(fn: () => void | Promise<void>) {
      c.deferring++
      try { return fn() } finally { c.deferring-- }
    },
    flush(): boolean {
      if (c.broken !== null) throw c.broken
      if (c.refuse) return false
      if (c.held.length > 0) c.written.push(c.held)
      c.held = []
      return true
    },
    whenWritable(): Promise<void> {
      return new Promise<void>((resolve, reject) => { c.writable = { resolve, reject } })
    },
  }
  return c satisfies GroupCommit
}

const turn = () => new Promise<void>((r) => setImmediate(r))

t.test('one turn\'s requests: one write, answered after it, in order', async (t) => {
  const c = fakeCommit()
  const g = new AnswerGroup(c)
  const log: string[] = []
  for (const id of ['a', 'b', 'c']) g.keep(() => c.append(id), () => log.push(`ok ${id} (written: ${c.written.length})`), () => log.push(`fail ${id}`))
  t.equal(g.size, 3)
  t.same(log, [], 'nothing answered before the write')
  t.same(c.written, [], 'nothing written inside the turn')
  await turn()
  t.same(c.written, [['a', 'b', 'c']], 'one write for the turn')
  t.same(log, ['ok a (written: 1)', 'ok b (written: 1)', 'ok c (written: 1)'])
  g.keep(() => c.append('d'), () => log.push('ok d'), () => log.push('fail d'))
  await turn()
  t.same(c.written, [['a', 'b', 'c'], ['d']], 'the next turn is its own group')
  t.equal(g.size, 0)
})

t.test('a request the pipeline refuses fails alone; one still queued joins a later group', async (t) => {
  const c = fakeCommit()
  const g = new AnswerGroup(c)
  const log: string[] = []
  g.keep(() => { throw new Error('journal closed') }, () => log.push('ok x'), (err) => log.push(`fail x: ${(err as Error).message}`))
  let release!: () => void
  g.keep(() => new Promise<void>((r) => { release = () => { c.append('q'); r() } }), () => log.push('ok q'), () => log.push('fail q'))
  g.keep(() => Promise.reject(new Error('not appended')), () => log.push('ok r'), (err) => log.push(`fail r: ${(err as Error).message}`))
  g.keep(() => c.append('y'), () => log.push('ok y'), () => log.push('fail y'))
  await turn()
  t.same(log, ['fail x: journal closed', 'fail r: not appended', 'ok y'])
  release()
  await turn()
  await turn()
  t.same(log.slice(3), ['ok q'], 'answered once its own record was taken')
})

t.test('the disk refuses the write: the group and later requests wait, then go together; a closed journal fails them', async (t) => {
  const c = fakeCommit()
  const g = new AnswerGroup(c)
  const log: string[] = []
  c.refuse = true
  g.keep(() => c.append('a'), () => log.push('ok a'), () => log.push('fail a'))
  await turn()
  t.same(log, [], 'not answered while the write waits')
  g.keep(() => c.append('b'), () => log.push('ok b'), () => log.push('fail b'))
  await turn()
  t.same(log, [], 'a later request waits with the group')
  c.refuse = false
  c.writable!.resolve()
  await turn()
  t.same(c.written, [['a', 'b']])
  t.same(log, ['ok a', 'ok b'])

  c.refuse = true
  g.keep(() => c.append('c'), () => log.push('ok c'), (err) => log.push(`fail c: ${(err as Error).message}`))
  await turn()
  c.writable!.reject(new Error('journal is closed'))
  await turn()
  t.same(log.slice(2), ['fail c: journal is closed'])

  c.refuse = false
  c.broken = new Error('write failed')
  g.keep(() => c.append('d'), () => log.push('ok d'), (err) => log.push(`fail d: ${(err as Error).message}`))
  await turn()
  t.same(log.slice(3), ['fail d: write failed'], 'a flush that throws fails the group')
})
