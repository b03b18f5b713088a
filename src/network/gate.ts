/**
 * The authentication service of a libp2p node (DESIGN §5): it serves
 * /parley/auth/1.0.0 as responder, runs it as dialer on request, and is the
 * `ConnectionGate` every other /parley/* handler asks before it serves a
 * stream (`gate.require(connection)`, or wrap the handler in `gated`).
 *
 * Per connection it remembers the authenticated peer (or the refusal) until
 * the connection closes; concurrent `authenticate` calls join one run, and
 * a dialer joins a run the peer started. Before a responder reads a byte it
 * applies, cheapest first: the refused-peer memory of the gater, a rate
 * limit per remote peer id and one per remote IP (attempts per minute), and
 * the bound on handshakes in flight. The whole handshake has one deadline.
 * On failure the reason goes to the peer in a `refuse` frame, is surfaced
 * locally (the rejected `authenticate` promise and `onRefused`), the peer is
 * refused by the gater for a while (when it was its fault), and the
 * connection is closed.
 *
 * @example
 * const gater = createAuthGater()
 * const node = await createLibp2p({ …, connectionGater: gater.connectionGater })
 * const auth = await createAuthService({ node, gater, identity, trust, presentation })
 * const connection = await node.dial(addr)
 * const peer = await auth.authenticate(connection) // { did, credentialTypes, … }
 * await node.handle('/parley/msg/1.0.0', gated(auth, async (stream, connection, peer) => { … }))
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import {
  AUTH_ATTEMPTS_PER_IP_PER_MINUTE,
  AUTH_ATTEMPTS_PER_PEER_PER_MINUTE,
  AUTH_CLOSE_GRACE_MS,
  AUTH_HANDSHAKE_TIMEOUT_MS,
  AUTH_MAX_FRAME_BYTES,
  AUTH_MAX_PENDING_HANDSHAKES,
  AUTH_MAX_STREAMS_PER_CONNECTION,
  AUTH_PROTOCOL_ID,
  AUTH_RATE_LIMIT_MAX_KEYS,
} from '../constants.js'
import { defaultSuite } from '../crypto/index.js'
import type { Suite } from '../crypto/index.js'
import { validateTrustPolicy } from '../credentials/index.js'
import type { KeySources, TrustPolicy, VerifiedCredential } from '../credentials/index.js'
import { ParleyError, isParleyError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import type { Identity } from '../identity/index.js'
import { authError, createChallengeBook, isPeerRefusal, runHandshake, sendRefusal } from './auth.js'
import type { AuthRole, HandshakeResult, KelSource, PresentationProvider } from './auth.js'
import { frameStream } from './frames.js'
import { createAuthGater } from './gater.js'
import type { AuthGater } from './gater.js'
import { createRateLimiter } from './rate-limit.js'
import type { AuthenticatedPeer, ConnectionGate } from './types.js'

/** The part of a libp2p node the service uses. */
export type AuthNode = Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'addEventListener' | 'removeEventListener'>

/** A peer passed authentication on a connection. */
export interface AuthenticatedEvent {
  connection: Connection
  /** Our role in the handshake. */
  role: AuthRole
  peer: AuthenticatedPeer
  /** The peer's verified KEL (encoded): store it, and return it from `knownKel`, so a rollback is noticed. */
  kel: Uint8Array
  credentials: readonly VerifiedCredential[]
}

/** A handshake failed; the connection is being closed. */
export interface RefusedEvent {
  connection: Connection
  role: AuthRole
  remotePeer: PeerId
  error: ParleyError
  /** 'local': we refused (the reason went to the peer); 'peer': the peer refused us. */
  by: 'local' | 'peer'
}

export interface AuthServiceOptions {
  node: AuthNode
  /** Default: the native parley-1 suite. */
  suite?: Suite
  /** Our identity, or a getter for the current one (it changes when we rotate). */
  identity: Identity | (() => Identity)
  /**
   * The group whose control key we hold (its KEL, secrets and state, as its
   * members hold them). When set, every connection of this node is in that
   * group's context: both sides must be members and prove it.
   */
  group?: Identity | (() => Identity)
  trust: TrustPolicy
  /** Require an accepted credential from every peer. Default: true when `trust` lists an issuer and a type. */
  requireCredential?: boolean
  /**
   * Peers authenticated by their DID alone even when credentials are
   * required: the node's own relays (infrastructure, which carry only sealed
   * traffic and show no credential). A throwing callback exempts nobody.
   */
  credentialExempt?: (peer: PeerId) => boolean
  /** Makes our presentation when a peer asks for one. */
  presentation?: PresentationProvider
  /** A peer's KEL when its message carries none (too large to inline). */
  resolveKel?: KelSource
  /** The newest KEL we hold for a DID: an older one from the peer is KEL_ROLLBACK, a fork KEL_DUPLICITY. */
  knownKel?: KelSource
  /** Resolver for credential issuers that are not did:parley. */
  resolver?: KeySources['resolver']
  /** The refused-peer memory also installed as the node's connection gater; default a fresh one (then only the auth handler consults it). */
  gater?: AuthGater
  /** Default `() => new Date()`: credential times, challenge expiry, rate limits. */
  clock?: () => Date
  /** Whole-handshake deadline (default AUTH_HANDSHAKE_TIMEOUT_MS). */
  handshakeTimeoutMs?: number
  limits?: {
    attemptsPerPeerPerMinute?: number
    attemptsPerIpPerMinute?: number
    maxPendingHandshakes?: number
  }
  onAuthenticated?: (event: AuthenticatedEvent) => void
  onRefused?: (event: RefusedEvent) => void
}

/** The running service: the connection gate, plus what the relay and the node need. */
export interface AuthService extends ConnectionGate {
  /** True when some open connection to `peer` passed authentication (the relay lifts its limits then). */
  isAuthenticated(peer: PeerId): boolean
  readonly gater: AuthGater
  /** Unregisters the protocol handler; known connections are forgotten. */
  stop(): Promise<void>
}

/** Refusals that are not the peer's fault (or not for sure): no gater cool-down for them. */
const NOT_BLOCKING: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'AUTH_TIMEOUT',
  'AUTH_RATE_LIMITED',
  'NETWORK_CLOSED',
  'NETWORK_TIMEOUT',
  'INTERNAL',
  'INVALID_ARGUMENT',
  'DID_NOT_FOUND',
  'LIMIT_EXCEEDED',
])

interface ConnState {
  connection: Connection
  peer?: AuthenticatedPeer
  refusal?: ParleyError
  running?: Promise<AuthenticatedPeer>
}

const MINUTE_MS = 60_000

/** The remote IP of a direct connection; none for a relayed one (that IP is the relay's). */
function remoteIp(connection: Connection): string | undefined {
  const parts = connection.remoteAddr.getComponents()
  if (parts.some((c) => c.name === 'p2p-circuit')) return undefined
  return parts.find((c) => c.name === 'ip4' || c.name === 'ip6')?.value
}

function current(source: Identity | (() => Identity)): Identity {
  return typeof source === 'function' ? source() : source
}

/** Resolves when `connection` has closed, or after `ms`. */
function closedOrAfter(connection: Connection, ms: number): Promise<void> {
  if (connection.status !== 'open') return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      connection.removeEventListener('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    timer.unref?.()
    connection.addEventListener('close', done)
  })
}

/** `promise`, or a rejection when `signal` aborts first (the run itself goes on for other callers). */
function withSignal<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(new ParleyError('AUTH_TIMEOUT', 'auth: aborted by the caller', { cause: signal.reason }))
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(new ParleyError('AUTH_TIMEOUT', 'auth: aborted by the caller', { cause: signal.reason }))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

/**
 * Registers the /parley/auth/1.0.0 handler on `options.node` and returns the
 * gate. Call `stop()` before stopping the node.
 */
export async function createAuthService(options: AuthServiceOptions): Promise<AuthService> {
  const { node } = options
  const suite = options.suite ?? defaultSuite
  const trust = validateTrustPolicy(options.trust)
  const requireCredential = options.requireCredential ?? (trust.trustedIssuers.length > 0 && trust.acceptedTypes.length > 0)
  const clock = options.clock ?? (() => new Date())
  const timeoutMs = options.handshakeTimeoutMs ?? AUTH_HANDSHAKE_TIMEOUT_MS
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new ParleyError('INVALID_ARGUMENT', 'auth: handshakeTimeoutMs must be a positive integer')
  const gater = options.gater ?? createAuthGater({ clock })
  const limits = options.limits ?? {}
  const perPeer = createRateLimiter({ limit: limits.attemptsPerPeerPerMinute ?? AUTH_ATTEMPTS_PER_PEER_PER_MINUTE, windowMs: MINUTE_MS, maxKeys: AUTH_RATE_LIMIT_MAX_KEYS })
  const perIp = createRateLimiter({ limit: limits.attemptsPerIpPerMinute ?? AUTH_ATTEMPTS_PER_IP_PER_MINUTE, windowMs: MINUTE_MS, maxKeys: AUTH_RATE_LIMIT_MAX_KEYS })
  const challenges = createChallengeBook(suite, limits.maxPendingHandshakes ?? AUTH_MAX_PENDING_HANDSHAKES, timeoutMs)
  const states = new Map<string, ConnState>()
  const localPeerId = node.peerId.toMultihash().bytes

  const onClose = (event: CustomEvent<Connection>): void => {
    states.delete(event.detail.id)
  }
  node.addEventListener('connection:close', onClose)

  function stateOf(connection: Connection): ConnState {
    let state = states.get(connection.id)
    if (state === undefined) {
      state = { connection }
      if (connection.status === 'open') states.set(connection.id, state)
    }
    return state
  }

  function emit<E>(callback: ((event: E) => void) | undefined, event: E): void {
    try {
      callback?.(event)
    } catch {
      // a listener's bug must not break the handshake bookkeeping
    }
  }

  async function closeConnection(connection: Connection, error: ParleyError, waitForPeer: boolean): Promise<void> {
    if (waitForPeer) await closedOrAfter(connection, AUTH_CLOSE_GRACE_MS)
    try {
      await connection.close({ signal: AbortSignal.timeout(AUTH_CLOSE_GRACE_MS) })
    } catch {
      connection.abort(error)
    }
  }

  async function refused(connection: Connection, role: AuthRole, stream: Stream | undefined, error: ParleyError): Promise<never> {
    const state = stateOf(connection)
    delete state.peer
    state.refusal = error
    const by = isPeerRefusal(error) ? 'peer' : 'local'
    if (by === 'local' && !NOT_BLOCKING.has(error.code)) gater.refuse(connection.remotePeer)
    emit(options.onRefused, { connection, role, remotePeer: connection.remotePeer, error, by })
    // in the background, so the refusal is surfaced at once: flush the stream, and after our own
    // refusal give the peer a moment to read it and hang up first
    const closing = async (): Promise<void> => {
      if (stream !== undefined) await stream.close({ signal: AbortSignal.timeout(AUTH_CLOSE_GRACE_MS) }).catch(() => stream.abort(error))
      await closeConnection(connection, error, by === 'local')
    }
    closing().catch(() => undefined)
    throw error
  }

  async function run(connection: Connection, stream: Stream, role: AuthRole): Promise<AuthenticatedPeer> {
    const state = stateOf(connection)
    const frames = frameStream(stream, { maxBytes: AUTH_MAX_FRAME_BYTES, timeoutMs: 0 })
    const signal = AbortSignal.timeout(timeoutMs)
    let result: HandshakeResult
    try {
      const group = options.group === undefined ? undefined : current(options.group)
      result = await runHandshake(role, frames, {
        suite,
        identity: current(options.identity),
        ...(group === undefined ? {} : { group }),
        trust,
        requireCredential: requireCredential && !exempt(connection.remotePeer),
        ...(options.presentation === undefined ? {} : { presentation: options.presentation }),
        ...(options.resolveKel === undefined ? {} : { resolveKel: options.resolveKel }),
        ...(options.knownKel === undefined ? {} : { knownKel: options.knownKel }),
        ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
        clock,
        challenges,
        localPeerId,
        remotePeerId: connection.remotePeer.toMultihash().bytes,
        remotePeerIdText: connection.remotePeer.toString(),
        signal,
        onVerified: (r) => {
          // recorded before our last message leaves, so a stream the peer opens right after it is served
          state.peer = toPeer(connection, r)
        },
      })
    } catch (err) {
      return refused(connection, role, stream, authError(err, signal))
    }
    const peer = state.peer ?? toPeer(connection, result)
    state.peer = peer
    delete state.refusal
    await stream.close({ signal: AbortSignal.timeout(AUTH_CLOSE_GRACE_MS) }).catch(() => stream.abort(new Error('auth stream close failed')))
    emit(options.onAuthenticated, { connection, role, peer, kel: result.kel, credentials: result.credentials })
    return peer
  }

  function exempt(peer: PeerId): boolean {
    try {
      return options.credentialExempt?.(peer) === true
    } catch {
      return false
    }
  }

  function toPeer(connection: Connection, r: HandshakeResult): AuthenticatedPeer {
    const peer: AuthenticatedPeer = {
      did: r.did,
      peerId: connection.remotePeer,
      keyState: r.keyState,
      credentialTypes: Object.freeze([...r.credentialTypes]),
      at: clock(),
      ...(r.group === undefined ? {} : { group: r.group }),
    }
    return Object.freeze(peer)
  }

  /** The cheap refusals a responder applies before reading a byte. */
  function admit(connection: Connection): ParleyError | undefined {
    const now = clock().getTime()
    if (gater.isRefused(connection.remotePeer)) return new ParleyError('AUTH_RATE_LIMITED', 'auth: refused recently; try again later')
    if (!perPeer.take(connection.remotePeer.toString(), now)) return new ParleyError('AUTH_RATE_LIMITED', 'auth: too many attempts from this peer')
    const ip = remoteIp(connection)
    if (ip !== undefined && !perIp.take(ip, now)) return new ParleyError('AUTH_RATE_LIMITED', 'auth: too many attempts from this address')
    return undefined
  }

  function track(state: ConnState, promise: Promise<AuthenticatedPeer>): Promise<AuthenticatedPeer> {
    state.running = promise
    const clear = (): void => {
      if (state.running === promise) delete state.running
    }
    promise.then(clear, clear)
    return promise
  }

  async function handler(stream: Stream, connection: Connection): Promise<void> {
    const state = stateOf(connection)
    const early = admit(connection)
    if (early !== undefined) {
      await sendRefusal(frameStream(stream, { maxBytes: AUTH_MAX_FRAME_BYTES, timeoutMs: 0 }), early)
      await refused(connection, 'responder', stream, early).catch(() => undefined)
      return
    }
    await track(state, run(connection, stream, 'responder')).catch(() => undefined)
  }

  await node.handle(AUTH_PROTOCOL_ID, handler, {
    maxInboundStreams: AUTH_MAX_STREAMS_PER_CONNECTION,
    maxOutboundStreams: AUTH_MAX_STREAMS_PER_CONNECTION,
    runOnLimitedConnection: true,
  })

  async function dial(connection: Connection): Promise<AuthenticatedPeer> {
    let stream: Stream
    try {
      stream = await connection.newStream(AUTH_PROTOCOL_ID, { signal: AbortSignal.timeout(timeoutMs), runOnLimitedConnection: true })
    } catch (err) {
      const name = (err as { name?: string } | null)?.name
      if (name === 'UnsupportedProtocolError') throw new ParleyError('AUTH_VERSION_UNSUPPORTED', `auth: the peer does not speak ${AUTH_PROTOCOL_ID}`, { cause: err })
      if (name === 'AbortError' || name === 'TimeoutError') throw new ParleyError('AUTH_TIMEOUT', 'auth: opening the auth stream timed out', { cause: err })
      throw new ParleyError('NETWORK_CLOSED', 'auth: cannot open the auth stream', { cause: err })
    }
    return run(connection, stream, 'dialer')
  }

  const service: AuthService = {
    gater,
    peerOf(connection) {
      if (connection.status !== 'open') return undefined
      return states.get(connection.id)?.peer
    },
    require(connection) {
      const peer = service.peerOf(connection)
      if (peer === undefined) throw new ParleyError('PEER_NOT_AUTHENTICATED', 'the connection has not passed Parley authentication')
      return peer
    },
    authenticate(connection, opts = {}) {
      const state = stateOf(connection)
      if (state.peer !== undefined && state.running === undefined) return Promise.resolve(state.peer)
      if (state.refusal !== undefined) return Promise.reject(state.refusal)
      if (connection.status !== 'open') return Promise.reject(new ParleyError('NETWORK_CLOSED', 'auth: the connection is closed'))
      const running = state.running ?? track(state, dial(connection))
      // joined by other callers: nobody may be left with an unobserved rejection
      running.catch(() => undefined)
      return withSignal(running, opts.signal)
    },
    isAuthenticated(peer) {
      for (const s of states.values()) {
        if (s.peer !== undefined && s.connection.status === 'open' && s.peer.peerId.equals(peer)) return true
      }
      return false
    },
    async stop() {
      node.removeEventListener('connection:close', onClose)
      states.clear()
      await node.unhandle(AUTH_PROTOCOL_ID)
    },
  }
  return service
}

/**
 * Wraps a /parley/* protocol handler so it runs only on an authenticated
 * connection: otherwise the stream is aborted with PEER_NOT_AUTHENTICATED
 * (and `onRefused`, when given, hears of it) before a byte is read.
 *
 * @example
 * await node.handle('/parley/msg/1.0.0', gated(auth, async (stream, connection, peer) => serve(stream, peer)))
 */
export function gated(
  gate: ConnectionGate,
  handler: (stream: Stream, connection: Connection, peer: AuthenticatedPeer) => void | Promise<void>,
  onRefused?: (error: ParleyError, connection: Connection) => void,
): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    let peer: AuthenticatedPeer
    try {
      peer = gate.require(connection)
    } catch (err) {
      const error = isParleyError(err) ? err : new ParleyError('PEER_NOT_AUTHENTICATED', 'the connection has not passed Parley authentication', { cause: err })
      stream.abort(error)
      onRefused?.(error, connection)
      return
    }
    await handler(stream, connection, peer)
  }
}
