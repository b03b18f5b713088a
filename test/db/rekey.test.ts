/**
 * `rekey`: a passphrase change re-wraps only (the database is untouched;
 * the old passphrase is refused after); a data-key rotation re-seals every
 * row and every key-file record (all still readable, no sealed value or
 * lookup the same as before, the old data key refused); and a rotation
 * killed at any point — mid re-seal, or between the database's commit and
 * the key file's — leaves a home that opens with everything in it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DatabaseSync } from 'node:sqlite'
import { SESSION_ID_LENGTH } from '../../src/constants.js'
import type { ParleyDatabase } from '../../src/db/index.js'
import { readKeyRecord } from '../../src/db/key-record.js'
import { Keystore } from '../../src/storage/keystore.js'
import { rejectsCode } from '../session/fixtures.js'
import { msgId } from '../network/compliance/outbox.js'
import { CHEAP, newHome, open, PASSPHRASE, suite } from './helpers.js'

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url))
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PEER = 'did:parley:rekey-peer'
const T0 = Date.UTC(2026, 0, 1)
const sid = (n: number): Uint8Array => new Uint8Array(SESSION_ID_LENGTH).fill(n)
const body = (n: number, size = 64): Uint8Array => new Uint8Array(size).fill(n & 0xff)

async function populate(db: ParleyDatabase, messages: number, size = 64): Promise<void> {
  await db.transaction(async () => {
    await db.sessions.store(PEER, sid(1), Uint8Array.of(1, 2, 3), { activate: true })
    await db.contacts.put({ did: PEER, alias: 'peer', verified: true, credentialTypes: [] })
    await db.outbox.put({ id: msgId(1), to: PEER, envelope: body(1), state: 'queued', attempts: 0, createdAt: T0, nextAttemptAt: T0, expiresAt: T0 + 1 })
    const [id] = (await db.prekeys.allocateIds('one-time', 'x25519', 1)) as [number]
    await db.prekeys.addOneTime('x25519', [{ id, record: body(9) }])
    for (let n = 0; n < messages; n++) {
      await db.history.append({ peer: PEER, direction: 'in', id: msgId(n), kind: 'text', body: body(n, size), timestamp: T0 + n, state: 'received' })
    }
  })
}

async function assertAllThere(db: ParleyDatabase, messages: number, size = 64): Promise<void> {
  assert.deepEqual(await db.sessions.load(PEER, sid(1)), Uint8Array.of(1, 2, 3))
  assert.deepEqual(await db.sessions.active(PEER), sid(1))
  assert.equal((await db.contacts.byAlias('peer'))?.did, PEER)
  assert.deepEqual((await db.outbox.pending(PEER)).map((e) => e.id), [msgId(1)])
  assert.deepEqual(await db.prekeys.peekOneTime('x25519', 0), { status: 'available', record: body(9) })
  const history = []
  for (let page = await db.history.list(PEER, { limit: 1000 }); page.length > 0; page = await db.history.list(PEER, { before: page.at(-1), limit: 1000 })) {
    history.push(...page)
  }
  assert.equal(history.length, messages)
  for (const e of history) assert.deepEqual(e.body, body(Number.parseInt(e.id, 16), size))
}

/** Every sealed and lookup value of the closed file (to compare before and after). */
function rawValues(dir: string): Set<string> {
  const raw = new DatabaseSync(join(dir, 'parley.db'))
  try {
    const values = new Set<string>()
    for (const [table, cols] of [['sessions', ['peer', 'sid', 'sealed']], ['contacts', ['did', 'alias', 'sealed']], ['messages', ['ref', 'peer', 'sealed']], ['one_time_prekeys', ['sealed']], ['meta', ['value']]] as const) {
      for (const row of raw.prepare(`SELECT ${cols.join(', ')} FROM ${table}`).all() as Record<string, Uint8Array>[]) {
        for (const c of cols) values.add(`${table}.${c}:${Buffer.from(row[c] as Uint8Array).toString('hex')}`)
      }
    }
    return values
  } finally {
    raw.close()
  }
}

async function dbKey(dir: string, passphrase = PASSPHRASE): Promise<{ current: Uint8Array; next?: Uint8Array }> {
  const ks = await Keystore.open(suite, join(dir, 'keys.parley'), passphrase)
  try {
    const record = readKeyRecord(ks)
    assert.ok(record !== undefined)
    return record
  } finally {
    ks.close()
  }
}

test('passphrase change: re-wraps only; the old passphrase is refused; a wrong current one changes nothing', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  let db = await open(h.dir)
  await populate(db, 5)
  await db.keystore?.put('identity', Uint8Array.of(42))
  await rejectsCode(db.rekey({ passphrase: 'not the passphrase', newPassphrase: 'a brand new passphrase' }), 'PASSPHRASE_WRONG')
  await rejectsCode(db.rekey({ passphrase: PASSPHRASE, newPassphrase: 'short' }), 'INVALID_ARGUMENT')
  await rejectsCode(db.rekey({ passphrase: PASSPHRASE }), 'INVALID_ARGUMENT')
  await db.close()
  const before = rawValues(h.dir)
  const keyBefore = await dbKey(h.dir)

  db = await open(h.dir)
  await db.rekey({ passphrase: PASSPHRASE, newPassphrase: 'a brand new passphrase', cost: CHEAP })
  await assertAllThere(db, 5)
  await db.close()
  assert.deepEqual(rawValues(h.dir), before, 'no row was touched')
  assert.deepEqual((await dbKey(h.dir, 'a brand new passphrase')).current, keyBefore.current, 'the data key stayed')
  await rejectsCode(open(h.dir), 'PASSPHRASE_WRONG')
  db = await open(h.dir, { passphrase: 'a brand new passphrase' })
  await assertAllThere(db, 5)
  assert.deepEqual(db.keystore?.get('identity'), Uint8Array.of(42))
})

test('data-key rotation (with a passphrase change): every row and record re-sealed, all readable, the old key refused', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  let db = await open(h.dir)
  await populate(db, 300)
  await db.keystore?.put('identity', Uint8Array.of(42))
  await db.close()
  const before = rawValues(h.dir)
  const oldKey = (await dbKey(h.dir)).current

  db = await open(h.dir)
  const steps: string[] = []
  await db.rekey({ passphrase: PASSPHRASE, rotateDataKey: true, newPassphrase: 'another good passphrase', cost: CHEAP, onProgress: (s) => steps.push(s) })
  assert.deepEqual([...new Set(steps)], ['prepared', 'row', 'committed', 'recorded'])
  assert.ok(steps.filter((s) => s === 'row').length >= 300 + 4)
  await assertAllThere(db, 300)
  await db.close()

  const after = rawValues(h.dir)
  for (const v of after) assert.ok(!before.has(v), `unchanged after rotation: ${v.slice(0, 40)}`)
  const record = await dbKey(h.dir, 'another good passphrase')
  assert.notDeepEqual(record.current, oldKey)
  assert.equal(record.next, undefined)
  await rejectsCode(open(h.dir, { passphrase: undefined, dataKey: oldKey }), 'PASSPHRASE_WRONG')
  await rejectsCode(open(h.dir), 'PASSPHRASE_WRONG')
  db = await open(h.dir, { passphrase: 'another good passphrase' })
  await assertAllThere(db, 300)
  assert.deepEqual(db.keystore?.get('identity'), Uint8Array.of(42), 'key-file records survive its own rotation')
})

function killedRotation(dir: string, step: string, n: number): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const proc = spawn(NODE, ['--import', 'tsx', CHILD, 'rotate-kill', dir, step, String(n)], { cwd: ROOT, stdio: 'ignore' })
    proc.on('exit', (_code, signal) => resolve(signal))
  })
}

test('a rotation killed mid re-seal (uncommitted pages in the WAL) leaves every row under the old key', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  // 1500 messages of 4 KiB: more than SQLite's page cache, so the re-seal spills uncommitted pages to the WAL before it dies.
  let db = await open(h.dir)
  await populate(db, 1500, 4096)
  await db.close()
  const oldKey = (await dbKey(h.dir)).current
  assert.equal(await killedRotation(h.dir, 'row', 1200), 'SIGKILL')
  const pending = await dbKey(h.dir)
  assert.ok(pending.next !== undefined, 'the child died between "prepared" and "committed"')
  const wal = await stat(join(h.dir, 'parley.db-wal'))
  assert.ok(wal.size > 1024 * 1024, `the dead rotation left ${wal.size} bytes of uncommitted pages in the WAL`)

  db = await open(h.dir)
  await assertAllThere(db, 1500, 4096)
  const settled = await dbKey(h.dir)
  assert.deepEqual(settled.current, oldKey)
  assert.equal(settled.next, undefined, 'the uncommitted rotation was dropped')
  await db.integrityCheck()
})

test('a rotation killed after the database committed, before the key file knew, is finished on open', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  let db = await open(h.dir)
  await populate(db, 50)
  await db.close()
  const oldKey = (await dbKey(h.dir)).current
  assert.equal(await killedRotation(h.dir, 'committed', 1), 'SIGKILL')
  const pending = await dbKey(h.dir)
  assert.deepEqual(pending.current, oldKey)
  assert.ok(pending.next !== undefined)

  db = await open(h.dir)
  await assertAllThere(db, 50)
  const settled = await dbKey(h.dir)
  assert.deepEqual(settled.current, pending.next, 'the new key was promoted')
  assert.equal(settled.next, undefined)
})
