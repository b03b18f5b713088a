/**
 * Message history: every message sent to or received from a peer, newest
 * first, paged. A message is named by (peer, direction, id): ids are chosen
 * by senders, so an incoming id may equal an outgoing one and must not
 * collide with it.
 *
 * Over the database, a row is found by HMAC(peer, direction, id) and listed
 * by HMAC(peer); the body (sealed), the id, the peer, the direction and the
 * kind are in the sealed payload; the timestamp (for ordering), the
 * insertion sequence (a stable tie-break) and the delivery state are plain.
 *
 * @example
 * ```ts
 * await db.history.append({ peer, direction: 'out', id, kind: 'text', body, timestamp: Date.now(), state: 'queued' })
 * const page = await db.history.list(peer, { limit: 50 })
 * const older = await db.history.list(peer, { before: page.at(-1), limit: 50 })
 * ```
 */
import { DID_MAX_LENGTH, MSG_ID_LENGTH, HISTORY_BODY_MAX_BYTES, HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX } from '../constants.js'
import { ParleyError } from '../errors.js'
import { getBytes, getText } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import type { DeliveryState } from '../network/outbox-types.js'
import { blob, int, readPayload, sealPayload } from './context.js'
import type { DbContext, Row, SealedTable } from './context.js'
import type { LookupFn } from './keys.js'
import { isUniqueViolation } from './sqlite.js'
import { checkMessageId, checkPeerDid } from '../network/outbox.js'

export type MessageDirection = 'in' | 'out'
export type MessageKind = 'text' | 'file'
/** Outgoing messages go queued → sent → delivered (or failed); incoming ones are received, then read. */
export type HistoryState = DeliveryState | 'received' | 'read'

/** Names one message. */
export interface MessageRef {
  peer: string
  direction: MessageDirection
  id: string
}

export interface HistoryInput extends MessageRef {
  kind: MessageKind
  /** The message body: text as UTF-8, or a file message's reference. */
  body: Uint8Array
  /** Epoch milliseconds (the sender's, for incoming messages). */
  timestamp: number
  state: HistoryState
}

/** A stored message; `seq` orders messages with equal timestamps (insertion order). */
export interface HistoryEntry extends HistoryInput {
  seq: number
}

/** Where a page ends: the last entry of the page before (any object with its timestamp and seq). */
export interface HistoryCursor {
  timestamp: number
  seq: number
}

export interface MessageHistory {
  /** Adds a message; STORE_EXISTS when (peer, direction, id) is stored already. */
  append(entry: HistoryInput): Promise<HistoryEntry>
  get(ref: MessageRef): Promise<HistoryEntry | undefined>
  /** Messages with `peer`, newest first, strictly older than `before`; at most `limit` (default HISTORY_PAGE_DEFAULT). */
  list(peer: string, opts?: { before?: HistoryCursor; limit?: number }): Promise<HistoryEntry[]>
  /** Sets a message's state; STORE_NOT_FOUND when there is no such message. */
  updateState(ref: MessageRef, state: HistoryState): Promise<void>
  /** Removes one message; false when there was none. */
  delete(ref: MessageRef): Promise<boolean>
}

const TABLE = 'messages'
const DIRECTIONS: readonly MessageDirection[] = ['in', 'out']
const KINDS: readonly MessageKind[] = ['text', 'file']
const STATES: readonly HistoryState[] = ['queued', 'sent', 'delivered', 'failed', 'received', 'read']

const refKey = (lookup: LookupFn, r: MessageRef): Uint8Array => lookup('messages.ref', r.peer, r.direction, r.id)
const peerKey = (lookup: LookupFn, peer: string): Uint8Array => lookup('messages.peer', peer)

function invalid(op: string, message: string): never {
  throw new ParleyError('INVALID_ARGUMENT', `${op}: ${message}`)
}

/** Refuses a malformed message reference (INVALID_ARGUMENT); shared by every MessageHistory. */
export function checkRef(op: string, r: MessageRef): void {
  if (r === null || typeof r !== 'object') invalid(op, 'expected { peer, direction, id }')
  checkPeerDid(op, r.peer, 'peer')
  if (!DIRECTIONS.includes(r.direction)) invalid(op, "direction must be 'in' or 'out'")
  checkMessageId(op, r.id)
}

/** Refuses an unknown history state (INVALID_ARGUMENT); shared by every MessageHistory. */
export function checkState(op: string, state: HistoryState): void {
  if (!STATES.includes(state)) invalid(op, `state must be one of ${STATES.join(', ')}`)
}

interface Payload {
  ref: MessageRef
  kind: MessageKind
  body: Uint8Array
}

/** Checks a message to append (the reference, kind, body size, time, state): INVALID_ARGUMENT. */
export function checkInput(op: string, entry: HistoryInput): void {
  checkRef(op, entry)
  if (!KINDS.includes(entry.kind)) invalid(op, "kind must be 'text' or 'file'")
  if (!(entry.body instanceof Uint8Array) || entry.body.length > HISTORY_BODY_MAX_BYTES) invalid(op, `body must be at most ${HISTORY_BODY_MAX_BYTES} bytes`)
  if (!Number.isSafeInteger(entry.timestamp) || entry.timestamp < 0) invalid(op, 'timestamp must be a non-negative integer (epoch ms)')
  checkState(op, entry.state)
}

/** The entry an append stores and returns: the input's fields (the body copied) and its sequence number. */
export function storedEntry(entry: HistoryInput, seq: number): HistoryEntry {
  const { peer, direction, id, kind, timestamp, state } = entry
  return { peer, direction, id, kind, body: entry.body.slice(), timestamp, state, seq }
}

function readMessage(m: CborMap): Payload {
  const direction = getText(m, 'd', TABLE, 3) as MessageDirection
  const kind = getText(m, 'k', TABLE, 4) as MessageKind
  if (!DIRECTIONS.includes(direction) || !KINDS.includes(kind)) throw new ParleyError('STORE_CORRUPT', 'database: a message row has an unknown direction or kind')
  return {
    ref: { peer: getText(m, 'p', TABLE, DID_MAX_LENGTH), direction, id: getText(m, 'i', TABLE, 2 * MSG_ID_LENGTH) },
    kind,
    body: getBytes(m, 'b', TABLE, { max: HISTORY_BODY_MAX_BYTES }),
  }
}

export const HISTORY_TABLES: readonly SealedTable[] = [
  {
    name: TABLE,
    since: 1,
    key: ['ref'],
    lookups: ['ref', 'peer'],
    lookupValues: (plain, lookup) => {
      const { ref } = readPayload(plain.slice(), TABLE, readMessage)
      return [refKey(lookup, ref), peerKey(lookup, ref.peer)]
    },
  },
]

const COLUMNS = 'seq, ref, ts, state, sealed'
/** The statements of this store, built once (a template built per call costs a new string, and its hash, every time). */
const SQL = {
  insert: `INSERT INTO ${TABLE} (ref, peer, ts, state, sealed) VALUES (?, ?, ?, ?, ?)`,
  selectByRef: `SELECT ${COLUMNS} FROM ${TABLE} WHERE ref = ?`,
  selectPage: `SELECT ${COLUMNS} FROM ${TABLE} WHERE peer = ? ORDER BY ts DESC, seq DESC LIMIT ?`,
  selectPageBefore: `SELECT ${COLUMNS} FROM ${TABLE} WHERE peer = ? AND (ts < ? OR (ts = ? AND seq < ?)) ORDER BY ts DESC, seq DESC LIMIT ?`,
  updateState: `UPDATE ${TABLE} SET state = ? WHERE ref = ?`,
  deleteByRef: `DELETE FROM ${TABLE} WHERE ref = ?`,
} as const

export class SqliteMessageHistory implements MessageHistory {
  readonly #ctx: DbContext

  constructor(ctx: DbContext) {
    this.#ctx = ctx
  }

  #entry(row: Row, peer: string): HistoryEntry {
    const key = blob(row['ref'], 'messages.ref')
    const { ref, kind, body } = readPayload(this.#ctx.open(TABLE, [key], blob(row['sealed'], 'messages.sealed')), TABLE, readMessage)
    if (ref.peer !== peer) throw new ParleyError('STORE_CORRUPT', 'database: a message row answers for another peer')
    const state = row['state'] as HistoryState
    if (!STATES.includes(state)) throw new ParleyError('STORE_CORRUPT', 'database: a message row has an unknown state')
    return { ...ref, kind, body, timestamp: int(row['ts'], 'messages.ts'), state, seq: int(row['seq'], 'messages.seq') }
  }

  append(entry: HistoryInput): Promise<HistoryEntry> {
    const op = 'MessageHistory.append'
    return this.#ctx.run(op, () => {
      checkInput(op, entry)
      const key = refKey(this.#ctx.lookup, entry)
      const sealed = sealPayload(this.#ctx, TABLE, [key], { i: entry.id, p: entry.peer, d: entry.direction, k: entry.kind, b: entry.body })
      let result
      try {
        result = this.#ctx.stmt(SQL.insert).run(key, peerKey(this.#ctx.lookup, entry.peer), entry.timestamp, entry.state, sealed)
      } catch (err) {
        // The ref column is UNIQUE: a message stored already is refused by the insert itself (no read first).
        if (isUniqueViolation(err)) throw new ParleyError('STORE_EXISTS', `${op}: message stored already`, { cause: err })
        throw err
      }
      return storedEntry(entry, Number(result.lastInsertRowid))
    })
  }

  get(ref: MessageRef): Promise<HistoryEntry | undefined> {
    const op = 'MessageHistory.get'
    return this.#ctx.run(op, () => {
      checkRef(op, ref)
      const row = this.#ctx.stmt(SQL.selectByRef).get(refKey(this.#ctx.lookup, ref)) as Row | undefined
      if (row === undefined) return undefined
      const entry = this.#entry(row, ref.peer)
      if (entry.id !== ref.id || entry.direction !== ref.direction) throw new ParleyError('STORE_CORRUPT', 'database: a message row answers for another message')
      return entry
    })
  }

  list(peer: string, opts: { before?: HistoryCursor; limit?: number } = {}): Promise<HistoryEntry[]> {
    const op = 'MessageHistory.list'
    return this.#ctx.run(op, () => {
      checkPeerDid(op, peer, 'peer')
      const limit = opts.limit ?? HISTORY_PAGE_DEFAULT
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > HISTORY_PAGE_MAX) invalid(op, `limit must be 1..${HISTORY_PAGE_MAX}`)
      const key = peerKey(this.#ctx.lookup, peer)
      let rows: Row[]
      if (opts.before === undefined) {
        rows = this.#ctx.stmt(SQL.selectPage).all(key, limit) as Row[]
      } else {
        const { timestamp, seq } = opts.before
        if (!Number.isSafeInteger(timestamp) || !Number.isSafeInteger(seq)) invalid(op, 'before must be { timestamp, seq } of an entry')
        rows = this.#ctx
          .stmt(SQL.selectPageBefore)
          .all(key, timestamp, timestamp, seq, limit) as Row[]
      }
      return rows.map((row) => this.#entry(row, peer))
    })
  }

  updateState(ref: MessageRef, state: HistoryState): Promise<void> {
    const op = 'MessageHistory.updateState'
    return this.#ctx.run(op, () => {
      checkRef(op, ref)
      checkState(op, state)
      const changes = this.#ctx.stmt(SQL.updateState).run(state, refKey(this.#ctx.lookup, ref)).changes
      if (Number(changes) === 0) throw new ParleyError('STORE_NOT_FOUND', `${op}: no such message`)
    })
  }

  delete(ref: MessageRef): Promise<boolean> {
    const op = 'MessageHistory.delete'
    return this.#ctx.run(op, () => {
      checkRef(op, ref)
      return Number(this.#ctx.stmt(SQL.deleteByRef).run(refKey(this.#ctx.lookup, ref)).changes) > 0
    })
  }
}
