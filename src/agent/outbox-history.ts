/**
 * The outbox and the dedupe store the agent hands the transport
 * (/parley/msg), wrapped so that what the agent stores about a message is
 * committed in the same transaction as the message's own state, and so that
 * a message costs as few fsyncs as durability allows. After a crash at any
 * instant (SIGKILL, power cut) the stores agree:
 *
 * - Staged sends (`stage`): the agent opens one transaction, advances the
 *   ratchet (the session manager commits its state into that transaction),
 *   and hands the envelope to the transport; the transport's `put` writes
 *   the outbox entry — and our history entry, for a chat message — inside
 *   that same transaction, then waits: it resolves (and the transport may
 *   send the envelope) only once the agent `release`s it after the commit.
 *   So an envelope never leaves before the state that made it is durable
 *   (no message key is ever used twice), a message key is never spent on a
 *   message that is not in the outbox, and a message that will be
 *   delivered is in our history. One commit, one fsync, per message —
 *   or per batch of sends: several staged puts may share the caller's
 *   transaction (each tells the transport when it is `written`, so the
 *   next may follow it into the same commit).
 * - State changes are mirrored into our history in the transaction that
 *   stores them: the history shows 'delivered' only after the peer's ack,
 *   and never 'queued' once that ack is stored.
 * - What only saves a resend is not worth an fsync of its own. `delete`
 *   (the courier's record of an ack) is applied at once for readers of
 *   this process (`get`, `pending`) and written with the next staged send's
 *   commit, or, when no send comes within OUTBOX_ACK_FLUSH_DELAY_MS (or
 *   OUTBOX_ACK_FLUSH_MAX acks wait), in one transaction with the other
 *   acks of that time:
 *   if the process dies first, the entry is still pending after the
 *   restart, the courier resends it, and the peer (which committed it
 *   before it acked) recognises it and acks again. 'sent' (written to the
 *   peer, not yet acked) is kept in memory only: after a restart a 'sent'
 *   entry is resent exactly like a 'queued' one. `update` to queued (a
 *   retry) or failed is written at once. The receiver's side is unchanged:
 *   its ack follows its durable commit.
 * - Inbound: the agent records a message's dedupe entry inside the
 *   transaction that commits the message (`CommittedDedupe.commit`); the
 *   transport's own `remember` right after is then skipped.
 *
 * Only storage calls run inside these transactions (no network I/O); every
 * `put` the transport makes for the agent is staged, so no put ever waits
 * for the storage gate while a transaction waits for the transport.
 *
 * @example
 * ```ts
 * const outbox = new HistoryOutbox(storage)
 * let staged
 * await storage.transaction(async () => {
 *   const out = await manager.send(peer, data)               // state, in the transaction
 *   staged = outbox.stage(out.bytes, { peer, direction: 'out', kind: 'text', body, timestamp })
 *   sending = messaging.send(peer, out.bytes)                // put runs in the transaction…
 *   await Promise.race([staged.written, sending])
 * })
 * staged.release()                                           // …and resolves after the commit
 * const id = await sending
 * ```
 */
import { OUTBOX_ACK_FLUSH_DELAY_MS, OUTBOX_ACK_FLUSH_MAX } from '../constants.js'
import { toBase64url } from '../codec/index.js'
import { ParleyError, isParleyError } from '../errors.js'
import type { HistoryInput, HistoryState } from '../db/index.js'
import { checkMessageId } from '../network/outbox.js'
import type { InboundDedupeStore, OutboxEntry, OutboxStore } from '../network/outbox-types.js'
import type { AgentStorage } from './memory-stores.js'

/** What `put` writes to the history for an envelope: everything but the id (the transport's) and the state ('queued'). */
export type ExpectedHistory = Omit<HistoryInput, 'id' | 'state'>

type Patch = Parameters<OutboxStore['update']>[1]

/** A staged envelope: `written` once its outbox entry is written (in the caller's transaction); then `release` after the commit, or `abort`. */
export interface Staged {
  readonly written: Promise<void>
  release(): void
  abort(reason: unknown): void
}

interface StagedSlot {
  history: ExpectedHistory | undefined
  written: () => void
  released: Promise<void>
}

export class HistoryOutbox implements OutboxStore {
  readonly #storage: AgentStorage
  /** Staged envelopes waiting for their put, by envelope. */
  readonly #staged = new Map<string, StagedSlot>()
  /** Entries written to the peer and not yet answered (in memory only, see the file comment). */
  readonly #sent = new Set<string>()
  /** Acked entries whose delete is not written yet: id → recipient. */
  #acked = new Map<string, string | undefined>()
  /** Recipients of the entries this process put or loaded (to mirror states without reading the sealed row). */
  readonly #recipients = new Map<string, string>()
  /** A flush of the acks not written yet, due when no send carried them first. */
  #flushTimer: ReturnType<typeof setTimeout> | undefined
  #flushing: Promise<void> | undefined

  constructor(storage: AgentStorage) {
    this.#storage = storage
  }

  /**
   * Stages `envelope` (with its history entry, for a chat message): the
   * next `put` of these bytes writes inside the caller's transaction and
   * resolves only after `release`. Call it inside the transaction, before
   * handing the envelope to the transport.
   */
  stage(envelope: Uint8Array, history?: ExpectedHistory): Staged {
    const key = toBase64url(envelope)
    if (this.#staged.has(key)) throw new ParleyError('INTERNAL', 'outbox: this envelope is staged already')
    let markWritten = (): void => undefined
    let release = (): void => undefined
    let abort = (_reason: unknown): void => undefined
    const written = new Promise<void>((resolve) => (markWritten = resolve))
    const released = new Promise<void>((resolve, reject) => {
      release = resolve
      abort = reject
    })
    released.catch(() => undefined) // the put that waits on it reports the failure
    this.#staged.set(key, { history: history === undefined ? undefined : { ...history, body: history.body.slice() }, written: markWritten, released })
    return {
      written,
      release: () => {
        this.#staged.delete(key)
        release()
      },
      abort: (reason) => {
        this.#staged.delete(key)
        abort(reason)
      },
    }
  }

  async put(entry: OutboxEntry, written?: () => void): Promise<void> {
    const { outbox, history } = this.#storage
    const slot = entry?.envelope instanceof Uint8Array ? this.#staged.get(toBase64url(entry.envelope)) : undefined
    if (slot === undefined) {
      await outbox.put(entry)
      this.#recipients.set(entry.id, entry.to)
      return
    }
    // Inside the stager's transaction (the transport's call carries its async context): the acks of the moment ride along.
    const acked = this.#takeAcked()
    await this.#writeAcked(acked)
    await outbox.put(entry)
    if (slot.history !== undefined) await history.append({ ...slot.history, id: entry.id, state: 'queued' })
    // In the put order now: the transport may write the next put (of the same commit, or of the next).
    written?.()
    slot.written()
    try {
      await slot.released
    } catch (err) {
      this.#restoreAcked(acked)
      throw err
    }
    for (const id of acked.keys()) this.#recipients.delete(id)
    this.#recipients.set(entry.id, entry.to)
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    if (this.#acked.has(id)) return undefined
    const entry = await this.#storage.outbox.get(id)
    return entry === undefined ? undefined : this.#overlay(entry)
  }

  async pending(to?: string): Promise<OutboxEntry[]> {
    const entries = (await this.#storage.outbox.pending(to)).filter((e) => !this.#acked.has(e.id))
    for (const e of entries) this.#recipients.set(e.id, e.to)
    return entries.map((e) => this.#overlay(e))
  }

  async update(id: string, patch: Patch): Promise<void> {
    const { outbox } = this.#storage
    const state = patch?.state
    if (state === 'sent' && Object.keys(patch).length === 1 && !this.#acked.has(id) && (this.#recipients.has(id) || (await outbox.get(id)) !== undefined)) {
      this.#sent.add(id)
      return
    }
    if (this.#acked.has(id)) throw new ParleyError('STORE_NOT_FOUND', 'OutboxStore.update: no such entry')
    if (state === undefined) return outbox.update(id, patch)
    await this.#storage.transaction(async () => {
      await outbox.update(id, patch)
      const to = this.#recipients.get(id) ?? (await outbox.get(id))?.to
      if (to !== undefined) await this.#mirror(to, id, state)
    })
    this.#sent.delete(id)
  }

  /**
   * The courier deletes an entry once the peer acked it (it keeps failed
   * ones): gone for this process at once, written with the next commit
   * (see the file comment); then the history says 'delivered'.
   */
  async delete(id: string): Promise<void> {
    checkMessageId('OutboxStore.delete', id)
    this.#sent.delete(id)
    this.#acked.set(id, this.#recipients.get(id))
    if (this.#acked.size >= OUTBOX_ACK_FLUSH_MAX) this.#scheduleFlush(0)
    else if (this.#flushTimer === undefined) this.#scheduleFlush(OUTBOX_ACK_FLUSH_DELAY_MS)
  }

  /** Writes the acks not written yet (call before closing the storage). */
  async flush(): Promise<void> {
    clearTimeout(this.#flushTimer)
    this.#flushTimer = undefined
    await this.#flushing
    await this.#flushAcked()
  }

  #scheduleFlush(ms: number): void {
    clearTimeout(this.#flushTimer)
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined
      const previous = this.#flushing ?? Promise.resolve()
      const run: Promise<void> = previous.then(() => this.#flushAcked()).finally(() => {
        if (this.#flushing === run) this.#flushing = undefined
      })
      this.#flushing = run
    }, ms)
    this.#flushTimer.unref?.()
  }

  async #flushAcked(): Promise<void> {
    const acked = this.#takeAcked()
    if (acked.size === 0) return
    try {
      await this.#storage.transaction(() => this.#writeAcked(acked))
    } catch {
      // Not written: still pending in the store; kept here for the next commit (worst case, a resend the peer acks again).
      this.#restoreAcked(acked)
      return
    }
    for (const id of acked.keys()) this.#recipients.delete(id)
  }

  #takeAcked(): Map<string, string | undefined> {
    const acked = this.#acked
    this.#acked = new Map()
    return acked
  }

  #restoreAcked(acked: Map<string, string | undefined>): void {
    for (const [id, to] of acked) if (!this.#acked.has(id)) this.#acked.set(id, to)
  }

  /** Inside a transaction: deletes the acked entries and marks them delivered in our history. */
  async #writeAcked(acked: Map<string, string | undefined>): Promise<void> {
    const { outbox } = this.#storage
    for (const [id, known] of acked) {
      const to = known ?? (await outbox.get(id))?.to
      await outbox.delete(id)
      if (to !== undefined) await this.#mirror(to, id, 'delivered')
    }
  }

  #overlay(e: OutboxEntry): OutboxEntry {
    return e.state === 'queued' && this.#sent.has(e.id) ? { ...e, state: 'sent' } : e
  }

  /** Sets the state of our history entry for `id`, when there is one (transport-level messages have none). */
  async #mirror(peer: string, id: string, state: HistoryState): Promise<void> {
    try {
      await this.#storage.history.updateState({ peer, direction: 'out', id }, state)
    } catch (err) {
      if (!isParleyError(err) || err.code !== 'STORE_NOT_FOUND') throw err
    }
  }
}

/**
 * The dedupe store the transport uses, with `commit`: the agent records an
 * inbound message's id inside the transaction that commits the message, so
 * the two are durable together; the transport's `remember` that follows
 * (serial per peer) is then skipped, saving a commit. Its expiry differs
 * from ours by the milliseconds between the two calls.
 */
export class CommittedDedupe implements InboundDedupeStore {
  readonly #inner: InboundDedupeStore
  /** Per peer, the id committed last (the transport remembers one message of a peer at a time). */
  readonly #committed = new Map<string, string>()

  constructor(inner: InboundDedupeStore) {
    this.#inner = inner
  }

  /** Inside the message's transaction. */
  async commit(from: string, id: string, expiresAt: number): Promise<void> {
    await this.#inner.remember(from, id, expiresAt)
    this.#committed.set(from, id)
  }

  seen(from: string, id: string, now: number): Promise<boolean> {
    return this.#inner.seen(from, id, now)
  }

  async remember(from: string, id: string, expiresAt: number): Promise<void> {
    if (this.#committed.get(from) === id) {
      this.#committed.delete(from)
      return
    }
    await this.#inner.remember(from, id, expiresAt)
  }

  prune(now: number): Promise<number> {
    return this.#inner.prune(now)
  }
}
