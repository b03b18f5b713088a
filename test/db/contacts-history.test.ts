/**
 * The address book and the message history over a real database file:
 * contacts by DID and by alias (unique, case-insensitive, NFC), KELs and
 * credential types kept byte for byte, times from the injected clock;
 * history pages newest first with a stable cursor across equal timestamps,
 * incoming and outgoing ids that never collide, delivery states, and
 * everything still there after a reopen.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CONTACT_ALIAS_MAX_LENGTH, HISTORY_BODY_MAX_BYTES, HISTORY_PAGE_MAX } from '../../src/constants.js'
import type { HistoryInput } from '../../src/db/index.js'
import { rejectsCode } from '../session/fixtures.js'
import { msgId } from '../network/compliance/outbox.js'
import { newHome, open } from './helpers.js'

const ALICE = 'did:parley:alice-contact'
const BOB = 'did:parley:bob-contact'
const CAROL = 'did:parley:carol-contact'
const T0 = Date.UTC(2026, 5, 1)

function steppingClock(start: number): { clock: () => Date; set: (ms: number) => void } {
  let now = start
  return { clock: () => new Date(now), set: (ms) => (now = ms) }
}

test('contacts: put, get, byAlias (case-insensitive, NFC), list order, setAlias, delete, times from the clock', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const time = steppingClock(T0)
  let db = await open(h.dir, { clock: time.clock })
  const kel = new Uint8Array(5000).map((_, i) => (i * 31) & 0xff)

  const alice = await db.contacts.put({ did: ALICE, alias: 'Alice', verified: true, kel, credentialTypes: ['EmployeeCredential'] })
  assert.deepEqual(alice, { did: ALICE, alias: 'Alice', verified: true, kel, credentialTypes: ['EmployeeCredential'], addedAt: T0, updatedAt: T0 })
  await db.contacts.put({ did: BOB, verified: false, credentialTypes: [] })
  time.set(T0 + 1000)
  await db.contacts.put({ did: CAROL, alias: 'carol', verified: false, credentialTypes: [] })

  assert.deepEqual(await db.contacts.get(ALICE), alice)
  assert.deepEqual((await db.contacts.byAlias('ALICE'))?.did, ALICE, 'aliases compare case-insensitively')
  assert.equal(await db.contacts.byAlias('nobody'), undefined)
  assert.deepEqual((await db.contacts.list()).map((c) => c.did), [ALICE, CAROL, BOB], 'by alias, then those without one')

  await rejectsCode(db.contacts.put({ did: BOB, alias: 'aLiCe', verified: false, credentialTypes: [] }), 'STORE_EXISTS')
  await rejectsCode(db.contacts.setAlias(CAROL, 'alice'), 'STORE_EXISTS')
  await rejectsCode(db.contacts.setAlias('did:parley:stranger', 'x'), 'STORE_NOT_FOUND')
  time.set(T0 + 2000)
  const renamed = await db.contacts.setAlias(ALICE, 'Ally')
  assert.equal(renamed.addedAt, T0)
  assert.equal(renamed.updatedAt, T0 + 2000)
  assert.equal(await db.contacts.byAlias('alice'), undefined, 'the old alias is free')
  await db.contacts.setAlias(BOB, 'Alice')
  assert.equal((await db.contacts.byAlias('alice'))?.did, BOB)
  // NFC: 'é' as one code point and as e + combining acute are one alias.
  await db.contacts.setAlias(CAROL, 'Ren\u00e9')
  assert.equal((await db.contacts.byAlias('Rene\u0301'))?.did, CAROL)
  await db.contacts.setAlias(CAROL, undefined)
  assert.equal((await db.contacts.get(CAROL))?.alias, undefined)

  time.set(T0 + 3000)
  const replaced = await db.contacts.put({ did: ALICE, alias: 'Ally', verified: false, credentialTypes: ['A', 'B'] })
  assert.equal(replaced.addedAt, T0, 'a replaced contact keeps its added time')
  assert.equal(replaced.kel, undefined)

  await db.close()
  db = await open(h.dir, { clock: time.clock })
  assert.deepEqual(await db.contacts.get(ALICE), replaced, 'survives a reopen')
  assert.equal((await db.contacts.byAlias('alice'))?.did, BOB)
  assert.equal(await db.contacts.delete(ALICE), true)
  assert.equal(await db.contacts.delete(ALICE), false)
  assert.equal(await db.contacts.byAlias('ally'), undefined)
  assert.equal((await db.contacts.list()).length, 2)
})

test('contacts: refuses bad input (INVALID_ARGUMENT)', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const db = await open(h.dir)
  const ok = { did: ALICE, verified: true, credentialTypes: [] as string[] }
  for (const alias of ['', ' padded', 'x'.repeat(CONTACT_ALIAS_MAX_LENGTH + 1), 'tab\there', 'did:parley:looks-like-a-did']) {
    await rejectsCode(db.contacts.put({ ...ok, alias }), 'INVALID_ARGUMENT')
  }
  await rejectsCode(db.contacts.put({ ...ok, did: '' }), 'INVALID_ARGUMENT')
  await rejectsCode(db.contacts.put({ ...ok, verified: 'yes' as never }), 'INVALID_ARGUMENT')
  await rejectsCode(db.contacts.put({ ...ok, kel: new Uint8Array(0) }), 'INVALID_ARGUMENT')
  await rejectsCode(db.contacts.put({ ...ok, credentialTypes: Array.from({ length: 33 }, () => 'T') }), 'INVALID_ARGUMENT')
  await rejectsCode(db.contacts.put({ ...ok, credentialTypes: [''] }), 'INVALID_ARGUMENT')
  await rejectsCode(db.contacts.byAlias(''), 'INVALID_ARGUMENT')
  assert.deepEqual(await db.contacts.list(), [], 'nothing was stored')
  assert.equal((await db.contacts.put({ ...ok, alias: 'x'.repeat(CONTACT_ALIAS_MAX_LENGTH) })).alias?.length, CONTACT_ALIAS_MAX_LENGTH)
})

function message(n: number, over: Partial<HistoryInput> = {}): HistoryInput {
  return {
    peer: ALICE,
    direction: n % 2 === 0 ? 'out' : 'in',
    id: msgId(n),
    kind: 'text',
    body: new TextEncoder().encode(`message number ${n}`),
    timestamp: T0 + n * 1000,
    state: n % 2 === 0 ? 'queued' : 'received',
    ...over,
  }
}

test('history: append, get, pages newest first with a cursor that splits equal timestamps correctly', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  let db = await open(h.dir)
  // 30 messages with Alice, five per timestamp (a burst within one millisecond), and some with Bob.
  const appended = []
  for (let n = 0; n < 30; n++) appended.push(await db.history.append(message(n, { timestamp: T0 + Math.floor(n / 5) })))
  for (let n = 100; n < 105; n++) await db.history.append(message(n, { peer: BOB }))
  assert.deepEqual((await db.history.get({ peer: ALICE, direction: 'in', id: msgId(3) }))?.body, message(3).body)
  assert.equal(await db.history.get({ peer: ALICE, direction: 'out', id: msgId(3) }), undefined, 'direction is part of the name')
  assert.equal(await db.history.get({ peer: BOB, direction: 'in', id: msgId(3) }), undefined, 'so is the peer')

  const seen: string[] = []
  let before: { timestamp: number; seq: number } | undefined
  for (;;) {
    const page = await db.history.list(ALICE, before === undefined ? { limit: 7 } : { before, limit: 7 })
    if (page.length === 0) break
    seen.push(...page.map((e) => e.id))
    before = page.at(-1)
  }
  assert.deepEqual(seen, appended.map((e) => e.id).reverse(), 'every message once, newest first, none lost at a page boundary')
  assert.deepEqual((await db.history.list(BOB)).map((e) => e.id), [104, 103, 102, 101, 100].map(msgId))

  await db.close()
  db = await open(h.dir)
  assert.deepEqual(await db.history.list(ALICE, { limit: HISTORY_PAGE_MAX }), [...appended].reverse(), 'survives a reopen, every field')
})

test('history: incoming and outgoing ids never collide; states; delete; bad input refused', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const db = await open(h.dir)
  const out = message(2, { direction: 'out', state: 'queued' })
  await db.history.append(out)
  // A peer choosing the id of a message we sent it must not clash with (or overwrite) ours.
  await db.history.append(message(2, { direction: 'in', state: 'received', body: Uint8Array.of(1) }))
  await rejectsCode(db.history.append(out), 'STORE_EXISTS')
  const ref = { peer: ALICE, direction: 'out' as const, id: msgId(2) }
  for (const state of ['sent', 'delivered'] as const) await db.history.updateState(ref, state)
  assert.equal((await db.history.get(ref))?.state, 'delivered')
  assert.deepEqual((await db.history.get(ref))?.body, out.body)
  await rejectsCode(db.history.updateState({ ...ref, id: msgId(9) }, 'sent'), 'STORE_NOT_FOUND')
  await rejectsCode(db.history.updateState(ref, 'lost' as never), 'INVALID_ARGUMENT')
  await db.history.append(message(4, { kind: 'file', body: new Uint8Array(HISTORY_BODY_MAX_BYTES) }))
  await rejectsCode(db.history.append(message(6, { body: new Uint8Array(HISTORY_BODY_MAX_BYTES + 1) })), 'INVALID_ARGUMENT')
  await rejectsCode(db.history.append(message(6, { kind: 'video' as never })), 'INVALID_ARGUMENT')
  await rejectsCode(db.history.append(message(6, { direction: 'up' as never })), 'INVALID_ARGUMENT')
  await rejectsCode(db.history.append(message(6, { id: 'short' })), 'INVALID_ARGUMENT')
  await rejectsCode(db.history.append(message(6, { timestamp: -1 })), 'INVALID_ARGUMENT')
  await rejectsCode(db.history.list(ALICE, { limit: 0 }), 'INVALID_ARGUMENT')
  await rejectsCode(db.history.list(ALICE, { limit: HISTORY_PAGE_MAX + 1 }), 'INVALID_ARGUMENT')
  await rejectsCode(db.history.list(ALICE, { before: { timestamp: Number.NaN, seq: 1 } }), 'INVALID_ARGUMENT')
  assert.equal((await db.history.list(ALICE)).length, 3)
  assert.equal(await db.history.delete(ref), true)
  assert.equal(await db.history.delete(ref), false)
  assert.equal((await db.history.list(ALICE)).length, 2)
})
