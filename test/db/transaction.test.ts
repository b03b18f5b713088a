/**
 * db.transaction: the stores' writes made inside commit together or not at
 * all (the agent commits ratchet state, history and dedupe id as one, then
 * acks); callers outside wait and are never swept into it; nested
 * transactions are savepoints; close waits for a running transaction.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SESSION_ID_LENGTH } from '../../src/constants.js'
import type { ParleyDatabase } from '../../src/db/index.js'
import { rejectsCode } from '../session/fixtures.js'
import { msgId } from '../network/compliance/outbox.js'
import { newHome, open } from './helpers.js'

const PEER = 'did:parley:transaction-peer'
const T0 = Date.UTC(2026, 0, 1)
const sid = (n: number): Uint8Array => new Uint8Array(SESSION_ID_LENGTH).fill(n)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The receiver's commit: new ratchet state, the history entry, the dedupe id. */
async function receive(db: ParleyDatabase, n: number, fail = false): Promise<void> {
  await db.transaction(async () => {
    await db.sessions.store(PEER, sid(1), Uint8Array.of(n), { activate: true })
    await db.history.append({ peer: PEER, direction: 'in', id: msgId(n), kind: 'text', body: Uint8Array.of(n), timestamp: T0 + n, state: 'received' })
    await sleep(5)
    await db.dedupe.remember(PEER, msgId(n), T0 + 10_000)
    if (fail) throw new Error('crash before the commit')
  })
}

test('a transaction commits all of its writes, or none when it throws; both survive a reopen', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  let db = await open(h.dir)
  await receive(db, 1)
  await assert.rejects(receive(db, 2, true), /crash before the commit/)
  const check = async (d: ParleyDatabase): Promise<void> => {
    assert.deepEqual(await d.sessions.load(PEER, sid(1)), Uint8Array.of(1), 'the state of message 1, not 2')
    assert.equal((await d.history.list(PEER)).length, 1)
    assert.equal(await d.dedupe.seen(PEER, msgId(1), T0), true)
    assert.equal(await d.dedupe.seen(PEER, msgId(2), T0), false)
  }
  await check(db)
  await db.close()
  db = await open(h.dir)
  await check(db)
  assert.equal(await db.transaction(() => 42), 42, 'a synchronous callback works too')
})

test('callers outside a running transaction wait for it, and its rollback does not take their writes', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const db = await open(h.dir)
  const events: string[] = []
  const tx = db
    .transaction(async () => {
      await db.sessions.store(PEER, sid(2), Uint8Array.of(2))
      events.push('tx wrote')
      await sleep(30)
      events.push('tx ends')
      throw new Error('rolled back')
    })
    .catch(() => events.push('tx rolled back'))
  await sleep(5)
  const outside = db.outbox
    .put({ id: msgId(5), to: PEER, envelope: Uint8Array.of(5), state: 'queued', attempts: 0, createdAt: T0, nextAttemptAt: T0, expiresAt: T0 + 1 })
    .then(() => events.push('outside put done'))
  const read = db.sessions.load(PEER, sid(2)).then((r) => {
    events.push('outside read done')
    return r
  })
  await Promise.all([tx, outside])
  assert.equal(await read, undefined, 'the outside reader never saw the uncommitted write')
  // The outside write waited for the whole transaction (its rollback runs before the gate opens);
  // whether it lands before or after the caller's own catch handler is microtask order, not the contract.
  assert.deepEqual(events.slice(0, 2), ['tx wrote', 'tx ends'])
  assert.ok(events.includes('tx rolled back'))
  assert.ok(events.indexOf('outside put done') > events.indexOf('tx ends'))
  assert.equal((await db.outbox.get(msgId(5)))?.id, msgId(5), 'the outside write was not rolled back with the transaction')
  assert.equal(await db.sessions.load(PEER, sid(2)), undefined)
})

test('nested transactions are savepoints; concurrent nested ones are refused; close waits; rekey is refused inside', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const db = await open(h.dir)
  await db.transaction(async () => {
    await db.contacts.put({ did: PEER, verified: false, credentialTypes: [] })
    await assert.rejects(
      db.transaction(async () => {
        await db.contacts.put({ did: 'did:parley:inner', verified: false, credentialTypes: [] })
        throw new Error('inner fails')
      }),
      /inner fails/,
    )
    await db.transaction(async () => {
      await db.contacts.put({ did: 'did:parley:inner-ok', verified: true, credentialTypes: [] })
    })
    const both = await Promise.allSettled([db.transaction(() => sleep(5)), db.transaction(() => sleep(5))])
    assert.equal(both.filter((r) => r.status === 'rejected').length, 1)
    await rejectsCode(db.rekey({ passphrase: 'whatever passphrase', rotateDataKey: true }), 'INVALID_ARGUMENT')
  })
  assert.deepEqual((await db.contacts.list()).map((c) => c.did).sort(), ['did:parley:inner-ok', PEER].sort())

  let finished = false
  const running = db.transaction(async () => {
    await sleep(20)
    await db.contacts.delete(PEER)
    finished = true
  })
  await sleep(1)
  await db.close()
  assert.equal(finished, true, 'close waited for the transaction')
  await running
  await rejectsCode(db.contacts.list(), 'STORE_CLOSED')
  await rejectsCode(db.transaction(() => 1), 'STORE_CLOSED')
})
