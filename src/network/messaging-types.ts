/**
 * The public shapes of the /parley/msg service (messaging.ts): its
 * dependencies, its limits (defaults from src/constants.ts), and its events:
 * `delivery` for every state change of an outgoing message (queued → sent →
 * delivered, or back to queued for a retry, or failed) and `error` for every
 * typed refusal or failure of a stream, in either direction (nothing is lost
 * by one: it is the explanation of a retry).
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import {
  MSG_ACK_TIMEOUT_MS,
  MSG_CLOSE_GRACE_MS,
  MSG_COMMIT_BATCH_MAX,
  MSG_CONNECT_TIMEOUT_MS,
  MSG_DEDUPE_PRUNE_INTERVAL_MS,
  MSG_DEDUPE_TTL_MS,
  MSG_MAX_ATTEMPTS,
  MSG_MAX_ENVELOPE_BYTES,
  MSG_MAX_IN_FLIGHT,
  MSG_MAX_IN_FLIGHT_BYTES,
  MSG_MAX_PENDING_PER_PEER,
  MSG_MAX_STREAMS_PER_CONNECTION,
  MSG_OUTBOX_TTL_MS,
  MSG_PEER_RATE_BURST,
  MSG_PEER_RATE_PER_SECOND,
  MSG_RETRY_BASE_MS,
  MSG_RETRY_MAX_MS,
  MSG_STREAM_IDLE_TIMEOUT_MS,
  MSG_STREAM_LINGER_MS,
} from '../constants.js'
import { ParleyError } from '../errors.js'
import type { DeliveryState, InboundDedupeStore, OutboxStore } from './outbox-types.js'
import type { AuthenticatedPeer, ConnectionGate } from './types.js'

/** What the service needs of a libp2p node. */
export type MessagingNode = Pick<Libp2p, 'handle' | 'unhandle' | 'getConnections' | 'dial' | 'addEventListener' | 'removeEventListener'>

/** Where a DID can be reached: its peer id (dialled through the peer store) and/or addresses. */
export interface PeerTarget {
  peerId?: PeerId
  multiaddrs?: Multiaddr[]
}

/** Every tunable of the service; each defaults to the constant of the same meaning. */
export interface MessagingLimits {
  /** MSG_MAX_ENVELOPE_BYTES: largest envelope send() takes (the frame limit follows from it on both sides). */
  maxEnvelopeBytes: number
  /** MSG_MAX_IN_FLIGHT: unacked messages per stream (the sender's window, the receiver's bound). */
  maxInFlight: number
  /** MSG_MAX_IN_FLIGHT_BYTES: unacked frame bytes per stream. */
  maxInFlightBytes: number
  /** MSG_MAX_STREAMS_PER_CONNECTION: /parley/msg streams per connection and direction. */
  maxStreamsPerConnection: number
  /** MSG_ACK_TIMEOUT_MS */
  ackTimeoutMs: number
  /** MSG_STREAM_IDLE_TIMEOUT_MS */
  idleTimeoutMs: number
  /** MSG_STREAM_LINGER_MS */
  lingerMs: number
  /** MSG_CONNECT_TIMEOUT_MS */
  connectTimeoutMs: number
  /** MSG_RETRY_BASE_MS */
  retryBaseMs: number
  /** MSG_RETRY_MAX_MS */
  retryMaxMs: number
  /** MSG_MAX_ATTEMPTS */
  maxAttempts: number
  /** MSG_OUTBOX_TTL_MS */
  ttlMs: number
  /** MSG_MAX_PENDING_PER_PEER */
  maxPendingPerPeer: number
  /** MSG_DEDUPE_TTL_MS */
  dedupeTtlMs: number
  /** MSG_DEDUPE_PRUNE_INTERVAL_MS */
  dedupePruneIntervalMs: number
  /** MSG_PEER_RATE_PER_SECOND */
  peerRatePerSecond: number
  /** MSG_PEER_RATE_BURST */
  peerRateBurst: number
  /** MSG_CLOSE_GRACE_MS */
  closeGraceMs: number
  /** MSG_COMMIT_BATCH_MAX: inbound messages of one peer delivered in one `commitBatch`. */
  commitBatchMax: number
}

export const DEFAULT_MESSAGING_LIMITS: Readonly<MessagingLimits> = Object.freeze({
  maxEnvelopeBytes: MSG_MAX_ENVELOPE_BYTES,
  maxInFlight: MSG_MAX_IN_FLIGHT,
  maxInFlightBytes: MSG_MAX_IN_FLIGHT_BYTES,
  maxStreamsPerConnection: MSG_MAX_STREAMS_PER_CONNECTION,
  ackTimeoutMs: MSG_ACK_TIMEOUT_MS,
  idleTimeoutMs: MSG_STREAM_IDLE_TIMEOUT_MS,
  lingerMs: MSG_STREAM_LINGER_MS,
  connectTimeoutMs: MSG_CONNECT_TIMEOUT_MS,
  retryBaseMs: MSG_RETRY_BASE_MS,
  retryMaxMs: MSG_RETRY_MAX_MS,
  maxAttempts: MSG_MAX_ATTEMPTS,
  ttlMs: MSG_OUTBOX_TTL_MS,
  maxPendingPerPeer: MSG_MAX_PENDING_PER_PEER,
  dedupeTtlMs: MSG_DEDUPE_TTL_MS,
  dedupePruneIntervalMs: MSG_DEDUPE_PRUNE_INTERVAL_MS,
  peerRatePerSecond: MSG_PEER_RATE_PER_SECOND,
  peerRateBurst: MSG_PEER_RATE_BURST,
  closeGraceMs: MSG_CLOSE_GRACE_MS,
  commitBatchMax: MSG_COMMIT_BATCH_MAX,
})

/**
 * Fills in the defaults. Every limit is a positive integer; the envelope
 * limit may only be lowered (the frame limit of the wire is fixed), and so
 * may the in-flight window (a receiver refuses more than its own).
 */
export function resolveMessagingLimits(limits: Partial<MessagingLimits> = {}): MessagingLimits {
  const out: MessagingLimits = { ...DEFAULT_MESSAGING_LIMITS }
  for (const key of Object.keys(limits) as (keyof MessagingLimits)[]) {
    if (!Object.hasOwn(DEFAULT_MESSAGING_LIMITS, key)) throw new ParleyError('INVALID_ARGUMENT', `messaging: unknown limit ${JSON.stringify(key)}`)
    const v = limits[key]
    if (v === undefined) continue
    if (!Number.isSafeInteger(v) || v < 1) throw new ParleyError('INVALID_ARGUMENT', `messaging: limit ${key} must be a positive integer`)
    out[key] = v
  }
  if (out.maxEnvelopeBytes > MSG_MAX_ENVELOPE_BYTES) throw new ParleyError('INVALID_ARGUMENT', `messaging: maxEnvelopeBytes may not exceed ${MSG_MAX_ENVELOPE_BYTES}`)
  if (out.retryMaxMs < out.retryBaseMs) throw new ParleyError('INVALID_ARGUMENT', 'messaging: retryMaxMs must be at least retryBaseMs')
  return out
}

export interface MessagingServiceInit {
  node: MessagingNode
  gate: ConnectionGate
  outbox: OutboxStore
  dedupe: InboundDedupeStore
  /**
   * Called once per inbound message, in order per peer (the agent decrypts
   * and commits it here); the ack goes out after it resolves. A rejection is
   * classified by `classifyDeliverError` (messaging-receiver.ts): a
   * duplicate is acked, a permanent refusal nacked "refused" (the sender
   * gives the message up), anything else nacked "retry" (resent later).
   */
  deliver: (from: AuthenticatedPeer, id: string, envelope: Uint8Array) => Promise<void>
  /**
   * Group commit: runs `fn` — the deliveries of up to `commitBatchMax`
   * messages of one peer that wait together, each with its dedupe record —
   * so that their store writes commit together (the agent: one storage
   * transaction, one fsync), and resolves after that commit; their answers
   * go out only then. Each deliver() inside must still be all or nothing by
   * itself (the agent: a nested transaction), so one that fails takes none
   * of the others with it. When `commitBatch` rejects, none of the batch
   * counts as committed: its first message is nacked "retry" (the rest
   * follow it). Without it, each message is delivered by itself.
   */
  commitBatch?: <T>(fn: () => Promise<T>) => Promise<T>
  /** Where `did` can be reached, when no authenticated connection to it is open (undefined: nowhere known now). */
  resolvePeer: (did: string) => PeerTarget | undefined | Promise<PeerTarget | undefined>
  /** Epoch milliseconds (default Date.now): the outbox and dedupe timestamps. */
  clock?: () => number
  /** Random bytes (default WebCrypto): message ids and backoff jitter. */
  random?: (length: number) => Uint8Array
  limits?: Partial<MessagingLimits>
  /** Keep delivered entries in the outbox in state 'delivered' instead of deleting them (default false). */
  keepDelivered?: boolean
}

/** The detail of a `delivery` event. */
export interface DeliveryEventInit {
  id: string
  to: string
  state: DeliveryState
  /** Attempts at this message that reached the peer without an ack, so far. */
  attempts: number
  /** Why it went back to 'queued' (MSG_RETRY_LATER, NETWORK_CLOSED, NETWORK_TIMEOUT…) or 'failed' (MSG_REFUSED, MSG_EXPIRED, MSG_RETRIES_EXHAUSTED). */
  error?: ParleyError
}

/** A state change of an outgoing message. */
export class DeliveryEvent extends Event {
  readonly id: string
  readonly to: string
  readonly state: DeliveryState
  readonly attempts: number
  readonly error: ParleyError | undefined

  constructor(init: DeliveryEventInit) {
    super('delivery')
    this.id = init.id
    this.to = init.to
    this.state = init.state
    this.attempts = init.attempts
    this.error = init.error
  }
}

/** A stream refused or failed, with its typed reason. */
export class MessagingErrorEvent extends Event {
  /** 'inbound': a stream the peer opened to us; 'outbound': our delivery to the peer; 'store': a store call of the service failed. */
  readonly direction: 'inbound' | 'outbound' | 'store'
  /** The peer's DID when known (an unauthenticated peer has none). */
  readonly peer: string | undefined
  readonly error: ParleyError

  constructor(direction: 'inbound' | 'outbound' | 'store', error: ParleyError, peer?: string) {
    super('error')
    this.direction = direction
    this.error = error
    this.peer = peer
  }
}

export interface MessagingEvents {
  delivery: DeliveryEvent
  error: MessagingErrorEvent
}

export interface MessagingService {
  /** Registers the protocol handler, listens for connections and resumes what the outbox holds. */
  start(): Promise<void>
  /** Unregisters, closes streams, stops timers; pending messages stay in the outbox for the next start. */
  stop(): Promise<void>
  /**
   * Puts `envelope` in the outbox for `to` (durable when this resolves) and
   * returns its id (32 hex characters); delivery proceeds in the background,
   * reported by `delivery` events. INVALID_ARGUMENT for a bad DID or an
   * envelope of more than maxEnvelopeBytes; LIMIT_EXCEEDED when `to` already
   * has maxPendingPerPeer messages pending.
   */
  send(to: string, envelope: Uint8Array): Promise<string>
  /** An immediate attempt for `to` (or every peer with pending messages), ignoring backoff. */
  flush(to?: string): void
  addEventListener<K extends keyof MessagingEvents>(type: K, listener: (event: MessagingEvents[K]) => void, options?: { once?: boolean; signal?: AbortSignal }): void
  removeEventListener<K extends keyof MessagingEvents>(type: K, listener: (event: MessagingEvents[K]) => void): void
}
