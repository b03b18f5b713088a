/**
 * Parties for the auth tests: a real libp2p node with its auth gater, a
 * did:parley identity listing the node's peer id, optionally a
 * VerifiedHumanCredential and a presentation provider, and the auth service
 * with its events recorded. A settable clock drives credential times,
 * challenge expiry, rate limits and the gater, so tests move time instead of
 * waiting. Credential issuers are made once per file (ML-DSA key generation
 * is not free).
 */
import type { Libp2p } from 'libp2p'
import { defaultSuite } from '../../src/crypto/index.js'
import { createIdentity } from '../../src/identity/author.js'
import type { Identity } from '../../src/identity/author.js'
import type { Service } from '../../src/identity/events.js'
import { createPresentation, issueCredential, validateTrustPolicy } from '../../src/credentials/index.js'
import type { CredentialContainer, TrustPolicy } from '../../src/credentials/index.js'
import { createAuthGater } from '../../src/network/gater.js'
import type { AuthGater } from '../../src/network/gater.js'
import { createAuthService } from '../../src/network/gate.js'
import type { AuthService, AuthServiceOptions, AuthenticatedEvent, RefusedEvent } from '../../src/network/gate.js'
import type { PresentationProvider } from '../../src/network/auth.js'
import { startNode } from './auth-nodes.js'

export const suite = defaultSuite

/** Issuance time of the fixture credentials. */
export const T0 = new Date('2030-01-01T00:00:00Z')

/** `T0` plus `seconds`. */
export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000)
}

/** A clock tests move by hand. */
export interface TestClock {
  (): Date
  set(d: Date): void
  advance(ms: number): void
}

export function testClock(start = at(3600)): TestClock {
  let now = start.getTime()
  const clock = (() => new Date(now)) as TestClock
  clock.set = (d) => {
    now = d.getTime()
  }
  clock.advance = (ms) => {
    now += ms
  }
  return clock
}

/** The trusted issuer and an untrusted one (did:parley, hybrid). */
export const issuer = createIdentity(suite, { name: 'issuer', now: at(-7200) })
export const rogueIssuer = createIdentity(suite, { name: 'rogue', now: at(-7200) })

/** A policy that trusts `issuer` for VerifiedHumanCredential and requires the PQ co-signature. */
export const trusting: TrustPolicy = validateTrustPolicy({ trustedIssuers: [issuer.state.did], acceptedTypes: ['VerifiedHumanCredential'], requirePq: true })
/** A policy that asks for no credential. */
export const open: TrustPolicy = validateTrustPolicy({ trustedIssuers: [], acceptedTypes: [], requirePq: true })

/** A copy of an identity's secrets (rotation wipes the ones it is given). */
export function copySecrets(id: Identity): Identity['secrets'] {
  return { signing: id.secrets.signing.slice(), next: id.secrets.next.slice(), agreement: id.secrets.agreement.map((k) => k.slice()) }
}

/** The `libp2p-peer` service of a peer id. */
export function peerService(peerId: string): Service {
  return { id: 'p2p', type: 'libp2p-peer', endpoint: peerId }
}

/** A VerifiedHumanCredential for `subject`, issued at T0 by `by` (default the trusted issuer). */
export function credentialFor(subject: string, opts: { by?: Identity; validUntil?: Date } = {}): Promise<CredentialContainer> {
  return issueCredential({ suite, issuer: opts.by ?? issuer, subject, now: T0, validUntil: opts.validUntil ?? at(365 * 86400) })
}

/** Presents `credentials` as the holder `identity()` returns. */
export function presenter(identity: () => Identity, credentials: CredentialContainer[]): PresentationProvider {
  return async ({ audience, nonce, now }) => {
    const holder = identity()
    return createPresentation({ suite, holder: { kel: holder.kel, secrets: holder.secrets }, credentials, audience, nonce, now })
  }
}

export interface Party {
  name: string
  node: Libp2p
  gater: AuthGater
  /** The identity as created (listing the node's peer id unless `services` said otherwise). */
  identity: Identity
  service: AuthService
  authenticated: AuthenticatedEvent[]
  refused: RefusedEvent[]
}

export interface PartyOptions {
  clock: TestClock
  /** Default `trusting`. */
  trust?: TrustPolicy
  /** 'valid' (default when trust requires one), 'expired', 'untrusted', or 'none'. */
  credential?: 'valid' | 'expired' | 'untrusted' | 'none'
  /** Services of the identity, given the node's peer id (default: just the libp2p-peer service). */
  services?: (peerId: string) => Service[]
  /** Replace the identity the service uses (it gets the created one). */
  identity?: (created: Identity) => Identity | (() => Identity)
  group?: Identity | (() => Identity)
  /** More service options (limits, timeouts, KEL sources…). */
  service?: Partial<AuthServiceOptions>
}

/** A started node with identity, credential and auth service. */
export async function party(name: string, opts: PartyOptions): Promise<Party> {
  const gater = createAuthGater({ clock: opts.clock })
  const node = await startNode({ connectionGater: gater.connectionGater })
  const peerId = node.peerId.toString()
  const identity = createIdentity(suite, { name, now: at(-3600), services: opts.services?.(peerId) ?? [peerService(peerId)] })
  const trust = opts.trust ?? trusting
  const kind = opts.credential ?? 'valid'
  let presentation: PresentationProvider | undefined
  if (kind !== 'none') {
    const credential = await credentialFor(identity.state.did, {
      ...(kind === 'untrusted' ? { by: rogueIssuer } : {}),
      ...(kind === 'expired' ? { validUntil: at(10) } : {}),
    })
    presentation = presenter(() => identity, [credential])
  }
  const authenticated: AuthenticatedEvent[] = []
  const refused: RefusedEvent[] = []
  const service = await createAuthService({
    node,
    gater,
    identity: opts.identity?.(identity) ?? identity,
    trust,
    clock: opts.clock,
    ...(presentation === undefined ? {} : { presentation }),
    ...(opts.group === undefined ? {} : { group: opts.group }),
    onAuthenticated: (e) => authenticated.push(e),
    onRefused: (e) => refused.push(e),
    ...opts.service,
  })
  return { name, node, gater, identity, service, authenticated, refused }
}
