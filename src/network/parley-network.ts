/**
 * One Parley network stack: the libp2p node (node.ts), connection
 * authentication with its gate and gater (gate.ts), and the gated
 * /parley/msg and /parley/blob protocols (messaging.ts, blob.ts), wired the one way they are meant to
 * be: the auth gater refuses recently refused peers, the relay (on an
 * infrastructure node) lifts its limits only for authenticated peers, every
 * authenticated connection flushes the outbox for that DID, and outgoing
 * messages find their peer from the newest KEL we verified for it
 * (`peerInfoFromKeyState`). The agent, the flood test and the network
 * benchmark all build on this.
 *
 * A node authenticates to its own relays (`node.relays`) as soon as identify
 * shows that a relay speaks /parley/auth and our KEL lists our peer id:
 * the relay lifts its circuit limits only between peers it authenticated
 * (relay-limits.ts), and /parley/msg and /parley/blob do not run on
 * limited connections. A relay shows no credential, so our own relays are
 * exempt from our credential requirement (by peer id, as configured).
 */
import type { Connection, IdentifyResult, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { TrustPolicy } from '../credentials/index.js'
import { ParleyError } from '../errors.js'
import type { Identity, KeyState } from '../identity/index.js'
import { listedPeerIds, peerInfoFromKeyState } from './announce.js'
import { parseAddress, trailingPeerId } from './addresses.js'
import { AUTH_PROTOCOL_ID, RELAY_CLIENT_AUTH_MAX_ATTEMPTS, RELAY_CLIENT_AUTH_RETRY_MS } from '../constants.js'
import { createAuthService } from './gate.js'
import type { AuthService, AuthServiceOptions, AuthenticatedEvent, RefusedEvent } from './gate.js'
import type { KelSource, PresentationProvider } from './auth.js'
import { createMessagingService } from './messaging.js'
import type { MessagingLimits, MessagingService, MessagingServiceInit, PeerTarget } from './messaging-types.js'
import { createParleyNode } from './node.js'
import type { ParleyNode, ParleyNodeOptions } from './node.js'
import { MemoryInboundDedupeStore, MemoryOutboxStore } from './outbox.js'
import type { InboundDedupeStore, OutboxStore } from './outbox-types.js'
import type { AuthenticatedPeer } from './types.js'
import { createBlobService } from './blob.js'
import type { BlobService, BlobServiceComponents } from './blob.js'
import { defaultSuite } from '../crypto/index.js'

export interface ParleyNetworkOptions {
  /** Node options (listen addresses, relays, mDNS, infrastructure, limits). */
  node?: ParleyNodeOptions
  identity: Identity | (() => Identity)
  trust: TrustPolicy
  /** Whether we ask peers for a credential (default: when the policy names an issuer). */
  requireCredential?: boolean
  presentation?: PresentationProvider
  /** KELs we know (contacts): passed to authentication so a rollback is refused. */
  knownKel?: KelSource
  resolveKel?: KelSource
  /** The newest verified key state we hold for a DID: where its messages go. */
  keyStateOf?: (did: string) => KeyState | undefined | Promise<KeyState | undefined>
  outbox?: OutboxStore
  dedupe?: InboundDedupeStore
  /** Called with each inbound envelope; resolve after committing it (the ack follows). */
  deliver: (from: AuthenticatedPeer, id: string, envelope: Uint8Array) => Promise<void>
  /** Group commit of the inbound messages that wait together (MessagingServiceInit.commitBatch). */
  commitBatch?: MessagingServiceInit['commitBatch']
  messagingLimits?: Partial<MessagingLimits>
  auth?: Pick<AuthServiceOptions, 'handshakeTimeoutMs' | 'limits' | 'group' | 'clock'>
  /** File transfer: the sender's transfer store and limits (default: in memory). */
  blob?: Pick<BlobServiceComponents, 'store' | 'limits'>
  onAuthenticated?: (event: AuthenticatedEvent) => void
  onRefused?: (event: RefusedEvent) => void
}

export interface ParleyNetwork {
  readonly node: ParleyNode
  readonly auth: AuthService
  readonly messaging: MessagingService
  readonly blob: BlobService
  /** Peer ids of our own relays (`node.relays`): authenticated by DID alone, without a credential. */
  readonly relayPeers: ReadonlySet<string>
  /** Dials `target` (a multiaddr ending in /p2p/<id>, or a peer id) and authenticates the connection. */
  connect(target: string | Multiaddr | PeerId, options?: { signal?: AbortSignal; expectDid?: string }): Promise<AuthenticatedPeer>
  stop(): Promise<void>
}

/** The peer ids of relay addresses (node.ts checked them; one that does not parse names no relay). */
function relayPeerIds(relays: ParleyNodeOptions['relays']): Set<string> {
  const ids = new Set<string>()
  for (const [i, r] of (relays ?? []).entries()) {
    try {
      const id = trailingPeerId(parseAddress(r, `relays[${i}]`))
      if (id !== undefined) ids.add(id)
    } catch {
      // createParleyNode refuses it with its reason
    }
  }
  return ids
}

/** Builds and starts the stack. */
export async function createParleyNetwork(options: ParleyNetworkOptions): Promise<ParleyNetwork> {
  const node = await createParleyNode(options.node ?? {})
  const relayPeers = relayPeerIds(options.node?.relays)
  let stopped = false
  let onIdentify: ((event: CustomEvent<IdentifyResult>) => void) | undefined
  let auth: AuthService | undefined
  let messaging: MessagingService | undefined
  let blob: BlobService | undefined
  try {
    const authService = await createAuthService({
      node: node.libp2p,
      identity: options.identity,
      trust: options.trust,
      ...(options.requireCredential === undefined ? {} : { requireCredential: options.requireCredential }),
      ...(options.presentation === undefined ? {} : { presentation: options.presentation }),
      ...(options.knownKel === undefined ? {} : { knownKel: options.knownKel }),
      ...(options.resolveKel === undefined ? {} : { resolveKel: options.resolveKel }),
      credentialExempt: (peer) => relayPeers.has(peer.toString()),
      ...options.auth,
      onAuthenticated: (event) => {
        messaging?.flush(event.peer.did)
        options.onAuthenticated?.(event)
      },
      ...(options.onRefused === undefined ? {} : { onRefused: options.onRefused }),
    })
    auth = authService
    node.addGater(authService.gater.connectionGater)
    if (node.infrastructure) node.setRelayAuthenticated((peer) => authService.isAuthenticated(peer))

    const resolvePeer = async (did: string): Promise<PeerTarget | undefined> => {
      const state = await options.keyStateOf?.(did)
      if (state === undefined) return undefined
      try {
        const info = peerInfoFromKeyState(state)
        // With the peer id appended: a circuit address names its destination only so, and a direct one is then checked by Noise.
        const self = `/p2p/${info.peerId.toString()}`
        return { peerId: info.peerId, multiaddrs: info.multiaddrs.map((ma) => ma.encapsulate(self)) }
      } catch {
        return undefined
      }
    }
    messaging = createMessagingService({
      node: node.libp2p,
      gate: authService,
      outbox: options.outbox ?? new MemoryOutboxStore(),
      dedupe: options.dedupe ?? new MemoryInboundDedupeStore(),
      deliver: options.deliver,
      ...(options.commitBatch === undefined ? {} : { commitBatch: options.commitBatch }),
      resolvePeer,
      ...(options.messagingLimits === undefined ? {} : { limits: options.messagingLimits }),
    })
    await messaging.start()
    blob = createBlobService({ node: node.libp2p, gate: authService, suite: defaultSuite, ...options.blob })
    await blob.start()

    const peerId = node.peerId.toString()
    const identity = options.identity
    const authenticateRelay = (connection: Connection, attempt: number): void => {
      if (stopped || connection.status !== 'open') return
      // A fresh identity lists its peer id only once the agent announced it: until then the relay would refuse us (and remember it).
      const state = (typeof identity === 'function' ? identity() : identity).state
      if (!listedPeerIds(state).includes(peerId)) {
        if (attempt + 1 < RELAY_CLIENT_AUTH_MAX_ATTEMPTS) setTimeout(() => authenticateRelay(connection, attempt + 1), RELAY_CLIENT_AUTH_RETRY_MS).unref()
        return
      }
      authService.authenticate(connection).catch(() => undefined) // a refusal is surfaced by onRefused
    }
    onIdentify = (event) => {
      const { peerId: remote, protocols, connection } = event.detail
      if (relayPeers.has(remote.toString()) && protocols.includes(AUTH_PROTOCOL_ID)) authenticateRelay(connection, 0)
    }
    if (relayPeers.size > 0) node.libp2p.addEventListener('peer:identify', onIdentify)
  } catch (err) {
    await blob?.stop().catch(() => undefined)
    await messaging?.stop().catch(() => undefined)
    await auth?.stop().catch(() => undefined)
    await node.stop().catch(() => undefined)
    throw err
  }
  const authService = auth
  const messagingService = messaging
  const blobService = blob

  return {
    node,
    auth: authService,
    messaging: messagingService,
    blob: blobService,
    relayPeers,
    async connect(target, opts = {}) {
      const addr = typeof target === 'string' ? multiaddr(target) : target
      const connection = await node.libp2p.dial(addr, opts.signal === undefined ? {} : { signal: opts.signal })
      const peer = await authService.authenticate(connection, opts.signal === undefined ? {} : { signal: opts.signal })
      if (opts.expectDid !== undefined && peer.did !== opts.expectDid) {
        await connection.close().catch(() => undefined)
        throw new ParleyError('AUTH_PEER_ID_MISMATCH', `connect: the peer is ${peer.did}, not ${opts.expectDid}`)
      }
      return peer
    },
    async stop() {
      stopped = true
      if (onIdentify !== undefined) node.libp2p.removeEventListener('peer:identify', onIdentify)
      await blobService.stop().catch(() => undefined)
      await messagingService.stop().catch(() => undefined)
      await authService.stop().catch(() => undefined)
      await node.stop()
    },
  }
}
