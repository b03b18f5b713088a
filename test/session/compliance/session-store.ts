/**
 * Compliance suite every SessionStore implementation passes: records by
 * (peer DID, session id) kept byte for byte, listing per peer, the active
 * pointer (set with a store or separately, cleared by delete), concurrent
 * writers, argument refusals, and persistence when the harness can reopen.
 *
 * @example
 * runSessionStoreCompliance('memory', async () => ({ store: new MemorySessionStore() }))
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { SESSION_ID_LENGTH, SESSION_RECORD_MAX_BYTES } from '../../../src/constants.js'
import type { SessionStore } from '../../../src/session/stores/types.js'
import { rejectsCode } from '../fixtures.js'
import type { StoreHarness } from './prekey-store.js'

const ALICE = 'did:parley:alice-test-peer'
const CAROL = 'did:parley:carol-test-peer'
const sid = (n: number): Uint8Array => new Uint8Array(SESSION_ID_LENGTH).fill(n)
function record(n: number, length = 64): Uint8Array {
  const r = new Uint8Array(length)
  for (let i = 0; i < length; i++) r[i] = (i * 7 + n) & 0xff
  return r
}
const sortIds = (ids: Uint8Array[]): string[] => ids.map((i) => Buffer.from(i).toString('hex')).sort()

export function runSessionStoreCompliance(
  name: string,
  factory: () => Promise<StoreHarness<SessionStore>>,
  opts: { persistent?: boolean } = {},
): void {
  describe(`SessionStore compliance: ${name}`, () => {
    const run = (title: string, fn: (store: SessionStore) => Promise<void>) =>
      test(title, async () => {
        const h = await factory()
        try {
          await fn(h.store)
        } finally {
          await h.close?.()
        }
      })

    run('store, load (exact bytes), overwrite, delete', async (store) => {
      assert.equal(await store.load(ALICE, sid(1)), undefined)
      await store.store(ALICE, sid(1), record(1))
      assert.deepEqual(await store.load(ALICE, sid(1)), record(1))
      await store.store(ALICE, sid(1), record(2, 200))
      assert.deepEqual(await store.load(ALICE, sid(1)), record(2, 200))
      assert.equal(await store.load(CAROL, sid(1)), undefined, 'peers are separate')
      assert.equal(await store.delete(ALICE, sid(1)), true)
      assert.equal(await store.delete(ALICE, sid(1)), false)
      assert.equal(await store.load(ALICE, sid(1)), undefined)
    })

    run('records are not shared with the caller (in or out)', async (store) => {
      const given = record(5, SESSION_RECORD_MAX_BYTES)
      const id = sid(5)
      await store.store(ALICE, id, given)
      given.fill(0)
      id.fill(9)
      const out = await store.load(ALICE, sid(5))
      assert.deepEqual(out, record(5, SESSION_RECORD_MAX_BYTES))
      out?.fill(0)
      assert.deepEqual(await store.load(ALICE, sid(5)), record(5, SESSION_RECORD_MAX_BYTES))
    })

    run('list: the session ids of one peer', async (store) => {
      assert.deepEqual(await store.list(ALICE), [])
      await store.store(ALICE, sid(1), record(1))
      await store.store(ALICE, sid(2), record(2))
      await store.store(CAROL, sid(3), record(3))
      assert.deepEqual(sortIds(await store.list(ALICE)), sortIds([sid(1), sid(2)]))
      assert.deepEqual(sortIds(await store.list(CAROL)), sortIds([sid(3)]))
      await store.delete(ALICE, sid(1))
      assert.deepEqual(sortIds(await store.list(ALICE)), sortIds([sid(2)]))
    })

    run('active pointer: set by store({ activate }) or activate, cleared by deleting its session', async (store) => {
      assert.equal(await store.active(ALICE), undefined)
      await store.store(ALICE, sid(1), record(1))
      assert.equal(await store.active(ALICE), undefined, 'storing alone does not activate')
      await store.store(ALICE, sid(2), record(2), { activate: true })
      assert.deepEqual(await store.active(ALICE), sid(2))
      await store.activate(ALICE, sid(1))
      assert.deepEqual(await store.active(ALICE), sid(1))
      await store.store(ALICE, sid(1), record(3))
      assert.deepEqual(await store.active(ALICE), sid(1), 'overwriting keeps the pointer')
      await rejectsCode(store.activate(ALICE, sid(9)), 'STORE_NOT_FOUND')
      await rejectsCode(store.activate(CAROL, sid(1)), 'STORE_NOT_FOUND')
      await store.delete(ALICE, sid(2))
      assert.deepEqual(await store.active(ALICE), sid(1), 'deleting another session keeps the pointer')
      await store.delete(ALICE, sid(1))
      assert.equal(await store.active(ALICE), undefined)
    })

    run('50 concurrent writers to distinct sessions: all kept', async (store) => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.store(ALICE, sid(i), record(i))))
      assert.equal((await store.list(ALICE)).length, 50)
      for (let i = 0; i < 50; i++) assert.deepEqual(await store.load(ALICE, sid(i)), record(i))
    })

    run('refuses bad arguments (INVALID_ARGUMENT)', async (store) => {
      await rejectsCode(store.store(ALICE, new Uint8Array(15), record(1)), 'INVALID_ARGUMENT')
      await rejectsCode(store.store(ALICE, sid(1), new Uint8Array(0)), 'INVALID_ARGUMENT')
      await rejectsCode(store.store(ALICE, sid(1), new Uint8Array(SESSION_RECORD_MAX_BYTES + 1)), 'INVALID_ARGUMENT')
      await rejectsCode(store.store('', sid(1), record(1)), 'INVALID_ARGUMENT')
      await rejectsCode(store.load(ALICE, new Uint8Array(17)), 'INVALID_ARGUMENT')
      await rejectsCode(store.list(''), 'INVALID_ARGUMENT')
      assert.equal(await store.load(ALICE, sid(1)), undefined, 'nothing was stored')
    })

    // Only a store that persists has a reopen to test; an in-memory store does not register this test.
    if (opts.persistent === true) test('persistence: records and the active pointer survive a reopen', async () => {
      const h = await factory()
      try {
        if (h.reopen === undefined) throw new Error('a persistent store harness must provide reopen()')
        await h.store.store(ALICE, sid(1), record(1))
        await h.store.store(ALICE, sid(2), record(2, 1000), { activate: true })
        const store = await h.reopen()
        assert.deepEqual(await store.load(ALICE, sid(1)), record(1))
        assert.deepEqual(await store.load(ALICE, sid(2)), record(2, 1000))
        assert.deepEqual(await store.active(ALICE), sid(2))
      } finally {
        await h.close?.()
      }
    })
  })
}
