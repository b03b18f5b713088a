/**
 * Circuit relay v2 on real nodes over 127.0.0.1: Bob has no listen address
 * of his own and is reachable only through an infrastructure relay; Alice
 * dials his circuit address and opens a stream. Alice is dial-only too, so
 * DCUtR cannot swap the circuit for a direct connection under the test.
 *
 * Relay limits: a relayed connection between peers the relay has not
 * authenticated carries the default limits (and is cut past the data
 * limit); once the relay's hook says both ends are authenticated, a new
 * relayed connection is unlimited and carries more than the limit. One end
 * authenticated, or a throwing hook, keeps the limits.
 */
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { RELAY_DEFAULT_DATA_LIMIT_BYTES, RELAY_DEFAULT_DURATION_LIMIT_MS } from '../../src/constants.js'
import { isCircuitAddress } from '../../src/network/addresses.js'
import type { ParleyNode } from '../../src/network/node.js'
import { TestNodes, circuitAddress, directAddress, waitFor } from '../helpers/nodes.js'

const nodes = new TestNodes()
after(() => nodes.stopAll())

const SINK = '/parley-test/sink/1.0.0'
/** Four times the default data limit: more than a limited circuit may carry. */
const BIG = 4 * RELAY_DEFAULT_DATA_LIMIT_BYTES
const CHUNK = 16 * 1024

let relay: ParleyNode
let bob: ParleyNode
let bobCircuit: Multiaddr

/** Bob's sink: counts what arrives until the writer closes, then answers with the count (8 bytes). */
async function sink(stream: Stream): Promise<void> {
  let total = 0
  for await (const chunk of stream) total += chunk.byteLength
  const reply = new Uint8Array(8)
  new DataView(reply.buffer).setBigUint64(0, BigInt(total))
  stream.send(reply)
  await stream.close()
}

/** Sends `bytes` zero bytes on a new SINK stream over `connection` and returns Bob's count. */
async function push(connection: Connection, bytes: number, limited: boolean): Promise<number> {
  const stream = await connection.newStream(SINK, { runOnLimitedConnection: limited, signal: AbortSignal.timeout(10_000) })
  const chunk = new Uint8Array(CHUNK)
  for (let sent = 0; sent < bytes; sent += CHUNK) {
    if (!stream.send(chunk.subarray(0, Math.min(CHUNK, bytes - sent)))) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
  }
  await stream.close({ signal: AbortSignal.timeout(10_000) })
  const parts: Uint8Array[] = []
  for await (const c of stream) parts.push(c.subarray())
  const reply = Buffer.concat(parts)
  if (reply.byteLength !== 8) throw new Error(`no count from Bob (${reply.byteLength} bytes)`)
  return Number(reply.readBigUint64BE(0))
}

/** A fresh dial-only Alice with a new relayed connection to Bob. */
async function aliceViaRelay(): Promise<{ alice: ParleyNode; connection: Connection }> {
  const alice = await nodes.start({ listen: [] })
  const connection = await alice.libp2p.dial(bobCircuit, { signal: AbortSignal.timeout(10_000) })
  return { alice, connection }
}

/** Bob's end of his relayed connection from `alice` (its inbound upgrade may finish after Alice's dial). */
async function bobSide(alice: PeerId): Promise<Connection> {
  return waitFor(() => bob.libp2p.getConnections(alice).find((conn) => isCircuitAddress(conn.remoteAddr)), 'Bob’s end of the relayed connection')
}

before(async () => {
  relay = await nodes.startRelay()
  bob = await nodes.start({ listen: [], relays: [directAddress(relay)] })
  await bob.libp2p.handle(SINK, sink, { runOnLimitedConnection: true })
  bobCircuit = await circuitAddress(bob)
})

test('Bob is reachable only through the relay; Alice dials his circuit address and opens a stream', async () => {
  assert.ok(bob.addresses().length > 0)
  assert.ok(bob.addresses().every(isCircuitAddress), 'Bob announces circuit addresses only')
  assert.ok(bobCircuit.toString().includes(`/p2p/${relay.peerId.toString()}/p2p-circuit/p2p/${bob.peerId.toString()}`))

  const { alice, connection } = await aliceViaRelay()
  assert.ok(isCircuitAddress(connection.remoteAddr))
  assert.ok(connection.remotePeer.equals(bob.peerId))
  assert.equal(await push(connection, 1000, true), 1000)
  assert.ok(alice.libp2p.getConnections(bob.peerId).every((c) => isCircuitAddress(c.remoteAddr)), 'no direct connection exists')
})

test('the relay holds a reservation for Bob, carrying the default limits', async () => {
  const reservation = relay.libp2p.services.relay?.reservations.get(bob.peerId)
  assert.ok(reservation !== undefined)
  assert.equal(reservation.limit?.data, BigInt(RELAY_DEFAULT_DATA_LIMIT_BYTES))
  assert.equal(reservation.limit?.duration, RELAY_DEFAULT_DURATION_LIMIT_MS)
})

test('an unauthenticated relayed connection carries the default limits and is cut past the data limit', async () => {
  const { alice, connection } = await aliceViaRelay()
  assert.notEqual(connection.limits, undefined, 'Alice sees a limited connection')
  assert.equal(connection.limits?.bytes !== undefined && connection.limits.bytes <= BigInt(RELAY_DEFAULT_DATA_LIMIT_BYTES), true)
  assert.notEqual((await bobSide(alice.peerId)).limits, undefined, 'Bob sees a limited connection')
  // A protocol not marked for limited connections does not run at all.
  await assert.rejects(connection.newStream(SINK, { signal: AbortSignal.timeout(5_000) }))
  // Past the data limit the relay resets the circuit.
  await assert.rejects(push(connection, BIG, true))
})

test('once the relay has authenticated both ends, a relayed connection is unlimited', async (t) => {
  const authenticated = new Set<string>()
  relay.setRelayAuthenticated((peer) => authenticated.has(peer.toString()))
  t.after(() => relay.setRelayAuthenticated(undefined))
  const { alice, connection } = await aliceViaRelay().then(async (first) => {
    // Authenticated after the connection and the reservation exist: the policy applies to the next circuit.
    authenticated.add(first.alice.peerId.toString())
    authenticated.add(bob.peerId.toString())
    await first.connection.close()
    await waitFor(() => bob.libp2p.getConnections(first.alice.peerId).length === 0, 'the first circuit closed')
    return { alice: first.alice, connection: await first.alice.libp2p.dial(bobCircuit, { signal: AbortSignal.timeout(10_000) }) }
  })
  assert.ok(isCircuitAddress(connection.remoteAddr))
  assert.equal(connection.limits, undefined, 'Alice sees an unlimited connection')
  assert.equal((await bobSide(alice.peerId)).limits, undefined, 'Bob sees an unlimited connection')
  assert.equal(await push(connection, BIG, false), BIG, 'more than the default limit goes through')
})

test('one authenticated end, or a throwing hook, keeps the limits', async (t) => {
  t.after(() => relay.setRelayAuthenticated(undefined))
  relay.setRelayAuthenticated((peer) => peer.equals(bob.peerId))
  const onlyBob = await aliceViaRelay()
  assert.notEqual(onlyBob.connection.limits, undefined, 'the dialer is not authenticated: limited')

  relay.setRelayAuthenticated(() => {
    throw new Error('auth layer failure')
  })
  const broken = await aliceViaRelay()
  assert.notEqual(broken.connection.limits, undefined, 'a throwing hook keeps the limits')
  await assert.rejects(push(broken.connection, BIG, true))
})
