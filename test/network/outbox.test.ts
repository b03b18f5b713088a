/**
 * The in-memory /parley/msg stores against the shared compliance suites, and
 * what only they have: their bounds (a full outbox refuses with
 * LIMIT_EXCEEDED and takes entries again once some are deleted; a full
 * dedupe store forgets the least recently remembered id).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryInboundDedupeStore, MemoryOutboxStore } from '../../src/network/outbox.js'
import type { OutboxEntry } from '../../src/network/outbox-types.js'
import { msgId, rejectsCode, runDedupeCompliance, runOutboxCompliance } from './compliance/outbox.js'

runOutboxCompliance('memory', async () => ({ store: new MemoryOutboxStore() }))
runDedupeCompliance('memory', async () => ({ store: new MemoryInboundDedupeStore() }))

const T0 = Date.UTC(2026, 0, 1)
const DID = 'did:parley:bound-test'

function entry(n: number, size = 10): OutboxEntry {
  return { id: msgId(n), to: DID, envelope: new Uint8Array(size).fill(n), state: 'queued', attempts: 0, createdAt: T0, nextAttemptAt: T0, expiresAt: T0 + 1000 }
}

test('MemoryOutboxStore: bounded by entries and by bytes (LIMIT_EXCEEDED); a delete makes room', async () => {
  const byCount = new MemoryOutboxStore({ maxEntries: 2 })
  await byCount.put(entry(1))
  await byCount.put(entry(2))
  await rejectsCode(byCount.put(entry(3)), 'LIMIT_EXCEEDED')
  await byCount.update(msgId(1), { state: 'delivered' })
  await rejectsCode(byCount.put(entry(3)), 'LIMIT_EXCEEDED')
  await byCount.delete(msgId(1))
  await byCount.put(entry(3))
  assert.deepEqual((await byCount.pending()).map((e) => e.id), [msgId(2), msgId(3)])

  const byBytes = new MemoryOutboxStore({ maxBytes: 25 })
  await byBytes.put(entry(1, 10))
  await byBytes.put(entry(2, 15))
  await rejectsCode(byBytes.put(entry(3, 1)), 'LIMIT_EXCEEDED')
  await byBytes.delete(msgId(2))
  await byBytes.put(entry(3, 15))
  assert.throws(() => new MemoryOutboxStore({ maxEntries: 0 }))
  assert.throws(() => new MemoryOutboxStore({ maxBytes: 1.5 }))
})

test('MemoryInboundDedupeStore: bounded; past the bound the least recently remembered id is forgotten', async () => {
  const store = new MemoryInboundDedupeStore({ maxEntries: 3 })
  for (const n of [1, 2, 3]) await store.remember(DID, msgId(n), T0 + 1000)
  await store.remember(DID, msgId(1), T0 + 1000) // 1 is now the most recent
  await store.remember(DID, msgId(4), T0 + 1000)
  assert.equal(await store.seen(DID, msgId(2), T0), false, 'the oldest went')
  for (const n of [1, 3, 4]) assert.equal(await store.seen(DID, msgId(n), T0), true)
  assert.throws(() => new MemoryInboundDedupeStore({ maxEntries: -1 }))
})
