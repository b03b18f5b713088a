/**
 * What a store over the database sees of it (`DbContext`), and what a
 * sealed table tells the database about itself (`SealedTable`), so that key
 * rotation and migrations can re-seal every row without knowing any store.
 *
 * Row layout, the same in every sealed table: lookup columns hold HMACs
 * (keys.ts) of values the payload also holds in plaintext; columns a query
 * must compare or sort (times, states, prekey ids) are plain; everything
 * else, and every secret, is in the `sealed` column.
 */
import type { StatementSync } from 'node:sqlite'
import { DB_ROW_MAX_BYTES } from '../constants.js'
import { ParleyError } from '../errors.js'
import { asMap, decode } from '../codec/index.js'
import type { CborMap, CborValue } from '../codec/index.js'
import type { KeyValue, LookupFn } from './keys.js'
import { encode } from '../codec/index.js'

export interface DbContext {
  /**
   * Runs `fn` — synchronous, so one atomic step — once no other caller's
   * transaction is open (inside one's own transaction at once). SQLite
   * failures become ParleyErrors; a closed database is STORE_CLOSED.
   */
  run<T>(op: string, fn: () => T): Promise<T>
  /** A prepared statement, cached for the life of the connection. */
  stmt(sql: string): StatementSync
  /** Runs `fn` inside a savepoint: all of its writes or none of them. */
  atomic<T>(fn: () => T): T
  /** True inside a transaction (what is read may still roll back); false when every row read is committed. */
  inTransaction(): boolean
  /**
   * Calls `listener` after every rollback (of a transaction, a savepoint or
   * an `atomic` step) and at close: a store that keeps what it read or wrote
   * in memory forgets (and wipes) it there — after a rollback some of it may
   * never have been committed.
   */
  onForget(listener: () => void): void
  /** Seals a row's payload for `table` and its primary key (current key, current schema version). */
  seal(table: string, key: readonly KeyValue[], plain: Uint8Array): Uint8Array
  /** Opens a row's payload; STORE_CORRUPT when it does not authenticate. */
  open(table: string, key: readonly KeyValue[], sealed: Uint8Array): Uint8Array
  /** HMAC of a lookup value under the current index key. */
  lookup: LookupFn
  /** The database clock (injected). */
  now(): Date
}

/** A table with a `sealed` column, as rotation and migrations need to know it. */
export interface SealedTable {
  name: string
  /** The schema version that created the table. */
  since: number
  /** Columns naming the row (its associated data), in order. */
  key: readonly string[]
  /** Columns holding lookup HMACs, recomputed from the payload when the data key changes. */
  lookups: readonly string[]
  /** The `lookups` column values of a row whose opened payload is `plain`, under `lookup`. */
  lookupValues(plain: Uint8Array, lookup: LookupFn): (Uint8Array | null)[]
}

/** Encodes a row payload (deterministic CBOR, at most DB_ROW_MAX_BYTES). */
export function encodePayload(body: { [key: string]: CborValue }): Uint8Array {
  return encode(body, { maxBytes: DB_ROW_MAX_BYTES })
}

/** Decodes a row payload; anything malformed is STORE_CORRUPT (it authenticated, so it is a bug or a foreign file). */
export function decodePayload(plain: Uint8Array, what: string): CborMap {
  try {
    return asMap(decode(plain, { maxBytes: DB_ROW_MAX_BYTES }), what)
  } catch (err) {
    throw new ParleyError('STORE_CORRUPT', `database: a ${what} row is malformed`, { cause: err })
  }
}

/** Reads a payload with `read`, turning schema failures into STORE_CORRUPT and wiping the plaintext after. */
export function readPayload<T>(plain: Uint8Array, what: string, read: (map: CborMap) => T): T {
  try {
    return read(decodePayload(plain, what))
  } catch (err) {
    if (err instanceof ParleyError && err.code === 'STORE_CORRUPT') throw err
    throw new ParleyError('STORE_CORRUPT', `database: a ${what} row is malformed`, { cause: err })
  } finally {
    plain.fill(0)
  }
}

/** Seals `body` for a row of `table` and wipes the encoded plaintext. */
export function sealPayload(ctx: DbContext, table: string, key: readonly KeyValue[], body: { [key: string]: CborValue }): Uint8Array {
  const plain = encodePayload(body)
  try {
    return ctx.seal(table, key, plain)
  } finally {
    plain.fill(0)
  }
}

/** A BLOB column value read back from SQLite (node:sqlite returns Uint8Array), or STORE_CORRUPT. */
export function blob(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ParleyError('STORE_CORRUPT', `database: ${what} is not a byte string`)
  return value
}

/** An INTEGER column value read back from SQLite, or STORE_CORRUPT. */
export function int(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ParleyError('STORE_CORRUPT', `database: ${what} is not an integer`)
  return value
}

/** A row object as node:sqlite returns it. */
export type Row = Record<string, unknown>
