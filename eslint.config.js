// Lint: neostandard's correctness rules for TypeScript (style is left to the code's own habits).
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, noStyle: true, ignores: ['dist/**', 'coverage/**', '.tap/**', 'node_modules/**', 'docs/**'] }),
  {
    rules: {
      // `void promise` marks a deliberately floating promise (timers, fire-and-forget delivery).
      'no-void': 'off',
      // `new Promise((r) => …)` is idiomatic for one-line waits.
      'promise/param-names': 'off',
    },
  },
  {
    // Grafana dashboards use `${variable}` in plain strings.
    files: ['test/docker/**'],
    rules: { 'no-template-curly-in-string': 'off' },
  },
]
