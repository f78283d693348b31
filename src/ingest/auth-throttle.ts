// One credential throttle for every transport that checks a password or token (embedded MQTT
// broker, OwnTracks HTTP, OsmAnd on both ports, the API login, and any gateway added later):
// failures are counted per client address AND per username; past a few, that address or that
// username is refused outright (no credential check) for a back-off that doubles with every
// further failure, up to a ceiling. Guessing from one address and spraying one username from many
// addresses are both slowed. An address that has logged in as a username before keeps being let
// through that username's back-off (its own address back-off still applies), so guessing a
// device's password elsewhere cannot lock the device out. Both tables are bounded (the oldest entry
// is forgotten first). Failures are logged in aggregate by the caller (drain()), never per guess.
// Pure state + an injected clock; counters are optional.
import type { Counter } from 'prom-client'

export interface ThrottleOptions {
  /** Failures allowed per address before its back-off starts. */
  freeFailures: number
  /** Failures allowed per username (from any addresses) before its back-off starts. */
  freeFailuresPerUsername?: number
  /** First back-off, doubled per further failure. */
  baseBackoffMs: number
  maxBackoffMs: number
  /** An address or username with no failure for this long starts afresh. */
  forgetAfterMs: number
  /** Addresses (and, separately, usernames) tracked at most: memory stays bounded under a spray. */
  maxAddresses: number
  /** How long a successful (address, username) pair passes that username's back-off (default 7 days). */
  trustPairMs?: number
  now?: () => number
  /** hexpatrol_auth_failures_total{transport} and hexpatrol_auth_refused_total{transport,reason}. */
  metrics?: { failures: Counter<'transport'>; refused: Counter<'transport' | 'reason'> }
}

/** Why a request was refused unchecked: its address or its username is in a back-off. */
export type RefusedBy = 'address_backoff' | 'username_backoff'

export interface ThrottleVerdict {
  /** Milliseconds left of the back-off; refuse without checking the credentials (HTTP 429 + Retry-After). */
  waitMs: number
  reason: RefusedBy
}

/** The throttle as one transport uses it: check before the password, then report the outcome. */
export interface TransportThrottle {
  /** null: go ahead and check the credentials; else refuse unchecked (counted). */
  check(address: string, username?: string): ThrottleVerdict | null
  /** The credentials were wrong (counted). */
  fail(address: string, username?: string): void
  /** The credentials were right: the address starts afresh and the pair is trusted. */
  succeed(address: string, username?: string): void
}

interface Entry { failures: number; blockedUntil: number; last: number }

/** How often a trusted (address, username) pair's time and eviction place are renewed by its successes. */
const TRUST_RENEWAL_MS = 60_000

/** Failures and back-offs of one kind of key (addresses or usernames). */
class BackoffTable {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly opts: ThrottleOptions, private readonly free: number, private readonly now: () => number) {}

  private entry(key: string): Entry | undefined {
    const e = this.entries.get(key)
    const now = this.now()
    if (e !== undefined && now - e.last > this.opts.forgetAfterMs && now >= e.blockedUntil) {
      this.entries.delete(key)
      return undefined
    }
    return e
  }

  waitMs(key: string): number {
    const e = this.entry(key)
    return e === undefined ? 0 : Math.max(0, e.blockedUntil - this.now())
  }

  failed(key: string): void {
    const now = this.now()
    let e = this.entry(key)
    if (e === undefined) {
      if (this.entries.size >= this.opts.maxAddresses) this.entries.delete(this.entries.keys().next().value!)
      e = { failures: 0, blockedUntil: 0, last: now }
      this.entries.set(key, e)
    }
    e.failures++
    e.last = now
    const over = e.failures - this.free
    if (over > 0) e.blockedUntil = now + Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** Math.min(30, over - 1))
  }

  clear(key: string): void {
    this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}

export interface ThrottleSummary {
  failures: number
  refused: number
  /** Worst addresses first. */
  addresses: Array<{ address: string; failures: number; refused: number }>
}

export class AuthThrottle {
  private readonly now: () => number
  private readonly addresses: BackoffTable
  private readonly usernames: BackoffTable
  /** `${username}\n${address}` → when it last succeeded; insertion-ordered for eviction. */
  private readonly trusted = new Map<string, number>()
  private readonly trustMs: number
  private window = new Map<string, { failures: number; refused: number }>()

  constructor(private readonly opts: ThrottleOptions) {
    this.now = opts.now ?? Date.now
    this.addresses = new BackoffTable(opts, opts.freeFailures, this.now)
    this.usernames = new BackoffTable(opts, opts.freeFailuresPerUsername ?? opts.freeFailures, this.now)
    this.trustMs = opts.trustPairMs ?? 7 * 24 * 3600_000
  }

  /** The API one transport uses; `transport` labels its metrics (mqtt, owntracks, osmand, api, jt808, …). */
  forTransport(transport: string): TransportThrottle {
    return {
      check: (address, username) => this.check(transport, address, username),
      fail: (address, username) => this.fail(transport, address, username),
      succeed: (address, username) => this.succeed(address, username),
    }
  }

  private isTrusted(address: string, username: string): boolean {
    const at = this.trusted.get(`${username}\n${address}`)
    return at !== undefined && this.now() - at <= this.trustMs
  }

  /** null: check the credentials; else refuse them unchecked for waitMs (counted). */
  check(transport: string, address: string, username?: string): ThrottleVerdict | null {
    let verdict: ThrottleVerdict | null = null
    const a = this.addresses.waitMs(address)
    if (a > 0) verdict = { waitMs: a, reason: 'address_backoff' }
    else if (username !== undefined && username !== '') {
      const u = this.usernames.waitMs(username)
      if (u > 0 && !this.isTrusted(address, username)) verdict = { waitMs: u, reason: 'username_backoff' }
    }
    if (verdict !== null) {
      this.tally(address, 'refused')
      this.opts.metrics?.refused.inc({ transport, reason: verdict.reason })
    }
    return verdict
  }

  fail(transport: string, address: string, username?: string): void {
    this.addresses.failed(address)
    if (username !== undefined && username !== '') this.usernames.failed(username)
    this.tally(address, 'failures')
    this.opts.metrics?.failures.inc({ transport })
  }

  succeed(address: string, username?: string): void {
    this.addresses.clear(address)
    if (username === undefined || username === '') return
    const k = `${username}\n${address}`
    const now = this.now()
    const at = this.trusted.get(k)
    // Renewed less than a minute ago: left where it is. A phone posting every few seconds would
    // otherwise move its pair to the end of the map (a delete and an insert) on every request;
    // its trust may then end up to a minute early in trustPairMs (7 days by default).
    if (at !== undefined && now - at < TRUST_RENEWAL_MS) return
    this.trusted.delete(k)
    if (this.trusted.size >= this.opts.maxAddresses) this.trusted.delete(this.trusted.keys().next().value!)
    this.trusted.set(k, now)
  }

  /** Back-off left for the address, ms (0 when not blocked). */
  backoffMs(address: string): number {
    return this.addresses.waitMs(address)
  }

  /** Back-off left for the username, ms (0 when not blocked). */
  usernameBackoffMs(username: string): number {
    return this.usernames.waitMs(username)
  }

  /** Entries held (addresses, usernames, trusted pairs): bounded by maxAddresses each. */
  get sizes(): { addresses: number; usernames: number; trusted: number } {
    return { addresses: this.addresses.size, usernames: this.usernames.size, trusted: this.trusted.size }
  }

  private tally(address: string, key: 'failures' | 'refused'): void {
    const k = this.window.has(address) || this.window.size < this.opts.maxAddresses ? address : '(other)'
    let w = this.window.get(k)
    if (w === undefined) this.window.set(k, (w = { failures: 0, refused: 0 }))
    w[key]++
  }

  /** What happened since the last call (for one aggregated log line), or null when nothing did. */
  drain(top = 5): ThrottleSummary | null {
    if (this.window.size === 0) return null
    const rows = [...this.window].map(([address, w]) => ({ address, ...w }))
    this.window = new Map()
    rows.sort((a, b) => b.failures + b.refused - (a.failures + a.refused))
    return {
      failures: rows.reduce((n, r) => n + r.failures, 0),
      refused: rows.reduce((n, r) => n + r.refused, 0),
      addresses: rows.slice(0, top),
    }
  }
}

/** The engine's one throttle, from broker.limits (shared by every transport and the API login). */
export function throttleOptions(limits: { auth_free_failures: number; auth_free_failures_per_username: number; auth_max_backoff: number }): ThrottleOptions {
  return {
    freeFailures: limits.auth_free_failures,
    freeFailuresPerUsername: limits.auth_free_failures_per_username,
    baseBackoffMs: 1000,
    maxBackoffMs: limits.auth_max_backoff,
    forgetAfterMs: 15 * 60_000,
    maxAddresses: 10_000,
  }
}
