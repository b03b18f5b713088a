/**
 * The in-memory storage of `storage: 'memory'` (src/agent/memory-stores.ts)
 * against the encrypted SQLite stores it stands in for: the same random
 * sequences of calls — good and bad input, alias clashes in other cases and
 * normal forms, duplicate message ids, equal timestamps, deletes, paging —
 * run on MemoryContactStore / MemoryMessageHistory and on a real database
 * file, and every answer (value or error code) must be the same. Then
 * openMemoryStorage itself: the home's lock, the key file, PASSPHRASE_WRONG,
 * STORE_CLOSED after close.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryContactStore, MemoryMessageHistory, openMemoryStorage } from '../../src/agent/memory-stores.js'
import { CONTACT_ALIAS_MAX_LENGTH, HISTORY_PAGE_MAX } from '../../src/constants.js'
import type { ContactInput, HistoryCursor, HistoryEntry, HistoryInput, HistoryState, MessageHistory } from '../../src/db/index.js'
import { isParleyError } from '../../src/errors.js'
import { drbg } from '../helpers/drbg.js'
import { msgId } from '../network/compliance/outbox.js'
import { rejectsCode } from '../session/fixtures.js'
import { newHome, open, PASSPHRASE, suite } from '../db/helpers.js'

const T0 = Date.UTC(2026, 5, 1)
const DIDS = ['did:parley:alice', 'did:parley:bob', 'did:parley:carol', 'did:parley:dave', '']
const ALIASES = ['Alice', 'alice', 'ALICE', 'Ren\u00e9', 'Rene\u0301', 'bob', ' padded', 'did:parley:x', 'x'.repeat(CONTACT_ALIAS_MAX_LENGTH + 1), 'tab\there']
const STATES: HistoryState[] = ['queued', 'sent', 'delivered', 'failed', 'received', 'read']

/** A small deterministic chooser over a DRBG. */
function chooser(label: string): { int: (n: number) => number; pick: <T>(xs: readonly T[]) => T; chance: (p: number) => boolean } {
  const bytes = drbg(label)
  const u32 = (): number => {
    const b = bytes(4)
    return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0
  }
  const int = (n: number): number => u32() % n
  return { int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T, chance: (p) => int(1000) < p * 1000 }
}

/** The outcome of a call, comparable across implementations: its value, or its error code. */
async function outcome<T>(p: Promise<T>, map: (v: T) => unknown = (v) => v): Promise<unknown> {
  try {
    return { ok: map(await p) }
  } catch (err) {
    if (!isParleyError(err)) throw err
    return { code: err.code }
  }
}

test('contacts: MemoryContactStore answers every call as the SQLite store does', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  let now = T0
  const clock = (): Date => new Date(now)
  const db = await open(h.dir, { clock })
  const mem = new MemoryContactStore({ clock })
  for (const seed of ['a', 'b', 'c']) {
    const c = chooser(`contacts-${seed}`)
    for (let step = 0; step < 150; step++) {
      now += c.int(3) * 1000
      const did = c.pick(DIDS)
      const alias = c.chance(0.6) ? c.pick(ALIASES) : undefined
      const op = c.int(6)
      const input: ContactInput = {
        did,
        verified: c.chance(0.5),
        credentialTypes: c.chance(0.9) ? ['VerifiedHuman'].slice(0, c.int(2)) : [''],
        ...(alias === undefined ? {} : { alias }),
        ...(c.chance(0.3) ? { kel: Uint8Array.of(1, 2, step & 0xff) } : {}),
      }
      const calls: [string, (s: MemoryContactStore | typeof db.contacts) => Promise<unknown>][] = [
        ['put', (s) => outcome(s.put(input))],
        ['setAlias', (s) => outcome(s.setAlias(did, alias))],
        ['delete', (s) => outcome(s.delete(did))],
        ['get', (s) => outcome(s.get(did))],
        ['byAlias', (s) => outcome(s.byAlias(alias ?? 'nobody'))],
        ['list', (s) => outcome(s.list())],
      ]
      const [name, call] = calls[op] as (typeof calls)[number]
      assert.deepEqual(await call(mem), await call(db.contacts), `seed ${seed}, step ${step}: ${name}`)
    }
    assert.deepEqual(await mem.list(), await db.contacts.list())
  }
})

/** Every entry of `peer`, newest first, read in pages of `size` (the seq values are each store's own). */
async function pages(history: MessageHistory, peer: string, size: number): Promise<Omit<HistoryEntry, 'seq'>[]> {
  const out: Omit<HistoryEntry, 'seq'>[] = []
  let before: HistoryCursor | undefined
  for (;;) {
    const page = await history.list(peer, before === undefined ? { limit: size } : { before, limit: size })
    if (page.length === 0) return out
    out.push(...page.map(({ seq: _s, ...rest }) => rest))
    before = page.at(-1)
  }
}

test('history: MemoryMessageHistory answers every call as the SQLite store does, pages included', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const db = await open(h.dir)
  const mem = new MemoryMessageHistory()
  const peers = DIDS.slice(0, 3)
  const withoutSeq = (e: HistoryEntry | undefined): unknown => (e === undefined ? undefined : { ...e, seq: undefined })
  for (const seed of ['a', 'b']) {
    const c = chooser(`history-${seed}`)
    for (let step = 0; step < 200; step++) {
      const ref = { peer: c.pick(peers), direction: c.pick(['in', 'out', 'up'] as const), id: c.chance(0.95) ? msgId(c.int(40)) : 'short' }
      const entry: HistoryInput = {
        ...ref,
        direction: ref.direction === 'up' ? 'in' : ref.direction,
        kind: c.chance(0.95) ? c.pick(['text', 'file'] as const) : ('video' as never),
        body: new TextEncoder().encode(`body ${step}`),
        // Few distinct timestamps: many ties, ordered by insertion.
        timestamp: c.chance(0.97) ? T0 + c.int(5) : -1,
        state: c.pick(STATES),
      }
      const newState = c.chance(0.9) ? entry.state : ('lost' as never)
      const op = c.int(5)
      const calls: [string, (s: MessageHistory) => Promise<unknown>][] = [
        ['append', (s) => outcome(s.append(entry), withoutSeq)],
        ['get', (s) => outcome(s.get(ref as never), withoutSeq)],
        ['updateState', (s) => outcome(s.updateState(ref as never, newState))],
        ['delete', (s) => outcome(s.delete(ref as never))],
        ['list', (s) => outcome(s.list(ref.peer, { limit: 7 }), (es) => es.map((e) => withoutSeq(e)))],
      ]
      const [name, call] = calls[op] as (typeof calls)[number]
      assert.deepEqual(await call(mem), await call(db.history), `seed ${seed}, step ${step}: ${name}`)
    }
    for (const peer of peers) {
      for (const size of [1, 3, HISTORY_PAGE_MAX]) assert.deepEqual(await pages(mem, peer, size), await pages(db.history, peer, size), `pages of ${size}`)
    }
  }
  await rejectsCode(mem.list(peers[0] as string, { limit: HISTORY_PAGE_MAX + 1 }), 'INVALID_ARGUMENT')
  await rejectsCode(mem.list(peers[0] as string, { before: { timestamp: Number.NaN, seq: 1 } }), 'INVALID_ARGUMENT')
})

test('openMemoryStorage: the home lock, the key file, PASSPHRASE_WRONG, STORE_CLOSED after close', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  await rejectsCode(openMemoryStorage({ home: h.dir, suite, passphrase: 'not the passphrase at all' }), 'PASSPHRASE_WRONG')
  const storage = await openMemoryStorage({ home: h.dir, suite, passphrase: PASSPHRASE })
  assert.ok(storage.keystore !== undefined)
  await rejectsCode(openMemoryStorage({ home: h.dir, suite, passphrase: PASSPHRASE }), 'STORE_LOCKED')
  await rejectsCode(open(h.dir), 'STORE_LOCKED')
  await storage.contacts.put({ did: 'did:parley:alice', verified: true, credentialTypes: [] })
  assert.equal(await storage.transaction(async () => (await storage.contacts.list()).length), 1)
  await storage.close()
  assert.equal(storage.keystore, undefined)
  await rejectsCode(storage.transaction(() => 1), 'STORE_CLOSED')
  // The lock is released: the database (or another memory storage) opens now.
  const db = await open(h.dir)
  assert.deepEqual(await db.contacts.list(), [], 'nothing of the memory storage reached the disk')
})
