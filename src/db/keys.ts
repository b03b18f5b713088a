/**
 * The keys of the local database and what they do to a row. One random
 * 32-byte data key (a record of keys.parley, see key-record.ts) is expanded
 * with HKDF-SHA-256 into three independent values:
 *
 * - the seal key: XChaCha20-Poly1305 (the suite's `seal`, a fresh 24-byte
 *   random nonce per write) over every row's secret payload, with associated
 *   data CBOR([LABELS.dbRow, table, primary key, schema version]) so a
 *   sealed value cannot be moved to another row, table or schema version;
 * - the index key: HMAC-SHA-256 over the values rows are looked up by (peer
 *   DIDs, session ids, message ids, tokens), so the file does not say who
 *   you talk to; the plaintext of each such value lives in the sealed
 *   payload, which is how rotation recomputes them. The HMACs of the last
 *   DB_LOOKUP_CACHE_ENTRIES values asked for are kept (a message touches
 *   its peer's rows several times);
 * - the key check: a value stored in the file that tells which data key it
 *   is sealed under (a one-way function of the key; it reveals nothing).
 *
 * The data key itself is never used directly for anything.
 */
import type { Suite } from '../crypto/types.js'
import { ParleyError } from '../errors.js'
import { DB_LOOKUP_CACHE_ENTRIES, LABELS, XCHACHA20_KEY_LENGTH } from '../constants.js'
import { toHex } from '../codec/index.js'
import type { CborValue } from '../codec/index.js'
import { encode } from '../codec/index.js'

/** What a key column may hold: text, an integer, bytes, or null. */
export type KeyValue = string | number | Uint8Array | null

/** HMAC of a lookup value under the index key; `domain` separates the columns. */
export type LookupFn = (domain: string, ...parts: CborValue[]) => Uint8Array

const NO_SALT = new Uint8Array(0)

export class DbKeys {
  readonly #suite: Suite
  readonly #seal: Uint8Array
  readonly #index: Uint8Array
  /**
   * Lookup HMACs by domain, then by input: a single text part (a DID) is
   * its own key, anything else lookupCacheKey's. At most
   * DB_LOOKUP_CACHE_ENTRIES in all (past that the cache starts over).
   */
  readonly #lookups = new Map<string, { text: Map<string, Uint8Array>; other: Map<string, Uint8Array> }>()
  #lookupCount = 0
  /** The key check stored in the file (public). */
  readonly check: Uint8Array

  private constructor(suite: Suite, seal: Uint8Array, index: Uint8Array, check: Uint8Array) {
    this.#suite = suite
    this.#seal = seal
    this.#index = index
    this.check = check
  }

  /** Derives the database keys from a 32-byte data key (the caller keeps and wipes `dataKey`). */
  static derive(suite: Suite, dataKey: Uint8Array): DbKeys {
    if (!(dataKey instanceof Uint8Array) || dataKey.length !== XCHACHA20_KEY_LENGTH) {
      throw new ParleyError('INVALID_ARGUMENT', `database: the data key must be ${XCHACHA20_KEY_LENGTH} bytes`)
    }
    return new DbKeys(
      suite,
      suite.hkdf(dataKey, NO_SALT, LABELS.dbSealKey, XCHACHA20_KEY_LENGTH),
      suite.hkdf(dataKey, NO_SALT, LABELS.dbIndexKey, XCHACHA20_KEY_LENGTH),
      suite.hkdf(dataKey, NO_SALT, LABELS.dbKeyCheck, XCHACHA20_KEY_LENGTH),
    )
  }

  /** True when `stored` is this key's check value (constant time). */
  matches(stored: Uint8Array): boolean {
    return stored.length === this.check.length && this.#suite.timingSafeEqual(stored, this.check)
  }

  /** Seals one row's payload: nonce ‖ ciphertext ‖ tag. */
  seal(table: string, key: readonly KeyValue[], version: number, plain: Uint8Array): Uint8Array {
    return this.#suite.seal(this.#seal, plain, rowAd(table, key, version))
  }

  /** Opens one row's payload; a row that does not authenticate (tampered, moved, other key) is STORE_CORRUPT. */
  open(table: string, key: readonly KeyValue[], version: number, sealed: Uint8Array): Uint8Array {
    if (!(sealed instanceof Uint8Array)) throw new ParleyError('STORE_CORRUPT', `database: a ${table} row has no sealed payload`)
    try {
      return this.#suite.open(this.#seal, sealed, rowAd(table, key, version))
    } catch (err) {
      throw new ParleyError('STORE_CORRUPT', `database: a ${table} row does not decrypt (damaged, moved, or sealed under another key)`, { cause: err })
    }
  }

  /** HMAC of a lookup value (`domain` names the column it goes to); a fresh copy, from the cache when it was asked for lately. */
  readonly lookup: LookupFn = (domain, ...parts) => {
    const only = parts.length === 1 ? parts[0] : undefined
    const single = typeof only === 'string'
    const cacheKey = single ? only : lookupCacheKey(parts)
    let byDomain = this.#lookups.get(domain)
    const map = byDomain === undefined ? undefined : single ? byDomain.text : byDomain.other
    const cached = cacheKey === undefined ? undefined : map?.get(cacheKey)
    if (cached !== undefined) return cached.slice()
    const mac = this.#suite.hmac(this.#index, encode([domain, ...parts]))
    if (cacheKey !== undefined) {
      if (this.#lookupCount >= DB_LOOKUP_CACHE_ENTRIES) this.#forgetLookups()
      if (byDomain === undefined || !this.#lookups.has(domain)) this.#lookups.set(domain, (byDomain = { text: new Map(), other: new Map() }))
      const into = single ? byDomain.text : byDomain.other
      into.set(cacheKey, mac.slice())
      this.#lookupCount++
    }
    return mac
  }

  #forgetLookups(): void {
    for (const { text, other } of this.#lookups.values()) for (const mac of [...text.values(), ...other.values()]) mac.fill(0)
    this.#lookups.clear()
    this.#lookupCount = 0
  }

  /** Forgets the keys. */
  wipe(): void {
    this.#seal.fill(0)
    this.#index.fill(0)
    this.#forgetLookups()
  }
}

/**
 * Associated data of a row: the table, its primary key and the schema
 * version, unambiguously: the deterministic CBOR of
 * [LABELS.dbRow, table, [...key], version].
 */
export function rowAd(table: string, key: readonly KeyValue[], version: number): Uint8Array {
  return encode([LABELS.dbRow, table, [...key], version])
}

/**
 * The cache key of a lookup's parts: each length-prefixed and typed, so two
 * different inputs never share one; undefined (not cached) for a part that
 * is not text, bytes or an integer.
 */
function lookupCacheKey(parts: readonly CborValue[]): string | undefined {
  let key = ''
  for (const p of parts) {
    if (typeof p === 'string') key += `|s${p.length}:${p}`
    else if (p instanceof Uint8Array) key += `|b${toHex(p)}`
    else if (typeof p === 'number' && Number.isSafeInteger(p)) key += `|n${p}`
    else return undefined
  }
  return key
}
