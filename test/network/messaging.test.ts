/**
 * /parley/msg/1.0.0 between real libp2p nodes on 127.0.0.1 (TCP, Noise,
 * Yamux) with the test gate of test/helpers/msg-nodes.ts: delivery and its
 * events, retries after a failed commit, an offline receiver, a sender
 * restart over the same outbox, a lost ack (deduped), a permanent refusal,
 * retries running out, expiry, order of a 200-message burst, typed
 * refusals of bad streams (oversized, garbage, malformed, too many in
 * flight, unauthenticated), send() refusals, and the send → ack round trip
 * on loopback (logged for the benchmark, loosely asserted).
 */
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { Libp2p } from 'libp2p'
import { MSG_MAX_FRAME_BYTES, MSG_PROTOCOL_ID } from '../../src/constants.js'
import { fromHex } from '../../src/codec/index.js'
import { ParleyError, isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import { encodeFrameLength, frameStream } from '../../src/network/frames.js'
import type { FrameStream } from '../../src/network/frames.js'
import { createMessagingService } from '../../src/network/messaging.js'
import type { DeliveryEvent, MessagingErrorEvent, MessagingLimits, MessagingService, MessagingServiceInit } from '../../src/network/messaging.js'
import { decodeMsgFrame, encodeMsgFrame } from '../../src/network/messaging-wire.js'
import type { MsgFrame } from '../../src/network/messaging-wire.js'
import { MemoryInboundDedupeStore, MemoryOutboxStore } from '../../src/network/outbox.js'
import type { AuthenticatedPeer } from '../../src/network/types.js'
import { TestGate, createMsgNode, waitFor } from '../helpers/msg-nodes.js'
import type { Directory } from '../helpers/msg-nodes.js'
import { rejectsCode } from './compliance/outbox.js'

/** Fast timings for tests; every other limit is the default. */
const FAST: Partial<MessagingLimits> = {
  retryBaseMs: 50,
  retryMaxMs: 400,
  ackTimeoutMs: 5_000,
  connectTimeoutMs: 3_000,
  lingerMs: 2_000,
  idleTimeoutMs: 10_000,
  closeGraceMs: 500,
}

interface Delivered {
  from: string
  id: string
  envelope: Uint8Array
}

interface World {
  directory: Directory
  /** DIDs whose node resolvePeer may hand out (a DID missing here is unreachable). */
  reachable: Map<string, Libp2p>
}

interface Party {
  did: string
  node: Libp2p
  gate: TestGate
  outbox: MemoryOutboxStore
  dedupe: MemoryInboundDedupeStore
  service: MessagingService
  delivered: Delivered[]
  events: DeliveryEvent[]
  errors: MessagingErrorEvent[]
  /** Replaceable deliver behaviour (default: record). */
  onDeliver: (from: AuthenticatedPeer, id: string, envelope: Uint8Array) => Promise<void>
  /** A new service on the same node and stores (a restart), replacing `service`. */
  restart: () => Promise<void>
}

let nextParty = 0

function newWorld(): World {
  return { directory: new Map(), reachable: new Map() }
}

async function party(
  t: TestContext,
  world: World,
  opts: {
    startNode?: boolean
    reachable?: boolean
    limits?: Partial<MessagingLimits>
    keepDelivered?: boolean
    outbox?: MemoryOutboxStore
    dedupe?: MemoryInboundDedupeStore
    commitBatch?: MessagingServiceInit['commitBatch']
  } = {},
): Promise<Party> {
  const node = await createMsgNode({ start: opts.startNode ?? true })
  const did = `did:parley:test-party-${nextParty++}`
  world.directory.set(node.peerId.toString(), did)
  if (opts.reachable !== false) world.reachable.set(did, node)
  const p = {
    did,
    node,
    gate: new TestGate(world.directory),
    outbox: opts.outbox ?? new MemoryOutboxStore(),
    dedupe: opts.dedupe ?? new MemoryInboundDedupeStore(),
    delivered: [],
    events: [],
    errors: [],
  } as unknown as Party
  p.onDeliver = async (from, id, envelope) => {
    p.delivered.push({ from: from.did, id, envelope })
  }
  const make = (): MessagingService => {
    const service = createMessagingService({
      node,
      gate: p.gate,
      outbox: p.outbox,
      dedupe: p.dedupe,
      deliver: (from, id, envelope) => p.onDeliver(from, id, envelope),
      resolvePeer: (target) => {
        const n = world.reachable.get(target)
        return n === undefined ? undefined : { peerId: n.peerId, multiaddrs: n.getMultiaddrs() }
      },
      limits: { ...FAST, ...opts.limits },
      ...(opts.keepDelivered === true ? { keepDelivered: true } : {}),
      ...(opts.commitBatch === undefined ? {} : { commitBatch: opts.commitBatch }),
    })
    service.addEventListener('delivery', (e) => p.events.push(e))
    service.addEventListener('error', (e) => p.errors.push(e))
    return service
  }
  p.service = make()
  p.restart = async () => {
    await p.service.stop()
    p.service = make()
    await p.service.start()
  }
  if (opts.startNode !== false) await p.service.start()
  t.after(async () => {
    await p.service.stop()
    await node.stop()
  })
  return p
}

const bytes = (n: number, length = 64): Uint8Array => new Uint8Array(length).fill(n & 0xff).map((v, i) => (v + i) & 0xff)
const statesOf = (p: Party, id: string): string[] => p.events.filter((e) => e.id === id).map((e) => e.state)
const isDone = (p: Party, id: string): boolean => p.events.some((e) => e.id === id && (e.state === 'delivered' || e.state === 'failed'))
const errorCodes = (p: Party, direction: string): ErrorCode[] => p.errors.filter((e) => e.direction === direction).map((e) => e.error.code)

test('delivers with an ack: queued → sent → delivered, authenticated first, the outbox emptied, both directions', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world)
  const id = await a.service.send(b.did, bytes(1))
  assert.match(id, /^[0-9a-f]{32}$/)
  await waitFor(() => isDone(a, id), 10_000, 'delivery')
  assert.deepEqual(statesOf(a, id), ['queued', 'sent', 'delivered'])
  assert.deepEqual(b.delivered, [{ from: a.did, id, envelope: bytes(1) }])
  assert.ok(a.gate.authenticateCalls >= 1, 'the sender asked the gate before opening the stream')
  assert.equal(await a.outbox.get(id), undefined, 'a delivered entry leaves the outbox')
  assert.equal(await b.dedupe.seen(a.did, id, Date.now()), true, 'the receiver remembers the id')

  const back = await b.service.send(a.did, bytes(2))
  await waitFor(() => isDone(b, back), 10_000, 'reply')
  assert.deepEqual(a.delivered, [{ from: b.did, id: back, envelope: bytes(2) }])
  assert.deepEqual(a.errors, [])
  assert.deepEqual(b.errors, [])
})

test('keepDelivered: a delivered entry stays in the outbox in state delivered, out of pending', async (t) => {
  const world = newWorld()
  const a = await party(t, world, { keepDelivered: true })
  const b = await party(t, world)
  const id = await a.service.send(b.did, bytes(5))
  await waitFor(() => isDone(a, id), 10_000, 'delivery')
  assert.equal((await a.outbox.get(id))?.state, 'delivered')
  assert.deepEqual(await a.outbox.pending(), [])
})

test('a receiver whose deliver() throws does not ack: the message is retried and delivered later', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world)
  let calls = 0
  b.onDeliver = async (from, id, envelope) => {
    calls++
    if (calls === 1) throw new Error('the database is busy')
    b.delivered.push({ from: from.did, id, envelope })
  }
  const id = await a.service.send(b.did, bytes(3))
  await waitFor(() => isDone(a, id), 10_000, 'delivery')
  assert.deepEqual(statesOf(a, id), ['queued', 'sent', 'queued', 'sent', 'delivered'])
  const requeued = a.events.filter((e) => e.id === id)[2]
  assert.equal(requeued?.error?.code, 'MSG_RETRY_LATER')
  assert.equal(requeued?.attempts, 1)
  assert.equal(calls, 2)
  assert.deepEqual(b.delivered.map((d) => d.id), [id])
  assert.ok(errorCodes(b, 'inbound').includes('MSG_RETRY_LATER'))
})

test('failing stores: a dedupe store that throws means retry (nothing committed); an outbox write that throws is reported, delivery goes on', async (t) => {
  const world = newWorld()
  let outboxFailures = 1
  class FlakyOutbox extends MemoryOutboxStore {
    override async update(id: string, patch: Parameters<MemoryOutboxStore['update']>[1]): Promise<void> {
      if (patch.state === 'sent' && outboxFailures-- > 0) throw new Error('disk full')
      return super.update(id, patch)
    }
  }
  let dedupeFailures = 1
  class FlakyDedupe extends MemoryInboundDedupeStore {
    override async seen(from: string, id: string, now: number): Promise<boolean> {
      if (dedupeFailures-- > 0) throw new ParleyError('STORE_LOCKED', 'locked')
      return super.seen(from, id, now)
    }
  }
  const a = await party(t, world, { outbox: new FlakyOutbox() })
  const b = await party(t, world, { dedupe: new FlakyDedupe() })
  const id = await a.service.send(b.did, bytes(70))
  await waitFor(() => isDone(a, id), 10_000, 'delivery')
  assert.equal(statesOf(a, id).at(-1), 'delivered')
  assert.ok(statesOf(a, id).includes('queued', 1), 'retried once')
  assert.deepEqual(b.delivered.map((d) => d.id), [id])
  assert.deepEqual(errorCodes(a, 'store'), ['INTERNAL'])
  assert.ok(b.errors.some((e) => e.direction === 'inbound' && e.error.code === 'STORE_LOCKED'))
})

test('a permanent refusal fails that message (MSG_REFUSED) and the next ones still flow', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world)
  b.onDeliver = async (from, id, envelope) => {
    if (envelope[0] === 66) throw new ParleyError('DECRYPT_FAILED', 'decryption failed')
    b.delivered.push({ from: from.did, id, envelope })
  }
  const bad = await a.service.send(b.did, bytes(66))
  const good = await a.service.send(b.did, bytes(67))
  await waitFor(() => isDone(a, bad) && isDone(a, good), 10_000, 'both answered')
  assert.deepEqual(statesOf(a, bad), ['queued', 'sent', 'failed'])
  assert.equal(a.events.find((e) => e.id === bad && e.state === 'failed')?.error?.code, 'MSG_REFUSED')
  assert.deepEqual(statesOf(a, good), ['queued', 'sent', 'delivered'])
  assert.equal((await a.outbox.get(bad))?.state, 'failed', 'a failed entry stays in the outbox for the application')
  assert.deepEqual(b.delivered.map((d) => d.id), [good])
})

test('retries run out: after maxAttempts the message fails (MSG_RETRIES_EXHAUSTED) and the queue moves on', async (t) => {
  const world = newWorld()
  const a = await party(t, world, { limits: { maxAttempts: 3 } })
  const b = await party(t, world)
  let poisonCalls = 0
  b.onDeliver = async (from, id, envelope) => {
    if (envelope[0] === 7) {
      poisonCalls++
      throw new Error('cannot commit this one')
    }
    b.delivered.push({ from: from.did, id, envelope })
  }
  const poison = await a.service.send(b.did, bytes(7))
  const next = await a.service.send(b.did, bytes(8))
  await waitFor(() => isDone(a, poison) && isDone(a, next), 10_000, 'both answered')
  assert.equal(poisonCalls, 3)
  const failed = a.events.find((e) => e.id === poison && e.state === 'failed')
  assert.equal(failed?.error?.code, 'MSG_RETRIES_EXHAUSTED')
  assert.equal(failed?.attempts, 3)
  assert.deepEqual(b.delivered.map((d) => d.id), [next], 'the next message never overtook the failing one')
})

test('receiver offline: messages stay queued (no attempt charged), then flow in order when it comes up', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world, { startNode: false })
  const ids = [await a.service.send(b.did, bytes(10)), await a.service.send(b.did, bytes(11)), await a.service.send(b.did, bytes(12))]
  await waitFor(() => errorCodes(a, 'outbound').filter((c) => c === 'MSG_PEER_UNREACHABLE').length >= 3, 10_000, 'a few failed attempts')
  assert.deepEqual(a.events.map((e) => e.state), ['queued', 'queued', 'queued'])
  assert.deepEqual((await a.outbox.pending(b.did)).map((e) => [e.id, e.state, e.attempts]), ids.map((id) => [id, 'queued', 0]))

  await b.node.start()
  await b.service.start()
  await waitFor(() => ids.every((id) => isDone(a, id)), 10_000, 'delivery after the receiver came up')
  for (const id of ids) assert.deepEqual(statesOf(a, id), ['queued', 'sent', 'delivered'])
  assert.deepEqual(b.delivered.map((d) => d.id), ids)
})

test('sender restart: a new service over the same outbox re-sends what is pending, a "sent" entry included', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world, { reachable: false })
  const ids = [await a.service.send(b.did, bytes(20)), await a.service.send(b.did, bytes(21)), await a.service.send(b.did, bytes(22))]
  await a.service.stop()
  // As if the process died after writing the first message and before its ack.
  await a.outbox.update(ids[0] as string, { state: 'sent' })
  world.reachable.set(b.did, b.node)
  a.events.length = 0
  await a.restart()
  await waitFor(() => ids.every((id) => isDone(a, id)), 10_000, 'delivery after the restart')
  for (const id of ids) assert.deepEqual(statesOf(a, id), ['sent', 'delivered'])
  assert.deepEqual(b.delivered.map((d) => d.id), ids)
  assert.deepEqual(await a.outbox.pending(), [])
})

test('ack lost: the receiver committed, then the connection dropped; the resent copy is deduped (deliver once), the sender ends delivered', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world)
  let calls = 0
  b.onDeliver = async (from, id, envelope) => {
    calls++
    b.delivered.push({ from: from.did, id, envelope })
    if (calls === 1) await b.node.hangUp(from.peerId) // committed; the ack cannot go out any more
  }
  const id = await a.service.send(b.did, bytes(30))
  await waitFor(() => isDone(a, id), 10_000, 'delivery')
  assert.equal(calls, 1, 'deliver ran once')
  assert.deepEqual(b.delivered.map((d) => d.id), [id])
  const states = statesOf(a, id)
  assert.equal(states.at(-1), 'delivered')
  assert.deepEqual(states.slice(0, 3), ['queued', 'sent', 'queued'], 'the lost ack made it a retry')
  assert.equal(a.events.filter((e) => e.id === id)[2]?.error?.code, 'NETWORK_CLOSED')
})

test('a connection from the waiting peer, or flush(), ends the backoff at once', async (t) => {
  const world = newWorld()
  const slow = { retryBaseMs: 60_000, retryMaxMs: 60_000 }
  const a = await party(t, world, { limits: slow })
  const b = await party(t, world, { startNode: false })
  const first = await a.service.send(b.did, bytes(50))
  await waitFor(() => errorCodes(a, 'outbound').includes('MSG_PEER_UNREACHABLE'), 5_000, 'a failed attempt')
  await b.node.start()
  await b.service.start()
  await b.node.dial(a.node.getMultiaddrs()) // b comes online and connects (a minute before a's next try)
  await waitFor(() => isDone(a, first), 5_000, 'delivery on connect')
  assert.deepEqual(statesOf(a, first), ['queued', 'sent', 'delivered'])

  const c = await party(t, world, { startNode: false })
  const second = await a.service.send(c.did, bytes(51))
  await waitFor(() => errorCodes(a, 'outbound').filter((x) => x === 'MSG_PEER_UNREACHABLE').length >= 2, 5_000, 'a failed attempt')
  await c.node.start()
  await c.service.start()
  a.service.flush(c.did)
  await waitFor(() => isDone(a, second), 5_000, 'delivery on flush')
  assert.deepEqual(c.delivered.map((d) => d.id), [second])
})

test('no answer within ackTimeoutMs: the sender retries; the receiver still commits once', async (t) => {
  const world = newWorld()
  const a = await party(t, world, { limits: { ackTimeoutMs: 150 } })
  const b = await party(t, world)
  let calls = 0
  b.onDeliver = async (from, id, envelope) => {
    calls++
    await new Promise((r) => setTimeout(r, 400)) // a slow commit
    b.delivered.push({ from: from.did, id, envelope })
  }
  const id = await a.service.send(b.did, bytes(60))
  await waitFor(() => isDone(a, id), 10_000, 'delivery')
  assert.equal(statesOf(a, id).at(-1), 'delivered')
  assert.equal(a.events.find((e) => e.id === id && e.state === 'queued' && e.error !== undefined)?.error?.code, 'NETWORK_TIMEOUT')
  assert.equal(calls, 1, 'the resent copy waited for the first commit and was deduped')
  assert.deepEqual(b.delivered.map((d) => d.id), [id])
})

test('per-peer rate: past the burst the receiver reads more slowly, and refuses nothing', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world, { limits: { peerRatePerSecond: 20, peerRateBurst: 5 } })
  const started = performance.now()
  const ids = await Promise.all(Array.from({ length: 15 }, (_, i) => a.service.send(b.did, bytes(i))))
  await waitFor(() => ids.every((id) => isDone(a, id)), 10_000, 'delivery')
  const elapsed = performance.now() - started
  assert.ok(elapsed >= 450, `15 messages at 20/s after a burst of 5 took ${elapsed.toFixed(0)} ms`)
  assert.deepEqual(b.delivered.map((d) => d.id), ids)
  for (const id of ids) assert.deepEqual(statesOf(a, id), ['queued', 'sent', 'delivered'])
})

test('an idle stream is closed: by the sender after lingerMs, by the receiver after idleTimeoutMs; the next message opens a new one', async (t) => {
  const world = newWorld()
  const a = await party(t, world, { limits: { lingerMs: 100 } })
  const b = await party(t, world, { limits: { idleTimeoutMs: 200 } })
  const msgStreams = (): number => a.node.getConnections().flatMap((c) => c.streams).filter((s) => s.protocol === MSG_PROTOCOL_ID && s.status === 'open').length
  const first = await a.service.send(b.did, bytes(80))
  await waitFor(() => isDone(a, first), 5_000, 'delivery')
  assert.equal(msgStreams(), 1)
  await waitFor(() => msgStreams() === 0, 5_000, 'the sender to close its idle stream')
  const second = await a.service.send(b.did, bytes(81))
  await waitFor(() => isDone(a, second), 5_000, 'delivery on a new stream')
  assert.deepEqual(b.delivered.map((d) => d.id), [first, second])

  const fs = await rawStream(t, a.node, b.node) // a raw sender that never closes
  await fs.write(msgFrame(82))
  assert.equal((await readFrame(fs))?.type, 'ack')
  const started = performance.now()
  assert.equal(await readFrame(fs), undefined, 'the receiver closed the idle stream')
  assert.ok(performance.now() - started >= 150)
  assert.deepEqual(errorCodes(b, 'inbound'), [], 'an idle close is no error')
})

test('a burst of 200 messages arrives in send order, each queued → sent → delivered', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world)
  const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => a.service.send(b.did, bytes(i, 100 + i))))
  await waitFor(() => b.delivered.length === 200 && ids.every((id) => isDone(a, id)), 30_000, 'the burst')
  assert.deepEqual(b.delivered.map((d) => d.id), ids)
  b.delivered.forEach((d, i) => assert.deepEqual(d.envelope, bytes(i, 100 + i)))
  for (const id of ids) assert.deepEqual(statesOf(a, id), ['queued', 'sent', 'delivered'])
})

test('group commit: the messages waiting together commit in one batch, acked after it; a batch that fails commits none of them, and each is delivered once, in order', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  // B's store, transactional: what a batch delivers and remembers counts only once the batch commits.
  const committed: string[] = []
  const remembered = new MemoryInboundDedupeStore()
  let open: { delivered: string[]; remembered: [string, string, number][] } | undefined
  const dedupe = {
    seen: async (from: string, id: string, now: number) => (await remembered.seen(from, id, now)) || (open?.remembered.some(([f, i]) => f === from && i === id) ?? false),
    remember: async (from: string, id: string, expiresAt: number) => {
      if (open !== undefined) open.remembered.push([from, id, expiresAt])
      else await remembered.remember(from, id, expiresAt)
    },
    prune: (now: number) => remembered.prune(now),
  }
  const batches: string[][] = []
  let failNext = false
  const b = await party(t, world, {
    dedupe: dedupe as unknown as MemoryInboundDedupeStore,
    commitBatch: async <T>(fn: () => Promise<T>): Promise<T> => {
      open = { delivered: [], remembered: [] }
      const batch = open
      try {
        const result = await fn()
        assert.ok(batch.delivered.every((id) => !isDone(a, id)), 'no message of the batch is acked before its commit')
        if (failNext) {
          failNext = false
          throw new Error('the commit failed')
        }
        batches.push(batch.delivered)
        committed.push(...batch.delivered)
        for (const [f, i, e] of batch.remembered) await remembered.remember(f, i, e)
        return result
      } finally {
        open = undefined
      }
    },
  })
  let release = (): void => undefined
  const held = new Promise<void>((resolve) => (release = resolve))
  b.onDeliver = async (_from, id) => {
    if (committed.length === 0 && open === undefined) await held // the first message, alone: the rest pile up behind it
    if (open !== undefined) open.delivered.push(id)
    else committed.push(id)
  }
  const ids: string[] = []
  ids.push(await a.service.send(b.did, bytes(0)))
  await waitFor(() => a.events.some((e) => e.state === 'sent'), 10_000, 'the first message on the wire')
  for (let i = 1; i < 20; i++) ids.push(await a.service.send(b.did, bytes(i)))
  failNext = true
  await new Promise((resolve) => setTimeout(resolve, 200))
  release()
  await waitFor(() => ids.every((id) => isDone(a, id)), 20_000, 'every message')
  assert.deepEqual(committed, ids, 'each message committed once, in send order')
  assert.ok(batches.some((batch) => batch.length > 1), `several messages in one commit (${batches.map((x) => x.length).join(', ')})`)
  assert.ok(errorCodes(b, 'inbound').includes('MSG_RETRY_LATER'), 'the failed batch was answered "retry"')
  for (const id of ids) assert.equal(statesOf(a, id).at(-1), 'delivered')
})

test('expiry: a message not acked before expiresAt fails (MSG_EXPIRED)', async (t) => {
  const world = newWorld()
  const a = await party(t, world, { limits: { ttlMs: 300 } })
  const b = await party(t, world, { reachable: false })
  const id = await a.service.send(b.did, bytes(40))
  await waitFor(() => isDone(a, id), 10_000, 'expiry')
  assert.deepEqual(statesOf(a, id), ['queued', 'failed'])
  assert.equal(a.events.at(-1)?.error?.code, 'MSG_EXPIRED')
  assert.equal((await a.outbox.get(id))?.state, 'failed')
})

/** A raw /parley/msg stream from `from` to `to`, read with a generous frame limit. */
async function rawStream(t: TestContext, from: Libp2p, to: Libp2p): Promise<FrameStream> {
  const stream = await from.dialProtocol(to.getMultiaddrs(), MSG_PROTOCOL_ID)
  t.after(() => stream.abort(new Error('test over')))
  return frameStream(stream, { maxBytes: 2 * MSG_MAX_FRAME_BYTES, timeoutMs: 5_000 })
}

async function readFrame(fs: FrameStream): Promise<MsgFrame | undefined> {
  const b = await fs.read()
  return b === undefined ? undefined : decodeMsgFrame(b)
}

const msgFrame = (n: number): Uint8Array => encodeMsgFrame({ type: 'msg', id: new Uint8Array(16).fill(n), envelope: bytes(n) })
const hexId = (n: number): string => Buffer.from(new Uint8Array(16).fill(n)).toString('hex')

test('bad streams are refused with typed errors, and what came before them is still delivered', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world)

  await t.test('oversized frame: FRAME_TOO_LARGE before a byte of the body is read', async () => {
    const fs = await rawStream(t, a.node, b.node)
    fs.stream.send(encodeFrameLength(MSG_MAX_FRAME_BYTES + 1))
    assert.deepEqual(await readFrame(fs), { type: 'err', code: 'FRAME_TOO_LARGE' })
    assert.equal(await readFrame(fs), undefined, 'then the receiver closed its side')
    await fs.stream.close()
  })

  await t.test('garbage after a good message: the message is acked, then DECODE_FAILED', async () => {
    const fs = await rawStream(t, a.node, b.node)
    await fs.writeMany([msgFrame(1), Uint8Array.of(0xff, 0x00, 0x13)])
    assert.deepEqual(await readFrame(fs), { type: 'ack', id: new Uint8Array(16).fill(1) })
    assert.deepEqual(await readFrame(fs), { type: 'err', code: 'DECODE_FAILED' })
    assert.deepEqual(b.delivered.map((d) => d.id), [hexId(1)])
    await fs.stream.close()
  })

  await t.test('a length prefix that is not minimal: FRAME_MALFORMED', async () => {
    const fs = await rawStream(t, a.node, b.node)
    fs.stream.send(Uint8Array.of(0x80, 0x00))
    assert.deepEqual(await readFrame(fs), { type: 'err', code: 'FRAME_MALFORMED' })
    await fs.stream.close()
  })

  await t.test('an ack from the sender: MSG_PROTOCOL_VIOLATION', async () => {
    const fs = await rawStream(t, a.node, b.node)
    await fs.write(encodeMsgFrame({ type: 'ack', id: new Uint8Array(16) }))
    assert.deepEqual(await readFrame(fs), { type: 'err', code: 'MSG_PROTOCOL_VIOLATION' })
    await fs.stream.close()
  })

  await t.test('a duplicate id is acked without a second deliver()', async () => {
    const fs = await rawStream(t, a.node, b.node)
    await fs.writeMany([msgFrame(1), msgFrame(2)])
    assert.deepEqual(await readFrame(fs), { type: 'ack', id: new Uint8Array(16).fill(1) })
    assert.deepEqual(await readFrame(fs), { type: 'ack', id: new Uint8Array(16).fill(2) })
    assert.deepEqual(b.delivered.map((d) => d.id), [hexId(1), hexId(2)])
    await fs.stream.close()
    assert.equal(await readFrame(fs), undefined, 'a sender that closes gets a clean close')
  })

  await t.test('streams per connection are bounded (MSG_MAX_STREAMS_PER_CONNECTION): one more is reset', async () => {
    const open = await Promise.all([1, 2, 3, 4].map(() => rawStream(t, a.node, b.node)))
    for (const [i, fs] of open.entries()) {
      await fs.write(msgFrame(100 + i))
      assert.equal((await readFrame(fs))?.type, 'ack')
    }
    await assert.rejects(async () => {
      const extra = await rawStream(t, a.node, b.node)
      await extra.write(msgFrame(110))
      await extra.read()
    }, (e: unknown) => isParleyError(e, 'NETWORK_CLOSED'))
    assert.equal(b.delivered.length, 6, 'the extra stream delivered nothing')
    for (const fs of open) await fs.stream.close()
    await waitFor(() => open.every((fs) => fs.stream.status === 'closed'), 5_000, 'the streams to close')
    const again = await rawStream(t, a.node, b.node)
    await again.write(msgFrame(111))
    assert.equal((await readFrame(again))?.type, 'ack', 'with the others closed, a new stream is served')
    await again.stream.close()
  })

  const inbound = errorCodes(b, 'inbound')
  assert.deepEqual(inbound, ['FRAME_TOO_LARGE', 'DECODE_FAILED', 'FRAME_MALFORMED', 'MSG_PROTOCOL_VIOLATION'])
  assert.ok(b.errors.every((e) => e.peer === a.did), 'each refusal names the authenticated peer')
})

test('more messages in flight than the receiver allows: LIMIT_EXCEEDED after the ones within the limit are answered', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const c = await party(t, world, { limits: { maxInFlight: 4 } })
  let release: () => void = () => undefined
  const gate = new Promise<void>((r) => {
    release = r
  })
  c.onDeliver = async (from, id, envelope) => {
    await gate
    c.delivered.push({ from: from.did, id, envelope })
  }
  const fs = await rawStream(t, a.node, c.node)
  await fs.writeMany([1, 2, 3, 4, 5].map(msgFrame))
  await waitFor(() => errorCodes(c, 'inbound').includes('LIMIT_EXCEEDED'), 5_000, 'the refusal')
  release()
  for (const n of [1, 2, 3, 4]) assert.deepEqual(await readFrame(fs), { type: 'ack', id: new Uint8Array(16).fill(n) })
  assert.deepEqual(await readFrame(fs), { type: 'err', code: 'LIMIT_EXCEEDED' })
  assert.deepEqual(c.delivered.map((d) => d.id), [1, 2, 3, 4].map(hexId), 'nothing within the limit was lost')
})

test('an unauthenticated peer is refused (PEER_NOT_AUTHENTICATED); deliver() never runs', async (t) => {
  const world = newWorld()
  const b = await party(t, world)
  const stranger = await createMsgNode()
  t.after(() => stranger.stop())
  const fs = await rawStream(t, stranger, b.node)
  await fs.write(msgFrame(9))
  assert.deepEqual(await readFrame(fs), { type: 'err', code: 'PEER_NOT_AUTHENTICATED' })
  assert.deepEqual(b.delivered, [])
  assert.deepEqual(errorCodes(b, 'inbound'), ['PEER_NOT_AUTHENTICATED'])
  assert.equal(b.errors[0]?.peer, undefined)

  // And a sender whose gate does not authenticate the peer never opens a stream to it.
  const a = await party(t, world)
  world.directory.delete(b.node.peerId.toString())
  const id = await a.service.send(b.did, bytes(1))
  await waitFor(() => errorCodes(a, 'outbound').includes('PEER_NOT_AUTHENTICATED'), 5_000, 'the refusal')
  assert.deepEqual(statesOf(a, id), ['queued'])
})

test('send() refuses a bad DID, an oversized envelope, a full per-peer queue, and a stopped service', async (t) => {
  const world = newWorld()
  const a = await party(t, world, { limits: { maxEnvelopeBytes: 1000, maxPendingPerPeer: 2 } })
  await rejectsCode(a.service.send('', bytes(1)), 'INVALID_ARGUMENT')
  await rejectsCode(a.service.send('did:parley:x', new Uint8Array(1001)), 'INVALID_ARGUMENT')
  await rejectsCode(a.service.send('did:parley:x', new Uint8Array(0)), 'INVALID_ARGUMENT')
  await a.service.send('did:parley:nowhere', new Uint8Array(1000))
  await a.service.send('did:parley:nowhere', bytes(2))
  await rejectsCode(a.service.send('did:parley:nowhere', bytes(3)), 'LIMIT_EXCEEDED')
  assert.equal((await a.outbox.pending('did:parley:nowhere')).length, 2)
  await a.service.stop()
  await rejectsCode(a.service.send('did:parley:x', bytes(4)), 'INVALID_ARGUMENT')
  assert.throws(() => createMessagingService({ limits: { retryBaseMs: 0 } } as never), (e: unknown) => e instanceof ParleyError && e.code === 'INVALID_ARGUMENT')
})

test('round trip send → ack on loopback (p50/p99 logged for the benchmark)', async (t) => {
  const world = newWorld()
  const a = await party(t, world)
  const b = await party(t, world)
  const roundTrip = async (n: number): Promise<number> => {
    const started = performance.now()
    const id = await a.service.send(b.did, bytes(n, 256))
    await new Promise<void>((resolve) => {
      const check = (e: DeliveryEvent): void => {
        if (e.id === id && e.state === 'delivered') {
          a.service.removeEventListener('delivery', check)
          resolve()
        }
      }
      a.service.addEventListener('delivery', check)
      if (isDone(a, id)) resolve()
    })
    return performance.now() - started
  }
  for (let i = 0; i < 20; i++) await roundTrip(i) // warm-up: connection, stream, JIT
  const samples: number[] = []
  for (let i = 0; i < 300; i++) samples.push(await roundTrip(i))
  samples.sort((x, y) => x - y)
  const p50 = samples[Math.floor(samples.length * 0.5)] as number
  const p99 = samples[Math.floor(samples.length * 0.99)] as number
  t.diagnostic(`msg round trip (send → delivered, 256-byte envelope, loopback, n=300): p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`)
  console.log(`[bench] msg round trip loopback: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (n=300)`)
  assert.ok(p50 < 250, `p50 ${p50} ms`)
  assert.equal(b.delivered.length, 320)
})
