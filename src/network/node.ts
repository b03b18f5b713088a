/**
 * The libp2p node of a Parley agent or infrastructure server (DESIGN §2
 * "transport"): TCP and WebSockets, Noise, Yamux, identify (+ push), ping,
 * circuit relay v2 (client everywhere: dial circuits, listen through relays;
 * server on infrastructure nodes), DCUtR, AutoNAT, mDNS (on by default),
 * an optional bootstrap list, and a Kad-DHT on Parley's own protocol id
 * (client mode on personal nodes, server mode on infrastructure nodes).
 *
 * Connection limits are named constants. The connection gater is a merge of
 * every gater registered (at creation or later, as the auth layer is built
 * after the node): a connection is refused when any of them refuses, and a
 * gater that throws refuses (fail closed). Relays to reserve on are dialed
 * after start and tagged keep-alive (libp2p redials them); one `/p2p-circuit`
 * listen slot per relay makes the circuit transport reserve on each relay it
 * finds connected, so a relay that is down at start, or restarts, is
 * reserved on again when it comes back. The relay server's default limits
 * are lifted only between authenticated peers (relay-limits.ts).
 */
import { createLibp2p } from 'libp2p'
import type { Libp2p, Libp2pOptions } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, identifyPush } from '@libp2p/identify'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { autoNAT } from '@libp2p/autonat'
import { dcutr } from '@libp2p/dcutr'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import type { KadDHT } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { bootstrap } from '@libp2p/bootstrap'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { KEEP_ALIVE } from '@libp2p/interface'
import type { ConnectionGater, PeerDiscovery, PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import {
  NODE_DEFAULT_LISTEN_ADDRESSES,
  NODE_DHT_PROTOCOL,
  NODE_DIAL_TIMEOUT_MS,
  NODE_INBOUND_CONNECTION_THRESHOLD,
  NODE_INBOUND_UPGRADE_TIMEOUT_MS,
  NODE_INFRA_MAX_CONNECTIONS,
  NODE_INFRA_MAX_INCOMING_PENDING_CONNECTIONS,
  NODE_MAX_BOOTSTRAP_PEERS,
  NODE_MAX_CONNECTIONS,
  NODE_MAX_INCOMING_PENDING_CONNECTIONS,
  NODE_MAX_LISTEN_ADDRESSES,
  NODE_MAX_RELAYS,
  NODE_MDNS_INTERVAL_MS,
  NODE_MDNS_SERVICE_TAG,
  RELAY_DEFAULT_DATA_LIMIT_BYTES,
  RELAY_DEFAULT_DURATION_LIMIT_MS,
  RELAY_HOP_TIMEOUT_MS,
  RELAY_MAX_INBOUND_HOP_STREAMS,
  RELAY_MAX_RESERVATIONS,
  RELAY_RESERVATION_TTL_MS,
} from '../constants.js'
import { ParleyError } from '../errors.js'
import { isCircuitAddress, parseAddress, trailingPeerId, withoutTrailingPeerId } from './addresses.js'
import { RelayAuthentication, parleyRelayServer } from './relay-limits.js'
import type { PeerAuthenticated } from './relay-limits.js'

/** The libp2p services every Parley node runs (`relay` on infrastructure nodes only). */
export interface ParleyServices extends Record<string, unknown> {
  identify: Identify
  identifyPush: IdentifyPush
  ping: Ping
  autoNAT: unknown
  dcutr: unknown
  dht: KadDHT
  relay?: CircuitRelayService
}

/** Limits of the relay server of an infrastructure node (defaults: the RELAY_* constants). */
export interface RelayServerLimits {
  maxReservations?: number
  reservationTtlMs?: number
  /** Data limit of a relayed connection whose ends are not both authenticated. */
  defaultDataLimitBytes?: number
  /** Duration limit of a relayed connection whose ends are not both authenticated. */
  defaultDurationLimitMs?: number
}

/** Connection-manager limits (defaults: the NODE_* constants, larger on infrastructure nodes). */
export interface ConnectionLimits {
  maxConnections?: number
  /** Inbound connections one host may open per second. */
  inboundConnectionThreshold?: number
  /** Inbound connections in their upgrade at once. */
  maxIncomingPendingConnections?: number
}

export interface MdnsOptions {
  /** Service name asked for and answered (default NODE_MDNS_SERVICE_TAG); tests use a unique one. */
  serviceTag?: string
  intervalMs?: number
  /** UDP port (default 5353, the mDNS port). */
  port?: number
}

export interface ParleyNodeOptions {
  /** Addresses to listen on (default NODE_DEFAULT_LISTEN_ADDRESSES); `[]` makes a dial-only node. */
  listen?: readonly (string | Multiaddr)[]
  /** Addresses to announce instead of the listen addresses (an infrastructure node behind a known name). */
  announce?: readonly (string | Multiaddr)[]
  /** The node's key (see loadOrCreatePeerKey); a fresh Ed25519 key when absent. */
  privateKey?: PrivateKey
  /** Relays to reserve a slot on, each a multiaddr ending in `/p2p/<relay peer id>`. */
  relays?: readonly (string | Multiaddr)[]
  /** Peers dialed at start to join the network, each ending in `/p2p/<peer id>`. */
  bootstrap?: readonly (string | Multiaddr)[]
  /** An infrastructure node: circuit relay v2 server, DHT server mode, higher connection limits. */
  infrastructure?: boolean
  /** Relay server limits (infrastructure nodes only). */
  relayLimits?: RelayServerLimits
  /** mDNS discovery on the LAN: on by default. */
  mdns?: boolean | MdnsOptions
  connectionLimits?: ConnectionLimits
  /** A connection gater merged with the ones added later (`addGater`). */
  gater?: ConnectionGater
  /** Which peers the relay server has authenticated (infrastructure nodes; may be set later). */
  relayAuthenticated?: PeerAuthenticated
  /**
   * Let private (LAN, loopback) addresses into the DHT. Off by default: the
   * DHT spans networks, where such addresses only waste dials. On for a DHT
   * confined to one LAN, and in tests.
   */
  dhtPrivateAddresses?: boolean
}

/** A started Parley node. */
export interface ParleyNode {
  readonly libp2p: Libp2p<ParleyServices>
  readonly peerId: PeerId
  readonly infrastructure: boolean
  /** The node's current addresses, each ending in `/p2p/<peer id>` (relay circuits included once reserved). */
  addresses(): Multiaddr[]
  /** Adds a connection gater (e.g. the auth layer's): any gater refusing refuses. */
  addGater(gater: ConnectionGater): void
  /** Sets the hook saying which peers the relay server has authenticated (infrastructure nodes). */
  setRelayAuthenticated(hook: PeerAuthenticated | undefined): void
  /** Stops the node; safe to call twice. */
  stop(): Promise<void>
}

const GATER_METHODS = [
  'denyDialPeer',
  'denyDialMultiaddr',
  'denyInboundConnection',
  'denyOutboundConnection',
  'denyInboundEncryptedConnection',
  'denyOutboundEncryptedConnection',
  'denyInboundUpgradedConnection',
  'denyOutboundUpgradedConnection',
  'denyInboundRelayReservation',
  'denyOutboundRelayedConnection',
  'denyInboundRelayedConnection',
] as const

/**
 * One gater over a growing list: `deny*` refuses when any gater refuses (or
 * throws); `filterMultiaddrForPeer` keeps an address only when every gater
 * keeps it.
 */
export function mergedGater(gaters: readonly ConnectionGater[]): ConnectionGater {
  const merged: Record<string, unknown> = {}
  for (const method of GATER_METHODS) {
    merged[method] = async (...args: unknown[]): Promise<boolean> => {
      for (const gater of [...gaters]) {
        const fn = gater[method] as ((...a: unknown[]) => boolean | Promise<boolean>) | undefined
        if (fn === undefined) continue
        try {
          if ((await fn.apply(gater, args)) === true) return true
        } catch {
          return true
        }
      }
      return false
    }
  }
  const filterMultiaddrForPeer: ConnectionGater['filterMultiaddrForPeer'] = async (peer, ma) => {
    for (const gater of [...gaters]) {
      if (gater.filterMultiaddrForPeer === undefined) continue
      try {
        if ((await gater.filterMultiaddrForPeer(peer, ma)) !== true) return false
      } catch {
        return false
      }
    }
    return true
  }
  return { ...merged, filterMultiaddrForPeer } as ConnectionGater
}

function addressList(values: readonly (string | Multiaddr)[] | undefined, max: number, what: string): Multiaddr[] {
  if (values === undefined) return []
  if (values.length > max) throw new ParleyError('INVALID_ARGUMENT', `${what}: at most ${max} addresses`)
  return values.map((v, i) => parseAddress(v, `${what}[${i}]`))
}

/** A peer address ending in `/p2p/<id>`: its peer id and its transport part. */
function peerAddress(ma: Multiaddr, what: string): { peerId: PeerId; address: Multiaddr } {
  const id = trailingPeerId(ma)
  if (id === undefined || isCircuitAddress(ma)) throw new ParleyError('INVALID_ARGUMENT', `${what}: a direct address ending in /p2p/<peer id> is required`)
  try {
    return { peerId: peerIdFromString(id), address: withoutTrailingPeerId(ma) }
  } catch (err) {
    throw new ParleyError('INVALID_ARGUMENT', `${what}: not a valid peer id`, { cause: err })
  }
}

function limit(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new ParleyError('INVALID_ARGUMENT', `${what} must be a positive integer`)
  return value
}

function mdnsDiscovery(option: ParleyNodeOptions['mdns']): ((components: never) => PeerDiscovery) | undefined {
  if (option === false) return undefined
  const o = option === true || option === undefined ? {} : option
  return mdns({
    serviceTag: o.serviceTag ?? NODE_MDNS_SERVICE_TAG,
    interval: limit(o.intervalMs, NODE_MDNS_INTERVAL_MS, 'mdns.intervalMs'),
    ...(o.port !== undefined ? { port: o.port } : {}),
  }) as (components: never) => PeerDiscovery
}

/**
 * Creates and starts a Parley libp2p node.
 *
 * @example
 * const node = await createParleyNode({ privateKey: await loadOrCreatePeerKey(keystore), listen: ['/ip4/127.0.0.1/tcp/0'] })
 * await node.libp2p.services.ping.ping(other.addresses()[0])
 * await node.stop()
 */
export async function createParleyNode(options: ParleyNodeOptions = {}): Promise<ParleyNode> {
  const infrastructure = options.infrastructure === true
  const listen = addressList(options.listen ?? NODE_DEFAULT_LISTEN_ADDRESSES, NODE_MAX_LISTEN_ADDRESSES, 'listen')
  const announce = addressList(options.announce, NODE_MAX_LISTEN_ADDRESSES, 'announce')
  const relays = addressList(options.relays, NODE_MAX_RELAYS, 'relays').map((ma, i) => peerAddress(ma, `relays[${i}]`))
  const bootstrapList = addressList(options.bootstrap, NODE_MAX_BOOTSTRAP_PEERS, 'bootstrap')
  bootstrapList.forEach((ma, i) => peerAddress(ma, `bootstrap[${i}]`))
  if (options.relayLimits !== undefined && !infrastructure) throw new ParleyError('INVALID_ARGUMENT', 'relayLimits: only an infrastructure node runs a relay server')

  const cl = options.connectionLimits ?? {}
  const connectionManager = {
    maxConnections: limit(cl.maxConnections, infrastructure ? NODE_INFRA_MAX_CONNECTIONS : NODE_MAX_CONNECTIONS, 'maxConnections'),
    inboundConnectionThreshold: limit(cl.inboundConnectionThreshold, NODE_INBOUND_CONNECTION_THRESHOLD, 'inboundConnectionThreshold'),
    maxIncomingPendingConnections: limit(
      cl.maxIncomingPendingConnections,
      infrastructure ? NODE_INFRA_MAX_INCOMING_PENDING_CONNECTIONS : NODE_MAX_INCOMING_PENDING_CONNECTIONS,
      'maxIncomingPendingConnections',
    ),
    dialTimeout: NODE_DIAL_TIMEOUT_MS,
    inboundUpgradeTimeout: NODE_INBOUND_UPGRADE_TIMEOUT_MS,
  }

  const gaters: ConnectionGater[] = options.gater !== undefined ? [options.gater] : []
  const relayAuth = new RelayAuthentication(options.relayAuthenticated)

  const services: Record<string, (components: never) => unknown> = {
    identify: identify(),
    identifyPush: identifyPush(),
    ping: ping(),
    autoNAT: autoNAT(),
    dcutr: dcutr(),
    dht: kadDHT({
      protocol: NODE_DHT_PROTOCOL,
      clientMode: !infrastructure,
      peerInfoMapper: options.dhtPrivateAddresses === true ? passthroughMapper : removePrivateAddressesMapper,
    }),
  }
  if (infrastructure) {
    const rl = options.relayLimits ?? {}
    services['relay'] = parleyRelayServer(
      {
        hopTimeout: RELAY_HOP_TIMEOUT_MS,
        maxInboundHopStreams: RELAY_MAX_INBOUND_HOP_STREAMS,
        reservations: {
          maxReservations: limit(rl.maxReservations, RELAY_MAX_RESERVATIONS, 'relayLimits.maxReservations'),
          reservationTtl: limit(rl.reservationTtlMs, RELAY_RESERVATION_TTL_MS, 'relayLimits.reservationTtlMs'),
          applyDefaultLimit: true,
          defaultDataLimit: BigInt(limit(rl.defaultDataLimitBytes, RELAY_DEFAULT_DATA_LIMIT_BYTES, 'relayLimits.defaultDataLimitBytes')),
          defaultDurationLimit: limit(rl.defaultDurationLimitMs, RELAY_DEFAULT_DURATION_LIMIT_MS, 'relayLimits.defaultDurationLimitMs'),
        },
      },
      relayAuth,
    )
  }

  const peerDiscovery: ((components: never) => PeerDiscovery)[] = []
  const local = mdnsDiscovery(options.mdns)
  if (local !== undefined) peerDiscovery.push(local)
  if (bootstrapList.length > 0) peerDiscovery.push(bootstrap({ list: bootstrapList.map((ma) => ma.toString()) }) as (components: never) => PeerDiscovery)

  // One search slot per relay: the circuit transport reserves on each relay it finds connected.
  const listenAll = [...listen.map((ma) => ma.toString()), ...relays.map(() => '/p2p-circuit')]
  const init: Libp2pOptions<ParleyServices> = {
    addresses: { listen: listenAll, ...(announce.length > 0 ? { announce: announce.map((ma) => ma.toString()) } : {}) },
    transports: [tcp(), webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: peerDiscovery as Libp2pOptions['peerDiscovery'],
    services: services as unknown as Libp2pOptions<ParleyServices>['services'],
    connectionManager,
    connectionGater: mergedGater(gaters),
    nodeInfo: { name: 'parley' },
    ...(options.privateKey !== undefined ? { privateKey: options.privateKey } : {}),
  }

  let libp2p: Libp2p<ParleyServices>
  try {
    libp2p = await createLibp2p(init)
  } catch (err) {
    throw new ParleyError('NODE_START_FAILED', `the libp2p node did not start: ${err instanceof Error ? err.message.split('\n')[0] : 'unknown error'}`, { cause: err })
  }

  if (infrastructure) {
    try {
      await libp2p.services.dht.setMode('server')
    } catch (err) {
      await Promise.resolve(libp2p.stop()).catch(() => undefined)
      throw new ParleyError('NODE_START_FAILED', 'the DHT did not switch to server mode', { cause: err })
    }
  }

  let stopped = false
  // Relays: remembered with a keep-alive tag (libp2p redials them) and dialed in the background.
  for (const relay of relays) {
    void (async () => {
      await libp2p.peerStore.merge(relay.peerId, { multiaddrs: [relay.address], tags: { [`${KEEP_ALIVE}-parley-relay`]: { value: 1 } } })
      if (!stopped) await libp2p.dial(relay.peerId)
    })().catch(() => {
      // Unreachable now: the keep-alive tag and the circuit transport retry when it connects.
    })
  }

  return {
    libp2p,
    peerId: libp2p.peerId,
    infrastructure,
    addresses: () => libp2p.getMultiaddrs(),
    addGater: (gater) => {
      gaters.push(gater)
    },
    setRelayAuthenticated: (hook) => {
      relayAuth.set(hook)
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      await Promise.resolve(libp2p.stop())
    },
  }
}
