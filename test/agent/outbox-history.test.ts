/**
 * The agent's outbox and dedupe wrappers (src/agent/outbox-history.ts) and
 * its serialized transactions (serialTransactions in memory-stores.ts), on
 * a real database file: a staged put is written inside the stager's
 * transaction with its history entry and resolves only once released after
 * the commit; an aborted one leaves nothing; acks are gone at once for
 * readers and written (history 'delivered') with the next commit; 'sent'
 * never reaches the disk; failed is mirrored; the dedupe record committed
 * with a message makes the transport's own remember a no-op; and many
 * transactions started at once all commit.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { serialTransactions } from '../../src/agent/memory-stores.js'
import type { AgentStorage } from '../../src/agent/memory-stores.js'
import { CommittedDedupe, HistoryOutbox } from '../../src/agent/outbox-history.js'
import type { ExpectedHistory } from '../../src/agent/outbox-history.js'
import type { OutboxEntry } from '../../src/network/outbox-types.js'
import { MemoryInboundDedupeStore } from '../../src/network/outbox.js'
import { msgId } from '../network/compliance/outbox.js'
import { rejectsCode } from '../session/fixtures.js'
import { newHome, open } from '../db/helpers.js'

const BOB = 'did:parley:bob-outbox'
const T0 = Date.UTC(2026, 5, 1)

function entry(n: number): OutboxEntry {
  return { id: msgId(n), to: BOB, envelope: Uint8Array.of(7, 7, n), state: 'queued', attempts: 0, createdAt: T0, nextAttemptAt: T0, expiresAt: T0 + 60_000 }
}

function record(n: number): ExpectedHistory {
  return { peer: BOB, direction: 'out', kind: 'text', body: new TextEncoder().encode(`message ${n}`), timestamp: T0 + n }
}

async function storage(t: { after: (fn: () => Promise<void>) => void }): Promise<{ db: AgentStorage; reopen: () => Promise<AgentStorage> }> {
  const h = await newHome()
  t.after(() => h.cleanup())
  let raw = await open(h.dir)
  return {
    db: serialTransactions(raw),
    reopen: async () => {
      await raw.close()
      raw = await open(h.dir)
      return serialTransactions(raw)
    },
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

test('a staged put: written inside the transaction with its history entry, resolved only after release', async (t) => {
  const { db, reopen } = await storage(t)
  const outbox = new HistoryOutbox(db)
  const e = entry(1)
  let put: Promise<void> | undefined
  let resolved = false
  const staged = outbox.stage(e.envelope, record(1))
  await db.transaction(async () => {
    put = outbox.put(e).then(() => {
      resolved = true
    })
    await staged.written
    assert.equal((await db.outbox.get(e.id))?.id, e.id, 'written in the transaction')
  })
  await tick()
  assert.equal(resolved, false, 'the transport is held until the release')
  staged.release()
  await put
  const again = await reopen()
  assert.equal((await again.outbox.get(e.id))?.state, 'queued')
  const h = await again.history.get({ peer: BOB, direction: 'out', id: e.id })
  assert.equal(h?.state, 'queued')
  assert.equal(new TextDecoder().decode(h?.body), 'message 1')
})

test('group commit: staged puts say when they are written, so the next can join the same transaction; all resolve after the release', async (t) => {
  const { db, reopen } = await storage(t)
  const outbox = new HistoryOutbox(db)
  const staged = [11, 12, 13].map((n) => outbox.stage(entry(n).envelope, record(n)))
  const puts: Promise<void>[] = []
  const order: string[] = []
  await db.transaction(async () => {
    for (const n of [11, 12, 13]) {
      // As the transport does: the next put starts once the one before is written.
      await new Promise<void>((written) => {
        puts.push(outbox.put(entry(n), () => {
          order.push(`written ${n}`)
          written()
        }))
      })
    }
  })
  let resolved = 0
  for (const p of puts) void p.then(() => resolved++)
  await tick()
  assert.equal(resolved, 0, 'none resolves before the release')
  for (const one of staged) one.release()
  await Promise.all(puts)
  assert.deepEqual(order, ['written 11', 'written 12', 'written 13'])
  const again = await reopen()
  assert.deepEqual((await again.outbox.pending()).map((e) => e.id), [msgId(11), msgId(12), msgId(13)])
})

test('an aborted staged put leaves neither the outbox entry nor the history entry, and rejects', async (t) => {
  const { db } = await storage(t)
  const outbox = new HistoryOutbox(db)
  const e = entry(2)
  const staged = outbox.stage(e.envelope, record(2))
  let put: Promise<void> | undefined
  await assert.rejects(
    db.transaction(async () => {
      put = outbox.put(e)
      await staged.written
      throw new Error('the send failed after the put')
    }),
  )
  staged.abort(new Error('rolled back'))
  await assert.rejects(put as Promise<void>)
  assert.equal(await db.outbox.get(e.id), undefined)
  assert.equal(await db.history.get({ peer: BOB, direction: 'out', id: e.id }), undefined)
})

test("acks: gone at once for readers, written with the next commit (history 'delivered'); 'sent' stays in memory; failed is mirrored", async (t) => {
  const { db, reopen } = await storage(t)
  const outbox = new HistoryOutbox(db)
  for (const n of [3, 4, 5]) {
    const staged = outbox.stage(entry(n).envelope, record(n))
    let put: Promise<void> | undefined
    await db.transaction(async () => {
      put = outbox.put(entry(n))
      await staged.written
    })
    staged.release()
    await put
  }
  await outbox.update(msgId(3), { state: 'sent' })
  assert.equal((await outbox.get(msgId(3)))?.state, 'sent')
  assert.equal((await db.outbox.get(msgId(3)))?.state, 'queued', "'sent' is not written")
  assert.equal((await db.history.get({ peer: BOB, direction: 'out', id: msgId(3) }))?.state, 'queued')

  await outbox.delete(msgId(3))
  assert.equal(await outbox.get(msgId(3)), undefined, 'gone for readers at once')
  assert.deepEqual((await outbox.pending()).map((e) => e.id), [msgId(4), msgId(5)])
  await rejectsCode(outbox.update(msgId(3), { state: 'queued' }), 'STORE_NOT_FOUND')
  await outbox.flush()
  assert.equal(await db.outbox.get(msgId(3)), undefined)
  assert.equal((await db.history.get({ peer: BOB, direction: 'out', id: msgId(3) }))?.state, 'delivered')

  await outbox.update(msgId(4), { state: 'failed' })
  assert.equal((await db.history.get({ peer: BOB, direction: 'out', id: msgId(4) }))?.state, 'failed')
  await outbox.update(msgId(5), { state: 'queued', attempts: 1, nextAttemptAt: T0 + 1000 })
  assert.equal((await db.outbox.get(msgId(5)))?.attempts, 1)

  // An ack not written before the process ends (the database closes first: its DB work runs before the flush's turn):
  // the entry is still pending after the restart, a resend the peer acks again.
  await outbox.delete(msgId(5))
  const again = await reopen()
  assert.deepEqual((await again.outbox.pending()).map((e) => e.id), [msgId(5)])
})

test('a staged put carries the acks of the moment into its commit', async (t) => {
  const { db } = await storage(t)
  const outbox = new HistoryOutbox(db)
  await outbox.put(entry(6))
  await outbox.delete(msgId(6))
  const staged = outbox.stage(entry(7).envelope, record(7))
  let put: Promise<void> | undefined
  await db.transaction(async () => {
    put = outbox.put(entry(7))
    await staged.written
    assert.equal(await db.outbox.get(msgId(6)), undefined, 'the ack is written in this transaction')
  })
  staged.release()
  await put
  await outbox.flush()
  assert.equal(await db.outbox.get(msgId(6)), undefined)
})

test('CommittedDedupe: the record committed with the message makes the transport\'s remember a no-op', async () => {
  const inner = new MemoryInboundDedupeStore()
  const calls: string[] = []
  const counting = {
    seen: (f: string, id: string, now: number) => inner.seen(f, id, now),
    remember: (f: string, id: string, at: number) => {
      calls.push(id)
      return inner.remember(f, id, at)
    },
    prune: (now: number) => inner.prune(now),
  }
  const dedupe = new CommittedDedupe(counting)
  await dedupe.commit(BOB, msgId(1), T0 + 1000)
  await dedupe.remember(BOB, msgId(1), T0 + 1001)
  await dedupe.remember(BOB, msgId(2), T0 + 1002)
  assert.deepEqual(calls, [msgId(1), msgId(2)], 'one write for the committed id, one for the other')
  assert.equal(await dedupe.seen(BOB, msgId(1), T0), true)
  assert.equal(await dedupe.seen(BOB, msgId(2), T0), true)
})

test('serialTransactions: many transactions started at once all commit; nested ones still nest', async (t) => {
  const { db } = await storage(t)
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, (_, n) =>
      db.transaction(async () => {
        await db.outbox.put(entry(100 + n))
        await tick()
        await db.transaction(async () => db.history.append({ ...record(n), id: msgId(100 + n), state: 'queued' }))
      }),
    ),
  )
  assert.deepEqual(results.filter((r) => r.status === 'rejected'), [])
  assert.equal((await db.outbox.pending()).length, 20)
  assert.equal((await db.history.list(BOB, { limit: 100 })).length, 20)
})
