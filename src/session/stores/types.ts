/**
 * The storage interfaces of the session layer (libsignal's storage traits as
 * the model): narrow, async, over opaque records. A record is a versioned
 * CBOR byte string the session layer made (prekey records: prekeys.ts;
 * session records: the session layer over the ratchet); a store never parses
 * it, only keeps its exact bytes. What a store must know to do its job (ids,
 * times, the published flag, the active pointer) travels beside the record.
 *
 * Atomicity is part of the contract: `allocateIds`, `publishOneTime`,
 * `takeOneTime` and `checkAndInsert` are each one atomic step, so concurrent
 * callers (two connections answering first messages at once) can never both
 * win. Every implementation passes the compliance suites in
 * test/session/compliance/ (the in-memory ones here, SQLite later).
 *
 * Time is always passed in (`now`); stores never read a clock.
 */

/** The two prekey algorithms: X25519 (RFC 7748) and ML-KEM-768 (FIPS 203). */
export type PrekeyKind = 'x25519' | 'ml-kem'

/**
 * Signed prekeys are rotated and kept for a grace period (PQXDH §3.2: SPK_B
 * and the last-resort PQSPK_B); one-time prekeys are handed out once and
 * deleted when used (OPK_B, PQOPK_B).
 */
export type PrekeyFamily = 'signed' | 'one-time'

/** A stored prekey: its id and the session layer's opaque record. */
export interface StoredPrekey {
  id: number
  record: Uint8Array
}

/**
 * Lookup of a one-time prekey: `available` (with its record), `used`
 * (allocated once, no longer held: taken, or never added) or `unknown`
 * (an id this store never allocated).
 */
export type OneTimeLookup = { status: 'available'; record: Uint8Array } | { status: 'used' } | { status: 'unknown' }

/** The prekeys of one identity. */
export interface PrekeyStore {
  /**
   * Reserves `count` (1..PREKEY_MAX_BATCH) fresh ids for prekeys of
   * `family`/`kind`: strictly increasing from 0, never returned twice, also
   * across restarts and concurrent calls. PREKEY_EXHAUSTED past PREKEY_MAX_ID.
   */
  allocateIds(family: PrekeyFamily, kind: PrekeyKind, count: number): Promise<number[]>

  /**
   * Makes `prekey` (its id allocated as 'signed') the current signed prekey
   * of `kind`. The previous current one is retired at `now` and stays
   * loadable until `now` + SIGNED_PREKEY_GRACE_SECONDS. STORE_EXISTS when the
   * id is already stored.
   */
  rotateSigned(kind: PrekeyKind, prekey: StoredPrekey, now: Date): Promise<void>
  /** The current signed prekey of `kind`, if any. */
  currentSigned(kind: PrekeyKind): Promise<StoredPrekey | undefined>
  /** Signed prekey `id` of `kind` when current, or retired less than the grace period before `now`. */
  loadSigned(kind: PrekeyKind, id: number, now: Date): Promise<Uint8Array | undefined>
  /** Deletes retired signed prekeys whose grace period ended at or before `now`; returns how many. */
  pruneSigned(now: Date): Promise<number>

  /**
   * Adds one-time prekeys (ids allocated as 'one-time', at most
   * PREKEY_MAX_BATCH), unpublished. All or nothing: STORE_EXISTS when an id
   * is already held, INVALID_ARGUMENT when it was never allocated.
   */
  addOneTime(kind: PrekeyKind, prekeys: readonly StoredPrekey[]): Promise<void>
  /** How many one-time prekeys of `kind` are held and not yet published. */
  countUnpublished(kind: PrekeyKind): Promise<number>
  /**
   * Atomically picks the held, unpublished one-time prekey of `kind` with
   * the lowest id, marks it published and returns it: each one-time prekey
   * goes into at most one bundle. Undefined when none is left.
   */
  publishOneTime(kind: PrekeyKind): Promise<StoredPrekey | undefined>
  /** Looks a one-time prekey up without consuming it. */
  peekOneTime(kind: PrekeyKind, id: number): Promise<OneTimeLookup>
  /**
   * Atomically hands one-time prekey `id` out and deletes it: of any number
   * of calls (concurrent or not) at most one ever sees `available`; the
   * others see `used`.
   */
  takeOneTime(kind: PrekeyKind, id: number): Promise<OneTimeLookup>
}

/** Session records by (peer DID, 16-byte session id), with one active session per peer. */
export interface SessionStore {
  /** The record, or undefined. */
  load(peerDid: string, sessionId: Uint8Array): Promise<Uint8Array | undefined>
  /** Inserts or replaces the record; with `activate`, also makes it the peer's active session, in the same step. */
  store(peerDid: string, sessionId: Uint8Array, record: Uint8Array, opts?: { activate?: boolean }): Promise<void>
  /** Deletes the record (and the active pointer if it pointed there); false when there was none. */
  delete(peerDid: string, sessionId: Uint8Array): Promise<boolean>
  /** Session ids of `peerDid`, in no particular order. */
  list(peerDid: string): Promise<Uint8Array[]>
  /** The active session id of `peerDid`, if any. */
  active(peerDid: string): Promise<Uint8Array | undefined>
  /** Makes a stored session the active one; STORE_NOT_FOUND when it is not stored. */
  activate(peerDid: string, sessionId: Uint8Array): Promise<void>
}

/** First-message ids seen, each until its expiry (PQXDH §4 "Protocol replay"). */
export interface ReplayCache {
  /**
   * Atomically: false when `id` is held with an expiry after `now` (a
   * replay); otherwise records it until `expiresAt` and returns true.
   * INVALID_ARGUMENT when `expiresAt` is not after `now`.
   */
  checkAndInsert(id: Uint8Array, expiresAt: Date, now: Date): Promise<boolean>
  /** Deletes entries whose expiry is at or before `now`; returns how many. */
  prune(now: Date): Promise<number>
}
