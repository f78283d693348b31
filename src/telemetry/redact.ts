// The one URL redactor: what a URL may show in a log line, an API answer or an error message.
// User info is dropped, query values are masked (access_token=…), and path segments that look
// like tokens (Slack's /services/T…/B…/<secret>) are masked.

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
  u.pathname = u.pathname.split('/').map((seg) => (/^[A-Za-z0-9_-]{20,}$/.test(seg) ? '***' : seg)).join('/')
  return u.toString().replace(/%2A%2A%2A/g, '***')
}
