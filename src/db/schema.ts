/**
 * The database schema, its ordered migrations, and re-sealing.
 *
 * The version lives in the `schema_version` table (one row per applied
 * migration, with its time). Opening a file runs every missing migration,
 * in order, in one transaction: a crash or a failure leaves the file at its
 * old version, untouched. Because each row's associated data holds the
 * schema version, every migration also re-seals every row under the new
 * version (old rows cannot be replayed into a newer schema). The same
 * re-sealing, with another key, is data-key rotation (rekey.ts).
 *
 * Tables are STRICT. Lookup columns (BLOB) hold HMACs, see keys.ts.
 *
 * History: v1 — meta, prekeys, sessions, replay cache, outbox, dedupe,
 * contacts, messages. v2 — issued invites.
 */
import type { DatabaseSync } from 'node:sqlite'
import { DB_RESEAL_BATCH_ROWS } from '../constants.js'
import { ParleyError } from '../errors.js'
import type { Row, SealedTable } from './context.js'
import { blob } from './context.js'
import type { DbKeys, KeyValue } from './keys.js'
import { CONTACT_TABLES } from './contacts.js'
import { HISTORY_TABLES } from './history.js'
import { INVITE_TABLES } from './invite-store.js'
import { OUTBOX_TABLES } from './outbox-store.js'
import { PREKEY_TABLES } from './prekey-store.js'
import { REPLAY_TABLES } from './replay-cache.js'
import { SESSION_TABLES } from './session-store.js'

interface Migration {
  version: number
  sql: string
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT;
      CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
      CREATE TABLE prekey_ids (family TEXT NOT NULL, kind TEXT NOT NULL, next INTEGER NOT NULL, PRIMARY KEY (family, kind)) STRICT;
      CREATE TABLE signed_prekeys (kind TEXT NOT NULL, id INTEGER NOT NULL, retired_at INTEGER, sealed BLOB NOT NULL, UNIQUE (kind, id)) STRICT;
      CREATE UNIQUE INDEX signed_prekeys_current ON signed_prekeys (kind) WHERE retired_at IS NULL;
      CREATE TABLE one_time_prekeys (kind TEXT NOT NULL, id INTEGER NOT NULL, published INTEGER NOT NULL, sealed BLOB NOT NULL, UNIQUE (kind, id)) STRICT;
      CREATE TABLE sessions (peer BLOB NOT NULL, sid BLOB NOT NULL, sealed BLOB NOT NULL, UNIQUE (peer, sid)) STRICT;
      CREATE TABLE active_sessions (peer BLOB NOT NULL UNIQUE, sealed BLOB NOT NULL) STRICT;
      CREATE TABLE replay (id BLOB NOT NULL UNIQUE, expires_at INTEGER NOT NULL, sealed BLOB NOT NULL) STRICT;
      CREATE INDEX replay_expiry ON replay (expires_at);
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, recipient BLOB NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
        created_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, sealed BLOB NOT NULL
      ) STRICT;
      CREATE INDEX outbox_by_recipient ON outbox (recipient, seq);
      CREATE TABLE dedupe (key BLOB NOT NULL UNIQUE, expires_at INTEGER NOT NULL, sealed BLOB NOT NULL) STRICT;
      CREATE INDEX dedupe_expiry ON dedupe (expires_at);
      CREATE TABLE contacts (did BLOB NOT NULL UNIQUE, alias BLOB UNIQUE, sealed BLOB NOT NULL) STRICT;
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY, ref BLOB NOT NULL UNIQUE, peer BLOB NOT NULL, ts INTEGER NOT NULL,
        state TEXT NOT NULL, sealed BLOB NOT NULL
      ) STRICT;
      CREATE INDEX messages_by_peer ON messages (peer, ts, seq);
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE invites (token BLOB NOT NULL UNIQUE, state TEXT NOT NULL, expires_at INTEGER NOT NULL, sealed BLOB NOT NULL) STRICT;
      CREATE INDEX invites_expiry ON invites (expires_at);
    `,
  },
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length

/** Every sealed table of the newest schema. */
export const SEALED_TABLES: readonly SealedTable[] = [
  ...PREKEY_TABLES,
  ...SESSION_TABLES,
  ...REPLAY_TABLES,
  ...OUTBOX_TABLES,
  ...CONTACT_TABLES,
  ...HISTORY_TABLES,
  ...INVITE_TABLES,
]

/** The file's schema version: 0 for a new (empty) file. STORE_CORRUPT for a SQLite file that is not a Parley database. */
export function readSchemaVersion(db: DatabaseSync): number {
  const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all() as Row[]
  if (tables.length === 0) return 0
  if (!tables.some((t) => t['name'] === 'schema_version') || !tables.some((t) => t['name'] === 'meta')) {
    throw new ParleyError('STORE_CORRUPT', 'database: the file is not a Parley database')
  }
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as Row | undefined
  const version = row?.['v']
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw new ParleyError('STORE_CORRUPT', 'database: no schema version')
  return version
}

/** One end of a re-sealing: the keys and the schema version rows are (or will be) sealed under. */
export interface SealingState {
  keys: DbKeys
  version: number
}

/**
 * Re-seals every row of every sealed table that exists at `from.version`:
 * opened under `from`, lookup columns recomputed and sealed again under
 * `to`. Runs inside the caller's transaction; `onRow` is called after each
 * row (progress; tests use it to interrupt). Any row that does not open is
 * STORE_CORRUPT and the caller's transaction rolls back.
 */
export function resealAll(db: DatabaseSync, from: SealingState, to: SealingState, onRow?: () => void): number {
  let count = 0
  for (const table of SEALED_TABLES) {
    if (table.since > from.version) continue
    const columns = [...new Set([...table.key, ...table.lookups])]
    const select = db.prepare(`SELECT rowid AS _rowid, ${columns.join(', ')}, sealed FROM ${table.name} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    const update =
      table.lookups.length === 0
        ? db.prepare(`UPDATE ${table.name} SET sealed = ? WHERE rowid = ?`)
        : db.prepare(`UPDATE ${table.name} SET ${table.lookups.map((c) => `${c} = ?`).join(', ')}, sealed = ? WHERE rowid = ?`)
    let after = 0
    for (;;) {
      const rows = select.all(after, DB_RESEAL_BATCH_ROWS) as Row[]
      if (rows.length === 0) break
      for (const row of rows) {
        const rowid = row['_rowid'] as number
        const oldKey = table.key.map((c) => row[c] as KeyValue)
        const plain = from.keys.open(table.name, oldKey, from.version, blob(row['sealed'], `${table.name}.sealed`))
        try {
          const lookups = table.lookupValues(plain, to.keys.lookup)
          const fresh: Row = { ...row }
          table.lookups.forEach((c, i) => {
            fresh[c] = lookups[i] ?? null
          })
          const sealed = to.keys.seal(table.name, table.key.map((c) => fresh[c] as KeyValue), to.version, plain)
          update.run(...lookups, sealed, rowid)
        } finally {
          plain.fill(0)
        }
        after = rowid
        count++
        onRow?.()
      }
    }
  }
  return count
}

/**
 * Brings the file from `current` to `target` (at most SCHEMA_VERSION) in one
 * transaction: each migration's DDL, then every row re-sealed under the new
 * version. A new file (current 0) also gets its key check.
 */
export function migrate(db: DatabaseSync, keys: DbKeys, current: number, target: number, now: Date): void {
  if (current > SCHEMA_VERSION) {
    throw new ParleyError('STORE_VERSION_UNSUPPORTED', `database: schema version ${current} is newer than this Parley (${SCHEMA_VERSION}); upgrade Parley`)
  }
  if (current >= target) return
  db.exec('BEGIN IMMEDIATE')
  try {
    for (const m of MIGRATIONS) {
      if (m.version <= current || m.version > target) continue
      db.exec(m.sql)
      if (m.version === 1) db.prepare(`INSERT INTO meta (name, value) VALUES ('key_check', ?)`).run(keys.check)
      else resealAll(db, { keys, version: m.version - 1 }, { keys, version: m.version })
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(m.version, now.getTime())
    }
    db.exec('COMMIT')
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK')
    throw err
  }
}

/** The key check stored in the file. */
export function readKeyCheck(db: DatabaseSync): Uint8Array {
  const row = db.prepare(`SELECT value FROM meta WHERE name = 'key_check'`).get() as Row | undefined
  if (row === undefined) throw new ParleyError('STORE_CORRUPT', 'database: no key check')
  return blob(row['value'], 'meta.key_check')
}

/** Replaces the stored key check (inside the rotation's transaction). */
export function writeKeyCheck(db: DatabaseSync, keys: DbKeys): void {
  db.prepare(`UPDATE meta SET value = ? WHERE name = 'key_check'`).run(keys.check)
}
