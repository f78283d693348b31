// Which unit an OwnTracks HTTP request reports for. The device authenticates with HTTP Basic
// (a broker.users username) and reports only as itself: the unit id is the username. A phone is
// one unit on every transport: its OwnTracks user, which is the login over HTTP and over MQTT,
// where the app publishes `owntracks/<user>/<device>` and the topic router names the unit by the
// <user> level (unit_from: first_level, the default for OwnTracks). The app also names its user and
// device in X-Limit-U / X-Limit-D: X-Limit-U must be the username when sent, X-Limit-D names the
// phone's app and never the unit, so device `P` can never report as unit `P-002`.

export type OwntracksUnit = { unit: string } | { mismatch: string }

export function owntracksUnit(username: string, limitU: string | undefined): OwntracksUnit {
  const u = limitU === '' ? undefined : limitU
  if (u !== undefined && u !== username) {
    return { mismatch: `X-Limit-U names user ${JSON.stringify(u.slice(0, 64))}, but the credentials are those of ${JSON.stringify(username.slice(0, 64))}` }
  }
  return { unit: username }
}

/** user and password of an `Authorization: Basic …` header, or null. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined || header.length > 4096) return null
  const m = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header)
  if (m === null) return null
  const text = Buffer.from(m[1]!, 'base64').toString('utf8')
  const i = text.indexOf(':')
  if (i <= 0) return null
  return { user: text.slice(0, i), password: text.slice(i + 1) }
}
