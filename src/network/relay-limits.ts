/**
 * The relay limit policy of an infrastructure node (issue 4: "the default
 * relay data and time limits may be lifted only for connections that passed
 * Parley authentication").
 *
 * @libp2p/circuit-relay-v2 4.x decides limits once per reservation, for every
 * peer alike: `reservations.applyDefaultLimit` (default on) stamps
 * `defaultDataLimit`/`defaultDurationLimit` on each new reservation, and
 * `handleConnect` copies the destination's reservation limit onto every
 * relayed connection (in its STOP/HOP replies, and in the byte counter and
 * timer of the spliced streams). There is no per-peer hook, and the relay
 * usually authenticates a client only after the client reserved its slot
 * (the reservation is made as soon as the client connects).
 *
 * So the decision is taken when a limit is used, not when a reservation is
 * made: the server's reservation lookup is wrapped to return the reservation
 * without its limit when the policy says so, and `handleConnect` runs inside
 * an AsyncLocalStorage scope that names the dialing peer. A relayed
 * connection is unlimited only when the relay has authenticated both its
 * ends (the reservation holder and the dialer); the reservation reply to a
 * client reflects the holder alone. Everything else keeps the default
 * limits. The stored reservation itself is never changed, so a peer whose
 * authentication lapses is limited again on its next relayed connection.
 *
 * This reaches into two members of the server object that TypeScript marks
 * private (`reservationStore.get` and `handleConnect`); the package version
 * is pinned, the shape is checked at start-up (INTERNAL if it changed) and
 * test/network/relay.test.ts asserts the resulting limits on real circuits.
 * A limit-check failure (the hook throws) keeps the limit: fail closed.
 *
 * Note: the relay server enforces `duration` in milliseconds but sends the
 * same number to clients, which read it as seconds; clients therefore
 * under-report the remaining time. The relay's own timer is what counts.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import type { CircuitRelayServerComponents, CircuitRelayServerInit, CircuitRelayService, RelayReservation } from '@libp2p/circuit-relay-v2'
import type { AbortOptions, Connection, PeerId } from '@libp2p/interface'
import { ParleyError } from '../errors.js'

/** Says whether the relay has authenticated `peerId` (filled by the auth layer). */
export type PeerAuthenticated = (peerId: PeerId) => boolean

/** A swappable authentication hook: the auth layer is created after the node, so it is set late. */
export class RelayAuthentication {
  #hook: PeerAuthenticated | undefined

  constructor(hook?: PeerAuthenticated) {
    this.#hook = hook
  }

  /** Sets (or, with `undefined`, clears) the hook; without one every peer is unauthenticated. */
  set(hook: PeerAuthenticated | undefined): void {
    this.#hook = hook
  }

  /** True only when the hook says so; a throwing hook counts as "no" (limits stay). */
  isAuthenticated(peerId: PeerId): boolean {
    if (this.#hook === undefined) return false
    try {
      return this.#hook(peerId) === true
    } catch {
      return false
    }
  }
}

/** The members of CircuitRelayServer 4.x this policy wraps. */
interface ServerInternals {
  reservationStore: { get(peer: PeerId): RelayReservation | undefined }
  handleConnect(args: { connection: Connection }, options: AbortOptions): Promise<void>
}

function internalsOf(server: CircuitRelayService): ServerInternals {
  const candidate = server as unknown as Partial<ServerInternals>
  if (typeof candidate.reservationStore?.get !== 'function' || typeof candidate.handleConnect !== 'function') {
    throw new ParleyError('INTERNAL', 'circuit relay server internals changed: the relay limit policy cannot be installed')
  }
  return candidate as ServerInternals
}

/**
 * A circuit relay v2 server service whose default limits are lifted only for
 * relayed connections between two peers `auth` says are authenticated.
 *
 * @example
 * const auth = new RelayAuthentication()
 * services.relay = parleyRelayServer({ reservations: { maxReservations: 128 } }, auth)
 * // later, once the auth layer exists:
 * auth.set((peerId) => gate.isAuthenticated(peerId))
 */
export function parleyRelayServer(init: CircuitRelayServerInit, auth: RelayAuthentication): (components: CircuitRelayServerComponents) => CircuitRelayService {
  const create = circuitRelayServer(init)
  return (components) => {
    const server = create(components)
    const internals = internalsOf(server)
    const dialer = new AsyncLocalStorage<PeerId>()
    const store = internals.reservationStore
    const get = store.get.bind(store)
    store.get = (peer: PeerId): RelayReservation | undefined => {
      const reservation = get(peer)
      if (reservation?.limit === undefined) return reservation
      const source = dialer.getStore()
      const lifted = auth.isAuthenticated(peer) && (source === undefined || auth.isAuthenticated(source))
      if (!lifted) return reservation
      const { limit: _limit, ...unlimited } = reservation
      return unlimited
    }
    const handleConnect = internals.handleConnect.bind(server)
    internals.handleConnect = async (args, options) => dialer.run(args.connection.remotePeer, () => handleConnect(args, options))
    return server
  }
}
