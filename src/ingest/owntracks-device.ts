// Which unit an OwnTracks HTTP request reports for. The device authenticates with HTTP Basic
// (a broker.users username) and reports only as itself: the unit id is the username, exactly as
// over MQTT, where a phone publishing `owntracks/<user>/<device>` must log in as `<user>-<device>`.
// The app also names its user and device in X-Limit-U / X-Limit-D; they must agree with the
// credentials (X-Limit-U = username, or `<X-Limit-U>-<X-Limit-D>` = username) and never lengthen
// or change the unit id, so device `P` can never report as unit `P-002`.

export type OwntracksUnit = { unit: string } | { mismatch: string }

export function owntracksUnit(username: string, limitU: string | undefined, limitD: string | undefined): OwntracksUnit {
  const u = limitU === '' ? undefined : limitU
  const d = limitD === '' ? undefined : limitD
  // The username may itself be the unit id `<user>-<device>` (one credential per phone).
  const whole = u !== undefined && d !== undefined && username === `${u}-${d}`
  if (u !== undefined && u !== username && !whole) {
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
