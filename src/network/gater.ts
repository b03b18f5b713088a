/**
 * The libp2p connection gater of Parley authentication (DESIGN §5): a peer
 * that failed /parley/auth/1.0.0 against us is refused at the transport for
 * a while (AUTH_REFUSED_PEER_TTL_MS), before Noise or Yamux cost anything
 * more: we do not dial it, its inbound connections are dropped right after
 * the Noise handshake reveals its peer id, and it may not reserve a slot on
 * our relay. The memory is bounded (AUTH_REFUSED_PEER_MAX_ENTRIES, oldest
 * forgotten first) and expiring, so a refusal is a cool-down, not a ban.
 *
 * The gater exists before the node does (libp2p takes it in `createLibp2p`)
 * and is handed to `createAuthService`, which calls `refuse` on each local
 * refusal.
 *
 * @example
 * const gater = createAuthGater()
 * const node = await createLibp2p({ …, connectionGater: gater.connectionGater })
 * const auth = await createAuthService({ node, gater, … })
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { AUTH_REFUSED_PEER_MAX_ENTRIES, AUTH_REFUSED_PEER_TTL_MS } from '../constants.js'
import { ParleyError } from '../errors.js'
import { createExpiringSet } from './rate-limit.js'

export interface AuthGaterOptions {
  /** How long a refused peer stays refused (default AUTH_REFUSED_PEER_TTL_MS). */
  ttlMs?: number
  /** Refused peers remembered (default AUTH_REFUSED_PEER_MAX_ENTRIES). */
  maxEntries?: number
  /** The clock (default `() => new Date()`). */
  clock?: () => Date
}

/** The refused-peer memory and the libp2p gater over it. */
export interface AuthGater {
  /** Pass to `createLibp2p({ connectionGater })`. */
  readonly connectionGater: ConnectionGater
  /** Refuses `peer` for the TTL from now (again: the TTL restarts). */
  refuse(peer: PeerId | string): void
  /** True while `peer` is refused. */
  isRefused(peer: PeerId | string): boolean
  /** Lifts a refusal early (the user vouched for the peer). */
  forgive(peer: PeerId | string): void
}

function key(peer: PeerId | string): string {
  return typeof peer === 'string' ? peer : peer.toString()
}

/**
 * Creates the gater. Only peers are refused, never addresses: an address
 * may be shared (NAT, relays) and the rate limits of the auth service
 * already bound what one address can cost.
 */
export function createAuthGater(options: AuthGaterOptions = {}): AuthGater {
  const ttlMs = options.ttlMs ?? AUTH_REFUSED_PEER_TTL_MS
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new ParleyError('INVALID_ARGUMENT', 'auth gater: ttlMs must be a positive integer')
  const clock = options.clock ?? (() => new Date())
  const refused = createExpiringSet(options.maxEntries ?? AUTH_REFUSED_PEER_MAX_ENTRIES)
  const isRefused = (peer: PeerId | string): boolean => refused.check(key(peer), clock().getTime()) === 'live'
  const connectionGater: ConnectionGater = {
    denyDialPeer: (peer) => isRefused(peer),
    denyInboundEncryptedConnection: (peer) => isRefused(peer),
    denyOutboundEncryptedConnection: (peer) => isRefused(peer),
    denyInboundRelayReservation: (peer) => isRefused(peer),
    denyOutboundRelayedConnection: (source, destination) => isRefused(source) || isRefused(destination),
    denyInboundRelayedConnection: (_relay, remote) => isRefused(remote),
  }
  return {
    connectionGater,
    refuse(peer) {
      const now = clock().getTime()
      refused.add(key(peer), now + ttlMs, now, true)
    },
    isRefused,
    forgive(peer) {
      refused.delete(key(peer))
    },
  }
}
