// A random id created once per data directory. It prefixes ClickHouse deduplication tokens so a
// fresh data directory (segment ids starting again at 1) can never collide with an older one's.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writePrivateFileAtomic } from './private-files.js'

export function instanceId(dataDir: string): string {
  const path = join(dataDir, 'instance-id')
  if (existsSync(path)) {
    const id = readFileSync(path, 'utf8').trim()
    if (/^[a-f0-9]{16}$/.test(id)) return id
  }
  const id = randomBytes(8).toString('hex')
  writePrivateFileAtomic(path, `${id}\n`)
  return id
}
