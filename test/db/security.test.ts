/**
 * What the database file gives away, and what it does with bad keys and
 * bad files: after every store has written known secrets and plaintexts,
 * neither the file nor its WAL holds any of them (raw, hex, base64,
 * base64url, any 16-byte window) — not even the peer DIDs or message ids;
 * files are 0600 in a 0700 home; a wrong passphrase or data key is
 * PASSPHRASE_WRONG; rows swapped, moved or altered in the file are
 * STORE_CORRUPT; a damaged, truncated or foreign file is STORE_CORRUPT,
 * never a crash, and the home is not left locked.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { SESSION_ID_LENGTH } from '../../src/constants.js'
import { Keystore } from '../../src/storage/keystore.js'
import type { ParleyDatabase } from '../../src/db/index.js'
import { rejectsCode } from '../session/fixtures.js'
import { msgId } from '../network/compliance/outbox.js'
import { CHEAP, newHome, open, PASSPHRASE, suite } from './helpers.js'

const T0 = Date.UTC(2026, 0, 1)
const PEER = 'did:parley:zQ3shSecretPeerWhoNobodyMayLearn'
const OTHER = 'did:parley:zQ3shAnotherPeerAlsoPrivate'

function forms(secret: Uint8Array): Buffer[] {
  const b = Buffer.from(secret)
  return [b, Buffer.from(b.toString('hex')), Buffer.from(b.toString('base64')), Buffer.from(b.toString('base64url'))]
}

/** Asserts that no file of `paths` holds any secret in any form, nor any 16-byte window of it. */
async function assertNoneIn(paths: string[], secrets: Uint8Array[]): Promise<number> {
  let bytes = 0
  for (const path of paths) {
    const content = await readFile(path)
    bytes += content.length
    for (const secret of secrets) {
      for (const form of forms(secret)) assert.equal(content.indexOf(form), -1, `a secret lies in the clear in ${path}`)
      for (let i = 0; i + 16 <= secret.length; i += 8) assert.equal(content.indexOf(Buffer.from(secret.subarray(i, i + 16))), -1, `part of a secret lies in ${path}`)
    }
  }
  return bytes
}

async function dbFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith('parley.db')).map((f) => join(dir, f))
}

/** Writes known secrets through every store; returns them (and the public-looking values that must not show either). */
async function writeEverything(db: ParleyDatabase): Promise<Uint8Array[]> {
  const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
  const secret = (n: number, length = 64): Uint8Array => suite.randomBytes(length).map((b, i) => (i === 0 ? n : b))
  const sessionRecord = secret(1, 4000)
  const oldSessionRecord = secret(2, 4000)
  const sid = secret(3, SESSION_ID_LENGTH)
  const prekey = secret(4, 200)
  const signed = secret(5, 200)
  const envelope = secret(6, 1000)
  const kel = secret(7, 3000)
  const replayId = secret(8, 32)
  const token = secret(9, 16)
  const inviteRecord = secret(10, 300)
  const body = 'the meeting moves to the old mill at nine; tell nobody'
  await db.sessions.store(PEER, sid, oldSessionRecord)
  await db.sessions.store(PEER, sid, sessionRecord, { activate: true })
  const [otId] = await db.prekeys.allocateIds('one-time', 'ml-kem', 1)
  await db.prekeys.addOneTime('ml-kem', [{ id: otId as number, record: prekey }])
  const [sId] = await db.prekeys.allocateIds('signed', 'x25519', 1)
  await db.prekeys.rotateSigned('x25519', { id: sId as number, record: signed }, new Date(T0))
  await db.replay.checkAndInsert(replayId, new Date(T0 + 1000), new Date(T0))
  await db.invites.issue(token, { record: inviteRecord, expiresAt: new Date(T0 + 1000) })
  await db.outbox.put({ id: msgId(77), to: OTHER, envelope, state: 'queued', attempts: 0, createdAt: T0, nextAttemptAt: T0, expiresAt: T0 + 1000 })
  await db.dedupe.remember(OTHER, msgId(78), T0 + 1000)
  await db.contacts.put({ did: PEER, alias: 'Mysterious Stranger', verified: true, kel, credentialTypes: ['SecretSocietyMembership'] })
  await db.history.append({ peer: PEER, direction: 'in', id: msgId(79), kind: 'text', body: utf8(body), timestamp: T0, state: 'received' })
  return [
    sessionRecord,
    oldSessionRecord,
    sid,
    prekey,
    signed,
    envelope,
    kel,
    replayId,
    token,
    inviteRecord,
    utf8(body),
    utf8(PEER),
    utf8(OTHER),
    utf8('Mysterious Stranger'),
    utf8('SecretSocietyMembership'),
    utf8(msgId(77)),
    utf8(msgId(78)),
    utf8(msgId(79)),
  ]
}

test('no secret, plaintext, peer DID or message id lies in the database file or its WAL; files are 0600, no -shm', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const db = await open(h.dir)
  const secrets = await writeEverything(db)
  const live = await dbFiles(h.dir)
  assert.deepEqual(live.map((p) => p.slice(h.dir.length + 1)).sort(), ['parley.db', 'parley.db-wal'], 'WAL, and no -shm (exclusive locking)')
  for (const path of live) assert.equal((await stat(path)).mode & 0o777, 0o600, path)
  assert.equal((await stat(h.dir)).mode & 0o777, 0o700)
  const scanned = await assertNoneIn(live, secrets)
  assert.ok(scanned > 10_000, `scanned ${scanned} bytes`)
  await db.close()
  const after = await dbFiles(h.dir)
  assert.deepEqual(after.map((p) => p.slice(h.dir.length + 1)), ['parley.db'], 'the WAL is checkpointed and removed on close')
  await assertNoneIn(after, secrets)
})

test('a database file left readable by others is tightened to 0600 before it is used', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  await (await open(h.dir)).close()
  const path = join(h.dir, 'parley.db')
  await chmod(path, 0o644)
  const db = await open(h.dir)
  assert.equal((await stat(path)).mode & 0o777, 0o600)
  assert.deepEqual(await db.contacts.list(), [])
})

test('wrong passphrase, wrong data key, foreign key file: typed errors, and the home is not left locked', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  let db = await open(h.dir)
  await db.sessions.store(PEER, new Uint8Array(SESSION_ID_LENGTH).fill(1), Uint8Array.of(1, 2, 3))
  await db.close()
  await rejectsCode(open(h.dir, { passphrase: 'not the passphrase' }), 'PASSPHRASE_WRONG')
  await rejectsCode(open(h.dir, { passphrase: undefined, dataKey: suite.randomBytes(32) }), 'PASSPHRASE_WRONG')
  await rejectsCode(open(h.dir, { passphrase: undefined, dataKey: new Uint8Array(16) }), 'INVALID_ARGUMENT')
  await rejectsCode(open(h.dir, { passphrase: PASSPHRASE, dataKey: suite.randomBytes(32) }), 'INVALID_ARGUMENT')
  // keys.parley replaced by another one (same passphrase): it holds no key for this database.
  const original = await readFile(join(h.dir, 'keys.parley'))
  await writeFile(join(h.dir, 'keys.parley'), Buffer.alloc(0))
  ;(await Keystore.create(suite, join(h.dir, 'keys.tmp'), PASSPHRASE, CHEAP)).close()
  await writeFile(join(h.dir, 'keys.parley'), await readFile(join(h.dir, 'keys.tmp')))
  await rejectsCode(open(h.dir), 'STORE_CORRUPT')
  await writeFile(join(h.dir, 'keys.parley'), original)
  db = await open(h.dir)
  assert.deepEqual(await db.sessions.load(PEER, new Uint8Array(SESSION_ID_LENGTH).fill(1)), Uint8Array.of(1, 2, 3), 'after every refusal the right key still opens it')
})

test('a database opened with a raw data key: reopens with that key only; no rekey', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const key = suite.randomBytes(32)
  let db = await open(h.dir, { dataKey: key })
  await db.contacts.put({ did: PEER, verified: false, credentialTypes: [] })
  await rejectsCode(db.rekey({ passphrase: PASSPHRASE, rotateDataKey: true }), 'UNSUPPORTED')
  assert.equal(db.keystore, undefined)
  await db.close()
  db = await open(h.dir, { dataKey: key })
  assert.equal((await db.contacts.get(PEER))?.did, PEER)
})

/** Runs `fn` on the closed database file with a plain SQLite connection (an attacker with write access). */
function tamper(dir: string, fn: (raw: DatabaseSync) => void): void {
  const raw = new DatabaseSync(join(dir, 'parley.db'))
  try {
    fn(raw)
  } finally {
    raw.close()
  }
}

test('rows swapped, moved between tables or altered in the file are STORE_CORRUPT', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const sid = (n: number): Uint8Array => new Uint8Array(SESSION_ID_LENGTH).fill(n)
  let db = await open(h.dir)
  await db.sessions.store(PEER, sid(1), Uint8Array.of(1))
  await db.sessions.store(PEER, sid(2), Uint8Array.of(2))
  await db.contacts.put({ did: PEER, alias: 'p', verified: true, credentialTypes: [] })
  await db.contacts.put({ did: OTHER, alias: 'o', verified: false, credentialTypes: [] })
  await db.close()

  // 1. Swap the sealed payloads of two sessions.
  tamper(h.dir, (raw) => {
    const rows = raw.prepare('SELECT rowid AS r, sealed FROM sessions ORDER BY rowid').all() as { r: number; sealed: Uint8Array }[]
    const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]]
    raw.prepare('UPDATE sessions SET sealed = ? WHERE rowid = ?').run(b.sealed, a.r)
    raw.prepare('UPDATE sessions SET sealed = ? WHERE rowid = ?').run(a.sealed, b.r)
  })
  db = await open(h.dir)
  await rejectsCode(db.sessions.load(PEER, sid(1)), 'STORE_CORRUPT')
  await rejectsCode(db.sessions.list(PEER), 'STORE_CORRUPT')
  await db.close()

  // 2. Swap the lookup columns of two contacts instead (so a lookup of one finds the other's sealed row).
  tamper(h.dir, (raw) => {
    const rows = raw.prepare('SELECT rowid AS r, did, alias FROM contacts ORDER BY rowid').all() as { r: number; did: Uint8Array; alias: Uint8Array }[]
    const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]]
    raw.exec('UPDATE contacts SET did = randomblob(32), alias = randomblob(32)')
    raw.prepare('UPDATE contacts SET did = ?, alias = ? WHERE rowid = ?').run(b.did, b.alias, a.r)
    raw.prepare('UPDATE contacts SET did = ?, alias = ? WHERE rowid = ?').run(a.did, a.alias, b.r)
  })
  db = await open(h.dir)
  await rejectsCode(db.contacts.get(PEER), 'STORE_CORRUPT')
  await rejectsCode(db.contacts.byAlias('o'), 'STORE_CORRUPT')
  await db.close()

  // 3. One flipped bit in a sealed value.
  db = await open(h.dir)
  await db.sessions.store(OTHER, sid(3), Uint8Array.of(3))
  const [id] = (await db.prekeys.allocateIds('one-time', 'x25519', 1)) as [number]
  await db.prekeys.addOneTime('x25519', [{ id, record: Uint8Array.of(4) }])
  await db.prekeys.allocateIds('signed', 'x25519', 1)
  await db.close()
  tamper(h.dir, (raw) => {
    const row = raw.prepare('SELECT rowid AS r, sealed FROM sessions ORDER BY rowid DESC LIMIT 1').get() as { r: number; sealed: Uint8Array }
    row.sealed[30] = (row.sealed[30] as number) ^ 1
    raw.prepare('UPDATE sessions SET sealed = ? WHERE rowid = ?').run(row.sealed, row.r)
    // 4. A one-time prekey row copied into the signed-prekey table (same key columns, another table).
    raw.exec('INSERT INTO signed_prekeys (kind, id, retired_at, sealed) SELECT kind, id, NULL, sealed FROM one_time_prekeys')
  })
  db = await open(h.dir)
  await rejectsCode(db.sessions.load(OTHER, sid(3)), 'STORE_CORRUPT')
  await rejectsCode(db.prekeys.currentSigned('x25519'), 'STORE_CORRUPT')
  assert.deepEqual(await db.prekeys.peekOneTime('x25519', id), { status: 'available', record: Uint8Array.of(4) }, 'the original row is fine')
})

test('a garbage, foreign or truncated database file is STORE_CORRUPT, never a crash; the home is not left locked', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const path = join(h.dir, 'parley.db')
  const db = await open(h.dir)
  await db.transaction(async () => {
    for (let n = 0; n < 400; n++) {
      await db.history.append({ peer: PEER, direction: 'in', id: msgId(n), kind: 'text', body: new Uint8Array(2000).fill(n & 0xff), timestamp: T0 + n, state: 'received' })
    }
  })
  await db.close()
  const good = await readFile(path)
  assert.ok(good.length > 800_000, `${good.length} bytes`)

  // Truncated (to a half, to a few pages): SQLite sees the file is shorter than its header says, at open.
  for (const fraction of [0.5, 0.01]) {
    await writeFile(path, good)
    await truncate(path, Math.floor(good.length * fraction))
    await rejectsCode(open(h.dir), 'STORE_CORRUPT')
  }

  // A page overwritten in the middle: the open succeeds; the reads that touch it, and the integrity check, fail typed.
  const scribbled = Buffer.from(good)
  scribbled.fill(0x5a, Math.floor(good.length * 0.4), Math.floor(good.length * 0.4) + 4096)
  await writeFile(path, scribbled)
  const damaged = await open(h.dir)
  await rejectsCode(damaged.history.list(PEER, { limit: 1000 }), 'STORE_CORRUPT')
  await rejectsCode(damaged.integrityCheck(), 'STORE_CORRUPT')
  await damaged.close()

  await writeFile(path, Buffer.from('this is not a database, just some text that is long enough'.repeat(20)))
  await rejectsCode(open(h.dir), 'STORE_CORRUPT')

  // A valid SQLite file that is not a Parley database.
  await writeFile(path, Buffer.alloc(0))
  tamper(h.dir, (raw) => raw.exec('CREATE TABLE notes (text TEXT)'))
  await rejectsCode(open(h.dir), 'STORE_CORRUPT')

  // The home was never left locked: the good file opens again.
  await writeFile(path, good)
  const again = await open(h.dir)
  assert.equal((await again.history.list(PEER, { limit: 1000 })).length, 400)
  await again.integrityCheck()
})
