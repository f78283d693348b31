// One-line, human-readable alert summaries for chat formats and logs. Pure string building;
// times are shown as UTC wall-clock (14:02:11Z), distances in m below 1 km and km above.

export function fmtDistance(m: number): string {
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`
}

export function fmtClock(ts: number): string {
  return `${new Date(ts).toISOString().slice(11, 19)}Z`
}

export function fmtSpan(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`
  const min = Math.floor(ms / 60_000)
  if (min < 120) return `${min} min`
  return `${Math.floor(min / 60)} h ${min % 60} min`
}

export function fmtPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`
}

/** "Patrol car 17 (P-017)", or just the id when the unit has no name of its own. */
export function unitLabel(id: string, name: string | undefined): string {
  return name === undefined || name === id ? id : `${name} (${id})`
}

export const summaries = {
  sosOpened: (unit: string, via: string, at: number) => `SOS from ${unit} (${via}) at ${fmtClock(at)}`,
  sosResolved: (unit: string, by: string, note: string) => `SOS from ${unit} resolved by ${by}: ${note}`,
  radiusOpened: (unit: string, post: string, distanceM: number, radiusM: number, since: number) =>
    `${unit} is ${fmtDistance(distanceM)} from ${post}, outside its ${fmtDistance(radiusM)} radius since ${fmtClock(since)}`,
  radiusResolved: (unit: string, post: string, distanceM: number, radiusM: number, since: number) =>
    `${unit} is back within its ${fmtDistance(radiusM)} radius of ${post} (${fmtDistance(distanceM)} away) since ${fmtClock(since)}`,
  zoneOpened: (unit: string, zone: string, distanceM: number, since: number) =>
    `${unit} left ${zone}: ${fmtDistance(distanceM)} outside its boundary since ${fmtClock(since)}`,
  zoneResolved: (unit: string, zone: string, since: number) => `${unit} is back inside ${zone} since ${fmtClock(since)}`,
  silentOpened: (unit: string, lastSeenAt: number | null, now: number, since: number) =>
    lastSeenAt === null
      ? `${unit} has sent no fix since hexpatrol started tracking it at ${fmtClock(since)} (${fmtSpan(now - since)})`
      : `${unit} has sent no fix for ${fmtSpan(now - lastSeenAt)}, last received at ${fmtClock(lastSeenAt)}`,
  silentResolved: (unit: string, at: number) => `${unit} is reporting again (fix received at ${fmtClock(at)})`,
  configChanged: (what: string) => `${what}: resolved because the configuration changed`,
  coverageOpened: (zone: string, ratio: number, minRatio: number, cells: number, interval: string, stalePriority: number) =>
    `${zone}: ${fmtPercent(ratio)} of ${cells} cells patrolled within ${interval} (minimum ${fmtPercent(minRatio)})` +
    (stalePriority > 0 ? `; ${stalePriority} priority cell${stalePriority === 1 ? '' : 's'} overdue` : ''),
  coverageResolved: (zone: string, ratio: number, cells: number, interval: string) =>
    `${zone}: coverage restored, ${fmtPercent(ratio)} of ${cells} cells patrolled within ${interval}`,
  responseOpened: (zone: string, ratio: number, minRatio: number, radiusM: number) =>
    `${zone}: only ${fmtPercent(ratio)} of the zone is within ${fmtDistance(radiusM)} of a live unit (minimum ${fmtPercent(minRatio)})`,
  responseResolved: (zone: string, ratio: number, radiusM: number) =>
    `${zone}: response coverage restored, ${fmtPercent(ratio)} of the zone within ${fmtDistance(radiusM)} of a live unit`,
  acknowledged: (opened: string, by: string) => `Acknowledged by ${by}: ${opened}`,
}
