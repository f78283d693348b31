// Fault injection for the ClickHouse client: while `down`, every call fails like a refused
// connection; `slowMs` delays every call. The engine sees exactly what a dead server looks like.
import type { ClickHouseClient } from '@clickhouse/client'

export interface ClickHouseFault {
  down: boolean
  slowMs: number
  calls: number
  failures: number
  wrap(client: ClickHouseClient): ClickHouseClient
}

const METHODS = new Set(['exec', 'insert', 'query', 'command', 'ping'])

export function clickhouseFault(): ClickHouseFault {
  const fault: ClickHouseFault = {
    down: false,
    slowMs: 0,
    calls: 0,
    failures: 0,
    wrap(client) {
      return new Proxy(client, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown
          if (typeof prop !== 'string' || !METHODS.has(prop) || typeof v !== 'function') return v
          return async (...args: unknown[]) => {
            fault.calls++
            if (fault.slowMs > 0) await new Promise((r) => setTimeout(r, fault.slowMs))
            if (fault.down) {
              fault.failures++
              throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123 (injected outage)'), { code: 'ECONNREFUSED' })
            }
            return (v as (...a: unknown[]) => unknown).apply(target, args)
          }
        },
      })
    },
  }
  return fault
}
