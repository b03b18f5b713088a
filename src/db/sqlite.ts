/**
 * The SQLite file under node:sqlite: created 0600 before SQLite ever opens
 * it, configured, locked, and every SQLite failure turned into a
 * ParleyError.
 *
 * Settings and why:
 * - The file is created empty with O_CREAT|O_EXCL and mode 0600 (SQLite
 *   would create it 0644 minus umask); SQLite gives its -wal file the mode of
 *   the database file, so it is 0600 too. An existing file looser than 0600
 *   is tightened before anything is read or written.
 * - `locking_mode=EXCLUSIVE`, set before WAL is entered: the process that
 *   opens the database holds SQLite's exclusive lock until it closes it (a
 *   second connection, in this process or another, gets SQLITE_BUSY:
 *   STORE_LOCKED), the lock dies with the process (no stale state), and no
 *   -shm file is used (the WAL index lives in the heap).
 * - `journal_mode=WAL`: appends instead of rewriting pages; a crash leaves
 *   either the last committed state or the one before, never a mix.
 * - `synchronous=FULL`: the WAL is fsynced at every commit. NORMAL would be
 *   durable across a process crash but may lose the last commits on a power
 *   cut, and the receiver acks a message after its commit (DESIGN §7): an
 *   ack for a lost commit would be a lost message.
 * - `secure_delete=ON`: deleted and overwritten content is zeroed, so old
 *   ciphertexts (under a rotated key) do not linger in free pages.
 * - `temp_store=MEMORY`, `trusted_schema=OFF`, `cell_size_check=ON`, the
 *   defensive flag: no temporary files, no functions run from the schema,
 *   damaged pages found early, no SQL that can corrupt the file on purpose.
 */
import { DatabaseSync } from 'node:sqlite'
import { constants as fsc, closeSync, fchmodSync, fstatSync, openSync } from 'node:fs'
import { DB_BUSY_TIMEOUT_MS, SECRET_FILE_MODE } from '../constants.js'
import { ParleyError } from '../errors.js'
import type { ErrorCode } from '../errors.js'

/** SQLite primary result codes (sqlite.org/rescode.html) the mapping tells apart. */
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_NOMEM = 7
const SQLITE_READONLY = 8
const SQLITE_IOERR = 10
const SQLITE_CORRUPT = 11
const SQLITE_FULL = 13
const SQLITE_CANTOPEN = 14
const SQLITE_NOTADB = 26
/** Extended result code: an INSERT hit a UNIQUE constraint (sqlite.org/rescode.html#constraint_unique). */
const SQLITE_CONSTRAINT_UNIQUE = 2067

/**
 * Maps a failure inside a database operation to a ParleyError: busy and
 * locked → STORE_LOCKED, a damaged or foreign file → STORE_CORRUPT, I/O →
 * IO_FAILED. ParleyErrors pass through unchanged.
 */
export function storeError(err: unknown, what: string): ParleyError {
  if (err instanceof ParleyError) return err
  const errcode = (err as { errcode?: unknown }).errcode
  if ((err as { code?: unknown }).code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') {
    const code = CODES.get(errcode & 0xff) ?? 'INTERNAL'
    const message = code === 'STORE_LOCKED' ? 'home in use: the database is held by another process' : `${what}: ${(err as Error).message}`
    return new ParleyError(code, message, { cause: err })
  }
  return new ParleyError('INTERNAL', `${what}: unexpected failure`, { cause: err })
}

/** True when `err` is SQLite refusing a row whose UNIQUE column value is taken (the store answers STORE_EXISTS). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown }).code === 'ERR_SQLITE_ERROR' && (err as { errcode?: unknown }).errcode === SQLITE_CONSTRAINT_UNIQUE
}

const CODES = new Map<number, ErrorCode>([
  [SQLITE_BUSY, 'STORE_LOCKED'],
  [SQLITE_LOCKED, 'STORE_LOCKED'],
  [SQLITE_CORRUPT, 'STORE_CORRUPT'],
  [SQLITE_NOTADB, 'STORE_CORRUPT'],
  [SQLITE_NOMEM, 'IO_FAILED'],
  [SQLITE_READONLY, 'IO_FAILED'],
  [SQLITE_IOERR, 'IO_FAILED'],
  [SQLITE_FULL, 'IO_FAILED'],
  [SQLITE_CANTOPEN, 'IO_FAILED'],
])

/** Creates `path` empty with mode 0600 when missing, or tightens an existing file (and its -wal) to 0600. */
function preparePrivateFile(path: string): void {
  for (const [file, create] of [[path, true], [`${path}-wal`, false]] as const) {
    let fd: number
    try {
      fd = openSync(file, create ? fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW : fsc.O_RDWR | fsc.O_NOFOLLOW, SECRET_FILE_MODE)
    } catch (err) {
      if (!create && (err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw new ParleyError('IO_FAILED', `cannot open ${file}`, { cause: err })
    }
    try {
      if ((fstatSync(fd).mode & 0o777) !== SECRET_FILE_MODE) fchmodSync(fd, SECRET_FILE_MODE)
    } catch (err) {
      throw new ParleyError('IO_FAILED', `cannot make ${file} private`, { cause: err })
    } finally {
      closeSync(fd)
    }
  }
}

/**
 * Opens (creating when missing) the database file at `path`, configured as
 * above and holding SQLite's exclusive lock. STORE_LOCKED when another
 * connection holds it, STORE_CORRUPT when the file is not a database.
 */
export function openSqliteFile(path: string): DatabaseSync {
  preparePrivateFile(path)
  let db: DatabaseSync
  try {
    db = new DatabaseSync(path, { timeout: DB_BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true, enableDoubleQuotedStringLiterals: false })
  } catch (err) {
    throw storeError(err, `cannot open ${path}`)
  }
  try {
    db.enableDefensive(true)
    db.exec('PRAGMA locking_mode = EXCLUSIVE')
    const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode?: unknown } | undefined
    if (mode?.journal_mode !== 'wal') throw new ParleyError('IO_FAILED', `${path}: the file system does not support SQLite's write-ahead log`)
    db.exec('PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY; PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON')
    // Take the exclusive lock now (held until close), not at the first write.
    db.exec('BEGIN EXCLUSIVE; COMMIT')
    return db
  } catch (err) {
    try {
      db.close()
    } catch {
      // the open failure is what matters
    }
    throw storeError(err, path)
  }
}
