/**
 * The outbox and inbound-dedupe store contracts of /parley/msg/1.0.0
 * (DESIGN §7: the sender keeps every message until it is acked; the receiver
 * drops duplicates by message id). Implementations: the in-memory ones in
 * outbox.ts and the encrypted SQLite store; both pass
 * test/network/compliance/outbox.ts.
 */

/** Delivery state of an outgoing message: queued → sent → delivered (or failed when it expired). */
export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'failed'

/** One outgoing message. `envelope` is opaque (a ratchet envelope, already encrypted). */
export interface OutboxEntry {
  /** Message id: 16 random bytes, hex (32 characters). */
  id: string
  /** Recipient DID. */
  to: string
  envelope: Uint8Array
  state: DeliveryState
  /** Delivery attempts so far. */
  attempts: number
  /** Epoch milliseconds: created, and the earliest next attempt. */
  createdAt: number
  nextAttemptAt: number
  /** Epoch milliseconds after which the message is given up (state 'failed'). */
  expiresAt: number
}

export interface OutboxStore {
  /**
   * Adds a new entry (state 'queued'). STORE_EXISTS when the id is taken.
   * Durable when it resolves. A store whose write is committed later than it
   * is made (the agent's, inside the sender's transaction) calls `written`
   * once the entry has its place in the put order: the caller may then
   * start the next put, which may join the same commit.
   */
  put(entry: OutboxEntry, written?: () => void): Promise<void>
  get(id: string): Promise<OutboxEntry | undefined>
  /**
   * Entries not yet delivered or failed, for `to` (or all recipients), in the
   * order they were put: the order messages of one peer are sent in (not by
   * `createdAt`, which ties within a millisecond and can step back with the clock).
   */
  pending(to?: string): Promise<OutboxEntry[]>
  /** Updates state/attempts/nextAttemptAt of an existing entry; STORE_NOT_FOUND otherwise. */
  update(id: string, patch: Partial<Pick<OutboxEntry, 'state' | 'attempts' | 'nextAttemptAt'>>): Promise<void>
  /** Removes an entry (after delivery, once the caller no longer needs it). Idempotent. */
  delete(id: string): Promise<void>
}

/** Inbound message ids already committed, kept for a bounded time, to drop redeliveries. */
export interface InboundDedupeStore {
  /** True when `id` from `from` was already committed and its record has not expired at `now` (epoch ms: the clock is injected, as everywhere). */
  seen(from: string, id: string, now: number): Promise<boolean>
  /** Records `id` as committed until `expiresAt` (epoch ms). Idempotent; a second call keeps the later expiry. */
  remember(from: string, id: string, expiresAt: number): Promise<void>
  /** Drops records with `expiresAt <= now` (epoch ms: the ones `seen` no longer reports); returns how many. */
  prune(now: number): Promise<number>
}
