/**
 * The bounded, expiring memories of connection authentication: a token-bucket
 * rate limiter keyed by peer id or IP address (`createRateLimiter`), and a set
 * whose entries expire (`createExpiringSet`: outstanding challenges, peers
 * the gater refuses). Both hold at most a fixed number of keys and forget the
 * least recently touched one first, so a flood of fresh keys (peer ids cost
 * nothing to make) costs a bounded amount of memory. Time is a parameter
 * (`now`, epoch milliseconds): tests move it, nothing here reads a clock.
 */
import { ParleyError } from '../errors.js'

function checkCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new ParleyError('INVALID_ARGUMENT', `${what} must be a positive integer`)
}

/** A limiter of attempts per key. */
export interface RateLimiter {
  /** Spends one attempt of `key` at time `now`; false (nothing spent) when its budget is used up. */
  take(key: string, now: number): boolean
  /** Forgets `key` (its budget is full again). */
  forget(key: string): void
  /** Keys remembered now. */
  readonly size: number
}

export interface RateLimiterOptions {
  /** Attempts allowed per window (also the burst: a quiet key may spend them all at once). */
  limit: number
  /** Window length in milliseconds: the budget refills continuously at `limit` per window. */
  windowMs: number
  /** Keys remembered; past it the least recently used is forgotten. */
  maxKeys: number
}

/**
 * A token bucket per key: `limit` tokens, refilled at `limit / windowMs` per
 * millisecond.
 *
 * @example
 * const perPeer = createRateLimiter({ limit: 10, windowMs: 60_000, maxKeys: 4096 })
 * if (!perPeer.take(peerId.toString(), Date.now())) refuse('AUTH_RATE_LIMITED')
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  checkCount('rate limiter: limit', options.limit)
  checkCount('rate limiter: windowMs', options.windowMs)
  checkCount('rate limiter: maxKeys', options.maxKeys)
  const { limit, windowMs, maxKeys } = options
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    take(key, now) {
      const b = buckets.get(key) ?? { tokens: limit, at: now }
      // a clock that went backwards refills nothing
      const elapsed = Math.max(0, now - b.at)
      b.tokens = Math.min(limit, b.tokens + (elapsed * limit) / windowMs)
      b.at = Math.max(b.at, now)
      buckets.delete(key) // re-inserted last: Map order is least recently used first
      buckets.set(key, b)
      while (buckets.size > maxKeys) {
        const oldest = buckets.keys().next()
        if (oldest.done === true) break
        buckets.delete(oldest.value)
      }
      if (b.tokens < 1) return false
      b.tokens -= 1
      return true
    },
    forget(key) {
      buckets.delete(key)
    },
    get size() {
      return buckets.size
    },
  }
}

/** A set of keys that each expire at their own time. */
export interface ExpiringSet {
  /**
   * Adds `key` until `expiresAt` (epoch ms), or moves an existing key's expiry.
   * Returns false, adding nothing, when the set is full of live entries and
   * `evict` is false; with `evict` the oldest entry makes room.
   */
  add(key: string, expiresAt: number, now: number, evict: boolean): boolean
  /** `'live'`, `'expired'` (removed now) or `'absent'`. */
  check(key: string, now: number): 'live' | 'expired' | 'absent'
  /** Removes `key`; true when it was there (expired or not). */
  delete(key: string): boolean
  /** Entries remembered now (some may have expired and not been swept yet). */
  readonly size: number
}

/**
 * A bounded set with per-entry expiry. Expired entries are swept when room is
 * needed and when they are looked up.
 *
 * @example
 * const refused = createExpiringSet(4096)
 * refused.add(peer, now + 300_000, now, true)
 * refused.check(peer, now) // 'live'
 */
export function createExpiringSet(maxEntries: number): ExpiringSet {
  checkCount('expiring set: maxEntries', maxEntries)
  const entries = new Map<string, number>()
  function sweep(now: number): void {
    for (const [key, expiresAt] of entries) if (expiresAt <= now) entries.delete(key)
  }
  return {
    add(key, expiresAt, now, evict) {
      if (entries.delete(key)) {
        entries.set(key, expiresAt)
        return true
      }
      if (entries.size >= maxEntries) sweep(now)
      while (entries.size >= maxEntries) {
        if (!evict) return false
        const oldest = entries.keys().next()
        if (oldest.done === true) break
        entries.delete(oldest.value)
      }
      entries.set(key, expiresAt)
      return true
    },
    check(key, now) {
      const expiresAt = entries.get(key)
      if (expiresAt === undefined) return 'absent'
      if (expiresAt <= now) {
        entries.delete(key)
        return 'expired'
      }
      return 'live'
    },
    delete(key) {
      return entries.delete(key)
    },
    get size() {
      return entries.size
    },
  }
}
