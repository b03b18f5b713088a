/**
 * Compliance suite every ReplayCache implementation passes: an id is fresh
 * once until it expires (100 concurrent inserts of one id: exactly one is
 * fresh), expiry is exact to the millisecond, pruning, argument refusals,
 * and persistence when the harness can reopen.
 *
 * @example
 * runReplayCacheCompliance('memory', async () => ({ store: new MemoryReplayCache() }))
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { REPLAY_ID_MAX_LENGTH, REPLAY_ID_MIN_LENGTH } from '../../../src/constants.js'
import type { ReplayCache } from '../../../src/session/stores/types.js'
import { rejectsCode } from '../fixtures.js'
import type { StoreHarness } from './prekey-store.js'

const T0 = Date.UTC(2026, 0, 1)
const at = (ms: number): Date => new Date(T0 + ms)
const id = (n: number, length = 16): Uint8Array => new Uint8Array(length).fill(n)

export function runReplayCacheCompliance(
  name: string,
  factory: () => Promise<StoreHarness<ReplayCache>>,
  opts: { persistent?: boolean } = {},
): void {
  describe(`ReplayCache compliance: ${name}`, () => {
    const run = (title: string, fn: (cache: ReplayCache) => Promise<void>) =>
      test(title, async () => {
        const h = await factory()
        try {
          await fn(h.store)
        } finally {
          await h.close?.()
        }
      })

    run('first sight is fresh, a second one is a replay, other ids are independent', async (cache) => {
      assert.equal(await cache.checkAndInsert(id(1), at(1000), at(0)), true)
      assert.equal(await cache.checkAndInsert(id(1), at(5000), at(1)), false)
      assert.equal(await cache.checkAndInsert(id(2), at(1000), at(1)), true)
      assert.equal(await cache.checkAndInsert(id(1, 32), at(1000), at(1)), true, 'length is part of the id')
    })

    run('an entry is held until its expiry, exactly; a refused insert does not extend it', async (cache) => {
      assert.equal(await cache.checkAndInsert(id(3), at(1000), at(0)), true)
      assert.equal(await cache.checkAndInsert(id(3), at(9000), at(999)), false)
      assert.equal(await cache.checkAndInsert(id(3), at(2000), at(1000)), true, 'expired at 1000: fresh again')
      assert.equal(await cache.checkAndInsert(id(3), at(3000), at(1999)), false)
    })

    run('100 concurrent inserts of one id: exactly one is fresh', async (cache) => {
      const results = await Promise.all(Array.from({ length: 100 }, () => cache.checkAndInsert(id(4), at(1000), at(0))))
      assert.equal(results.filter((r) => r).length, 1)
    })

    run('prune removes expired entries only', async (cache) => {
      await cache.checkAndInsert(id(5), at(100), at(0))
      await cache.checkAndInsert(id(6), at(200), at(0))
      assert.equal(await cache.prune(at(99)), 0)
      assert.equal(await cache.prune(at(100)), 1)
      assert.equal(await cache.checkAndInsert(id(6), at(300), at(150)), false, 'not pruned')
      assert.equal(await cache.prune(at(10_000)), 1)
    })

    run('refuses bad arguments (INVALID_ARGUMENT)', async (cache) => {
      await rejectsCode(cache.checkAndInsert(id(7, REPLAY_ID_MIN_LENGTH - 1), at(10), at(0)), 'INVALID_ARGUMENT')
      await rejectsCode(cache.checkAndInsert(id(7, REPLAY_ID_MAX_LENGTH + 1), at(10), at(0)), 'INVALID_ARGUMENT')
      await rejectsCode(cache.checkAndInsert(id(7), at(0), at(0)), 'INVALID_ARGUMENT')
      await rejectsCode(cache.checkAndInsert(id(7), new Date(Number.NaN), at(0)), 'INVALID_ARGUMENT')
      assert.equal(await cache.checkAndInsert(id(7, REPLAY_ID_MAX_LENGTH), at(10), at(0)), true, 'nothing was inserted before')
    })

    // Only a store that persists has a reopen to test; an in-memory store does not register this test.
    if (opts.persistent === true) test('persistence: entries survive a reopen', async () => {
      const h = await factory()
      try {
        if (h.reopen === undefined) throw new Error('a persistent store harness must provide reopen()')
        await h.store.checkAndInsert(id(8), at(1000), at(0))
        const cache = await h.reopen()
        assert.equal(await cache.checkAndInsert(id(8), at(2000), at(500)), false)
        assert.equal(await cache.checkAndInsert(id(8), at(2000), at(1000)), true)
      } finally {
        await h.close?.()
      }
    })
  })
}
