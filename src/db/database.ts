/**
 * The encrypted local database of a home (DESIGN §8): one node:sqlite file
 * (`home/parley.db`, 0600) holding the session, prekey, replay-cache,
 * invite, outbox, dedupe, contact and message-history stores, every secret
 * sealed per row (keys.ts). Its data key is a record of the home's key file
 * (key-record.ts), so one passphrase and one Argon2id run unlock both; the
 * unlocked key file stays available as `db.keystore` for the identity
 * secrets. While open, the database holds the home's single-writer lock
 * (a second process, or a second open here, gets STORE_LOCKED: 'home in
 * use') and SQLite's exclusive lock.
 *
 * @example
 * ```ts
 * const db = await openDatabase({ home: '/home/me/.parley', suite, passphrase })
 * try {
 *   await db.transaction(async () => {
 *     await db.sessions.store(peer, sessionId, record)
 *     await db.history.append(entry)
 *     await db.dedupe.remember(peer, entry.id, expiresAt)
 *   }) // one commit: the receiver acks after this
 * } finally {
 *   await db.close()
 * }
 * ```
 */
import type { Argon2Params, Suite } from '../crypto/types.js'
import { ParleyError } from '../errors.js'
import { MIN_PASSPHRASE_LENGTH, XCHACHA20_KEY_LENGTH } from '../constants.js'
import { Home } from '../storage/home.js'
import type { FileLock } from '../storage/files.js'
import type { Keystore } from '../storage/keystore.js'
import type { DatabaseSync } from 'node:sqlite'
import { SqliteContactStore } from './contacts.js'
import { Engine } from './engine.js'
import { SqliteMessageHistory } from './history.js'
import { SqliteInviteStore } from './invite-store.js'
import { readKeyRecord, wipeKeyRecord, writeKeyRecord } from './key-record.js'
import type { DbKeyRecord } from './key-record.js'
import { DbKeys } from './keys.js'
import { SqliteInboundDedupeStore, SqliteOutboxStore } from './outbox-store.js'
import { SqlitePrekeyStore } from './prekey-store.js'
import { SqliteReplayCache } from './replay-cache.js'
import { migrate, readKeyCheck, readSchemaVersion, SCHEMA_VERSION } from './schema.js'
import { SqliteSessionStore } from './session-store.js'
import { openSqliteFile, storeError } from './sqlite.js'

export interface OpenDatabaseOptions {
  /** The home (a directory, or a Home). */
  home: string | Home
  suite: Suite
  /** Unlocks the home's key file (keys.parley must exist: `parley id create`). */
  passphrase?: string
  /** A key file the caller unlocked already (not closed by the database). */
  keystore?: Keystore
  /** A raw 32-byte data key instead of the key file (ephemeral agents, tests); no rekey. */
  dataKey?: Uint8Array
  /** The clock (contacts' times, migration times). Default: the system clock. */
  clock?: () => Date
  /** Migrate only up to this schema version (tests of migrations). Default: the newest. */
  schemaVersion?: number
}

/** A step of `rekey` with data-key rotation, reported to `onProgress`. */
export type RekeyStep = 'prepared' | 'row' | 'committed' | 'recorded'

export interface RekeyOptions {
  /** The current passphrase (confirmed first: PASSPHRASE_WRONG). */
  passphrase: string
  /** A new passphrase: the key file's data key is re-wrapped (nothing else changes). */
  newPassphrase?: string
  /** Rotate the data keys: every row of the database and every record of the key file is sealed again under fresh keys. */
  rotateDataKey?: boolean
  /** Argon2id cost for the new passphrase (default: the key file's default). */
  cost?: Omit<Argon2Params, 'length'>
  /** Progress of a rotation. */
  onProgress?: (step: RekeyStep) => void
}

export class ParleyDatabase {
  readonly path: string
  readonly prekeys: SqlitePrekeyStore
  readonly sessions: SqliteSessionStore
  readonly replay: SqliteReplayCache
  readonly invites: SqliteInviteStore
  readonly outbox: SqliteOutboxStore
  readonly dedupe: SqliteInboundDedupeStore
  readonly contacts: SqliteContactStore
  readonly history: SqliteMessageHistory
  readonly #engine: Engine
  readonly #suite: Suite
  readonly #lock: FileLock
  readonly #keystore: Keystore | undefined
  readonly #ownsKeystore: boolean

  /** @internal Use openDatabase. */
  constructor(path: string, engine: Engine, suite: Suite, lock: FileLock, keystore: Keystore | undefined, ownsKeystore: boolean) {
    this.path = path
    this.#engine = engine
    this.#suite = suite
    this.#lock = lock
    this.#keystore = keystore
    this.#ownsKeystore = ownsKeystore
    this.prekeys = new SqlitePrekeyStore(engine)
    this.sessions = new SqliteSessionStore(engine)
    this.replay = new SqliteReplayCache(engine)
    this.invites = new SqliteInviteStore(engine)
    this.outbox = new SqliteOutboxStore(engine)
    this.dedupe = new SqliteInboundDedupeStore(engine)
    this.contacts = new SqliteContactStore(engine)
    this.history = new SqliteMessageHistory(engine)
  }

  /** The unlocked key file (identity and group secrets), when the database was opened with one. */
  get keystore(): Keystore | undefined {
    return this.#keystore
  }

  /** The schema version of the file. */
  get schemaVersion(): number {
    return this.#engine.version
  }

  /**
   * Runs `fn` as one transaction: every store call made from inside it (it
   * may await them) commits together, or none does when it throws. Calls
   * from outside wait until it ends. A nested call is a savepoint. Keep it
   * short: no network I/O inside.
   */
  transaction<T>(fn: () => T | Promise<T>): Promise<T> {
    return this.#engine.transaction(fn)
  }

  /**
   * Changes the passphrase (re-wraps the key file's data key) and/or rotates
   * the data keys (re-seals every database row in one transaction, then
   * every key-file record). Crash-safe at every step (key-record.ts).
   */
  async rekey(opts: RekeyOptions): Promise<void> {
    const keystore = this.#keystore
    if (keystore === undefined) throw new ParleyError('UNSUPPORTED', 'rekey: this database was opened with a raw data key; open it with the passphrase')
    if (opts === null || typeof opts !== 'object' || typeof opts.passphrase !== 'string') throw new ParleyError('INVALID_ARGUMENT', 'rekey: the current passphrase is required')
    if (opts.rotateDataKey !== true && opts.newPassphrase === undefined) throw new ParleyError('INVALID_ARGUMENT', 'rekey: nothing to do (a new passphrase, or rotateDataKey)')
    if (opts.newPassphrase !== undefined && (typeof opts.newPassphrase !== 'string' || [...opts.newPassphrase].length < MIN_PASSPHRASE_LENGTH)) {
      throw new ParleyError('INVALID_ARGUMENT', `rekey: the new passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters`)
    }
    await this.#engine.exclusive('rekey', async () => {
      await keystore.verifyPassphrase(opts.passphrase)
      if (opts.rotateDataKey === true) {
        const record = readKeyRecord(keystore)
        if (record === undefined) throw new ParleyError('STORE_CORRUPT', 'rekey: the key file holds no database key')
        const fresh = this.#suite.randomBytes(XCHACHA20_KEY_LENGTH)
        try {
          await writeKeyRecord(keystore, { current: record.current, next: fresh })
          opts.onProgress?.('prepared')
          this.#engine.resealUnder(DbKeys.derive(this.#suite, fresh), () => opts.onProgress?.('row'))
          opts.onProgress?.('committed')
          await writeKeyRecord(keystore, { current: fresh })
          opts.onProgress?.('recorded')
        } finally {
          wipeKeyRecord(record)
          fresh.fill(0)
        }
        await keystore.rotateDataKey(opts.passphrase)
      }
      if (opts.newPassphrase !== undefined) await keystore.changePassphrase(opts.newPassphrase, opts.cost)
    })
  }

  /** SQLite's quick integrity check over the whole file: STORE_CORRUPT unless it is sound. */
  integrityCheck(): Promise<void> {
    return this.#engine.run('integrityCheck', () => this.#engine.quickCheck())
  }

  /** Closes the database (after a running transaction), forgets its keys and releases the home lock. */
  async close(): Promise<void> {
    if (this.#engine.closed) return
    try {
      await this.#engine.close()
    } finally {
      if (this.#ownsKeystore) this.#keystore?.close()
      await this.#lock.release()
    }
  }
}

/**
 * Opens (creating and migrating as needed) the database of a home. Exactly
 * one of `passphrase`, `keystore`, `dataKey`. Errors: PASSPHRASE_WRONG,
 * STORE_LOCKED (home in use), STORE_CORRUPT (not a Parley database, damaged,
 * or sealed under a key the key file does not hold), STORE_NOT_FOUND (no
 * key file), STORE_VERSION_UNSUPPORTED (written by a newer Parley).
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<ParleyDatabase> {
  const given = [opts.passphrase, opts.keystore, opts.dataKey].filter((x) => x !== undefined).length
  if (given !== 1) throw new ParleyError('INVALID_ARGUMENT', 'openDatabase: give exactly one of passphrase, keystore, dataKey')
  const target = opts.schemaVersion ?? SCHEMA_VERSION
  if (!Number.isSafeInteger(target) || target < 1 || target > SCHEMA_VERSION) throw new ParleyError('INVALID_ARGUMENT', `openDatabase: schemaVersion must be 1..${SCHEMA_VERSION}`)
  const clock = opts.clock ?? (() => new Date())
  const home = typeof opts.home === 'string' ? new Home(opts.home, opts.suite) : opts.home
  const lock = await home.lock()
  let keystore: Keystore | undefined
  let ownsKeystore = false
  let sqlite: DatabaseSync | undefined
  let keys: DbKeys | undefined
  try {
    if (opts.passphrase !== undefined) {
      keystore = await home.openKeystore(opts.passphrase)
      ownsKeystore = true
    } else {
      keystore = opts.keystore
    }
    sqlite = openSqliteFile(home.databasePath)
    const db = sqlite
    const current = wrap(() => readSchemaVersion(db))
    keys = keystore === undefined ? keysFromDataKey(opts.suite, opts.dataKey as Uint8Array, db, current) : await keysFromKeystore(opts.suite, keystore, db, current)
    const k = keys
    wrap(() => migrate(db, k, current, target, clock()))
    const engine = new Engine(db, k, wrap(() => readSchemaVersion(db)), clock)
    return new ParleyDatabase(home.databasePath, engine, opts.suite, lock, keystore, ownsKeystore)
  } catch (err) {
    keys?.wipe()
    try {
      sqlite?.close()
    } catch {
      // the open failure is what matters
    }
    if (ownsKeystore) keystore?.close()
    await lock.release()
    throw err
  }
}

function wrap<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw storeError(err, 'database')
  }
}

function keysFromDataKey(suite: Suite, dataKey: Uint8Array, db: DatabaseSync, version: number): DbKeys {
  const keys = DbKeys.derive(suite, dataKey)
  if (version > 0 && !keys.matches(wrap(() => readKeyCheck(db)))) {
    keys.wipe()
    throw new ParleyError('PASSPHRASE_WRONG', 'wrong data key for this database')
  }
  return keys
}

/** The keys of the database from the key file's record, settling an interrupted rotation (key-record.ts). */
async function keysFromKeystore(suite: Suite, keystore: Keystore, db: DatabaseSync, version: number): Promise<DbKeys> {
  let record = readKeyRecord(keystore)
  if (record === undefined) {
    if (version > 0) throw new ParleyError('STORE_CORRUPT', 'the key file holds no key for this database (was keys.parley replaced?)')
    record = { current: suite.randomBytes(XCHACHA20_KEY_LENGTH) }
    await writeKeyRecord(keystore, record)
  }
  try {
    const stored = version === 0 ? undefined : wrap(() => readKeyCheck(db))
    const current = DbKeys.derive(suite, record.current)
    if (stored === undefined || current.matches(stored)) {
      // A rotation that never committed (or a new file): drop its key.
      if (record.next !== undefined) await settle(keystore, { current: record.current }, current)
      return current
    }
    current.wipe()
    if (record.next !== undefined) {
      const next = DbKeys.derive(suite, record.next)
      if (next.matches(stored)) {
        // The database committed to the new key before the key file was told: finish the rotation.
        await settle(keystore, { current: record.next }, next)
        return next
      }
      next.wipe()
    }
    throw new ParleyError('STORE_CORRUPT', 'the key file holds no key for this database (was keys.parley replaced?)')
  } finally {
    wipeKeyRecord(record)
  }
}

/** Writes the settled key record; the keys chosen are wiped if that fails. */
async function settle(keystore: Keystore, record: DbKeyRecord, keys: DbKeys): Promise<void> {
  try {
    await writeKeyRecord(keystore, record)
  } catch (err) {
    keys.wipe()
    throw err
  }
}
