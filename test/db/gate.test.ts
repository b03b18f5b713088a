/**
 * The database gate under contention: many transactions and plain calls
 * started at once all succeed, one transaction at a time (a regression
 * test: two waiters woken together could both take the gate, and the
 * second BEGIN failed inside the first transaction).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { newHome, open } from './helpers.js'

const id = (i: number, k: number): Uint8Array => {
  const out = new Uint8Array(32)
  out[0] = i
  out[1] = k
  return out
}

test('concurrent transactions and calls wait their turn and all commit', async (t) => {
  const { dir, cleanup } = await newHome()
  t.after(cleanup)
  const db = await open(dir)
  let inside = 0
  let maxInside = 0
  const tx = (i: number): Promise<void> =>
    db.transaction(async () => {
      inside++
      maxInside = Math.max(maxInside, inside)
      await db.replay.checkAndInsert(id(i, 1), new Date(Date.now() + 60_000), new Date())
      await new Promise((r) => setImmediate(r))
      await db.replay.checkAndInsert(id(i, 2), new Date(Date.now() + 60_000), new Date())
      inside--
    })
  const plain = (i: number): Promise<boolean> => db.replay.checkAndInsert(id(i, 3), new Date(Date.now() + 60_000), new Date())
  const all = await Promise.allSettled([...Array.from({ length: 20 }, (_, i) => tx(i)), ...Array.from({ length: 20 }, (_, i) => plain(i))])
  assert.deepEqual(all.filter((r) => r.status === 'rejected'), [])
  assert.equal(maxInside, 1)
  // Every id was inserted exactly once: inserting again reports it seen.
  for (let i = 0; i < 20; i++) for (const k of [1, 2, 3]) assert.equal(await db.replay.checkAndInsert(id(i, k), new Date(Date.now() + 60_000), new Date()), false)
})
