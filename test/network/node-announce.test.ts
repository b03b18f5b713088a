/**
 * Announcing a node in its identity's KEL: the first announcement appends
 * a signed update with the peer id and addresses; the same addresses again
 * (in another order, with duplicates, with the /p2p suffix) append nothing;
 * a new address or a new peer id appends one more event; other services are
 * kept. Over the cap, relay and public addresses win over loopback. A
 * contact's KEL reads back into a dialable peer id and addresses, and a
 * node is reached with exactly that.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { defaultSuite } from '../../src/crypto/index.js'
import { Home } from '../../src/storage/home.js'
import { IdentityStore } from '../../src/storage/identity-store.js'
import { verifyKel } from '../../src/identity/index.js'
import type { KeyState, Service } from '../../src/identity/index.js'
import { KEL_MAX_SERVICE_FIELD_LENGTH, KEL_MAX_SERVICES, NETWORK_ANNOUNCE_MAX_ADDRESSES } from '../../src/constants.js'
import { isParleyError } from '../../src/errors.js'
import {
  ADDRESS_SERVICE_TYPE,
  PEER_SERVICE_TYPE,
  announceNetwork,
  listedPeerIds,
  networkServices,
  peerInfoFromKeyState,
  withNetworkServices,
} from '../../src/network/announce.js'
import { TestNodes } from '../helpers/nodes.js'
import { removeDir, tempDir } from '../helpers/tmp.js'

const nodes = new TestNodes()
const dirs: string[] = []
after(async () => {
  await nodes.stopAll()
  await Promise.all(dirs.map(removeDir))
})

const PASS = 'announce test passphrase'
const at = (s: number): Date => new Date(Date.UTC(2026, 0, 1) + s * 1000)

async function newPeer(): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

const RELAY = '12D3KooWLwNRXBJRCyMRuD3DkbzWyNWBDBxoF1bM2bXM3Cw2d5hw'

function source(peerId: PeerId, addrs: string[]): { peerId: PeerId; addresses: () => Multiaddr[] } {
  return { peerId, addresses: () => addrs.map((a) => multiaddr(a)) }
}

function endpoints(services: readonly Service[], type: string): string[] {
  return services.filter((s) => s.type === type).map((s) => s.endpoint)
}

test('announceNetwork appends an update only when the peer id or the address set changed', async () => {
  const dir = await tempDir('parley-announce-')
  dirs.push(dir)
  const home = new Home(dir, defaultSuite)
  const store = new IdentityStore(home)
  await store.createIdentity(PASS, { name: 'alice', services: [{ id: 'mailbox', type: 'mailbox', endpoint: '/dns4/m.example/tcp/443/wss' }], now: at(0) })
  const keystore = await home.openKeystore(PASS)
  try {
    const peer = await newPeer()
    const loopback = '/ip4/127.0.0.1/tcp/4001'
    const circuit = `/ip4/94.130.10.10/tcp/4001/p2p/${RELAY}/p2p-circuit`
    const addrs = [loopback, circuit]

    const first = await announceNetwork(store, keystore, source(peer, addrs), at(1))
    assert.equal(first.changed, true)
    assert.equal(first.state.sequence, 1)
    assert.deepEqual(endpoints(first.state.services, PEER_SERVICE_TYPE), [peer.toString()])
    assert.deepEqual(endpoints(first.state.services, ADDRESS_SERVICE_TYPE), [circuit, loopback], 'the relay circuit ranks before loopback')
    assert.deepEqual(endpoints(first.state.services, 'mailbox'), ['/dns4/m.example/tcp/443/wss'], 'other services are kept')

    // The same set: reordered, duplicated, with the own /p2p suffix: no event.
    const same = await announceNetwork(store, keystore, source(peer, [`${circuit}/p2p/${peer.toString()}`, loopback, loopback]), at(2))
    assert.equal(same.changed, false)
    assert.equal(same.state.sequence, 1)

    // A new address: one more event.
    const moved = await announceNetwork(store, keystore, source(peer, [...addrs, '/ip4/93.184.216.34/tcp/4001']), at(3))
    assert.equal(moved.changed, true)
    assert.equal(moved.state.sequence, 2)
    assert.equal(endpoints(moved.state.services, ADDRESS_SERVICE_TYPE)[0], '/ip4/93.184.216.34/tcp/4001', 'a public direct address ranks first')

    // A new peer id (same addresses): one more event.
    const other = await newPeer()
    const rekeyed = await announceNetwork(store, keystore, source(other, [...addrs, '/ip4/93.184.216.34/tcp/4001']), at(4))
    assert.equal(rekeyed.changed, true)
    assert.equal(rekeyed.state.sequence, 3)
    assert.deepEqual(listedPeerIds(rekeyed.state), [other.toString()])

    // What a contact verifies is what was announced.
    const { kel, state } = await store.identityState()
    const verified = verifyKel(defaultSuite, kel)
    assert.equal(verified.sequence, 3)
    assert.deepEqual(verified.services, state.services)
  } finally {
    keystore.close()
  }
})

test('over the cap, relay and public addresses win over LAN and loopback; bad ones are dropped', async () => {
  const peer = await newPeer()
  const loopbacks = Array.from({ length: 20 }, (_, i) => `/ip4/127.0.0.1/tcp/${5000 + i}`)
  const lan = ['/ip4/192.168.1.20/tcp/4001']
  const circuits = [`/ip4/94.130.10.10/tcp/4001/p2p/${RELAY}/p2p-circuit`, `/dns4/relay.example/tcp/443/wss/p2p/${RELAY}/p2p-circuit`]
  const pub = ['/ip4/93.184.216.34/tcp/4001']
  const junk = ['/ip4/0.0.0.0/tcp/4001', `/ip4/93.184.216.35/tcp/1/p2p/${RELAY}`, `/dns4/${'a'.repeat(600)}.example/tcp/1`]
  const services = networkServices(peer, [...loopbacks, ...lan, ...junk, ...circuits, ...pub].map((a) => multiaddr(a)))
  const announced = endpoints(services, ADDRESS_SERVICE_TYPE)
  assert.equal(announced.length, NETWORK_ANNOUNCE_MAX_ADDRESSES)
  assert.deepEqual(announced.slice(0, 4), [...pub, ...[...circuits].sort(), ...lan])
  assert.ok(announced.slice(4).every((a) => a.startsWith('/ip4/127.0.0.1/')))
  assert.ok(!announced.includes(junk[0] as string), 'a wildcard is not dialable')
  assert.ok(!announced.some((a) => a.startsWith('/ip4/93.184.216.35/')), 'another peer’s address is not ours')
  assert.ok(announced.every((a) => a.length <= KEL_MAX_SERVICE_FIELD_LENGTH), 'an over-long address is dropped')
  // The same set in another order gives the same list.
  const again = networkServices(peer, [...pub, ...circuits, ...lan, ...[...loopbacks].reverse()].map((a) => multiaddr(a)))
  assert.deepEqual(again, services)
  // Ids follow the CLI's numbering and are unique.
  assert.deepEqual(services.slice(0, 3).map((s) => s.id), ['libp2p-peer', 'libp2p-addr', 'libp2p-addr-2'])
  assert.equal(new Set(services.map((s) => s.id)).size, services.length)
})

test('withNetworkServices keeps other services and stays within KEL_MAX_SERVICES', async () => {
  const peer = await newPeer()
  const others: Service[] = Array.from({ length: KEL_MAX_SERVICES - 3 }, (_, i) => ({ id: `mailbox-${i + 1}`, type: 'mailbox', endpoint: `/dns4/m${i}.example/tcp/443/wss` }))
  others.push({ id: 'libp2p-addr', type: 'note', endpoint: 'an unrelated service holding a network-looking id' })
  const addrs = Array.from({ length: 6 }, (_, i) => multiaddr(`/ip4/198.51.100.${i + 1}/tcp/4001`))
  const merged = withNetworkServices(others, peer, addrs)
  assert.equal(merged.length, KEL_MAX_SERVICES)
  assert.deepEqual(merged.slice(0, others.length), others)
  assert.equal(endpoints(merged, ADDRESS_SERVICE_TYPE).length, 1, 'room for one address only')
  assert.equal(new Set(merged.map((s) => s.id)).size, merged.length, 'ids stay unique')

  const full: Service[] = Array.from({ length: KEL_MAX_SERVICES }, (_, i) => ({ id: `m${i}`, type: 'mailbox', endpoint: `m${i}` }))
  assert.throws(() => withNetworkServices(full, peer, addrs), (err) => isParleyError(err, 'LIMIT_EXCEEDED'))
})

function stateWith(services: Service[]): KeyState {
  return { did: 'did:parley:test', services } as unknown as KeyState
}

test('peerInfoFromKeyState reads a contact’s KEL; missing or invalid peer ids are typed errors', async () => {
  const peer = await newPeer()
  const info = peerInfoFromKeyState(
    stateWith([
      { id: 'libp2p-peer', type: PEER_SERVICE_TYPE, endpoint: peer.toString() },
      { id: 'libp2p-addr', type: ADDRESS_SERVICE_TYPE, endpoint: `/ip4/198.51.100.1/tcp/4001/p2p/${peer.toString()}` },
      { id: 'libp2p-addr-2', type: ADDRESS_SERVICE_TYPE, endpoint: 'not a multiaddr' },
      { id: 'libp2p-addr-3', type: ADDRESS_SERVICE_TYPE, endpoint: `/ip4/198.51.100.2/tcp/4001/p2p/${RELAY}` },
      { id: 'libp2p-addr-4', type: ADDRESS_SERVICE_TYPE, endpoint: '/ip4/198.51.100.1/tcp/4001' },
      { id: 'libp2p-addr-5', type: ADDRESS_SERVICE_TYPE, endpoint: `/ip4/94.130.10.10/tcp/4001/p2p/${RELAY}/p2p-circuit` },
    ]),
  )
  assert.ok(info.peerId.equals(peer))
  assert.deepEqual(info.multiaddrs.map(String), ['/ip4/198.51.100.1/tcp/4001', `/ip4/94.130.10.10/tcp/4001/p2p/${RELAY}/p2p-circuit`])

  assert.throws(() => peerInfoFromKeyState(stateWith([{ id: 'mailbox', type: 'mailbox', endpoint: 'x' }])), (err) => isParleyError(err, 'PEER_INFO_MISSING'))
  assert.throws(() => peerInfoFromKeyState(stateWith([{ id: 'p', type: PEER_SERVICE_TYPE, endpoint: 'not-a-peer-id' }])), (err) => isParleyError(err, 'PEER_INFO_INVALID'))
})

test('a node is dialed from the services it announced', async () => {
  const bob = await nodes.start()
  const services = withNetworkServices([], bob.peerId, bob.addresses())
  const { peerId, multiaddrs } = peerInfoFromKeyState(stateWith(services))
  assert.ok(peerId.equals(bob.peerId))
  const alice = await nodes.start()
  await alice.libp2p.peerStore.merge(peerId, { multiaddrs })
  const rtt = await alice.libp2p.services.ping.ping(peerId)
  assert.ok(rtt >= 0)
})
