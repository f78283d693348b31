// Sorts ClickHouse failures into retriable (network, overload, server restart) and permanent
// (the data itself is bad: retrying would fail forever).

/** ClickHouse error codes that mean "this data cannot be inserted", never "try later". */
const PERMANENT_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  16, // NO_SUCH_COLUMN_IN_TABLE
])

export type FailureKind = 'retriable' | 'permanent'

export function classifyFailure(err: unknown): FailureKind {
  const code = Number((err as { code?: unknown } | null)?.code)
  if (Number.isInteger(code) && PERMANENT_CODES.has(code)) return 'permanent'
  return 'retriable'
}
