/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/cluster/assignment.test.ts > TAP > scores are fixed (a change would move keys between engines on upgrade) > golden scores 1`] = `
Array [
  123609046,
  2848791920,
  3007613189,
]
`
