/**
 * mDNS discovery on this machine: two nodes with mDNS on, listening on
 * 127.0.0.1, find each other (a 'peer:discovery' event naming the other
 * peer with a dialable address) and can then connect. A unique service tag
 * keeps this run apart from any other mDNS traffic on the host, and a node
 * with mDNS off is not found. A node given no mDNS option runs it, on the
 * Parley service tag.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { PeerInfo } from '@libp2p/interface'
import type { ParleyNode } from '../../src/network/node.js'
import { createParleyNode } from '../../src/network/node.js'
import { LOOPBACK_TCP, TestNodes, waitFor } from '../helpers/nodes.js'

const nodes = new TestNodes()
after(() => nodes.stopAll())

/** Every peer `node` discovers, as it happens. */
function discoveries(node: ParleyNode): PeerInfo[] {
  const found: PeerInfo[] = []
  node.libp2p.addEventListener('peer:discovery', (evt) => found.push(evt.detail))
  return found
}

test('two nodes with mDNS on discover each other on this host; a node with mDNS off stays unseen', async () => {
  const serviceTag = `_parley-test-${randomBytes(4).toString('hex')}._udp.local`
  const mdns = { serviceTag, intervalMs: 500 }
  const hidden = await nodes.start({ mdns: false })
  const a = await nodes.start({ mdns })
  const seenByA = discoveries(a)
  const b = await nodes.start({ mdns })
  const seenByB = discoveries(b)

  const bInfo = await waitFor(() => seenByA.find((p) => p.id.equals(b.peerId)), 'A discovering B over mDNS', 15_000)
  await waitFor(() => seenByB.find((p) => p.id.equals(a.peerId)), 'B discovering A over mDNS', 15_000)
  assert.ok(bInfo.multiaddrs.some((ma) => ma.toString().startsWith('/ip4/127.0.0.1/tcp/')), 'the loopback address is announced')

  // The discovered address is dialable.
  await a.libp2p.dial(bInfo.multiaddrs.map((ma) => ma.encapsulate(`/p2p/${b.peerId.toString()}`)))
  assert.ok(a.libp2p.getConnections(b.peerId).length > 0)
  assert.ok(![...seenByA, ...seenByB].some((p) => p.id.equals(hidden.peerId)), 'mDNS off: never announced')
})

test('mDNS is on by default, on the Parley service tag', async () => {
  const a = await nodes.track(createParleyNode({ listen: [LOOPBACK_TCP], dhtPrivateAddresses: true }))
  const seenByA = discoveries(a)
  const b = await nodes.start({ mdns: true })
  const seenByB = discoveries(b)
  await waitFor(() => seenByA.find((p) => p.id.equals(b.peerId)), 'A discovering B over mDNS', 30_000)
  await waitFor(() => seenByB.find((p) => p.id.equals(a.peerId)), 'B discovering A over mDNS', 30_000)
})
