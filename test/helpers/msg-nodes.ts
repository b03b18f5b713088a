/**
 * Real libp2p nodes for the /parley/msg tests: TCP on 127.0.0.1 (port 0),
 * Noise, Yamux, nothing else; and a test-only ConnectionGate that maps peer
 * ids to DIDs from a shared directory. It stands in for /parley/auth (built
 * and tested elsewhere): a peer id in the directory counts as authenticated
 * on every connection, any other is refused with PEER_NOT_AUTHENTICATED,
 * which is exactly the contract the messaging service relies on.
 */
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection } from '@libp2p/interface'
import { ParleyError } from '../../src/errors.js'
import type { KeyState } from '../../src/identity/index.js'
import type { AuthenticatedPeer, ConnectionGate } from '../../src/network/types.js'

/** A node listening on 127.0.0.1; `start: false` gives a node whose peer id is known before it is reachable. */
export async function createMsgNode(opts: { start?: boolean } = {}): Promise<Libp2p> {
  return createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    start: opts.start ?? true,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  })
}

/** Peer id (string) → DID, shared by the gates of one test. */
export type Directory = Map<string, string>

/** A ConnectionGate that trusts the directory; counts authenticate() calls. */
export class TestGate implements ConnectionGate {
  readonly #directory: Directory
  authenticateCalls = 0

  constructor(directory: Directory) {
    this.#directory = directory
  }

  peerOf(connection: Connection): AuthenticatedPeer | undefined {
    const did = this.#directory.get(connection.remotePeer.toString())
    if (did === undefined || connection.status !== 'open') return undefined
    // The messaging service never reads the key state: a stub stands in for the KEL-verified one.
    const keyState = { did } as unknown as KeyState
    return { did, peerId: connection.remotePeer, keyState, credentialTypes: [], at: new Date() }
  }

  require(connection: Connection): AuthenticatedPeer {
    const peer = this.peerOf(connection)
    if (peer === undefined) throw new ParleyError('PEER_NOT_AUTHENTICATED', 'test gate: unknown peer')
    return peer
  }

  async authenticate(connection: Connection): Promise<AuthenticatedPeer> {
    this.authenticateCalls++
    return this.require(connection)
  }
}

/** Resolves when `predicate` holds (checked every 10 ms), or rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
