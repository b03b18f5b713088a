/**
 * Real libp2p nodes on 127.0.0.1 for the file-transfer tests (TCP, Noise,
 * Yamux), each with a blob service and a DID, and a test-only ConnectionGate
 * that maps a connection's remote peer id to the DID it was registered with.
 * The real gate (/parley/auth/1.0.0) replaces it in the agent; this one only
 * stands in for "the peer passed authentication as that DID".
 */
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import type { Connection } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { pathToFileURL } from 'node:url'
import { defaultSuite as suite } from '../../src/crypto/index.js'
import { ParleyError } from '../../src/errors.js'
import { formatDid } from '../../src/identity/index.js'
import type { KeyState } from '../../src/identity/index.js'
import { createBlobService } from '../../src/network/blob.js'
import { encodeFileOffer } from '../../src/network/file-offer.js'
import type { BlobLimits, BlobService, TransferStore } from '../../src/network/blob.js'
import type { AuthenticatedPeer, ConnectionGate } from '../../src/network/types.js'

/** Peer id (string) → DID, shared by every node of a test. */
export type DidDirectory = Map<string, string>

/** A gate that trusts the directory: the peer "authenticated" as the DID listed for its peer id. */
export function createTestGate(directory: DidDirectory): ConnectionGate {
  const peerOf = (connection: Connection): AuthenticatedPeer | undefined => {
    const did = directory.get(connection.remotePeer.toString())
    if (did === undefined) return undefined
    return { did, peerId: connection.remotePeer, keyState: {} as KeyState, credentialTypes: [], at: new Date() }
  }
  return {
    peerOf,
    require(connection) {
      const peer = peerOf(connection)
      if (peer === undefined) throw new ParleyError('PEER_NOT_AUTHENTICATED', 'test gate: unknown peer')
      return peer
    },
    async authenticate(connection) {
      const peer = peerOf(connection)
      if (peer === undefined) throw new ParleyError('PEER_NOT_AUTHENTICATED', 'test gate: unknown peer')
      return peer
    },
  }
}

export interface BlobNode {
  node: Libp2p
  did: string
  gate: ConnectionGate
  blobs: BlobService
  /** Replaces `blobs` with a fresh service on the same node and store (a restart of the service). */
  restart(options?: { store?: TransferStore; limits?: Partial<BlobLimits> }): Promise<BlobService>
}

/** A random DID (its digest is random: no KEL behind it; the test gate does not need one). */
export function randomDid(): string {
  return formatDid(suite.randomBytes(32))
}

/** Starts a node listening on 127.0.0.1 with a started blob service, registered in `directory`. */
export async function createBlobNode(directory: DidDirectory, options: { limits?: Partial<BlobLimits>; did?: string; register?: boolean } = {}): Promise<BlobNode> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  })
  await node.start()
  const did = options.did ?? randomDid()
  if (options.register !== false) directory.set(node.peerId.toString(), did)
  const gate = createTestGate(directory)
  const make = async (o: { store?: TransferStore; limits?: Partial<BlobLimits> } = {}): Promise<BlobService> => {
    const limits = o.limits ?? options.limits
    const s = createBlobService({ node, gate, suite, ...(o.store === undefined ? {} : { store: o.store }), ...(limits === undefined ? {} : { limits }) })
    await s.start()
    return s
  }
  const out: BlobNode = {
    node,
    did,
    gate,
    blobs: await make(),
    async restart(o = {}) {
      await out.blobs.stop()
      out.blobs = await make({ store: o.store ?? out.blobs.store, ...(o.limits === undefined ? {} : { limits: o.limits }) })
      return out.blobs
    },
  }
  return out
}

/** Tells `a` where `b` listens (so `a` can dial and redial `b` by peer id) and connects them. */
export async function connect(a: BlobNode, b: BlobNode): Promise<Connection> {
  await a.node.peerStore.patch(b.node.peerId, { multiaddrs: b.node.getMultiaddrs() })
  return a.node.dial(b.node.peerId)
}

/** Stops the services and nodes. */
export async function stopAll(nodes: readonly BlobNode[]): Promise<void> {
  for (const n of nodes) await n.blobs.stop().catch(() => undefined)
  await Promise.all(nodes.map((n) => n.node.stop()))
}

// ---------------------------------------------------------------------------
// A sending node in its own process (the 1 GiB test): a peer is a process of
// its own in real use, and each process's memory is then measured apart.
// ---------------------------------------------------------------------------

/** Messages between the test and a sender process. */
export type SenderRequest =
  | { t: 'peer'; peerId: string; did: string }
  | { t: 'offer'; to: string; path: string; chunkSize: number }
  | { t: 'stop' }
export type SenderReply =
  | { t: 'ready'; peerId: string; did: string; addrs: string[] }
  | { t: 'offer'; offer: string }
  | { t: 'mem'; peakGrowth: number }
  | { t: 'error'; message: string }

/** Memory sampler: peak RSS growth over the baseline taken at `reset()`. */
export function createRssSampler(intervalMs = 10): { reset(): number; peakGrowth(): number; stop(): void } {
  // memoryUsage.rss() reads only the RSS: cheap enough to sample every few milliseconds
  let base = process.memoryUsage.rss()
  let peak = base
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, intervalMs)
  return {
    reset() {
      base = peak = process.memoryUsage.rss()
      return base
    },
    peakGrowth: () => Math.max(peak, process.memoryUsage.rss()) - base,
    stop: () => clearInterval(timer),
  }
}

/**
 * The sender process: one node and blob service; offers what it is asked to
 * (each offer resets its RSS baseline) and reports its peak RSS growth on stop.
 */
async function runSenderProcess(): Promise<void> {
  const send = (m: SenderReply): void => {
    process.send?.(m)
  }
  const directory: DidDirectory = new Map()
  const self = await createBlobNode(directory)
  const sampler = createRssSampler()
  process.on('disconnect', () => process.exit(1))
  process.on('message', (m: SenderRequest) => {
    void (async () => {
      try {
        if (m.t === 'peer') directory.set(m.peerId, m.did)
        else if (m.t === 'offer') {
          const offer = await self.blobs.offer(m.to, m.path, { chunkSize: m.chunkSize })
          sampler.reset()
          send({ t: 'offer', offer: Buffer.from(encodeFileOffer(offer)).toString('base64') })
        } else if (m.t === 'stop') {
          sampler.stop()
          send({ t: 'mem', peakGrowth: sampler.peakGrowth() })
          await stopAll([self])
          process.exit(0)
        }
      } catch (err) {
        send({ t: 'error', message: (err as Error).message })
      }
    })()
  })
  send({ t: 'ready', peerId: self.node.peerId.toString(), did: self.did, addrs: self.node.getMultiaddrs().map(String) })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) void runSenderProcess()
