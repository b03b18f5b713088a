/**
 * Real libp2p nodes for the auth tests: TCP on 127.0.0.1 (port 0), Noise,
 * Yamux, nothing else, built with createLibp2p directly (the node factory of
 * src/network is written elsewhere). Every node started here is stopped by
 * `stopNodes` (call it from `after`).
 */
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Connection, ConnectionGater } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

const started: Libp2p[] = []

/** A started node listening on 127.0.0.1, optionally with a connection gater. */
export async function startNode(options: { connectionGater?: ConnectionGater } = {}): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // every test peer dials from 127.0.0.1, faster than libp2p's default of 5 inbound connections per host per second
    connectionManager: { inboundConnectionThreshold: 1_000 },
    ...(options.connectionGater === undefined ? {} : { connectionGater: options.connectionGater }),
  })
  started.push(node)
  return node
}

/** The node's first listen address (with its /p2p/ peer id). */
export function addressOf(node: Libp2p): Multiaddr {
  const addr = node.getMultiaddrs()[0]
  if (addr === undefined) throw new Error('node has no listen address')
  return addr
}

/** A new connection from `from` to `to` (existing ones are closed first, so this one is fresh). */
export async function connect(from: Libp2p, to: Libp2p): Promise<Connection> {
  await Promise.all(from.getConnections(to.peerId).map((c) => c.close()))
  return from.dial(addressOf(to))
}

/** The connection `node` holds to `peer`'s node, once it shows up. */
export async function connectionTo(node: Libp2p, peer: Libp2p, timeoutMs = 5_000): Promise<Connection> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const c = node.getConnections(peer.peerId).find((x) => x.status === 'open')
    if (c !== undefined) return c
    if (Date.now() > deadline) throw new Error('no connection showed up')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Polls `check` until it is true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Stops every node started here. */
export async function stopNodes(): Promise<void> {
  const nodes = started.splice(0)
  await Promise.all(nodes.map((n) => n.stop()))
}
