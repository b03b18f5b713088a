/**
 * Schema migrations: a file written at schema v1 is brought to the newest
 * version on open, in one transaction, with every row re-sealed under the
 * new version (its associated data) and every record still readable; a
 * migration that cannot finish leaves the file exactly at its old version;
 * a file from a newer Parley is refused (STORE_VERSION_UNSUPPORTED).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { SESSION_ID_LENGTH } from '../../src/constants.js'
import { SCHEMA_VERSION } from '../../src/db/index.js'
import { rejectsCode } from '../session/fixtures.js'
import { msgId } from '../network/compliance/outbox.js'
import { newHome, open } from './helpers.js'

const PEER = 'did:parley:migrating-peer'
const T0 = Date.UTC(2026, 0, 1)
const sid = new Uint8Array(SESSION_ID_LENGTH).fill(5)

function raw<T>(dir: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(join(dir, 'parley.db'))
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

const versions = (dir: string): number[] => raw(dir, (db) => (db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[]).map((r) => r.version))
const tables = (dir: string): string[] => raw(dir, (db) => (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name))
const sealed = (dir: string): string[] => raw(dir, (db) => (db.prepare('SELECT sealed FROM sessions UNION ALL SELECT sealed FROM messages UNION ALL SELECT sealed FROM contacts').all() as { sealed: Uint8Array }[]).map((r) => Buffer.from(r.sealed).toString('hex')))

async function writeV1(dir: string): Promise<void> {
  const db = await open(dir, { schemaVersion: 1, clock: () => new Date(T0) })
  assert.equal(db.schemaVersion, 1)
  await db.sessions.store(PEER, sid, Uint8Array.of(1, 2, 3), { activate: true })
  await db.contacts.put({ did: PEER, alias: 'mig', verified: true, credentialTypes: ['T'] })
  for (let n = 0; n < 20; n++) await db.history.append({ peer: PEER, direction: 'out', id: msgId(n), kind: 'text', body: Uint8Array.of(n), timestamp: T0 + n, state: 'sent' })
  await db.close()
}

test('a v1 file is upgraded on open: v2 tables, every row re-sealed, everything readable, invites usable', async (t) => {
  assert.equal(SCHEMA_VERSION, 2)
  const h = await newHome()
  t.after(() => h.cleanup())
  await writeV1(h.dir)
  assert.deepEqual(versions(h.dir), [1])
  assert.ok(!tables(h.dir).includes('invites'))
  const before = sealed(h.dir)

  const db = await open(h.dir, { clock: () => new Date(T0 + 5000) })
  assert.equal(db.schemaVersion, 2)
  assert.deepEqual(await db.sessions.load(PEER, sid), Uint8Array.of(1, 2, 3))
  assert.deepEqual(await db.sessions.active(PEER), sid)
  assert.equal((await db.contacts.byAlias('MIG'))?.addedAt, T0)
  assert.equal((await db.history.list(PEER)).length, 20)
  await db.invites.issue(new Uint8Array(16).fill(1), { record: Uint8Array.of(9), expiresAt: new Date(T0 + 60_000) })
  assert.deepEqual(await db.invites.redeem(new Uint8Array(16).fill(1), new Date(T0 + 1)), Uint8Array.of(9))
  await db.close()
  assert.deepEqual(versions(h.dir), [1, 2])
  assert.ok(tables(h.dir).includes('invites'))
  const after = sealed(h.dir)
  assert.equal(after.length, before.length)
  for (const v of after) assert.ok(!before.includes(v), 'every row was sealed again (the schema version is in its associated data)')
  const reopened = await open(h.dir, { schemaVersion: 1 })
  assert.equal(reopened.schemaVersion, 2, 'never downgraded')
  await reopened.close()
})

test('a migration that cannot finish leaves the file at its old version, untouched', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  await writeV1(h.dir)
  // One damaged row: the re-seal of the v1→v2 migration cannot open it.
  raw(h.dir, (db) => db.exec(`UPDATE messages SET sealed = zeroblob(60) WHERE seq = 7`))
  const before = sealed(h.dir)
  await rejectsCode(open(h.dir), 'STORE_CORRUPT')
  assert.deepEqual(versions(h.dir), [1])
  assert.ok(!tables(h.dir).includes('invites'), 'the new table was rolled back with the rest')
  assert.deepEqual(sealed(h.dir), before)
  // Still readable at v1 (the damaged row aside), and not locked.
  const db = await open(h.dir, { schemaVersion: 1 })
  assert.deepEqual(await db.sessions.load(PEER, sid), Uint8Array.of(1, 2, 3))
})

test('a file from a newer Parley is refused; so is a schemaVersion out of range', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  await (await open(h.dir)).close()
  raw(h.dir, (db) => db.exec(`INSERT INTO schema_version (version, applied_at) VALUES (${SCHEMA_VERSION + 1}, 0)`))
  await rejectsCode(open(h.dir), 'STORE_VERSION_UNSUPPORTED')
  await rejectsCode(open(h.dir, { schemaVersion: 0 }), 'INVALID_ARGUMENT')
  await rejectsCode(open(h.dir, { schemaVersion: SCHEMA_VERSION + 1 }), 'INVALID_ARGUMENT')
  raw(h.dir, (db) => db.exec(`DELETE FROM schema_version WHERE version > ${SCHEMA_VERSION}`))
  const db = await open(h.dir)
  assert.equal(db.schemaVersion, SCHEMA_VERSION)
})
