/**
 * The in-memory session stores against the shared compliance suites. A
 * memory store cannot outlive its process, so its "reopen" hands back the
 * same object: that runs the suites' persistence tests (checking the tests
 * themselves), not durability. Plus what only this implementation has: the
 * `firstId` option that lets a test reach PREKEY_MAX_ID.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PREKEY_MAX_ID } from '../../src/constants.js'
import { MemoryPrekeyStore, MemoryReplayCache, MemorySessionStore } from '../../src/session/stores/memory.js'
import { runPrekeyStoreCompliance } from './compliance/prekey-store.js'
import { runReplayCacheCompliance } from './compliance/replay-cache.js'
import { runSessionStoreCompliance } from './compliance/session-store.js'
import { rejectsCode } from './fixtures.js'

function same<T>(store: T) {
  return { store, reopen: async () => store }
}

runPrekeyStoreCompliance('memory', async () => same(new MemoryPrekeyStore()))
runSessionStoreCompliance('memory', async () => same(new MemorySessionStore()))
runReplayCacheCompliance('memory', async () => same(new MemoryReplayCache()))

test('MemoryPrekeyStore: ids run out at PREKEY_MAX_ID (PREKEY_EXHAUSTED), per family and kind', async () => {
  const store = new MemoryPrekeyStore({ firstId: PREKEY_MAX_ID - 2 })
  assert.deepEqual(await store.allocateIds('one-time', 'x25519', 2), [PREKEY_MAX_ID - 2, PREKEY_MAX_ID - 1])
  await rejectsCode(store.allocateIds('one-time', 'x25519', 2), 'PREKEY_EXHAUSTED')
  assert.deepEqual(await store.allocateIds('one-time', 'x25519', 1), [PREKEY_MAX_ID])
  await rejectsCode(store.allocateIds('one-time', 'x25519', 1), 'PREKEY_EXHAUSTED')
  assert.deepEqual(await store.allocateIds('signed', 'x25519', 1), [PREKEY_MAX_ID - 2])
  assert.throws(() => new MemoryPrekeyStore({ firstId: -1 }))
})
