/**
 * Announcing where a node can be reached, in its identity's KEL (issue 4: "a
 * KEL update event lists the peer id and the addresses, relay circuit
 * addresses included"). The network services are one `libp2p-peer` service
 * (the peer id) and up to NETWORK_ANNOUNCE_MAX_ADDRESSES `libp2p-addr`
 * services (multiaddrs without the `/p2p/<own id>` suffix), best reach first
 * (addresses.ts). `announceNetwork` appends a signed update event only when
 * the peer id or the address set differs from what the KEL lists; other
 * services (mailbox, relay, …) are kept as they are. Contacts learn of the
 * change when the new KEL reaches them inside sessions (not here).
 *
 * `peerInfoFromKeyState` reads the same services back from a contact's
 * verified key state into what libp2p dials.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import { KEL_MAX_SERVICES, NETWORK_ANNOUNCE_MAX_ADDRESSES } from '../constants.js'
import { ParleyError } from '../errors.js'
import type { KeyState, Service } from '../identity/index.js'
import type { IdentityStore } from '../storage/identity-store.js'
import type { Keystore } from '../storage/keystore.js'
import { parseAddress, selectAnnounceAddresses, trailingPeerId, withoutTrailingPeerId } from './addresses.js'

/** Service type of the libp2p peer id an identity runs. */
export const PEER_SERVICE_TYPE = 'libp2p-peer'
/** Service type of one libp2p address of that peer. */
export const ADDRESS_SERVICE_TYPE = 'libp2p-addr'

/** What a node offers to announce: its peer id and current addresses. */
export interface AnnounceSource {
  readonly peerId: PeerId
  addresses(): Multiaddr[]
}

/** Where to dial a contact, read from its KEL. */
export interface ContactPeerInfo {
  peerId: PeerId
  /** Transport addresses (no `/p2p/<id>` suffix), in the KEL's order. */
  multiaddrs: Multiaddr[]
}

function isNetworkService(s: Service): boolean {
  return s.type === PEER_SERVICE_TYPE || s.type === ADDRESS_SERVICE_TYPE
}

/** The first id of the form `base`, `base-2`, `base-3`, … not in `taken` (ids as the CLI numbers them). */
function freeId(base: string, taken: Set<string>): string {
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`
    if (!taken.has(id)) {
      taken.add(id)
      return id
    }
  }
}

/**
 * The network services of `peerId` at `multiaddrs`: the peer service first,
 * then at most `maxAddresses` address services, best reach first, stable for
 * the same address set. Ids avoid those in `takenIds`.
 *
 * @example
 * networkServices(node.peerId, node.addresses())
 * // [{ id: 'libp2p-peer', type: 'libp2p-peer', endpoint: '12D3KooW…' },
 * //  { id: 'libp2p-addr', type: 'libp2p-addr', endpoint: '/ip4/…/p2p/<relay>/p2p-circuit' }, …]
 */
export function networkServices(peerId: PeerId, multiaddrs: readonly Multiaddr[], options: { maxAddresses?: number; takenIds?: Iterable<string> } = {}): Service[] {
  const taken = new Set(options.takenIds ?? [])
  const addresses = selectAnnounceAddresses(multiaddrs, peerId, Math.min(options.maxAddresses ?? NETWORK_ANNOUNCE_MAX_ADDRESSES, NETWORK_ANNOUNCE_MAX_ADDRESSES))
  return [
    { id: freeId(PEER_SERVICE_TYPE, taken), type: PEER_SERVICE_TYPE, endpoint: peerId.toString() },
    ...addresses.map((ma) => ({ id: freeId(ADDRESS_SERVICE_TYPE, taken), type: ADDRESS_SERVICE_TYPE, endpoint: ma.toString() })),
  ]
}

/**
 * `current` with its network services replaced by those of `peerId` at
 * `multiaddrs`: other services keep their place and ids, the network ones
 * follow, and addresses are dropped (worst reach first) to stay within
 * KEL_MAX_SERVICES. LIMIT_EXCEEDED when other services leave no room for
 * the peer service itself.
 */
export function withNetworkServices(current: readonly Service[], peerId: PeerId, multiaddrs: readonly Multiaddr[]): Service[] {
  const kept = current.filter((s) => !isNetworkService(s))
  const room = KEL_MAX_SERVICES - kept.length - 1
  if (room < 0) throw new ParleyError('LIMIT_EXCEEDED', `the identity lists ${kept.length} other services: no room for its libp2p peer (at most ${KEL_MAX_SERVICES})`)
  return [...kept.map((s) => ({ ...s })), ...networkServices(peerId, multiaddrs, { maxAddresses: room, takenIds: kept.map((s) => s.id) })]
}

/** The peer ids and address endpoints of a service list, as sorted sets (what "changed" is judged on). */
function networkView(services: readonly Service[]): string {
  const peers = [...new Set(services.filter((s) => s.type === PEER_SERVICE_TYPE).map((s) => s.endpoint))].sort()
  const addrs = [...new Set(services.filter((s) => s.type === ADDRESS_SERVICE_TYPE).map((s) => s.endpoint))].sort()
  return JSON.stringify([peers, addrs])
}

/** True when `next` lists another peer id or address set than `current`. */
export function networkChanged(current: readonly Service[], next: readonly Service[]): boolean {
  return networkView(current) !== networkView(next)
}

/**
 * Brings the home identity's KEL up to date with `node`'s peer id and
 * addresses: appends a signed update event when they changed, and does
 * nothing (no event, no key-file access) when they did not. The caller holds
 * the home's lock, as for any identity change.
 *
 * @example
 * const { changed, state } = await announceNetwork(identities, keystore, node, new Date())
 */
export async function announceNetwork(store: IdentityStore, keystore: Keystore, node: AnnounceSource, now: Date): Promise<{ changed: boolean; state: KeyState }> {
  const { state } = await store.identityState()
  const services = withNetworkServices(state.services, node.peerId, node.addresses())
  if (!networkChanged(state.services, services)) return { changed: false, state }
  const updated = await store.updateIdentity(keystore, { services }, now)
  return { changed: true, state: updated.state }
}

/** Every peer id an identity's KEL lists (the auth layer checks a connection's peer against these). */
export function listedPeerIds(state: KeyState): string[] {
  return [...new Set(state.services.filter((s) => s.type === PEER_SERVICE_TYPE).map((s) => s.endpoint))]
}

/**
 * Where to dial the identity of `state`: its first `libp2p-peer` service
 * and its `libp2p-addr` services. An address that does not parse, or that
 * names another peer, is skipped (the rest stay usable); no peer service is
 * PEER_INFO_MISSING, a peer service that is not a peer id PEER_INFO_INVALID.
 *
 * @example
 * const { peerId, multiaddrs } = peerInfoFromKeyState(contactState)
 * await node.libp2p.peerStore.merge(peerId, { multiaddrs })
 * await node.libp2p.dial(peerId)
 */
export function peerInfoFromKeyState(state: KeyState): ContactPeerInfo {
  const peerService = state.services.find((s) => s.type === PEER_SERVICE_TYPE)
  if (peerService === undefined) throw new ParleyError('PEER_INFO_MISSING', `${state.did} lists no libp2p peer`)
  let peerId: PeerId
  try {
    peerId = peerIdFromString(peerService.endpoint)
  } catch (err) {
    throw new ParleyError('PEER_INFO_INVALID', `${state.did} lists a libp2p peer that is not a peer id`, { cause: err })
  }
  const self = peerId.toString()
  const seen = new Set<string>()
  const multiaddrs: Multiaddr[] = []
  for (const s of state.services) {
    if (s.type !== ADDRESS_SERVICE_TYPE) continue
    let ma: Multiaddr
    try {
      ma = parseAddress(s.endpoint, `${state.did} address`, 'PEER_INFO_INVALID')
    } catch {
      continue
    }
    const owner = trailingPeerId(ma)
    if (owner !== undefined && owner !== self) continue
    const bare = withoutTrailingPeerId(ma)
    const text = bare.toString()
    if (bare.getComponents().length === 0 || seen.has(text)) continue
    seen.add(text)
    multiaddrs.push(bare)
  }
  return { peerId, multiaddrs }
}
