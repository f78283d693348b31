// Environment for child processes started by tests: with tap's coverage recording switched off.
// A child runs our sources through another TypeScript loader (tsx); merging its V8 coverage with
// the test processes' (different transpiled code for the same file) corrupts the report. tap's
// processinfo hooks every spawn and re-adds its loader, so the switch is its own variable.
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0', ...extra }
}
