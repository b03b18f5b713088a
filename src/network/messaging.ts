/**
 * Live message delivery, /parley/msg/1.0.0 (DESIGN §7): ratchet envelopes
 * travel as length-prefixed frames over an authenticated connection; the
 * receiver acks after its deliver() committed the message; the sender keeps
 * every message in the outbox (a store, so it survives a restart) until
 * acked, retries with backoff, and reports each message's way (queued →
 * sent → delivered, or failed) as `delivery` events; the receiver drops
 * redeliveries by message id. This file wires the parts: the protocol
 * handler (messaging-receiver.ts), one courier per recipient
 * (messaging-courier.ts), the frames (messaging-wire.ts) and the timing
 * (messaging-timing.ts).
 *
 *   sender (courier for B)                           receiver B (handler)
 *   send(B, env) → outbox.put          'queued'
 *   gate.authenticate(connection)
 *   open /parley/msg/1.0.0 stream
 *   Message{id1, env1} ───────────────────────────▶  gate.peerOf: A? else Error{PEER_NOT_AUTHENTICATED}
 *   Message{id2, env2} ───(up to maxInFlight)─────▶  dedupe.seen(A, id1)? ack : deliver(A, id1, env1)
 *                                      'sent'        dedupe.remember(A, id1)
 *   outbox.delete(id1)  'delivered' ◀──────────────  Ack{id1}
 *   attempts+1, backoff 'queued'    ◀──────────────  Nack{id2, retry} (deliver threw), then close
 *   … later, a new stream: Message{id2, env2} ────▶  …  Ack{id2}
 *   idle for lingerMs: close ─────────────────────▶  close
 *
 * A bad frame gets Error{code} after the messages before it are answered;
 * Nack{refused} (the envelope can never be committed) fails that message.
 *
 * @example
 * ```ts
 * const messaging = createMessagingService({
 *   node, gate, outbox: new MemoryOutboxStore(), dedupe: new MemoryInboundDedupeStore(),
 *   deliver: async (from, id, envelope) => { await sessions.receive(from.did, envelope) },
 *   resolvePeer: async (did) => ({ peerId: await peerIdOf(did) }),
 * })
 * await messaging.start()
 * messaging.addEventListener('delivery', (e) => console.log(e.id, e.state))
 * const id = await messaging.send(bobDid, envelope)
 * ```
 */
import type { Connection } from '@libp2p/interface'
import { MSG_ID_LENGTH, MSG_PROTOCOL_ID, MSG_RATE_MAX_PEERS } from '../constants.js'
import { toHex } from '../codec/index.js'
import { ParleyError, wrapError } from '../errors.js'
import { Courier } from './messaging-courier.js'
import type { CourierContext } from './messaging-courier.js'
import { InboundStreams } from './messaging-receiver.js'
import { TokenBuckets, random01From } from './messaging-timing.js'
import { DeliveryEvent, MessagingErrorEvent, resolveMessagingLimits } from './messaging-types.js'
import type { MessagingEvents, MessagingLimits, MessagingService, MessagingServiceInit } from './messaging-types.js'
import { checkPeerDid } from './outbox.js'
import type { DeliveryState, OutboxEntry } from './outbox-types.js'

export { PERMANENT_REFUSAL_CODES, DUPLICATE_CODES, classifyDeliverError } from './messaging-receiver.js'
export { DeliveryEvent, MessagingErrorEvent, DEFAULT_MESSAGING_LIMITS } from './messaging-types.js'
export type { MessagingEvents, MessagingLimits, MessagingNode, MessagingService, MessagingServiceInit, PeerTarget } from './messaging-types.js'

const defaultRandom = (length: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(length))

/** Creates the service; nothing runs until `start()`. */
export function createMessagingService(init: MessagingServiceInit): MessagingService {
  return new Messaging(init)
}

class Messaging implements MessagingService {
  readonly #init: MessagingServiceInit
  readonly #limits: MessagingLimits
  readonly #clock: () => number
  readonly #random: (length: number) => Uint8Array
  readonly #events = new EventTarget()
  readonly #couriers = new Map<string, Courier>()
  #inbound: InboundStreams | undefined
  #stop: AbortController | undefined
  /** What every courier of the current run shares (a new one per start: its stop signal). */
  #ctx: CourierContext | undefined
  #pruneTimer: ReturnType<typeof setInterval> | undefined
  #started = false
  #starting: Promise<void> | undefined

  constructor(init: MessagingServiceInit) {
    this.#init = init
    this.#limits = resolveMessagingLimits(init.limits)
    this.#clock = init.clock ?? Date.now
    this.#random = init.random ?? defaultRandom
  }

  addEventListener<K extends keyof MessagingEvents>(type: K, listener: (event: MessagingEvents[K]) => void, options?: { once?: boolean; signal?: AbortSignal }): void {
    this.#events.addEventListener(type, listener as (event: Event) => void, options)
  }

  removeEventListener<K extends keyof MessagingEvents>(type: K, listener: (event: MessagingEvents[K]) => void): void {
    this.#events.removeEventListener(type, listener as (event: Event) => void)
  }

  async start(): Promise<void> {
    if (this.#started) return
    this.#starting ??= this.#doStart().finally(() => {
      this.#starting = undefined
    })
    await this.#starting
  }

  async #doStart(): Promise<void> {
    const { node } = this.#init
    const stop = new AbortController()
    const inbound = new InboundStreams({
      gate: this.#init.gate,
      dedupe: this.#init.dedupe,
      deliver: this.#init.deliver,
      commitBatch: this.#init.commitBatch,
      clock: this.#clock,
      limits: this.#limits,
      buckets: new TokenBuckets({ ratePerSecond: this.#limits.peerRatePerSecond, burst: this.#limits.peerRateBurst, maxKeys: MSG_RATE_MAX_PEERS }),
      emitError: (error, peer) => this.#emitError('inbound', error, peer),
      onPeerSeen: (did) => this.#couriers.get(did)?.peerSeen(),
    })
    const pending = await this.#init.outbox.pending()
    await node.handle(MSG_PROTOCOL_ID, inbound.handle, {
      maxInboundStreams: this.#limits.maxStreamsPerConnection,
      maxOutboundStreams: this.#limits.maxStreamsPerConnection,
    })
    this.#stop = stop
    this.#inbound = inbound
    this.#ctx = {
      node,
      gate: this.#init.gate,
      outbox: this.#init.outbox,
      resolvePeer: this.#init.resolvePeer,
      clock: this.#clock,
      random01: random01From(this.#random),
      limits: this.#limits,
      keepDelivered: this.#init.keepDelivered === true,
      stopSignal: stop.signal,
      emitDelivery: (entry, state, error) => this.#emitDelivery(entry, state, error),
      emitError: (direction, error, peer) => this.#emitError(direction, error, peer),
    }
    node.addEventListener('connection:open', this.#onConnection)
    for (const e of pending) this.#courier(e.to).load(e)
    this.#started = true
    for (const c of this.#couriers.values()) c.wake()
    void this.#prune()
    this.#pruneTimer = setInterval(() => void this.#prune(), this.#limits.dedupePruneIntervalMs)
    this.#pruneTimer.unref?.()
  }

  async stop(): Promise<void> {
    if (this.#starting !== undefined) await this.#starting.catch(() => undefined)
    if (!this.#started) return
    this.#started = false
    const { node } = this.#init
    node.removeEventListener('connection:open', this.#onConnection)
    clearInterval(this.#pruneTimer)
    this.#stop?.abort()
    this.#inbound?.stopAll()
    const couriers = [...this.#couriers.values()]
    this.#couriers.clear()
    await Promise.all(couriers.map((c) => c.stop()))
    await node.unhandle(MSG_PROTOCOL_ID).catch(() => undefined)
  }

  async send(to: string, envelope: Uint8Array): Promise<string> {
    checkPeerDid('messaging.send', to, 'to')
    if (!(envelope instanceof Uint8Array) || envelope.length === 0 || envelope.length > this.#limits.maxEnvelopeBytes) {
      throw new ParleyError('INVALID_ARGUMENT', `messaging.send: the envelope must be 1..${this.#limits.maxEnvelopeBytes} bytes`)
    }
    if (!this.#started) throw new ParleyError('INVALID_ARGUMENT', 'messaging.send: the service is not started')
    const now = this.#clock()
    const entry: OutboxEntry = {
      id: toHex(this.#random(MSG_ID_LENGTH)),
      to,
      envelope: envelope.slice(),
      state: 'queued',
      attempts: 0,
      createdAt: now,
      nextAttemptAt: now,
      expiresAt: now + this.#limits.ttlMs,
    }
    await this.#courier(to).send(entry)
    return entry.id
  }

  flush(to?: string): void {
    if (!this.#started) return
    if (to !== undefined) this.#couriers.get(to)?.flush()
    else for (const c of this.#couriers.values()) if (c.pending > 0) c.flush()
  }

  #courier(did: string): Courier {
    let c = this.#couriers.get(did)
    if (c === undefined) {
      if (this.#ctx === undefined) throw new ParleyError('INTERNAL', 'messaging: not started')
      c = new Courier(did, this.#ctx)
      this.#couriers.set(did, c)
    }
    return c
  }

  readonly #onConnection = (evt: CustomEvent<Connection>): void => {
    const peerId = evt.detail.remotePeer.toString()
    for (const c of this.#couriers.values()) if (c.peerId === peerId) c.peerSeen()
  }

  async #prune(): Promise<void> {
    try {
      await this.#init.dedupe.prune(this.#clock())
    } catch (err) {
      this.#emitError('store', wrapError(err, 'INTERNAL', 'msg: pruning the dedupe store failed'))
    }
  }

  #emitDelivery(entry: OutboxEntry, state: DeliveryState, error?: ParleyError): void {
    this.#events.dispatchEvent(new DeliveryEvent({ id: entry.id, to: entry.to, state, attempts: entry.attempts, ...(error === undefined ? {} : { error }) }))
  }

  #emitError(direction: 'inbound' | 'outbound' | 'store', error: ParleyError, peer?: string): void {
    this.#events.dispatchEvent(new MessagingErrorEvent(direction, error, peer))
  }
}
