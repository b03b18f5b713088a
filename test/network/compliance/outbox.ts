/**
 * Compliance suites every OutboxStore and InboundDedupeStore implementation
 * passes (in-memory now, the encrypted SQLite store later): entries kept
 * byte for byte and copied in and out, pending in put order (ties and a clock
 * stepping back included) and per recipient, the patchable fields and only
 * those, 100 concurrent puts of one id (exactly one wins), dedupe expiry
 * exact to the millisecond, the later expiry kept, pruning, argument
 * refusals, and, for stores that persist, all of it across a reopen.
 *
 * @example
 * runOutboxCompliance('memory', async () => ({ store: new MemoryOutboxStore() }))
 * runDedupeCompliance('sqlite', async () => openHarness(), { persistent: true })
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { MSG_ID_LENGTH, MSG_MAX_ENVELOPE_BYTES } from '../../../src/constants.js'
import { isParleyError } from '../../../src/errors.js'
import type { ErrorCode } from '../../../src/errors.js'
import type { InboundDedupeStore, OutboxEntry, OutboxStore } from '../../../src/network/outbox-types.js'

/** A store under test; `reopen` (durable stores) returns a new handle on the same data. */
export interface StoreHarness<T> {
  store: T
  reopen?: () => Promise<T>
  close?: () => Promise<void>
}

export interface ComplianceOptions {
  /** The store persists: the reopen tests are registered (the harness must then provide `reopen`). */
  persistent?: boolean
}

/** Asserts that `p` rejects with a ParleyError of `code`. */
export async function rejectsCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    if (isParleyError(err, code)) return true
    assert.fail(`expected ${code}, got ${err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)}`)
  })
}

const T0 = Date.UTC(2026, 0, 1)
const ALICE = 'did:parley:alice-test-peer'
const CAROL = 'did:parley:carol-test-peer'

/** The hex id of number `n` (distinct for distinct n). */
export function msgId(n: number): string {
  return n.toString(16).padStart(2 * MSG_ID_LENGTH, '0')
}

/** An envelope whose bytes cover all 256 values and embed `n`, so any transformation shows. */
function envelope(n: number, length = 300): Uint8Array {
  const e = new Uint8Array(length)
  for (let i = 0; i < length; i++) e[i] = (i * 7 + n) & 0xff
  e[0] = n & 0xff
  return e
}

function entry(n: number, over: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id: msgId(n),
    to: ALICE,
    envelope: envelope(n),
    state: 'queued',
    attempts: 0,
    createdAt: T0 + n,
    nextAttemptAt: T0 + n,
    expiresAt: T0 + 1_000_000,
    ...over,
  }
}

const ids = (entries: OutboxEntry[]): string[] => entries.map((e) => e.id)

async function withStore<T>(factory: () => Promise<StoreHarness<T>>, fn: (h: StoreHarness<T>) => Promise<void>): Promise<void> {
  const h = await factory()
  try {
    await fn(h)
  } finally {
    await h.close?.()
  }
}

function reopenOf<T>(h: StoreHarness<T>): () => Promise<T> {
  if (h.reopen === undefined) throw new Error('a persistent store harness must provide reopen()')
  return h.reopen
}

export function runOutboxCompliance(name: string, factory: () => Promise<StoreHarness<OutboxStore>>, opts: ComplianceOptions = {}): void {
  describe(`OutboxStore compliance: ${name}`, () => {
    const run = (title: string, fn: (store: OutboxStore) => Promise<void>) => test(title, () => withStore(factory, (h) => fn(h.store)))

    run('put, get (every field, exact bytes); a taken id is STORE_EXISTS; an unknown one undefined', async (store) => {
      assert.equal(await store.get(msgId(1)), undefined)
      await store.put(entry(1, { attempts: 0, createdAt: T0, nextAttemptAt: T0 + 5, expiresAt: T0 + 99 }))
      assert.deepEqual(await store.get(msgId(1)), entry(1, { createdAt: T0, nextAttemptAt: T0 + 5, expiresAt: T0 + 99 }))
      await rejectsCode(store.put(entry(1, { envelope: envelope(9) })), 'STORE_EXISTS')
      assert.deepEqual((await store.get(msgId(1)))?.envelope, envelope(1), 'the refused put changed nothing')
      assert.equal(await store.get(msgId(2)), undefined)
    })

    run('entries are not shared with the caller (in or out)', async (store) => {
      const given = entry(3, { envelope: envelope(3, MSG_MAX_ENVELOPE_BYTES) })
      await store.put(given)
      given.envelope.fill(0)
      given.state = 'failed'
      const out = await store.get(msgId(3))
      assert.deepEqual(out, entry(3, { envelope: envelope(3, MSG_MAX_ENVELOPE_BYTES) }))
      out?.envelope.fill(0)
      const listed = await store.pending()
      listed[0]?.envelope.fill(0)
      assert.deepEqual((await store.get(msgId(3)))?.envelope, envelope(3, MSG_MAX_ENVELOPE_BYTES))
    })

    run('pending: in put order (not createdAt: ties and a clock stepping back), per recipient', async (store) => {
      await store.put(entry(5, { createdAt: T0 + 100 }))
      await store.put(entry(2, { to: CAROL, createdAt: T0 + 100 }))
      await store.put(entry(4, { createdAt: T0 + 100 }))
      await store.put(entry(1, { createdAt: T0 + 50 }))
      await store.put(entry(3, { to: CAROL, createdAt: T0 }))
      assert.deepEqual(ids(await store.pending()), [5, 2, 4, 1, 3].map(msgId))
      assert.deepEqual(ids(await store.pending(ALICE)), [5, 4, 1].map(msgId))
      assert.deepEqual(ids(await store.pending(CAROL)), [2, 3].map(msgId))
      assert.deepEqual(await store.pending('did:parley:nobody'), [])
    })

    run('pending holds queued and sent entries; delivered and failed ones leave it', async (store) => {
      for (const n of [1, 2, 3, 4]) await store.put(entry(n))
      await store.update(msgId(1), { state: 'sent' })
      await store.update(msgId(2), { state: 'delivered' })
      await store.update(msgId(3), { state: 'failed' })
      assert.deepEqual(ids(await store.pending(ALICE)), [1, 4].map(msgId))
      assert.equal((await store.get(msgId(2)))?.state, 'delivered', 'a delivered entry is kept until deleted')
      await store.update(msgId(3), { state: 'queued' })
      assert.deepEqual(ids(await store.pending(ALICE)), [1, 3, 4].map(msgId), 'back to queued: back in its place')
    })

    run('update: state, attempts, nextAttemptAt and nothing else; unknown id STORE_NOT_FOUND', async (store) => {
      await store.put(entry(1))
      await store.update(msgId(1), { attempts: 3 })
      await store.update(msgId(1), { nextAttemptAt: T0 + 777, state: 'sent' })
      await store.update(msgId(1), {})
      assert.deepEqual(await store.get(msgId(1)), entry(1, { attempts: 3, nextAttemptAt: T0 + 777, state: 'sent' }))
      await rejectsCode(store.update(msgId(2), { state: 'sent' }), 'STORE_NOT_FOUND')
      await rejectsCode(store.update(msgId(1), { envelope: new Uint8Array(1) } as never), 'INVALID_ARGUMENT')
      await rejectsCode(store.update(msgId(1), { to: CAROL } as never), 'INVALID_ARGUMENT')
      assert.deepEqual(await store.get(msgId(1)), entry(1, { attempts: 3, nextAttemptAt: T0 + 777, state: 'sent' }))
    })

    run('delete: removes, is idempotent, frees the id', async (store) => {
      await store.put(entry(1))
      await store.put(entry(2))
      await store.delete(msgId(1))
      await store.delete(msgId(1))
      await store.delete(msgId(9))
      assert.equal(await store.get(msgId(1)), undefined)
      assert.deepEqual(ids(await store.pending()), [msgId(2)])
      await store.put(entry(1, { envelope: envelope(11) }))
      assert.deepEqual((await store.get(msgId(1)))?.envelope, envelope(11))
      assert.deepEqual(ids(await store.pending()), [2, 1].map(msgId), 'a put after a delete is a new entry, last in order')
    })

    run('100 concurrent puts of one id: exactly one wins, the others are STORE_EXISTS', async (store) => {
      const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => store.put(entry(7, { envelope: envelope(i + 1) }))))
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
      for (const r of results) if (r.status === 'rejected') assert.ok(isParleyError(r.reason, 'STORE_EXISTS'))
      const winner = results.findIndex((r) => r.status === 'fulfilled')
      assert.deepEqual((await store.get(msgId(7)))?.envelope, envelope(winner + 1))
      assert.equal((await store.pending()).length, 1)
    })

    run('refuses bad arguments (INVALID_ARGUMENT) and stores nothing', async (store) => {
      const bad: Partial<OutboxEntry>[] = [
        { id: msgId(1).toUpperCase().replace('0', 'A') },
        { id: msgId(1).slice(1) },
        { id: `${msgId(1)}0` },
        { id: 'zz'.repeat(MSG_ID_LENGTH) },
        { to: '' },
        { to: 'd'.repeat(5000) },
        { envelope: new Uint8Array(0) },
        { envelope: new Uint8Array(MSG_MAX_ENVELOPE_BYTES + 1) },
        { state: 'sent' },
        { state: 'bogus' as never },
        { attempts: -1 },
        { attempts: 1.5 },
        { createdAt: Number.NaN },
        { nextAttemptAt: -1 },
        { expiresAt: 2 ** 53 },
      ]
      for (const over of bad) await rejectsCode(store.put(entry(1, over)), 'INVALID_ARGUMENT')
      await rejectsCode(store.put({ ...entry(1), envelope: 'text' } as never), 'INVALID_ARGUMENT')
      assert.deepEqual(await store.pending(), [])
      await store.put(entry(1, { envelope: envelope(1, MSG_MAX_ENVELOPE_BYTES) }))
      await rejectsCode(store.get('not-an-id'), 'INVALID_ARGUMENT')
      await rejectsCode(store.delete(msgId(1).slice(2)), 'INVALID_ARGUMENT')
      await rejectsCode(store.pending(''), 'INVALID_ARGUMENT')
      await rejectsCode(store.update(msgId(1), { state: 'lost' as never }), 'INVALID_ARGUMENT')
      await rejectsCode(store.update(msgId(1), { attempts: -2 }), 'INVALID_ARGUMENT')
      await rejectsCode(store.update(msgId(1), { nextAttemptAt: 0.5 }), 'INVALID_ARGUMENT')
      await rejectsCode(store.update(msgId(1), null as never), 'INVALID_ARGUMENT')
      assert.deepEqual(await store.get(msgId(1)), entry(1, { envelope: envelope(1, MSG_MAX_ENVELOPE_BYTES) }))
    })

    // Only a store that persists has a reopen to test; an in-memory store does not register this test.
    if (opts.persistent === true) {
      test('persistence: entries, their updates, deletions and put order survive a reopen', () =>
        withStore(factory, async (h) => {
          for (const n of [3, 1, 2, 4]) await h.store.put(entry(n, { to: n % 2 === 0 ? CAROL : ALICE }))
          await h.store.update(msgId(1), { state: 'sent', attempts: 2, nextAttemptAt: T0 + 5000 })
          await h.store.update(msgId(2), { state: 'failed' })
          await h.store.delete(msgId(4))
          const store = await reopenOf(h)()
          assert.deepEqual(await store.get(msgId(1)), entry(1, { state: 'sent', attempts: 2, nextAttemptAt: T0 + 5000 }))
          assert.deepEqual(await store.get(msgId(2)), entry(2, { to: CAROL, state: 'failed' }))
          assert.equal(await store.get(msgId(4)), undefined)
          assert.deepEqual(ids(await store.pending()), [3, 1].map(msgId))
          await store.put(entry(5))
          assert.deepEqual(ids(await store.pending(ALICE)), [3, 1, 5].map(msgId), 'new entries go after the reopened ones')
        }))
    }
  })
}

export function runDedupeCompliance(name: string, factory: () => Promise<StoreHarness<InboundDedupeStore>>, opts: ComplianceOptions = {}): void {
  describe(`InboundDedupeStore compliance: ${name}`, () => {
    const run = (title: string, fn: (store: InboundDedupeStore) => Promise<void>) => test(title, () => withStore(factory, (h) => fn(h.store)))

    run('remember, then seen; other ids and other peers are independent', async (store) => {
      assert.equal(await store.seen(ALICE, msgId(1), T0), false)
      await store.remember(ALICE, msgId(1), T0 + 1000)
      assert.equal(await store.seen(ALICE, msgId(1), T0), true)
      assert.equal(await store.seen(ALICE, msgId(2), T0), false)
      assert.equal(await store.seen(CAROL, msgId(1), T0), false, 'the id of one peer says nothing about another')
      assert.equal(await store.seen(`${ALICE}\n${msgId(1)}`, msgId(1), T0), false)
    })

    run('a record holds until its expiry, exactly; a second remember keeps the later expiry', async (store) => {
      await store.remember(ALICE, msgId(3), T0 + 1000)
      assert.equal(await store.seen(ALICE, msgId(3), T0 + 999), true)
      assert.equal(await store.seen(ALICE, msgId(3), T0 + 1000), false)
      await store.remember(ALICE, msgId(3), T0 + 5000)
      await store.remember(ALICE, msgId(3), T0 + 2000)
      assert.equal(await store.seen(ALICE, msgId(3), T0 + 4999), true, 'the earlier expiry did not shorten it')
      assert.equal(await store.seen(ALICE, msgId(3), T0 + 5000), false)
    })

    run('prune removes expired records only (expiresAt <= now) and counts them', async (store) => {
      await store.remember(ALICE, msgId(5), T0 + 100)
      await store.remember(CAROL, msgId(5), T0 + 200)
      await store.remember(ALICE, msgId(6), T0 + 300)
      assert.equal(await store.prune(T0 + 99), 0)
      assert.equal(await store.prune(T0 + 200), 2)
      assert.equal(await store.prune(T0 + 200), 0)
      assert.equal(await store.seen(ALICE, msgId(6), T0 + 250), true, 'not pruned')
      assert.equal(await store.seen(ALICE, msgId(5), T0 + 50), false, 'pruned: gone even for an earlier now')
      assert.equal(await store.prune(T0 + 10_000), 1)
    })

    run('100 concurrent remembers of one id: one record', async (store) => {
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.remember(ALICE, msgId(8), T0 + 1000 + i)))
      assert.equal(await store.seen(ALICE, msgId(8), T0 + 1098), true, 'the latest expiry is kept')
      assert.equal(await store.prune(T0 + 5000), 1)
    })

    run('refuses bad arguments (INVALID_ARGUMENT)', async (store) => {
      await rejectsCode(store.remember('', msgId(1), T0), 'INVALID_ARGUMENT')
      await rejectsCode(store.remember(ALICE, 'abc', T0), 'INVALID_ARGUMENT')
      await rejectsCode(store.remember(ALICE, msgId(1).toUpperCase().replace('0', 'F'), T0), 'INVALID_ARGUMENT')
      await rejectsCode(store.remember(ALICE, msgId(1), Number.NaN), 'INVALID_ARGUMENT')
      await rejectsCode(store.remember(ALICE, msgId(1), -1), 'INVALID_ARGUMENT')
      await rejectsCode(store.seen(ALICE, msgId(1), 1.5), 'INVALID_ARGUMENT')
      await rejectsCode(store.seen('d'.repeat(5000), msgId(1), T0), 'INVALID_ARGUMENT')
      await rejectsCode(store.prune(Number.POSITIVE_INFINITY), 'INVALID_ARGUMENT')
      assert.equal(await store.prune(T0 + 10_000), 0, 'nothing was stored')
    })

    if (opts.persistent === true) {
      test('persistence: records and their expiry survive a reopen', () =>
        withStore(factory, async (h) => {
          await h.store.remember(ALICE, msgId(9), T0 + 1000)
          await h.store.remember(CAROL, msgId(9), T0 + 10)
          await h.store.prune(T0 + 10)
          const store = await reopenOf(h)()
          assert.equal(await store.seen(ALICE, msgId(9), T0 + 999), true)
          assert.equal(await store.seen(ALICE, msgId(9), T0 + 1000), false)
          assert.equal(await store.seen(CAROL, msgId(9), T0), false, 'the pruned record stayed pruned')
        }))
    }
  })
}
