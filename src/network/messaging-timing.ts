/**
 * The two clocks of /parley/msg delivery: the sender's retry backoff
 * (exponential with equal jitter, so that many senders that lost one peer
 * at once do not all come back in the same millisecond, and no wait is ever
 * shorter than half its step) and the receiver's per-peer rate (token
 * buckets on a monotonic clock: a peer past its rate is read more slowly,
 * never refused, so nothing is lost).
 */
import { ParleyError } from '../errors.js'

/**
 * The wait before attempt `attempt + 1` after `attempt` failures (≥ 1):
 * step d = min(max, base · 2^(attempt − 1)), wait drawn from [d/2, d].
 * `random01` returns a number in [0, 1).
 *
 * @example
 * retryDelay(3, 1000, 300_000, Math.random) // 2000..4000
 */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random01: () => number): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 40))
  return Math.round(step / 2 + (random01() * step) / 2)
}

/** A [0, 1) number from 4 random bytes. */
export function random01From(random: (length: number) => Uint8Array): () => number {
  return () => {
    const b = random(4)
    return ((((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0) / 2 ** 32
  }
}

interface Bucket {
  tokens: number
  at: number
}

/** Token buckets per key (peer DID), bounded in the number of keys. */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>()
  readonly #ratePerMs: number
  readonly #burst: number
  readonly #maxKeys: number
  readonly #now: () => number

  constructor(opts: { ratePerSecond: number; burst: number; maxKeys: number; now?: () => number }) {
    if (!(opts.ratePerSecond > 0) || !(opts.burst >= 1) || !Number.isSafeInteger(opts.maxKeys) || opts.maxKeys < 1) {
      throw new ParleyError('INVALID_ARGUMENT', 'TokenBuckets: rate, burst and maxKeys must be positive')
    }
    this.#ratePerMs = opts.ratePerSecond / 1000
    this.#burst = opts.burst
    this.#maxKeys = opts.maxKeys
    this.#now = opts.now ?? (() => performance.now())
  }

  #refill(key: string): Bucket {
    const now = this.#now()
    let b = this.#buckets.get(key)
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#forgetFull(now)
      b = { tokens: this.#burst, at: now }
      this.#buckets.set(key, b)
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#ratePerMs)
      b.at = now
    }
    return b
  }

  /** Drops the buckets that have refilled (they equal a fresh one); if none has, the oldest. */
  #forgetFull(now: number): void {
    for (const [k, b] of this.#buckets) if (b.tokens + (now - b.at) * this.#ratePerMs >= this.#burst) this.#buckets.delete(k)
    if (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next()
      if (oldest.done !== true) this.#buckets.delete(oldest.value)
    }
  }

  /** Takes one token for `key`: 0 when it was there, else the milliseconds to wait before asking again. */
  take(key: string): number {
    const b = this.#refill(key)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.ceil((1 - b.tokens) / this.#ratePerMs)
  }
}
