/**
 * The gate around /parley/auth/1.0.0 on real libp2p nodes: a guarded
 * protocol handler refuses an unauthenticated connection; the connection
 * gater refuses a refused peer's redial (both directions) until the cool-down
 * ends; rate limits per peer and per IP trip and refill; garbage frames, an
 * oversized length prefix, a message out of order and another version are
 * refused with typed errors, and a responder that sends garbage or nothing
 * is refused by the dialer; a stalled handshake ends in AUTH_TIMEOUT on both
 * sides. No uncaught exception or unhandled rejection along the way.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Connection, Stream } from '@libp2p/interface'
import { AUTH_PROTOCOL_ID, AUTH_REFUSED_PEER_TTL_MS, PROTOCOL_VERSION, SUITE_ID } from '../../src/constants.js'
import { encode, encodeVersioned } from '../../src/codec/index.js'
import type { ErrorCode } from '../../src/errors.js'
import { AUTH_MESSAGE_KIND, decodeAuthMessage, encodeAuthMessage } from '../../src/network/auth-messages.js'
import { encodeFrame, frameStream } from '../../src/network/frames.js'
import { gated } from '../../src/network/gate.js'
import { createExpiringSet, createRateLimiter } from '../../src/network/rate-limit.js'
import { addressOf, connect, startNode, stopNodes, waitFor } from '../helpers/auth-nodes.js'
import { open, party, suite, testClock } from '../helpers/auth-fixtures.js'
import type { Party } from '../helpers/auth-fixtures.js'

const problems: unknown[] = []
const onProblem = (err: unknown): void => {
  problems.push(err)
}
process.on('uncaughtException', onProblem)
process.on('unhandledRejection', onProblem)
after(async () => {
  await stopNodes()
  process.off('uncaughtException', onProblem)
  process.off('unhandledRejection', onProblem)
})

const EXPECTED = { version: PROTOCOL_VERSION, suite: SUITE_ID }
const ECHO = '/parley/test-echo/1.0.0'

/** Opens a raw auth stream from `from` to `to` on a fresh connection. */
async function rawAuthStream(from: Party, to: Party): Promise<{ connection: Connection; stream: Stream }> {
  const connection = await connect(from.node, to.node)
  return { connection, stream: await connection.newStream(AUTH_PROTOCOL_ID) }
}

/** Sends `bytes` raw, then expects a refuse frame with `code`, and the responder to report it as its own. */
async function expectRawRefusal(from: Party, to: Party, bytes: Uint8Array, code: ErrorCode): Promise<void> {
  to.refused.length = 0
  const { stream } = await rawAuthStream(from, to)
  const frames = frameStream(stream, { timeoutMs: 5_000 })
  stream.send(bytes)
  const frame = await frames.read()
  assert.ok(frame !== undefined, 'a refuse frame arrives')
  const m = decodeAuthMessage(frame, ['ok'], EXPECTED)
  assert.equal(m.t, 'refuse')
  assert.equal(m.t === 'refuse' ? m.code : undefined, code)
  await waitFor(() => to.refused.length > 0, 5_000, 'responder refusal')
  assert.equal(to.refused[0]?.error.code, code)
  assert.equal(to.refused[0]?.by, 'local')
  to.gater.forgive(from.node.peerId)
}

test('a gated handler refuses a stream on an unauthenticated connection, serves it after authentication', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock, trust: open, credential: 'none' })
  const bob = await party('bob', { clock, trust: open, credential: 'none' })
  const refusals: string[] = []
  let served = 0
  await bob.node.handle(
    ECHO,
    gated(
      bob.service,
      async (stream, _connection, peer) => {
        served++
        const frames = frameStream(stream)
        const got = await frames.read()
        await frames.write(new TextEncoder().encode(`${peer.did === alice.identity.state.did ? 'alice' : '?'}:${got?.length}`))
        await stream.close()
      },
      (error) => refusals.push(error.code),
    ),
  )
  const connection = await connect(alice.node, bob.node)
  const early = frameStream(await connection.newStream(ECHO), { timeoutMs: 5_000 })
  const result = await early.write(Uint8Array.of(1, 2, 3)).then(() => early.read()).catch((e: unknown) => e)
  assert.ok(!(result instanceof Uint8Array), 'no answer on an unauthenticated connection')
  await waitFor(() => refusals.length === 1)
  assert.deepEqual(refusals, ['PEER_NOT_AUTHENTICATED'])
  assert.equal(served, 0)

  await alice.service.authenticate(connection)
  const later = frameStream(await connection.newStream(ECHO), { timeoutMs: 5_000 })
  await later.write(Uint8Array.of(1, 2, 3))
  assert.equal(new TextDecoder().decode(await later.read()), 'alice:3')
  assert.equal(served, 1)
})

test('the gater refuses a refused peer, both ways, until the cool-down ends', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock, credential: 'none' })
  const bob = await party('bob', { clock })
  const first = await connect(alice.node, bob.node)
  await assert.rejects(alice.service.authenticate(first), { code: 'AUTH_CREDENTIAL_REQUIRED' })
  await waitFor(() => bob.gater.isRefused(alice.node.peerId) && first.status !== 'open')
  await waitFor(() => bob.node.getConnections(alice.node.peerId).length === 0, 5_000, 'bob dropped the connection')

  // alice redials: bob drops the connection as soon as Noise names her
  const denied: string[] = []
  const gate = bob.gater.connectionGater
  const deny = gate.denyInboundEncryptedConnection?.bind(gate)
  assert.ok(deny !== undefined)
  gate.denyInboundEncryptedConnection = async (peer, maConn) => {
    const verdict = await deny(peer, maConn)
    if (verdict) denied.push(peer.toString())
    return verdict
  }
  const redial = await alice.node.dial(addressOf(bob.node)).then(
    async (c) => {
      await waitFor(() => c.status !== 'open', 5_000, 'gated connection closed')
      return 'closed'
    },
    () => 'refused',
  )
  assert.ok(redial === 'closed' || redial === 'refused')
  assert.deepEqual(denied, [alice.node.peerId.toString()], 'denied by the gater after Noise')
  assert.equal(bob.node.getConnections(alice.node.peerId).filter((c) => c.status === 'open').length, 0)
  // bob does not dial alice either
  await assert.rejects(bob.node.dial(addressOf(alice.node)))

  // after the cool-down the peer is heard again (and refused again on its merits)
  clock.advance(AUTH_REFUSED_PEER_TTL_MS + 1)
  assert.equal(bob.gater.isRefused(alice.node.peerId), false)
  const again = await connect(alice.node, bob.node)
  assert.equal(again.status, 'open')
  await assert.rejects(alice.service.authenticate(again), { code: 'AUTH_CREDENTIAL_REQUIRED' })
})

test('rate limits: attempts per peer and per IP trip with AUTH_RATE_LIMITED on both sides, then refill', async () => {
  const clock = testClock()
  const bob = await party('bob', { clock, trust: open, credential: 'none', service: { limits: { attemptsPerPeerPerMinute: 2, attemptsPerIpPerMinute: 4 } } })
  const alice = await party('alice', { clock, trust: open, credential: 'none' })
  for (let i = 0; i < 2; i++) {
    const c = await connect(alice.node, bob.node)
    await alice.service.authenticate(c)
    await c.close()
  }
  const third = await connect(alice.node, bob.node)
  await assert.rejects(alice.service.authenticate(third), { code: 'AUTH_RATE_LIMITED' })
  await waitFor(() => bob.refused.length === 1)
  assert.equal(bob.refused[0]?.error.code, 'AUTH_RATE_LIMITED')
  assert.equal(bob.refused[0]?.by, 'local')
  assert.equal(alice.refused.at(-1)?.by, 'peer')
  assert.equal(bob.gater.isRefused(alice.node.peerId), false, 'a rate limit is no authentication failure')

  // the same IP (127.0.0.1) from other peer ids: two more attempts, then the IP budget is spent
  const carol = await party('carol', { clock, trust: open, credential: 'none' })
  const dave = await party('dave', { clock, trust: open, credential: 'none' })
  await carol.service.authenticate(await connect(carol.node, bob.node))
  await dave.service.authenticate(await connect(dave.node, bob.node))
  const erin = await party('erin', { clock, trust: open, credential: 'none' })
  await assert.rejects(erin.service.authenticate(await connect(erin.node, bob.node)), { code: 'AUTH_RATE_LIMITED' })

  // a minute later both budgets have refilled
  clock.advance(60_000)
  await erin.service.authenticate(await connect(erin.node, bob.node))
  await alice.service.authenticate(await connect(alice.node, bob.node))
})

test('garbage, an oversized length prefix, a message out of order and another version are refused with typed errors', async () => {
  const clock = testClock()
  const bob = await party('bob', { clock, trust: open, credential: 'none' })
  const alice = await party('alice', { clock, trust: open, credential: 'none' })
  // a well-framed body that is not CBOR
  await expectRawRefusal(alice, bob, encodeFrame(Uint8Array.of(0xff, 0x00, 0x13, 0x37)), 'AUTH_PROTOCOL')
  // valid CBOR, wrong structure
  await expectRawRefusal(alice, bob, encodeFrame(encode({ hello: 'there' })), 'AUTH_PROTOCOL')
  // an unknown field in an otherwise valid hello
  const hello = { t: 'hello', v: PROTOCOL_VERSION, s: SUITE_ID, c: suite.randomBytes(32), d: alice.identity.state.did, q: false }
  await expectRawRefusal(alice, bob, encodeFrame(encodeVersioned(AUTH_MESSAGE_KIND, 1, { ...hello, x: 1 })), 'AUTH_PROTOCOL')
  // a length prefix of 2^32: refused before a byte of the body is buffered
  await expectRawRefusal(alice, bob, Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10), 'FRAME_TOO_LARGE')
  // a non-minimal length prefix
  await expectRawRefusal(alice, bob, Uint8Array.of(0x85, 0x00), 'FRAME_MALFORMED')
  // the last message first
  await expectRawRefusal(alice, bob, encodeFrame(encodeAuthMessage({ t: 'ok' })), 'AUTH_PROTOCOL')
  // another protocol version
  await expectRawRefusal(alice, bob, encodeFrame(encodeVersioned(AUTH_MESSAGE_KIND, 1, { ...hello, v: 2 })), 'AUTH_VERSION_UNSUPPORTED')
  // a proper hello still works afterwards
  await alice.service.authenticate(await connect(alice.node, bob.node))
})

test('a responder that answers garbage, or nothing, is refused by the dialer', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock, trust: open, credential: 'none', service: { handshakeTimeoutMs: 400 } })
  const garbage = await startNode()
  await garbage.handle(AUTH_PROTOCOL_ID, async (stream) => {
    for await (const _ of stream) {
      stream.send(encodeFrame(Uint8Array.of(0xa1, 0x61)))
      break
    }
  })
  const silent = await startNode()
  const held: Stream[] = []
  await silent.handle(AUTH_PROTOCOL_ID, (stream) => {
    held.push(stream) // reads nothing, answers nothing
  })

  await assert.rejects(alice.service.authenticate(await alice.node.dial(addressOf(garbage))), { code: 'AUTH_PROTOCOL' })
  assert.equal(alice.refused.at(-1)?.by, 'local')
  assert.equal(alice.gater.isRefused(garbage.peerId), true)

  const started = Date.now()
  await assert.rejects(alice.service.authenticate(await alice.node.dial(addressOf(silent))), { code: 'AUTH_TIMEOUT' })
  assert.ok(Date.now() - started < 3_000)
  assert.equal(alice.refused.at(-1)?.error.code, 'AUTH_TIMEOUT')
  assert.equal(alice.gater.isRefused(silent.peerId), false, 'a timeout is no authentication failure')
})

test('a dialer that stalls after hello -> AUTH_TIMEOUT on both sides', async () => {
  const clock = testClock()
  const bob = await party('bob', { clock, trust: open, credential: 'none', service: { handshakeTimeoutMs: 400 } })
  const alice = await party('alice', { clock, trust: open, credential: 'none' })
  const { stream } = await rawAuthStream(alice, bob)
  const frames = frameStream(stream, { timeoutMs: 5_000 })
  await frames.write(encodeAuthMessage({ t: 'hello', ...EXPECTED, challenge: suite.randomBytes(32), did: alice.identity.state.did, wantsCredential: false }))
  const reply = await frames.read()
  assert.ok(reply !== undefined)
  assert.equal(decodeAuthMessage(reply, ['reply'], EXPECTED).t, 'reply')
  // …and never answers
  const verdict = await frames.read()
  assert.ok(verdict !== undefined)
  const m = decodeAuthMessage(verdict, ['ok'], EXPECTED)
  assert.equal(m.t === 'refuse' ? m.code : m.t, 'AUTH_TIMEOUT')
  await waitFor(() => bob.refused.length === 1)
  assert.equal(bob.refused[0]?.error.code, 'AUTH_TIMEOUT')
})

test('rate limiter and expiring set: bounded, refilling, expiring', () => {
  const limiter = createRateLimiter({ limit: 2, windowMs: 1_000, maxKeys: 2 })
  assert.equal(limiter.take('a', 0), true)
  assert.equal(limiter.take('a', 0), true)
  assert.equal(limiter.take('a', 0), false)
  assert.equal(limiter.take('a', 499), false)
  assert.equal(limiter.take('a', 500), true, 'one token back after half a window')
  limiter.take('b', 500)
  limiter.take('c', 500)
  assert.equal(limiter.size, 2, 'least recently used forgotten')
  assert.throws(() => createRateLimiter({ limit: 0, windowMs: 1, maxKeys: 1 }), { code: 'INVALID_ARGUMENT' })

  const set = createExpiringSet(2)
  assert.equal(set.add('x', 10, 0, false), true)
  assert.equal(set.add('y', 10, 0, false), true)
  assert.equal(set.add('z', 10, 0, false), false, 'full of live entries')
  assert.equal(set.add('z', 10, 10, false), true, 'expired entries make room')
  assert.equal(set.check('z', 9), 'live')
  assert.equal(set.check('z', 10), 'expired')
  assert.equal(set.check('z', 10), 'absent')
  assert.equal(set.add('a', 100, 20, false), true)
  assert.equal(set.add('b', 100, 20, false), true)
  assert.equal(set.add('c', 100, 20, true), true, 'evicting')
  assert.equal(set.check('a', 20), 'absent')
})

test('no uncaught exception or unhandled rejection', async () => {
  await new Promise((r) => setTimeout(r, 50))
  assert.deepEqual(problems, [])
})
