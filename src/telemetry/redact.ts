// The one URL redactor: what a URL may show in a log line, an API answer or an error message.
// User info is dropped, every query value is masked (access_token=…), and so are the fragment and
// the path segments that may be a secret: Slack's /services/T…/B…/<secret> whatever its length,
// anything that looks like a token (long, letters mixed with digits, or characters beyond a
// plain name: Telegram's /bot123:AA…/, Teams' <uuid>@<uuid>).

/** A path segment that may carry a secret (over-masking a harmless one is the safe side). */
function secretSegment(seg: string, i: number, segs: readonly string[]): boolean {
  if (seg === '') return false
  // Slack-style: the third segment after `services` is the webhook's secret, however short.
  if (i >= 3 && segs[i - 3] === 'services') return true
  if (seg.length >= 20) return true
  if (/[^A-Za-z0-9._~-]/.test(seg)) return true
  return seg.length >= 8 && /[0-9]/.test(seg) && /[A-Za-z]/.test(seg)
}

export function redactUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return '(invalid url)'
  }
  u.username = ''
  u.password = ''
  for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, '***')
  if (u.hash !== '') u.hash = '***'
  const segs = u.pathname.split('/')
  u.pathname = segs.map((seg, i) => (secretSegment(seg, i, segs) ? '***' : seg)).join('/')
  return u.toString().replace(/%2A%2A%2A/g, '***')
}
