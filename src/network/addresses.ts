/**
 * Multiaddr handling shared by the node factory and the KEL announcement:
 * parsing caller-supplied addresses into typed errors, telling circuit
 * (relayed) addresses from direct ones, ranking addresses by how far they
 * reach (public before relayed-through-public, LAN, loopback), and turning
 * a node's address list into the short, stable, de-duplicated list a KEL
 * update carries. Addresses are stored without the node's own `/p2p/<id>`
 * suffix: the KEL lists the peer id once, in its own service.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { isLoopback, isPrivate } from '@libp2p/utils'
import type { PeerId } from '@libp2p/interface'
import { KEL_MAX_SERVICE_FIELD_LENGTH } from '../constants.js'
import { ParleyError } from '../errors.js'
import { utf8Length } from '../codec/index.js'

/** Multicodec of `/p2p/<peer id>`. */
const CODE_P2P = 0x01a5
/** Multicodec of `/p2p-circuit`. */
const CODE_P2P_CIRCUIT = 0x0122

/**
 * Parses one address given by a caller (option, config file, KEL), or throws
 * `code` with a one-line message naming `what`.
 */
export function parseAddress(value: string | Multiaddr, what: string, code: 'INVALID_ARGUMENT' | 'PEER_INFO_INVALID' = 'INVALID_ARGUMENT'): Multiaddr {
  if (typeof value !== 'string') return value
  if (utf8Length(value) > KEL_MAX_SERVICE_FIELD_LENGTH) throw new ParleyError(code, `${what}: address longer than ${KEL_MAX_SERVICE_FIELD_LENGTH} bytes`)
  try {
    return multiaddr(value)
  } catch (err) {
    throw new ParleyError(code, `${what}: not a multiaddr`, { cause: err })
  }
}

/** True when `ma` goes through a relay (`…/p2p/<relay>/p2p-circuit…`). */
export function isCircuitAddress(ma: Multiaddr): boolean {
  return ma.getComponents().some((c) => c.code === CODE_P2P_CIRCUIT)
}

/** The `/p2p/<id>` a multiaddr ends with, if any. */
export function trailingPeerId(ma: Multiaddr): string | undefined {
  const last = ma.getComponents().at(-1)
  return last?.code === CODE_P2P ? last.value : undefined
}

/** `ma` without a trailing `/p2p/<id>` component. */
export function withoutTrailingPeerId(ma: Multiaddr): Multiaddr {
  const components = ma.getComponents()
  if (components.at(-1)?.code !== CODE_P2P) return ma
  return multiaddr(components.slice(0, -1))
}

/** True for `/ip4/0.0.0.0/…` and `/ip6/::/…`: listen wildcards, never dialable. */
function isUnspecified(ma: Multiaddr): boolean {
  const first = ma.getComponents()[0]
  return (first?.name === 'ip4' && first.value === '0.0.0.0') || (first?.name === 'ip6' && first.value === '::')
}

/**
 * How far an address reaches, lower is better: public direct 0, circuit
 * through a public relay 1, LAN direct 2, circuit through a LAN relay 3,
 * loopback 4, circuit through a loopback relay 5. A circuit is judged by its
 * relay's address (the part a dialer actually reaches).
 */
export function addressRank(ma: Multiaddr): number {
  const circuit = isCircuitAddress(ma)
  const reached = circuit ? multiaddr(ma.getComponents().slice(0, ma.getComponents().findIndex((c) => c.code === CODE_P2P_CIRCUIT))) : ma
  const scope = isLoopback(reached) ? 2 : isPrivate(reached) ? 1 : 0
  return scope * 2 + (circuit ? 1 : 0)
}

/**
 * The addresses of `peerId` worth announcing, best first and at most `max`:
 * the own `/p2p/<id>` suffix removed, addresses of another peer, wildcards
 * and over-long ones dropped, duplicates removed, ordered by rank and then
 * by text so the same set always gives the same list.
 */
export function selectAnnounceAddresses(addresses: readonly Multiaddr[], peerId: PeerId, max: number): Multiaddr[] {
  const self = peerId.toString()
  const byText = new Map<string, { ma: Multiaddr; rank: number }>()
  for (const raw of addresses) {
    const owner = trailingPeerId(raw)
    if (owner !== undefined && owner !== self) continue
    const ma = withoutTrailingPeerId(raw)
    const text = ma.toString()
    if (ma.getComponents().length === 0 || isUnspecified(ma) || utf8Length(text) > KEL_MAX_SERVICE_FIELD_LENGTH) continue
    if (!byText.has(text)) byText.set(text, { ma, rank: addressRank(ma) })
  }
  return [...byText.entries()]
    .sort(([ta, a], [tb, b]) => a.rank - b.rank || (ta < tb ? -1 : ta > tb ? 1 : 0))
    .slice(0, Math.max(0, max))
    .map(([, { ma }]) => ma)
}
