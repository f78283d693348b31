// A partition's pending rows are of several ClickHouse tables: positions (the fixes, the bulk, kept
// as the bare JSON row they always were) and, since incidents are clustered, `incidents` and
// `plan_events` rows, kept as `<table code>\t<row>` like a journal line. The owner splits a batch
// per table and inserts each under the batch's dedup token (a table's own suffix), so a batch a
// new owner repeats is stored once in every table. Pure.
import { TABLE_CODES, type TableCode, type TableName } from '../journal/record.js'

/** A row of another table than positions, as a partition's effects keep it. */
export function tableRow(code: Exclude<TableCode, 'p'>, row: string): string {
  return `${code}\t${row}`
}

/** A batch's rows per table, in order (a bare JSON row is a position; unknown codes are counted). */
export function rowsByTable(rows: readonly string[]): { tables: Map<TableName, string[]>; unknown: number } {
  const tables = new Map<TableName, string[]>()
  let unknown = 0
  for (const row of rows) {
    let table: TableName | undefined = 'positions'
    let body = row
    if (row[0] !== '{') {
      table = row[1] === '\t' ? TABLE_CODES[row[0] as TableCode] : undefined
      body = row.slice(2)
    }
    if (table === undefined) {
      unknown++
      continue
    }
    let list = tables.get(table)
    if (list === undefined) tables.set(table, (list = []))
    list.push(body)
  }
  return { tables, unknown }
}

/** The insert token of one table's part of a batch (positions keep the batch's own token). */
export function tableToken(token: string, table: TableName): string {
  return table === 'positions' ? token : `${token}:${table}`
}
