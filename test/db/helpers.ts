/**
 * Shared fixtures of the database tests: a home with a key file made at the
 * lowest Argon2id cost the key file accepts (tests only), opening and
 * reopening its database, and compliance-suite harnesses over real files.
 */
import { defaultSuite } from '../../src/crypto/index.js'
import { ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_PASSES } from '../../src/constants.js'
import { openDatabase } from '../../src/db/index.js'
import type { OpenDatabaseOptions, ParleyDatabase } from '../../src/db/index.js'
import { Home } from '../../src/storage/home.js'
import { Keystore } from '../../src/storage/keystore.js'
import { removeDir, tempDir } from '../helpers/tmp.js'

export const suite = defaultSuite
export const PASSPHRASE = 'correct horse battery staple'
export const CHEAP = { memoryKiB: ARGON2_MIN_MEMORY_KIB, passes: ARGON2_MIN_PASSES, parallelism: 1 }

/** Databases opened through `open`, by home directory, so that a home's cleanup closes them first. */
const opened = new Map<string, ParleyDatabase[]>()

/**
 * A fresh home directory holding a key file (no identity: the database
 * needs only the key file). `cleanup` closes every database `open` opened
 * in it, then removes it.
 */
export async function newHome(passphrase = PASSPHRASE): Promise<{ dir: string; home: Home; cleanup: () => Promise<void> }> {
  const dir = await tempDir('parley-db-')
  const home = new Home(dir, suite)
  await home.init()
  const ks = await Keystore.create(suite, home.keystorePath, passphrase, CHEAP)
  ks.close()
  const cleanup = async (): Promise<void> => {
    for (const db of opened.get(dir) ?? []) await db.close()
    opened.delete(dir)
    await removeDir(dir)
  }
  return { dir, home, cleanup }
}

/** Opens the database of `dir` (with the test passphrase unless a key is given). */
export async function open(dir: string, extra: Partial<OpenDatabaseOptions> = {}): Promise<ParleyDatabase> {
  const opts: OpenDatabaseOptions = { home: dir, suite, ...extra }
  if (opts.passphrase === undefined && opts.dataKey === undefined && opts.keystore === undefined) opts.passphrase = PASSPHRASE
  const db = await openDatabase(opts)
  opened.set(dir, [...(opened.get(dir) ?? []), db])
  return db
}

/**
 * A compliance harness over a real database file: `reopen` closes the
 * database and opens the file again (a new connection, keys from the key
 * file), `close` closes whatever is open and removes the home.
 */
export function harness<T>(pick: (db: ParleyDatabase) => T): () => Promise<{ store: T; reopen: () => Promise<T>; close: () => Promise<void> }> {
  return async () => {
    const h = await newHome()
    let db = await open(h.dir)
    return {
      store: pick(db),
      reopen: async () => {
        await db.close()
        db = await open(h.dir)
        return pick(db)
      },
      close: async () => {
        await db.close()
        await h.cleanup()
      },
    }
  }
}

