/**
 * Compliance suite every PrekeyStore implementation passes (in-memory now,
 * SQLite later): id allocation (monotonic, disjoint under concurrency),
 * signed-prekey rotation with the grace period, one-time prekeys handed out
 * at most once (100 concurrent takes of one id: exactly one wins), the
 * publish step (each one-time prekey in at most one bundle), exact record
 * bytes, argument refusals, and, when the harness can reopen the store,
 * persistence of all of it.
 *
 * @example
 * runPrekeyStoreCompliance('memory', async () => ({ store: new MemoryPrekeyStore() }))
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { PREKEY_MAX_BATCH, PREKEY_MAX_ID, PREKEY_RECORD_MAX_BYTES, SIGNED_PREKEY_GRACE_SECONDS } from '../../../src/constants.js'
import type { PrekeyKind, PrekeyStore } from '../../../src/session/stores/types.js'
import { rejectsCode } from '../fixtures.js'

/** A store under test; `reopen` (durable stores) returns a new handle on the same data. */
export interface StoreHarness<T> {
  store: T
  reopen?: () => Promise<T>
  close?: () => Promise<void>
}

const T0 = Date.UTC(2026, 0, 1)
const at = (s: number): Date => new Date(T0 + s * 1000)
const GRACE = SIGNED_PREKEY_GRACE_SECONDS
const KINDS: PrekeyKind[] = ['x25519', 'ml-kem']

/** A record whose bytes cover all 256 values (and embed `n`), so any transformation shows. */
function record(n: number, length = 300): Uint8Array {
  const r = new Uint8Array(length)
  for (let i = 0; i < length; i++) r[i] = (i + n) & 0xff
  r[0] = n & 0xff
  r[1] = (n >>> 8) & 0xff
  return r
}

async function withStore<T>(factory: () => Promise<StoreHarness<T>>, fn: (h: StoreHarness<T>) => Promise<void>): Promise<void> {
  const h = await factory()
  try {
    await fn(h)
  } finally {
    await h.close?.()
  }
}

export function runPrekeyStoreCompliance(
  name: string,
  factory: () => Promise<StoreHarness<PrekeyStore>>,
  opts: { persistent?: boolean } = {},
): void {
  describe(`PrekeyStore compliance: ${name}`, () => {
    test('allocateIds: from 0, strictly increasing, per family and kind', () =>
      withStore(factory, async ({ store }) => {
        assert.deepEqual(await store.allocateIds('one-time', 'x25519', 3), [0, 1, 2])
        assert.deepEqual(await store.allocateIds('one-time', 'x25519', 2), [3, 4])
        assert.deepEqual(await store.allocateIds('one-time', 'ml-kem', 1), [0])
        assert.deepEqual(await store.allocateIds('signed', 'x25519', 1), [0])
        assert.deepEqual(await store.allocateIds('signed', 'ml-kem', 2), [0, 1])
      }))

    test('allocateIds: 20 concurrent callers get disjoint ids', () =>
      withStore(factory, async ({ store }) => {
        const batches = await Promise.all(Array.from({ length: 20 }, () => store.allocateIds('one-time', 'ml-kem', 10)))
        const all = batches.flat()
        assert.equal(new Set(all).size, 200)
        assert.deepEqual([...all].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i))
      }))

    test('allocateIds and friends refuse bad arguments (INVALID_ARGUMENT)', () =>
      withStore(factory, async ({ store }) => {
        await rejectsCode(store.allocateIds('one-time', 'x25519', 0), 'INVALID_ARGUMENT')
        await rejectsCode(store.allocateIds('one-time', 'x25519', PREKEY_MAX_BATCH + 1), 'INVALID_ARGUMENT')
        await rejectsCode(store.allocateIds('one-time', 'rsa' as PrekeyKind, 1), 'INVALID_ARGUMENT')
        await rejectsCode(store.allocateIds('other' as 'signed', 'x25519', 1), 'INVALID_ARGUMENT')
        await rejectsCode(store.peekOneTime('x25519', -1), 'INVALID_ARGUMENT')
        await rejectsCode(store.peekOneTime('x25519', PREKEY_MAX_ID + 1), 'INVALID_ARGUMENT')
        await rejectsCode(store.takeOneTime('x25519', 1.5), 'INVALID_ARGUMENT')
        await rejectsCode(store.loadSigned('x25519', 0, new Date(Number.NaN)), 'INVALID_ARGUMENT')
      }))

    test('signed prekeys: rotation keeps the previous one for the grace period, then prune deletes it', () =>
      withStore(factory, async ({ store }) => {
        for (const kind of KINDS) {
          assert.equal(await store.currentSigned(kind), undefined)
          const [a, b, c] = await store.allocateIds('signed', kind, 3) as [number, number, number]
          await store.rotateSigned(kind, { id: a, record: record(a) }, at(0))
          assert.deepEqual(await store.currentSigned(kind), { id: a, record: record(a) })
          await store.rotateSigned(kind, { id: b, record: record(b) }, at(100))
          assert.deepEqual(await store.currentSigned(kind), { id: b, record: record(b) })
          assert.deepEqual(await store.loadSigned(kind, a, at(100 + GRACE - 1)), record(a), 'retired, within grace')
          assert.equal(await store.loadSigned(kind, a, at(100 + GRACE)), undefined, 'grace over')
          assert.deepEqual(await store.loadSigned(kind, b, at(100 + 10 * GRACE)), record(b), 'the current one never expires')
          assert.equal(await store.loadSigned(kind, c, at(100)), undefined, 'never stored')
          await rejectsCode(store.rotateSigned(kind, { id: b, record: record(b) }, at(200)), 'STORE_EXISTS')
          await rejectsCode(store.rotateSigned(kind, { id: c + 1, record: record(1) }, at(200)), 'INVALID_ARGUMENT')
        }
        assert.equal(await store.pruneSigned(at(100 + GRACE - 1)), 0)
        assert.equal(await store.pruneSigned(at(100 + GRACE)), 2)
        assert.equal(await store.pruneSigned(at(100 + GRACE)), 0)
        assert.equal(await store.loadSigned('x25519', 0, at(100)), undefined, 'pruned')
      }))

    test('one-time prekeys: add, count, peek, take at most once, then used; unallocated ids are unknown', () =>
      withStore(factory, async ({ store }) => {
        const ids = await store.allocateIds('one-time', 'x25519', 3)
        await store.addOneTime('x25519', ids.map((id) => ({ id, record: record(id) })))
        assert.equal(await store.countUnpublished('x25519'), 3)
        assert.equal(await store.countUnpublished('ml-kem'), 0, 'kinds are separate')
        assert.deepEqual(await store.peekOneTime('x25519', 1), { status: 'available', record: record(1) })
        assert.deepEqual(await store.peekOneTime('x25519', 1), { status: 'available', record: record(1) }, 'peek does not consume')
        assert.deepEqual(await store.takeOneTime('x25519', 1), { status: 'available', record: record(1) })
        assert.deepEqual(await store.takeOneTime('x25519', 1), { status: 'used' })
        assert.deepEqual(await store.peekOneTime('x25519', 1), { status: 'used' })
        assert.equal(await store.countUnpublished('x25519'), 2)
        assert.deepEqual(await store.peekOneTime('x25519', 3), { status: 'unknown' })
        assert.deepEqual(await store.takeOneTime('x25519', 3), { status: 'unknown' })
        assert.deepEqual(await store.peekOneTime('ml-kem', 0), { status: 'unknown' }, 'the x25519 ids are not ml-kem ids')
      }))

    test('addOneTime: all or nothing; refuses held (STORE_EXISTS) and unallocated (INVALID_ARGUMENT) ids', () =>
      withStore(factory, async ({ store }) => {
        const [a, b] = await store.allocateIds('one-time', 'ml-kem', 2) as [number, number]
        await store.addOneTime('ml-kem', [{ id: a, record: record(a) }])
        await rejectsCode(store.addOneTime('ml-kem', [{ id: b, record: record(b) }, { id: a, record: record(a) }]), 'STORE_EXISTS')
        assert.deepEqual(await store.peekOneTime('ml-kem', b), { status: 'used' }, 'b was not added')
        await rejectsCode(store.addOneTime('ml-kem', [{ id: b, record: record(b) }, { id: b, record: record(b) }]), 'STORE_EXISTS')
        await rejectsCode(store.addOneTime('ml-kem', [{ id: b + 1, record: record(1) }]), 'INVALID_ARGUMENT')
        await rejectsCode(store.addOneTime('ml-kem', []), 'INVALID_ARGUMENT')
        await rejectsCode(store.addOneTime('ml-kem', [{ id: b, record: new Uint8Array(0) }]), 'INVALID_ARGUMENT')
        await rejectsCode(store.addOneTime('ml-kem', [{ id: b, record: new Uint8Array(PREKEY_RECORD_MAX_BYTES + 1) }]), 'INVALID_ARGUMENT')
        assert.equal(await store.countUnpublished('ml-kem'), 1)
      }))

    test('100 concurrent takeOneTime of one id: exactly one gets the record', () =>
      withStore(factory, async ({ store }) => {
        const [id] = await store.allocateIds('one-time', 'x25519', 1) as [number]
        await store.addOneTime('x25519', [{ id, record: record(7) }])
        const results = await Promise.all(Array.from({ length: 100 }, () => store.takeOneTime('x25519', id)))
        const winners = results.filter((r) => r.status === 'available')
        assert.equal(winners.length, 1)
        assert.deepEqual(winners[0], { status: 'available', record: record(7) })
        assert.equal(results.filter((r) => r.status === 'used').length, 99)
      }))

    test('publishOneTime: lowest id first, each at most once, also under concurrency; takes still work', () =>
      withStore(factory, async ({ store }) => {
        const ids = await store.allocateIds('one-time', 'ml-kem', 50)
        await store.addOneTime('ml-kem', ids.map((id) => ({ id, record: record(id) })))
        assert.deepEqual(await store.publishOneTime('ml-kem'), { id: 0, record: record(0) })
        assert.equal(await store.countUnpublished('ml-kem'), 49)
        const results = await Promise.all(Array.from({ length: 60 }, () => store.publishOneTime('ml-kem')))
        const published = results.filter((r) => r !== undefined).map((r) => r.id)
        assert.equal(published.length, 49)
        assert.equal(new Set(published).size, 49)
        assert.ok(!published.includes(0))
        assert.equal(await store.publishOneTime('ml-kem'), undefined)
        assert.equal(await store.countUnpublished('ml-kem'), 0)
        assert.deepEqual(await store.takeOneTime('ml-kem', 0), { status: 'available', record: record(0) }, 'published prekeys stay takeable')
        assert.equal(await store.publishOneTime('x25519'), undefined)
      }))

    test('records come back byte for byte and are not shared with the caller', () =>
      withStore(factory, async ({ store }) => {
        const [id] = await store.allocateIds('one-time', 'ml-kem', 1) as [number]
        const original = record(9, PREKEY_RECORD_MAX_BYTES)
        const given = original.slice()
        await store.addOneTime('ml-kem', [{ id, record: given }])
        given.fill(0)
        const first = await store.peekOneTime('ml-kem', id)
        assert.ok(first.status === 'available')
        assert.deepEqual(first.record, original)
        first.record.fill(1)
        assert.deepEqual(await store.peekOneTime('ml-kem', id), { status: 'available', record: original })
        const [s] = await store.allocateIds('signed', 'x25519', 1) as [number]
        const signed = record(3, 1)
        await store.rotateSigned('x25519', { id: s, record: signed }, at(0))
        signed.fill(0xaa)
        assert.deepEqual(await store.loadSigned('x25519', s, at(0)), record(3, 1))
      }))

    // Only a store that persists has a reopen to test; an in-memory store does not register this test.
    if (opts.persistent === true) test('persistence: ids, signed and one-time prekeys, used and published marks survive a reopen', async () => {
      const h = await factory()
      try {
        if (h.reopen === undefined) throw new Error('a persistent store harness must provide reopen()')
        const ids = await h.store.allocateIds('one-time', 'x25519', 3)
        await h.store.addOneTime('x25519', ids.map((id) => ({ id, record: record(id) })))
        await h.store.takeOneTime('x25519', 0)
        await h.store.publishOneTime('x25519')
        const [s0, s1] = await h.store.allocateIds('signed', 'ml-kem', 2) as [number, number]
        await h.store.rotateSigned('ml-kem', { id: s0, record: record(s0) }, at(0))
        await h.store.rotateSigned('ml-kem', { id: s1, record: record(s1) }, at(10))
        const store = await h.reopen()
        assert.deepEqual(await store.allocateIds('one-time', 'x25519', 1), [3])
        assert.deepEqual(await store.peekOneTime('x25519', 0), { status: 'used' })
        assert.equal(await store.countUnpublished('x25519'), 1)
        assert.deepEqual(await store.publishOneTime('x25519'), { id: 2, record: record(2) })
        assert.deepEqual(await store.currentSigned('ml-kem'), { id: s1, record: record(s1) })
        assert.deepEqual(await store.loadSigned('ml-kem', s0, at(10 + GRACE - 1)), record(s0))
        assert.equal(await store.loadSigned('ml-kem', s0, at(10 + GRACE)), undefined)
      } finally {
        await h.close?.()
      }
    })
  })
}
