/**
 * The node factory on real libp2p nodes over 127.0.0.1: direct connection
 * and ping, a stream both ways, a gater added after start refusing a peer,
 * option validation as typed errors, and an infrastructure node serving the
 * DHT (server mode) to client nodes.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { ConnectionGater } from '@libp2p/interface'
import { createParleyNode, mergedGater } from '../../src/network/node.js'
import type { ParleyNode } from '../../src/network/node.js'
import { isParleyError } from '../../src/errors.js'
import { NODE_DHT_PROTOCOL } from '../../src/constants.js'
import { TestNodes, directAddress, waitFor } from '../helpers/nodes.js'

const nodes = new TestNodes()
after(() => nodes.stopAll())

const ECHO = '/parley-test/echo/1.0.0'

/** Peers in a node's DHT routing table (a member of the implementation, not of the KadDHT interface). */
function routingTableSize(node: ParleyNode): number {
  return (node.libp2p.services.dht as unknown as { routingTable: { size: number } }).routingTable.size
}

test('two nodes connect directly on 127.0.0.1 and ping', async () => {
  const a = await nodes.start()
  const b = await nodes.start()
  const target = directAddress(b)
  assert.match(target.toString(), /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
  const rtt = await a.libp2p.services.ping.ping(target)
  assert.equal(typeof rtt, 'number')
  assert.ok(rtt >= 0)
  const conns = a.libp2p.getConnections(b.peerId)
  assert.ok(conns.length >= 1)
  assert.equal(conns[0]?.limits, undefined, 'a direct connection carries no relay limits')
  assert.ok(b.libp2p.getConnections(a.peerId).length >= 1, 'both sides see the connection')
})

test('a stream carries bytes both ways (Noise + Yamux upgrade)', async () => {
  const a = await nodes.start()
  const b = await nodes.start()
  await b.libp2p.handle(ECHO, async (stream) => {
    for await (const chunk of stream) stream.send(chunk.subarray())
    await stream.close()
  })
  const stream = await a.libp2p.dialProtocol(directAddress(b), ECHO)
  const sent = new Uint8Array(4096).map((_, i) => i % 251)
  stream.send(sent)
  await stream.close()
  const parts: Uint8Array[] = []
  for await (const chunk of stream) parts.push(chunk.subarray())
  assert.deepEqual(Buffer.concat(parts), Buffer.from(sent))
})

test('the given private key fixes the peer id', async () => {
  const key = await generateKeyPair('Ed25519')
  const n = await nodes.start({ privateKey: key })
  assert.equal(n.peerId.toString(), peerIdFromPrivateKey(key).toString())
  assert.ok(n.addresses().every((ma) => ma.toString().endsWith(`/p2p/${n.peerId.toString()}`)))
})

test('a gater added after start refuses a peer; the initial gater is merged', async () => {
  const refused = await nodes.start()
  const other = await nodes.start()
  let initialAsked = 0
  const guard = await nodes.start({
    gater: {
      denyInboundEncryptedConnection: () => {
        initialAsked++
        return false
      },
    },
  })
  await guard.libp2p.handle(ECHO, async (stream) => {
    await stream.close()
  })
  guard.addGater({
    denyInboundEncryptedConnection: (peer) => peer.equals(refused.peerId),
    denyDialPeer: (peer) => peer.equals(refused.peerId),
  })
  // Inbound: the guard drops the connection right after the Noise handshake, so no protocol runs.
  await assert.rejects(refused.libp2p.dialProtocol(directAddress(guard), ECHO))
  await waitFor(() => refused.libp2p.getConnections(guard.peerId).length === 0, 'the refused peer’s connection closed')
  assert.equal(guard.libp2p.getConnections(refused.peerId).length, 0)
  // Outbound: the guard does not dial the refused peer either.
  await assert.rejects(guard.libp2p.dial(directAddress(refused)))
  // Everyone else is served, and the gater given at creation was asked too.
  const stream = await other.libp2p.dialProtocol(directAddress(guard), ECHO)
  await stream.close()
  assert.ok(guard.libp2p.getConnections(other.peerId).length >= 1)
  assert.ok(initialAsked >= 1, 'the gater given at creation was asked too')
})

test('a gater that throws refuses (fail closed)', async () => {
  const a = await nodes.start()
  const b = await nodes.start({
    gater: {
      denyInboundEncryptedConnection: () => {
        throw new Error('broken gater')
      },
    },
  })
  await b.libp2p.handle(ECHO, async (stream) => {
    await stream.close()
  })
  await assert.rejects(a.libp2p.dialProtocol(directAddress(b), ECHO))
  await waitFor(() => b.libp2p.getConnections().length === 0, 'no connection kept by the broken gater’s node')
})

test('mergedGater: any refusal or throw refuses; an address is stored only if every gater keeps it', async () => {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const ma = multiaddr('/ip4/127.0.0.1/tcp/1')
  const gaters: ConnectionGater[] = []
  const merged = mergedGater(gaters)
  assert.equal(await merged.denyDialPeer?.(peer), false, 'no gater: allowed')
  assert.equal(await merged.filterMultiaddrForPeer?.(peer, ma), true)
  gaters.push({ denyDialPeer: () => false, filterMultiaddrForPeer: () => true })
  assert.equal(await merged.denyDialPeer?.(peer), false)
  gaters.push({ denyDialPeer: async () => true, filterMultiaddrForPeer: async () => false })
  assert.equal(await merged.denyDialPeer?.(peer), true, 'a gater added later is consulted')
  assert.equal(await merged.filterMultiaddrForPeer?.(peer, ma), false)
  gaters.splice(1, 1, {
    denyDialMultiaddr: () => {
      throw new Error('boom')
    },
  })
  assert.equal(await merged.denyDialMultiaddr?.(ma), true, 'a throwing gater refuses')
  assert.equal(await merged.denyDialPeer?.(peer), false)
})

test('bad options are typed errors, not crashes', async () => {
  await assert.rejects(createParleyNode({ listen: ['not a multiaddr'], mdns: false }), (err) => isParleyError(err, 'INVALID_ARGUMENT'))
  await assert.rejects(createParleyNode({ listen: [], relays: ['/ip4/127.0.0.1/tcp/1'], mdns: false }), (err) => isParleyError(err, 'INVALID_ARGUMENT'))
  await assert.rejects(createParleyNode({ listen: [], bootstrap: ['/ip4/127.0.0.1/tcp/1/p2p/not-a-peer-id'], mdns: false }), (err) => isParleyError(err, 'INVALID_ARGUMENT'))
  await assert.rejects(createParleyNode({ listen: [], relayLimits: { maxReservations: 1 }, mdns: false }), (err) => isParleyError(err, 'INVALID_ARGUMENT'))
  await assert.rejects(createParleyNode({ listen: [], connectionLimits: { maxConnections: 0 }, mdns: false }), (err) => isParleyError(err, 'INVALID_ARGUMENT'))
})

test('a listen address that cannot be bound is NODE_START_FAILED', async () => {
  const a = await nodes.start()
  const taken = multiaddr(directAddress(a).toString().replace(/\/p2p\/.*$/, ''))
  await assert.rejects(createParleyNode({ listen: [taken], mdns: false }), (err) => isParleyError(err, 'NODE_START_FAILED'))
})

test('connection limits reach the connection manager', async () => {
  const n = await nodes.start({ connectionLimits: { maxConnections: 2 } })
  const peers = [await nodes.start(), await nodes.start(), await nodes.start(), await nodes.start()]
  for (const p of peers) await p.libp2p.dial(directAddress(n)).catch(() => undefined)
  await waitFor(() => n.libp2p.getConnections().length <= 2, 'pruning down to maxConnections')
})

test('inbound connections per second from one host are capped', async () => {
  const n = await nodes.start({ connectionLimits: { inboundConnectionThreshold: 2 } })
  const peers = await Promise.all(Array.from({ length: 6 }, () => nodes.start({ listen: [] })))
  const results = await Promise.allSettled(peers.map((p) => p.libp2p.services.ping.ping(directAddress(n), { signal: AbortSignal.timeout(5_000) })))
  const refused = results.filter((r) => r.status === 'rejected').length
  assert.ok(refused >= 1, `some of 6 connections within a second are refused (refused ${refused})`)
  assert.ok(refused < 6, 'the first ones are served')
})

test('an infrastructure node serves the DHT (server mode); personal nodes are clients', async () => {
  const server = await nodes.startRelay()
  const alice = await nodes.start()
  const bob = await nodes.start()
  assert.equal(server.libp2p.services.dht.getMode(), 'server')
  assert.equal(alice.libp2p.services.dht.getMode(), 'client')
  assert.ok(server.libp2p.getProtocols().includes(NODE_DHT_PROTOCOL), 'the server answers the Parley DHT protocol')
  assert.ok(!alice.libp2p.getProtocols().includes(NODE_DHT_PROTOCOL), 'a client does not')

  await alice.libp2p.dial(directAddress(server))
  await bob.libp2p.dial(directAddress(server))
  // The server enters both clients' routing tables once identify reports its DHT protocol.
  await waitFor(() => routingTableSize(alice) > 0 && routingTableSize(bob) > 0, 'the server in the clients’ routing tables')

  // A FIND_NODE query from Alice is answered by the server: it is among the closest peers found.
  const closest: string[] = []
  for await (const p of alice.libp2p.peerRouting.getClosestPeers(bob.peerId.toMultihash().bytes, { signal: AbortSignal.timeout(10_000) })) closest.push(p.id.toString())
  assert.ok(closest.includes(server.peerId.toString()), 'the server answered the DHT query')

  // Two personal nodes alone do not make a DHT: neither enters the other's routing table.
  const carol = await nodes.start()
  await carol.libp2p.dial(directAddress(alice))
  await waitFor(async () => (await carol.libp2p.peerStore.get(alice.peerId)).protocols.length > 0, 'identify with Alice')
  assert.equal(routingTableSize(carol), 0)
})
