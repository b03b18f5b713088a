/**
 * The sending side of /parley/msg/1.0.0 for one peer DID: a courier holds
 * that peer's pending outbox entries in order, keeps at most one stream
 * ("link") to it, writes up to maxInFlight messages ahead (pipelining) and
 * matches the in-order answers against the oldest unanswered one.
 *
 * Retry rules:
 *   - Not reaching the peer (no address, dial, authentication or stream
 *     failure) charges no message: the courier waits with its own backoff
 *     (in memory), and a connection from that peer, an inbound stream from
 *     its DID or flush() ends the wait at once. Messages wait until they
 *     expire (MSG_EXPIRED).
 *   - A message written and not acked (Nack "retry", the stream or the
 *     connection lost, no answer within ackTimeoutMs, the receiver refusing
 *     the stream) charges the oldest unanswered message one attempt, with
 *     exponential backoff and jitter (persisted in nextAttemptAt); the later
 *     ones go back to 'queued' uncharged and follow it. At maxAttempts it
 *     fails (MSG_RETRIES_EXHAUSTED). The peer's queue is due when its oldest
 *     message is: messages of one peer never overtake each other.
 *   - Nack "refused": that message fails (MSG_REFUSED), the rest continue.
 *
 * State lives in memory for scheduling and goes to the store through one
 * ordered chain of writes per courier; each `delivery` event is emitted
 * after its write, so events follow durable state.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { FRAME_MAX_LENGTH_PREFIX_BYTES, MSG_MAX_FRAME_BYTES, MSG_PROTOCOL_ID } from '../constants.js'
import { fromHex, toHex } from '../codec/index.js'
import { ParleyError, wrapError } from '../errors.js'
import { frameStream } from './frames.js'
import type { FrameStream } from './frames.js'
import { retryDelay } from './messaging-timing.js'
import type { MessagingLimits, MessagingNode, MessagingServiceInit } from './messaging-types.js'
import { decodeMsgFrame, encodeMsgFrame } from './messaging-wire.js'
import type { MsgFrame } from './messaging-wire.js'
import type { DeliveryState, OutboxEntry, OutboxStore } from './outbox-types.js'
import type { ConnectionGate } from './types.js'

export interface CourierContext {
  node: MessagingNode
  gate: ConnectionGate
  outbox: OutboxStore
  resolvePeer: MessagingServiceInit['resolvePeer']
  clock: () => number
  random01: () => number
  limits: MessagingLimits
  keepDelivered: boolean
  /** Aborted when the service stops. */
  stopSignal: AbortSignal
  emitDelivery: (entry: OutboxEntry, state: DeliveryState, error?: ParleyError) => void
  emitError: (direction: 'outbound' | 'store', error: ParleyError, peer?: string) => void
}

interface Link {
  fs: FrameStream
  stream: Stream
  ackTimer?: ReturnType<typeof setTimeout>
  lingerTimer?: ReturnType<typeof setTimeout>
}

export class Courier {
  readonly did: string
  /** The peer's libp2p peer id (string), once known: connection events for it end the wait. */
  peerId: string | undefined
  readonly #ctx: CourierContext
  /** Pending entries in send order; the first #inFlight of them are written on #link and unanswered. */
  readonly #queue: OutboxEntry[] = []
  /** Frame sizes of the in-flight entries. */
  #sizes: number[] = []
  #inFlight = 0
  #inFlightBytes = 0
  #link: Link | undefined
  /** Failed attempts to reach the peer in a row, and when to try again (in memory: a restart tries at once). */
  #unreachable = 0
  #retryAt = 0
  #forced = false
  #timer: ReturnType<typeof setTimeout> | undefined
  #busy = false
  #again = false
  #stopped = false
  #writes: Promise<void> = Promise.resolve()
  /** Settles when the last put is written (or failed): the next may start. */
  #sends: Promise<void> = Promise.resolve()
  /** Settles when the last put's entry is queued (or its put failed): entries are queued in put order. */
  #queued: Promise<void> = Promise.resolve()
  /** Puts written and not yet resolved (they count against maxPendingPerPeer). */
  #storing = 0

  constructor(did: string, ctx: CourierContext) {
    this.did = did
    this.#ctx = ctx
  }

  get pending(): number {
    return this.#queue.length
  }

  /** Takes an entry loaded from the outbox at start (a 'sent' one is resent: it was never acked). */
  load(entry: OutboxEntry): void {
    this.#queue.push({ ...entry, state: 'queued' })
  }

  /**
   * Puts a new entry in the outbox and queues it. The puts of one peer are
   * written one after another (the store's order is the call order): the
   * next starts once this one is written (the store's `written`, else once
   * it resolved), so several may join one commit; each entry is queued for
   * the wire once its put resolved (durable), in the same order.
   */
  send(entry: OutboxEntry): Promise<void> {
    let written = (): void => undefined
    const turn = new Promise<void>((resolve) => (written = resolve))
    const stored = this.#sends.then(async () => {
      try {
        if (this.#stopped) throw new ParleyError('INVALID_ARGUMENT', 'msg: the service is stopped')
        if (this.#queue.length + this.#storing >= this.#ctx.limits.maxPendingPerPeer) {
          throw new ParleyError('LIMIT_EXCEEDED', `msg: ${this.#ctx.limits.maxPendingPerPeer} messages already pending for this peer`)
        }
        this.#storing++
        try {
          await this.#ctx.outbox.put(entry, written)
        } finally {
          this.#storing--
        }
      } finally {
        written()
      }
    })
    this.#sends = turn
    const done = Promise.all([this.#queued, stored]).then(() => {
      const held = { ...entry, envelope: entry.envelope.slice() }
      this.#queue.push(held)
      this.#ctx.emitDelivery(held, 'queued')
      this.wake()
    })
    this.#queued = done.catch(() => undefined)
    return done
  }

  /** An attempt now, whatever the backoff says. */
  flush(): void {
    this.#forced = true
    this.#peerSeen()
  }

  /** The peer showed up (a connection, an inbound stream): stop waiting for it to be reachable. */
  peerSeen(): void {
    if (this.#unreachable === 0 && this.#retryAt === 0) return
    this.#peerSeen()
  }

  #peerSeen(): void {
    this.#unreachable = 0
    this.#retryAt = 0
    if (this.#queue.length > 0) this.wake()
  }

  /** Stops: timers, the link; pending state stays in the outbox. Resolves when the store writes are done. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    const link = this.#link
    this.#link = undefined
    if (link !== undefined) {
      clearTimeout(link.ackTimer)
      clearTimeout(link.lingerTimer)
      link.stream.abort(new ParleyError('NETWORK_CLOSED', 'msg: the service stopped'))
    }
    await this.#sends
    await this.#queued
    await this.#writes
  }

  wake(): void {
    if (this.#stopped) return
    if (this.#busy) {
      this.#again = true
      return
    }
    this.#busy = true
    this.#run()
      .catch((err: unknown) => this.#ctx.emitError('outbound', wrapError(err, 'INTERNAL', 'msg: delivery failed'), this.did))
      .finally(() => {
        this.#busy = false
        if (this.#again) {
          this.#again = false
          this.wake()
        }
      })
  }

  async #run(): Promise<void> {
    clearTimeout(this.#timer)
    if (this.#link !== undefined) {
      await this.#pump(this.#link)
      return
    }
    const now = this.#ctx.clock()
    // Expiry goes with put order (createdAt + ttl); a later entry that expired out of order is caught before it is written.
    while (this.#queue[0] !== undefined && this.#queue[0].expiresAt <= now) {
      this.#fail(this.#queue[0], new ParleyError('MSG_EXPIRED', 'msg: not acked before it expired'))
    }
    const head = this.#queue[0]
    if (head === undefined) return
    const due = Math.max(this.#retryAt, head.nextAttemptAt)
    if (!this.#forced && now < due) {
      this.#schedule(Math.min(due, head.expiresAt) - now)
      return
    }
    this.#forced = false
    let link: Link
    try {
      link = await this.#connect()
    } catch (err) {
      const error = wrapError(err, 'MSG_PEER_UNREACHABLE', 'msg: could not reach the peer')
      this.#unreachable++
      const wait = retryDelay(this.#unreachable, this.#ctx.limits.retryBaseMs, this.#ctx.limits.retryMaxMs, this.#ctx.random01)
      this.#retryAt = this.#ctx.clock() + wait
      if (!this.#ctx.stopSignal.aborted) this.#ctx.emitError('outbound', error, this.did)
      this.#schedule(wait)
      return
    }
    if (this.#stopped) {
      link.stream.abort(new ParleyError('NETWORK_CLOSED', 'msg: the service stopped'))
      return
    }
    this.#unreachable = 0
    this.#retryAt = 0
    this.#link = link
    void this.#read(link)
    await this.#pump(link)
  }

  #schedule(ms: number): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.wake(), Math.max(0, Math.min(ms, 2 ** 31 - 1)))
    this.#timer.unref?.()
  }

  async #connect(): Promise<Link> {
    const { node, gate, limits } = this.#ctx
    const signal = AbortSignal.any([this.#ctx.stopSignal, AbortSignal.timeout(limits.connectTimeoutMs)])
    let conn = this.#authenticatedConnection()
    if (conn === undefined) {
      const target = await this.#ctx.resolvePeer(this.did)
      if (target?.peerId !== undefined) {
        this.peerId = target.peerId.toString()
        conn = node.getConnections(target.peerId).find((c) => c.status === 'open')
      }
      if (conn === undefined) {
        const addrs = target?.multiaddrs ?? []
        const dialTarget = addrs.length > 0 ? addrs : target?.peerId
        if (dialTarget === undefined) throw new ParleyError('MSG_PEER_UNREACHABLE', 'msg: no address known for the peer')
        try {
          conn = await node.dial(dialTarget, { signal })
        } catch (err) {
          throw new ParleyError('MSG_PEER_UNREACHABLE', 'msg: could not dial the peer', { cause: err })
        }
      }
    }
    let peer
    try {
      peer = await gate.authenticate(conn, { signal })
    } catch (err) {
      throw wrapError(err, 'PEER_NOT_AUTHENTICATED', 'msg: the peer did not authenticate')
    }
    if (peer.did !== this.did) throw new ParleyError('PEER_NOT_AUTHENTICATED', 'msg: the peer authenticated as another DID')
    this.peerId = conn.remotePeer.toString()
    let stream: Stream
    try {
      stream = await conn.newStream(MSG_PROTOCOL_ID, { signal, negotiateFully: false, maxOutboundStreams: limits.maxStreamsPerConnection })
    } catch (err) {
      throw wrapError(err, 'NETWORK_CLOSED', 'msg: could not open a stream')
    }
    return { stream, fs: frameStream(stream, { maxBytes: MSG_MAX_FRAME_BYTES, timeoutMs: 0 }) }
  }

  #authenticatedConnection(): Connection | undefined {
    for (const c of this.#ctx.node.getConnections()) {
      if (c.status === 'open' && this.#ctx.gate.peerOf(c)?.did === this.did) return c
    }
    return undefined
  }

  /** Writes what the window allows; lingers (then closes) when nothing is left. */
  async #pump(link: Link): Promise<void> {
    const { limits } = this.#ctx
    clearTimeout(link.lingerTimer)
    while (link === this.#link && this.#inFlight < this.#queue.length && this.#inFlight < limits.maxInFlight) {
      const e = this.#queue[this.#inFlight] as OutboxEntry
      if (e.expiresAt <= this.#ctx.clock()) {
        this.#fail(e, new ParleyError('MSG_EXPIRED', 'msg: not acked before it expired'))
        continue
      }
      const frame = encodeMsgFrame({ type: 'msg', id: fromHex(e.id), envelope: e.envelope })
      const size = frame.length + FRAME_MAX_LENGTH_PREFIX_BYTES
      if (this.#inFlight > 0 && this.#inFlightBytes + size > limits.maxInFlightBytes) break
      this.#inFlight++
      this.#inFlightBytes += size
      this.#sizes.push(size)
      if (link.ackTimer === undefined) this.#armAckTimer(link)
      try {
        await link.fs.write(frame)
      } catch (err) {
        this.#linkFailed(link, wrapError(err, 'NETWORK_CLOSED', 'msg: the stream failed'))
        return
      }
      if (link === this.#link && e.state === 'queued') this.#markSent(e)
    }
    if (link === this.#link && this.#queue.length === 0 && this.#inFlight === 0) {
      link.lingerTimer = setTimeout(() => this.#closeLink(link), limits.lingerMs)
      link.lingerTimer.unref?.()
    }
  }

  #armAckTimer(link: Link): void {
    clearTimeout(link.ackTimer)
    link.ackTimer = setTimeout(() => this.#linkFailed(link, new ParleyError('NETWORK_TIMEOUT', 'msg: no answer from the peer in time')), this.#ctx.limits.ackTimeoutMs)
    link.ackTimer.unref?.()
  }

  async #read(link: Link): Promise<void> {
    for (;;) {
      let frame: MsgFrame
      try {
        const bytes = await link.fs.read({ timeoutMs: 0 })
        if (link !== this.#link) return
        if (bytes === undefined) {
          if (this.#inFlight > 0) this.#linkFailed(link, new ParleyError('NETWORK_CLOSED', 'msg: the peer closed the stream before answering'))
          else this.#closeLink(link)
          return
        }
        frame = decodeMsgFrame(bytes)
      } catch (err) {
        this.#linkFailed(link, wrapError(err, 'NETWORK_CLOSED', 'msg: the stream failed'))
        return
      }
      if (link !== this.#link) return
      if (!this.#onFrame(link, frame)) return
    }
  }

  /** Handles one frame from the receiver; false when the link is done. */
  #onFrame(link: Link, frame: MsgFrame): boolean {
    if (frame.type === 'err') {
      this.#linkFailed(link, new ParleyError(frame.code, `msg: the peer refused the stream (${frame.code})`))
      return false
    }
    const head = this.#queue[0]
    if (frame.type === 'msg' || this.#inFlight === 0 || head === undefined || toHex(frame.id) !== head.id) {
      this.#linkFailed(link, new ParleyError('MSG_PROTOCOL_VIOLATION', `msg: unexpected ${frame.type} from the peer`))
      return false
    }
    if (head.state === 'queued') this.#markSent(head)
    if (frame.type === 'nack' && frame.reason === 'retry') {
      this.#linkFailed(link, new ParleyError('MSG_RETRY_LATER', 'msg: the peer could not commit the message now'))
      return false
    }
    this.#queue.shift()
    this.#inFlight--
    this.#inFlightBytes -= this.#sizes.shift() ?? 0
    if (this.#inFlight === 0) {
      clearTimeout(link.ackTimer)
      link.ackTimer = undefined
    } else {
      this.#armAckTimer(link)
    }
    if (frame.type === 'ack') this.#markDelivered(head)
    else this.#fail(head, new ParleyError('MSG_REFUSED', 'msg: the peer refused the message for good'))
    this.wake()
    return true
  }

  /** The link broke with `error`: the oldest unanswered message is charged an attempt, the other unanswered ones requeued. */
  #linkFailed(link: Link, error: ParleyError): void {
    if (link !== this.#link) return
    this.#link = undefined
    clearTimeout(link.ackTimer)
    clearTimeout(link.lingerTimer)
    link.stream.abort(error)
    const unanswered = this.#queue.slice(0, this.#inFlight)
    this.#inFlight = 0
    this.#inFlightBytes = 0
    this.#sizes = []
    const [head, ...rest] = unanswered
    if (head !== undefined) this.#charge(head, error)
    for (const e of rest) if (e.state === 'sent') this.#setQueued(e, error)
    if (!this.#stopped) this.#ctx.emitError('outbound', error, this.did)
    this.wake()
  }

  #closeLink(link: Link): void {
    if (link !== this.#link) return
    this.#link = undefined
    clearTimeout(link.ackTimer)
    clearTimeout(link.lingerTimer)
    link.stream.close().catch((err: unknown) => link.stream.abort(err instanceof Error ? err : new Error('close failed')))
    if (this.#queue.length > 0) this.wake()
  }

  #charge(e: OutboxEntry, error: ParleyError): void {
    const { limits } = this.#ctx
    e.attempts++
    if (e.attempts >= limits.maxAttempts) {
      this.#fail(e, new ParleyError('MSG_RETRIES_EXHAUSTED', `msg: not acked after ${e.attempts} attempts`, { cause: error }))
      return
    }
    e.nextAttemptAt = this.#ctx.clock() + retryDelay(e.attempts, limits.retryBaseMs, limits.retryMaxMs, this.#ctx.random01)
    this.#setQueued(e, error)
  }

  #setQueued(e: OutboxEntry, error: ParleyError): void {
    e.state = 'queued'
    const patch = { state: 'queued' as const, attempts: e.attempts, nextAttemptAt: e.nextAttemptAt }
    this.#write(() => this.#ctx.outbox.update(e.id, patch), e, 'queued', error)
  }

  #markSent(e: OutboxEntry): void {
    e.state = 'sent'
    this.#write(() => this.#ctx.outbox.update(e.id, { state: 'sent' }), e, 'sent')
  }

  #markDelivered(e: OutboxEntry): void {
    e.state = 'delivered'
    const { outbox } = this.#ctx
    this.#write(() => (this.#ctx.keepDelivered ? outbox.update(e.id, { state: 'delivered' }) : outbox.delete(e.id)), e, 'delivered')
  }

  /** Gives `e` up: out of the queue, 'failed' in the store (kept there for the application to show). */
  #fail(e: OutboxEntry, error: ParleyError): void {
    const i = this.#queue.indexOf(e)
    if (i >= 0) this.#queue.splice(i, 1)
    e.state = 'failed'
    this.#write(() => this.#ctx.outbox.update(e.id, { state: 'failed' }), e, 'failed', error)
  }

  /** Chains a store write, then its event (with the entry's values as they are now). */
  #write(op: () => Promise<void>, e: OutboxEntry, state: DeliveryState, error?: ParleyError): void {
    const snapshot = { ...e }
    this.#writes = this.#writes.then(async () => {
      try {
        await op()
      } catch (err) {
        this.#ctx.emitError('store', wrapError(err, 'INTERNAL', 'msg: an outbox write failed'), this.did)
      }
      this.#ctx.emitDelivery(snapshot, state, error)
    })
  }
}
