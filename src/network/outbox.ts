/**
 * In-memory implementations of the /parley/msg store contracts
 * (outbox-types.ts), and the argument checks every implementation runs first
 * so that all of them accept and refuse exactly the same calls (the
 * compliance suite in test/network/compliance/outbox.ts tests the refusals;
 * the SQLite store imports the checks from here). Every method body runs
 * synchronously after its checks, so each call is one atomic step on the
 * event loop; entries are copied in and out, so neither the caller nor the
 * store can change the other's bytes. Both stores are bounded (named
 * constants): an outbox past its bound refuses new entries (LIMIT_EXCEEDED),
 * the dedupe store forgets its oldest ids.
 *
 * @example
 * ```ts
 * const outbox = new MemoryOutboxStore()
 * const dedupe = new MemoryInboundDedupeStore()
 * const messaging = createMessagingService({ node, gate, outbox, dedupe, deliver, resolvePeer })
 * ```
 */
import {
  DID_MAX_LENGTH,
  MSG_ID_LENGTH,
  MSG_MAX_ENVELOPE_BYTES,
  MSG_MEMORY_DEDUPE_MAX_ENTRIES,
  MSG_MEMORY_OUTBOX_MAX_BYTES,
  MSG_MEMORY_OUTBOX_MAX_ENTRIES,
} from '../constants.js'
import { ParleyError } from '../errors.js'
import type { DeliveryState, InboundDedupeStore, OutboxEntry, OutboxStore } from './outbox-types.js'

/** The delivery states, in the order an entry passes them. */
export const DELIVERY_STATES: readonly DeliveryState[] = Object.freeze(['queued', 'sent', 'delivered', 'failed'])

/** The patchable fields of an outbox entry. */
export type OutboxPatch = Partial<Pick<OutboxEntry, 'state' | 'attempts' | 'nextAttemptAt'>>

const PATCH_KEYS: ReadonlySet<string> = new Set(['state', 'attempts', 'nextAttemptAt'])
const ID_PATTERN = new RegExp(`^[0-9a-f]{${2 * MSG_ID_LENGTH}}$`)

function invalid(op: string, message: string): never {
  throw new ParleyError('INVALID_ARGUMENT', `${op}: ${message}`)
}

/** A message id: MSG_ID_LENGTH bytes as lowercase hex. */
export function checkMessageId(op: string, id: string): void {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) invalid(op, `id must be ${2 * MSG_ID_LENGTH} lowercase hex characters`)
}

/** A peer DID as the stores key it (its syntax is checked where it comes from). */
export function checkPeerDid(op: string, did: string, name = 'peer DID'): void {
  if (typeof did !== 'string' || did.length === 0 || did.length > DID_MAX_LENGTH) invalid(op, `${name} must be 1..${DID_MAX_LENGTH} characters`)
}

/** An epoch-millisecond time. */
export function checkEpochMs(op: string, t: number, name: string): void {
  if (!Number.isSafeInteger(t) || t < 0) invalid(op, `${name} must be a non-negative integer (epoch ms)`)
}

function checkState(op: string, state: DeliveryState): void {
  if (!DELIVERY_STATES.includes(state)) invalid(op, `state must be one of ${DELIVERY_STATES.join(', ')}`)
}

function checkAttempts(op: string, attempts: number): void {
  if (!Number.isSafeInteger(attempts) || attempts < 0) invalid(op, 'attempts must be a non-negative integer')
}

/** A whole new entry: put() takes it in state 'queued' only. */
export function checkOutboxEntry(op: string, entry: OutboxEntry): void {
  if (entry === null || typeof entry !== 'object') invalid(op, 'entry must be an object')
  checkMessageId(op, entry.id)
  checkPeerDid(op, entry.to, 'to')
  if (!(entry.envelope instanceof Uint8Array) || entry.envelope.length === 0 || entry.envelope.length > MSG_MAX_ENVELOPE_BYTES) {
    invalid(op, `envelope must be 1..${MSG_MAX_ENVELOPE_BYTES} bytes`)
  }
  if (entry.state !== 'queued') invalid(op, "a new entry's state must be 'queued'")
  checkAttempts(op, entry.attempts)
  checkEpochMs(op, entry.createdAt, 'createdAt')
  checkEpochMs(op, entry.nextAttemptAt, 'nextAttemptAt')
  checkEpochMs(op, entry.expiresAt, 'expiresAt')
}

/** An update: only state, attempts and nextAttemptAt, each valid. */
export function checkOutboxPatch(op: string, patch: OutboxPatch): void {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) invalid(op, 'patch must be an object')
  for (const key of Object.keys(patch)) if (!PATCH_KEYS.has(key)) invalid(op, `patch may not set ${JSON.stringify(key)}`)
  if (patch.state !== undefined) checkState(op, patch.state)
  if (patch.attempts !== undefined) checkAttempts(op, patch.attempts)
  if (patch.nextAttemptAt !== undefined) checkEpochMs(op, patch.nextAttemptAt, 'nextAttemptAt')
}

function copyEntry(e: OutboxEntry): OutboxEntry {
  return {
    id: e.id,
    to: e.to,
    envelope: e.envelope.slice(),
    state: e.state,
    attempts: e.attempts,
    createdAt: e.createdAt,
    nextAttemptAt: e.nextAttemptAt,
    expiresAt: e.expiresAt,
  }
}

const isPending = (e: OutboxEntry): boolean => e.state === 'queued' || e.state === 'sent'

export interface MemoryOutboxOptions {
  /** Most entries held (default MSG_MEMORY_OUTBOX_MAX_ENTRIES). */
  maxEntries?: number
  /** Most envelope bytes held (default MSG_MEMORY_OUTBOX_MAX_BYTES). */
  maxBytes?: number
}

/** An outbox in memory: for tests and ephemeral agents (it does not survive its process). */
export class MemoryOutboxStore implements OutboxStore {
  /** Entries by id; a Map iterates in insertion order, which is put order. */
  readonly #entries = new Map<string, OutboxEntry>()
  readonly #maxEntries: number
  readonly #maxBytes: number
  #bytes = 0

  constructor(opts: MemoryOutboxOptions = {}) {
    this.#maxEntries = opts.maxEntries ?? MSG_MEMORY_OUTBOX_MAX_ENTRIES
    this.#maxBytes = opts.maxBytes ?? MSG_MEMORY_OUTBOX_MAX_BYTES
    if (!Number.isSafeInteger(this.#maxEntries) || this.#maxEntries < 1) invalid('MemoryOutboxStore', 'maxEntries must be a positive integer')
    if (!Number.isSafeInteger(this.#maxBytes) || this.#maxBytes < 1) invalid('MemoryOutboxStore', 'maxBytes must be a positive integer')
  }

  async put(entry: OutboxEntry): Promise<void> {
    const op = 'OutboxStore.put'
    checkOutboxEntry(op, entry)
    if (this.#entries.has(entry.id)) throw new ParleyError('STORE_EXISTS', `${op}: id already stored`)
    if (this.#entries.size >= this.#maxEntries || this.#bytes + entry.envelope.length > this.#maxBytes) {
      throw new ParleyError('LIMIT_EXCEEDED', `${op}: the in-memory outbox is full`)
    }
    this.#entries.set(entry.id, copyEntry(entry))
    this.#bytes += entry.envelope.length
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    checkMessageId('OutboxStore.get', id)
    const e = this.#entries.get(id)
    return e === undefined ? undefined : copyEntry(e)
  }

  async pending(to?: string): Promise<OutboxEntry[]> {
    if (to !== undefined) checkPeerDid('OutboxStore.pending', to, 'to')
    const out: OutboxEntry[] = []
    for (const e of this.#entries.values()) if (isPending(e) && (to === undefined || e.to === to)) out.push(copyEntry(e))
    return out
  }

  async update(id: string, patch: OutboxPatch): Promise<void> {
    const op = 'OutboxStore.update'
    checkMessageId(op, id)
    checkOutboxPatch(op, patch)
    const e = this.#entries.get(id)
    if (e === undefined) throw new ParleyError('STORE_NOT_FOUND', `${op}: no such entry`)
    if (patch.state !== undefined) e.state = patch.state
    if (patch.attempts !== undefined) e.attempts = patch.attempts
    if (patch.nextAttemptAt !== undefined) e.nextAttemptAt = patch.nextAttemptAt
  }

  async delete(id: string): Promise<void> {
    checkMessageId('OutboxStore.delete', id)
    const e = this.#entries.get(id)
    if (e === undefined) return
    this.#bytes -= e.envelope.length
    this.#entries.delete(id)
  }
}

export interface MemoryDedupeOptions {
  /** Most ids held (default MSG_MEMORY_DEDUPE_MAX_ENTRIES); past it the least recently remembered is forgotten. */
  maxEntries?: number
}

/** Inbound dedupe records in memory, bounded: for tests and ephemeral agents. */
export class MemoryInboundDedupeStore implements InboundDedupeStore {
  /** Expiry (epoch ms) by `from` and id; insertion order is remember order (a re-remember moves it last). */
  readonly #entries = new Map<string, number>()
  readonly #maxEntries: number

  constructor(opts: MemoryDedupeOptions = {}) {
    this.#maxEntries = opts.maxEntries ?? MSG_MEMORY_DEDUPE_MAX_ENTRIES
    if (!Number.isSafeInteger(this.#maxEntries) || this.#maxEntries < 1) invalid('MemoryInboundDedupeStore', 'maxEntries must be a positive integer')
  }

  /** Ids have a fixed length, so the key is unambiguous whatever `from` holds. */
  static #key(from: string, id: string): string {
    return `${from}\n${id}`
  }

  async seen(from: string, id: string, now: number): Promise<boolean> {
    const op = 'InboundDedupeStore.seen'
    checkPeerDid(op, from, 'from')
    checkMessageId(op, id)
    checkEpochMs(op, now, 'now')
    const expiry = this.#entries.get(MemoryInboundDedupeStore.#key(from, id))
    return expiry !== undefined && expiry > now
  }

  async remember(from: string, id: string, expiresAt: number): Promise<void> {
    const op = 'InboundDedupeStore.remember'
    checkPeerDid(op, from, 'from')
    checkMessageId(op, id)
    checkEpochMs(op, expiresAt, 'expiresAt')
    const key = MemoryInboundDedupeStore.#key(from, id)
    const held = this.#entries.get(key)
    this.#entries.delete(key)
    this.#entries.set(key, held === undefined ? expiresAt : Math.max(held, expiresAt))
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.#entries.delete(oldest.value)
    }
  }

  async prune(now: number): Promise<number> {
    checkEpochMs('InboundDedupeStore.prune', now, 'now')
    let pruned = 0
    for (const [key, expiry] of this.#entries) {
      if (expiry <= now) {
        this.#entries.delete(key)
        pruned++
      }
    }
    return pruned
  }
}
