/**
 * The receiving side of /parley/msg/1.0.0: one handler per inbound stream.
 * It asks the gate first (an unauthenticated peer gets an Error frame
 * PEER_NOT_AUTHENTICATED and a closed stream, nothing else runs), then reads
 * Message frames ahead into a bounded queue (more than maxInFlight messages
 * or maxInFlightBytes unanswered is LIMIT_EXCEEDED) while a second loop
 * answers them in order: a message id already committed (dedupe store) is
 * acked without calling deliver(); otherwise deliver() runs, serially per
 * peer DID across all its streams (so "seen, deliver, remember" is atomic
 * for one peer and its messages commit in order), and the ack goes out only
 * after it resolved and the id was remembered. The messages waiting
 * together (up to commitBatchMax) are answered as one batch: with
 * `commitBatch` (group commit) their deliveries and dedupe records commit
 * together, and their answers go out after that commit, in one write.
 *
 *   reader: Message{1} Message{2} Message{3} → queue [1, 2, 3]
 *   answerer: commitBatch(seen/deliver/remember 1, 2, 3) → COMMIT (fsync)
 *             → Ack{1} Ack{2} Ack{3} (one write)
 *
 * A bad frame (too large,
 * malformed, not CBOR, not a Message) stops the reading; the messages read
 * before it are still answered, then an Error frame with the typed code goes
 * out and the stream is closed: nothing already sent is lost.
 *
 * What deliver()'s failures mean on the wire (`classifyDeliverError`):
 *   - RATCHET_DUPLICATE, SESSION_REPLAY: the message was committed before
 *     (its dedupe record was lost or expired): Ack, and remember it.
 *   - PERMANENT_REFUSAL_CODES (a message that can never decrypt or decode:
 *     retrying cannot help): Nack "refused"; the sender marks it failed.
 *   - anything else (a store that is locked or failing, a bug): Nack
 *     "retry"; the receiver then stops answering this stream and closes it,
 *     so no later message of the peer overtakes the one that failed.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Connection, Stream } from '@libp2p/interface'
import { FRAME_MAX_LENGTH_PREFIX_BYTES, MSG_MAX_FRAME_BYTES } from '../constants.js'
import { toHex } from '../codec/index.js'
import { ParleyError, isParleyError, wrapError } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import { frameStream } from './frames.js'
import type { FrameStream } from './frames.js'
import { WIRE_ERROR_CODES, decodeMsgFrame, encodeMsgFrame } from './messaging-wire.js'
import type { NackReason } from './messaging-wire.js'
import type { TokenBuckets } from './messaging-timing.js'
import type { MessagingLimits, MessagingServiceInit } from './messaging-types.js'
import type { InboundDedupeStore } from './outbox-types.js'
import type { AuthenticatedPeer, ConnectionGate } from './types.js'

/** Failures of deliver() that no retry can cure: the receiver answers Nack "refused". */
export const PERMANENT_REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'MSG_REFUSED',
  'DECRYPT_FAILED',
  'DECODE_FAILED',
  'DECODE_TOO_LARGE',
  'DECODE_TOO_DEEP',
  'DECODE_NOT_CANONICAL',
  'DECODE_SCHEMA',
  'SESSION_WRONG_RECIPIENT',
  'SESSION_DOWNGRADE',
  'SESSION_NOT_FOUND',
  'SESSION_SENDER_MISMATCH',
  'SESSION_VERSION_UNSUPPORTED',
  'RATCHET_TOO_FAR_AHEAD',
  'RATCHET_ROLLBACK_DETECTED',
  'PREKEY_UNKNOWN',
  'PREKEY_USED',
  'BUNDLE_INVALID',
])

/** Failures of deliver() that say the message was already committed: the receiver acks. */
export const DUPLICATE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['RATCHET_DUPLICATE', 'SESSION_REPLAY'])

/** How the receiver answers a deliver() that threw `err`. */
export function classifyDeliverError(err: unknown): 'duplicate' | NackReason {
  if (isParleyError(err) && DUPLICATE_CODES.has(err.code)) return 'duplicate'
  if (isParleyError(err) && PERMANENT_REFUSAL_CODES.has(err.code)) return 'refused'
  return 'retry'
}

export interface ReceiverContext {
  gate: ConnectionGate
  dedupe: InboundDedupeStore
  deliver: MessagingServiceInit['deliver']
  commitBatch: MessagingServiceInit['commitBatch']
  clock: () => number
  limits: MessagingLimits
  buckets: TokenBuckets
  emitError: (error: ParleyError, peer?: string) => void
  /** An authenticated peer just opened a stream: it is reachable (the sender side may resume at once). */
  onPeerSeen: (did: string) => void
}

interface Held {
  id: Uint8Array
  envelope: Uint8Array
  bytes: number
}

type Answer = 'ack' | NackReason

export class InboundStreams {
  readonly #ctx: ReceiverContext
  /** The tail of each peer's deliver() chain. */
  readonly #chains = new Map<string, Promise<void>>()
  readonly #open = new Set<{ stream: Stream; stop: AbortController }>()

  constructor(ctx: ReceiverContext) {
    this.#ctx = ctx
  }

  /** The libp2p stream handler. Never throws: every failure closes the stream with a typed error event. */
  readonly handle = async (stream: Stream, connection: Connection): Promise<void> => {
    const fs = frameStream(stream, { maxBytes: MSG_MAX_FRAME_BYTES, timeoutMs: 0 })
    const peer = this.#ctx.gate.peerOf(connection)
    if (peer === undefined) {
      const refusal = new ParleyError('PEER_NOT_AUTHENTICATED', 'msg: the connection has not passed authentication')
      this.#ctx.emitError(refusal)
      await this.#refuse(fs, refusal)
      return
    }
    const entry = { stream, stop: new AbortController() }
    this.#open.add(entry)
    try {
      this.#ctx.onPeerSeen(peer.did)
      await this.#serve(fs, peer, entry.stop)
    } catch (err) {
      this.#ctx.emitError(wrapError(err, 'INTERNAL', 'msg: inbound stream failed'), peer.did)
      stream.abort(err instanceof Error ? err : new Error('msg: inbound stream failed'))
    } finally {
      entry.stop.abort()
      this.#open.delete(entry)
    }
  }

  /** Aborts every open inbound stream (service stop). */
  stopAll(): void {
    for (const { stream, stop } of this.#open) {
      stop.abort()
      stream.abort(new ParleyError('NETWORK_CLOSED', 'msg: the service stopped'))
    }
    this.#open.clear()
  }

  async #serve(fs: FrameStream, peer: AuthenticatedPeer, stop: AbortController): Promise<void> {
    const { limits } = this.#ctx
    const queue: Held[] = []
    let held = 0
    let heldBytes = 0
    let readerDone = false
    let fatal: ParleyError | undefined
    let wake: (() => void) | undefined
    let idleTimer: ReturnType<typeof setTimeout> | undefined
    const armIdle = (): void => {
      clearTimeout(idleTimer)
      if (held > 0) return
      idleTimer = setTimeout(() => stop.abort(), limits.idleTimeoutMs)
      idleTimer.unref?.()
    }

    const reader = (async () => {
      try {
        for (;;) {
          armIdle()
          const bytes = await fs.read({ signal: stop.signal, timeoutMs: 0 })
          clearTimeout(idleTimer)
          if (bytes === undefined) break
          const frame = decodeMsgFrame(bytes)
          if (frame.type !== 'msg') throw new ParleyError('MSG_PROTOCOL_VIOLATION', `msg: a sender may only send messages, got ${frame.type}`)
          const size = bytes.length + FRAME_MAX_LENGTH_PREFIX_BYTES
          if (held + 1 > limits.maxInFlight || heldBytes + size > limits.maxInFlightBytes) {
            throw new ParleyError('LIMIT_EXCEEDED', `msg: more than ${limits.maxInFlight} messages or ${limits.maxInFlightBytes} bytes unanswered`)
          }
          held++
          heldBytes += size
          queue.push({ id: frame.id, envelope: frame.envelope, bytes: size })
          wake?.()
        }
      } catch (err) {
        if (!stop.signal.aborted) {
          // Reported now; the Error frame goes out once the messages read before it are answered.
          fatal = wrapError(err, 'NETWORK_CLOSED', 'msg: the stream failed')
          this.#ctx.emitError(fatal, peer.did)
        }
      } finally {
        clearTimeout(idleTimer)
        readerDone = true
        wake?.()
      }
    })()

    let stoppedForRetry = false
    for (;;) {
      if (queue.length === 0) {
        if (readerDone || stop.signal.aborted) break
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = undefined
        continue
      }
      const batch = await this.#take(peer, queue, stop.signal)
      if (batch === undefined) break // stopped while throttled
      const answers = await this.#serially(peer.did, () => this.#commitBatch(peer, batch))
      const frames: Uint8Array[] = []
      answers.forEach((answer, i) => {
        const item = batch[i] as Held
        held--
        heldBytes -= item.bytes
        frames.push(encodeMsgFrame(answer === 'ack' ? { type: 'ack', id: item.id } : { type: 'nack', id: item.id, reason: answer }))
      })
      try {
        await fs.writeMany(frames)
      } catch (err) {
        this.#ctx.emitError(wrapError(err, 'NETWORK_CLOSED', 'msg: could not write an answer'), peer.did)
        stop.abort()
        break
      }
      if (answers.at(-1) === 'retry') {
        // The later messages of the batch stay unanswered: the sender resends them, in order.
        stoppedForRetry = true
        break
      }
      armIdle()
    }
    stop.abort()
    await reader
    if (fatal !== undefined && !stoppedForRetry) {
      await this.#refuse(fs, fatal)
      return
    }
    // The sender closed its side, the stream went idle, or the sender must retry: close ours
    // (after a retry the later messages stay unanswered: the sender resends them, in order).
    await this.#closeGently(fs.stream)
  }

  /**
   * The next batch off `queue`: its first message once the peer's rate lets
   * it through (throttled: waits), then the ones behind it while the rate
   * lets them through at once, up to commitBatchMax. `undefined` when stopped.
   */
  async #take(peer: AuthenticatedPeer, queue: Held[], signal: AbortSignal): Promise<Held[] | undefined> {
    const { buckets, limits } = this.#ctx
    for (let wait = buckets.take(peer.did); wait > 0; wait = buckets.take(peer.did)) {
      try {
        await sleep(wait, undefined, { signal })
      } catch {
        return undefined
      }
    }
    const batch = [queue.shift() as Held]
    while (queue.length > 0 && batch.length < limits.commitBatchMax && buckets.take(peer.did) === 0) batch.push(queue.shift() as Held)
    return batch
  }

  /**
   * The answers to a batch, in order: each message as `#commit` answers it,
   * all inside one `commitBatch` when there is one and the batch holds more
   * than one message. A "retry" ends the batch
   * (the messages after it get no answer); a batch that did not commit is
   * one "retry" for its first message.
   */
  async #commitBatch(peer: AuthenticatedPeer, batch: readonly Held[]): Promise<Answer[]> {
    const answers: Answer[] = []
    const run = async (): Promise<void> => {
      for (const item of batch) {
        const answer = await this.#commit(peer, toHex(item.id), item.envelope)
        answers.push(answer)
        if (answer === 'retry') return
      }
    }
    const { commitBatch } = this.#ctx
    // One message commits by itself (its deliver() is all or nothing already): no batch around it.
    if (commitBatch === undefined || batch.length === 1) {
      await run()
      return answers
    }
    try {
      await commitBatch(run)
    } catch (err) {
      this.#ctx.emitError(new ParleyError('MSG_RETRY_LATER', 'msg: a batch of messages did not commit (retry)', { cause: err }), peer.did)
      return ['retry']
    }
    return answers
  }

  async #commit(peer: AuthenticatedPeer, id: string, envelope: Uint8Array): Promise<Answer> {
    const { dedupe, clock } = this.#ctx
    try {
      if (await dedupe.seen(peer.did, id, clock())) return 'ack'
    } catch (err) {
      this.#ctx.emitError(wrapError(err, 'INTERNAL', 'msg: the dedupe store failed'), peer.did)
      return 'retry'
    }
    try {
      await this.#ctx.deliver(peer, id, envelope)
    } catch (err) {
      const verdict = classifyDeliverError(err)
      if (verdict !== 'duplicate') {
        const code = verdict === 'refused' ? 'MSG_REFUSED' : 'MSG_RETRY_LATER'
        this.#ctx.emitError(new ParleyError(code, `msg: deliver() did not commit a message (${verdict})`, { cause: err }), peer.did)
        return verdict
      }
    }
    try {
      await dedupe.remember(peer.did, id, clock() + this.#ctx.limits.dedupeTtlMs)
    } catch (err) {
      // Committed all the same: ack it. A resent copy reaches deliver() again, where the ratchet calls it a duplicate.
      this.#ctx.emitError(wrapError(err, 'INTERNAL', 'msg: the dedupe store failed'), peer.did)
    }
    return 'ack'
  }

  #serially<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(key) ?? Promise.resolve()
    const next = prev.then(fn)
    const tail = next.then(
      () => undefined,
      () => undefined,
    )
    this.#chains.set(key, tail)
    void tail.then(() => {
      if (this.#chains.get(key) === tail) this.#chains.delete(key)
    })
    return next
  }

  /** Tells the peer the code of `err` (when it may travel: else MSG_PROTOCOL_VIOLATION) and closes the stream. */
  async #refuse(fs: FrameStream, err: ParleyError): Promise<void> {
    if (err.code === 'NETWORK_CLOSED') {
      fs.stream.abort(err)
      return
    }
    const code: ErrorCode = WIRE_ERROR_CODES.has(err.code) ? err.code : 'MSG_PROTOCOL_VIOLATION'
    try {
      await fs.write(encodeMsgFrame({ type: 'err', code }), { signal: AbortSignal.timeout(this.#ctx.limits.closeGraceMs) })
    } catch {
      // the peer is gone or not reading: the abort below ends it
    }
    await this.#closeGently(fs.stream, err)
  }

  /** Closes our side; the stream is aborted if the peer has not closed its side within the grace time. */
  async #closeGently(stream: Stream, err?: Error): Promise<void> {
    const grace = this.#ctx.limits.closeGraceMs
    try {
      await stream.close({ signal: AbortSignal.timeout(grace) })
    } catch {
      stream.abort(err ?? new ParleyError('NETWORK_TIMEOUT', 'msg: the stream did not close'))
      return
    }
    if (stream.status !== 'open') return
    const timer = setTimeout(() => {
      if (stream.status === 'open') stream.abort(err ?? new ParleyError('NETWORK_TIMEOUT', 'msg: the peer did not close the stream'))
    }, grace)
    timer.unref?.()
  }
}
