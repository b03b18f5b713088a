/**
 * OutboxStore and InboundDedupeStore (src/network/outbox-types.ts) over the
 * database. Outbox rows are found by HMAC(message id) and HMAC(recipient
 * DID); the envelope (already ratchet-encrypted, sealed again at rest), the
 * id and the recipient live in the sealed payload; state, attempts and the
 * times are plain columns the retry loop queries. Dedupe rows are found by
 * HMAC(sender DID, message id), with a plain expiry for pruning.
 *
 * `pending` lists in put order (an insertion sequence, stable across
 * reopens). `put` resolves after its commit (synchronous=FULL): durable, as
 * the contract asks; inside `db.transaction` the commit is the
 * transaction's. The argument checks are the in-memory store's
 * (src/network/outbox.ts), so both refuse exactly the same calls.
 */
import { DID_MAX_LENGTH, MSG_ID_LENGTH, MSG_MAX_ENVELOPE_BYTES } from '../constants.js'
import { ParleyError } from '../errors.js'
import { getBytes, getText } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { checkEpochMs, checkMessageId, checkOutboxEntry, checkOutboxPatch, checkPeerDid, DELIVERY_STATES } from '../network/outbox.js'
import type { OutboxPatch } from '../network/outbox.js'
import type { DeliveryState, InboundDedupeStore, OutboxEntry, OutboxStore } from '../network/outbox-types.js'
import { blob, int, readPayload, sealPayload } from './context.js'
import type { DbContext, Row, SealedTable } from './context.js'
import type { LookupFn } from './keys.js'
import { isUniqueViolation } from './sqlite.js'

const OUTBOX = 'outbox'
const DEDUPE = 'dedupe'
/** Longest message id in a payload (lowercase hex). */
const ID_CHARS = 2 * MSG_ID_LENGTH

const outboxId = (lookup: LookupFn, id: string): Uint8Array => lookup('outbox.id', id)
const outboxTo = (lookup: LookupFn, to: string): Uint8Array => lookup('outbox.to', to)
const dedupeKey = (lookup: LookupFn, from: string, id: string): Uint8Array => lookup('dedupe.key', from, id)

function readOutboxRef(m: CborMap): { id: string; to: string } {
  return { id: getText(m, 'i', OUTBOX, ID_CHARS), to: getText(m, 't', OUTBOX, DID_MAX_LENGTH) }
}

export const OUTBOX_TABLES: readonly SealedTable[] = [
  {
    name: OUTBOX,
    since: 1,
    key: ['id'],
    lookups: ['id', 'recipient'],
    lookupValues: (plain, lookup) => {
      const { id, to } = readPayload(plain.slice(), OUTBOX, readOutboxRef)
      return [outboxId(lookup, id), outboxTo(lookup, to)]
    },
  },
  {
    name: DEDUPE,
    since: 1,
    key: ['key'],
    lookups: ['key'],
    lookupValues: (plain, lookup) => {
      const { from, id } = readPayload(plain.slice(), DEDUPE, (m) => ({
        from: getText(m, 'f', DEDUPE, DID_MAX_LENGTH),
        id: getText(m, 'i', DEDUPE, ID_CHARS),
      }))
      return [dedupeKey(lookup, from, id)]
    },
  },
]

const OUTBOX_COLUMNS = 'id, state, attempts, created_at, next_attempt_at, expires_at, sealed'
/** The statements of this store, built once (a template built per call costs a new string, and its hash, every time). */
const SQL = {
  insertOutbox: `INSERT INTO ${OUTBOX} (id, recipient, state, attempts, created_at, next_attempt_at, expires_at, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  selectOutbox: `SELECT ${OUTBOX_COLUMNS} FROM ${OUTBOX} WHERE id = ?`,
  deleteOutbox: `DELETE FROM ${OUTBOX} WHERE id = ?`,
  selectDedupe: `SELECT expires_at FROM ${DEDUPE} WHERE key = ?`,
  upsertDedupe: `INSERT INTO ${DEDUPE} (key, expires_at, sealed) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
  pruneDedupe: `DELETE FROM ${DEDUPE} WHERE expires_at <= ?`,
} as const

export class SqliteOutboxStore implements OutboxStore {
  readonly #ctx: DbContext

  constructor(ctx: DbContext) {
    this.#ctx = ctx
  }

  #entry(row: Row, expect?: string): OutboxEntry {
    const key = blob(row['id'], 'outbox.id')
    const plain = this.#ctx.open(OUTBOX, [key], blob(row['sealed'], 'outbox.sealed'))
    const { id, to, envelope } = readPayload(plain, OUTBOX, (m) => ({ ...readOutboxRef(m), envelope: getBytes(m, 'e', OUTBOX, { min: 1, max: MSG_MAX_ENVELOPE_BYTES }) }))
    if (expect !== undefined && id !== expect) throw new ParleyError('STORE_CORRUPT', 'database: an outbox row answers for another message')
    const state = row['state'] as DeliveryState
    if (!DELIVERY_STATES.includes(state)) throw new ParleyError('STORE_CORRUPT', 'database: an outbox row has an unknown state')
    return {
      id,
      to,
      envelope,
      state,
      attempts: int(row['attempts'], 'outbox.attempts'),
      createdAt: int(row['created_at'], 'outbox.created_at'),
      nextAttemptAt: int(row['next_attempt_at'], 'outbox.next_attempt_at'),
      expiresAt: int(row['expires_at'], 'outbox.expires_at'),
    }
  }

  put(entry: OutboxEntry): Promise<void> {
    const op = 'OutboxStore.put'
    return this.#ctx.run(op, () => {
      checkOutboxEntry(op, entry)
      const key = outboxId(this.#ctx.lookup, entry.id)
      const sealed = sealPayload(this.#ctx, OUTBOX, [key], { i: entry.id, t: entry.to, e: entry.envelope })
      try {
        this.#ctx
          .stmt(SQL.insertOutbox)
          .run(key, outboxTo(this.#ctx.lookup, entry.to), entry.state, entry.attempts, entry.createdAt, entry.nextAttemptAt, entry.expiresAt, sealed)
      } catch (err) {
        // The id column is UNIQUE: a taken id is refused by the insert itself (no read first).
        if (isUniqueViolation(err)) throw new ParleyError('STORE_EXISTS', `${op}: message id taken`, { cause: err })
        throw err
      }
    })
  }

  get(id: string): Promise<OutboxEntry | undefined> {
    const op = 'OutboxStore.get'
    return this.#ctx.run(op, () => {
      checkMessageId(op, id)
      const row = this.#ctx.stmt(SQL.selectOutbox).get(outboxId(this.#ctx.lookup, id)) as Row | undefined
      return row === undefined ? undefined : this.#entry(row, id)
    })
  }

  pending(to?: string): Promise<OutboxEntry[]> {
    const op = 'OutboxStore.pending'
    return this.#ctx.run(op, () => {
      const open = `state IN ('queued', 'sent')`
      let rows: Row[]
      if (to === undefined) {
        rows = this.#ctx.stmt(`SELECT ${OUTBOX_COLUMNS} FROM ${OUTBOX} WHERE ${open} ORDER BY seq`).all() as Row[]
      } else {
        checkPeerDid(op, to, 'to')
        rows = this.#ctx.stmt(`SELECT ${OUTBOX_COLUMNS} FROM ${OUTBOX} WHERE recipient = ? AND ${open} ORDER BY seq`).all(outboxTo(this.#ctx.lookup, to)) as Row[]
      }
      const entries = rows.map((row) => this.#entry(row))
      if (to !== undefined && entries.some((e) => e.to !== to)) throw new ParleyError('STORE_CORRUPT', 'database: an outbox row answers for another recipient')
      return entries
    })
  }

  update(id: string, patch: OutboxPatch): Promise<void> {
    const op = 'OutboxStore.update'
    return this.#ctx.run(op, () => {
      checkMessageId(op, id)
      checkOutboxPatch(op, patch)
      const result = this.#ctx
        .stmt(
          `UPDATE ${OUTBOX} SET state = coalesce(?, state), attempts = coalesce(?, attempts), next_attempt_at = coalesce(?, next_attempt_at) WHERE id = ?`,
        )
        .run(patch.state ?? null, patch.attempts ?? null, patch.nextAttemptAt ?? null, outboxId(this.#ctx.lookup, id))
      if (Number(result.changes) === 0) throw new ParleyError('STORE_NOT_FOUND', `${op}: no such message`)
    })
  }

  delete(id: string): Promise<void> {
    const op = 'OutboxStore.delete'
    return this.#ctx.run(op, () => {
      checkMessageId(op, id)
      this.#ctx.stmt(SQL.deleteOutbox).run(outboxId(this.#ctx.lookup, id))
    })
  }
}

export class SqliteInboundDedupeStore implements InboundDedupeStore {
  readonly #ctx: DbContext

  constructor(ctx: DbContext) {
    this.#ctx = ctx
  }

  seen(from: string, id: string, now: number): Promise<boolean> {
    const op = 'InboundDedupeStore.seen'
    return this.#ctx.run(op, () => {
      checkPeerDid(op, from, 'from')
      checkMessageId(op, id)
      checkEpochMs(op, now, 'now')
      const row = this.#ctx.stmt(SQL.selectDedupe).get(dedupeKey(this.#ctx.lookup, from, id)) as Row | undefined
      return row !== undefined && int(row['expires_at'], 'dedupe.expires_at') > now
    })
  }

  remember(from: string, id: string, expiresAt: number): Promise<void> {
    const op = 'InboundDedupeStore.remember'
    return this.#ctx.run(op, () => {
      checkPeerDid(op, from, 'from')
      checkMessageId(op, id)
      checkEpochMs(op, expiresAt, 'expiresAt')
      const key = dedupeKey(this.#ctx.lookup, from, id)
      const sealed = sealPayload(this.#ctx, DEDUPE, [key], { f: from, i: id })
      this.#ctx
        .stmt(SQL.upsertDedupe)
        .run(key, expiresAt, sealed)
    })
  }

  prune(now: number): Promise<number> {
    const op = 'InboundDedupeStore.prune'
    return this.#ctx.run(op, () => {
      checkEpochMs(op, now, 'now')
      return Number(this.#ctx.stmt(SQL.pruneDedupe).run(now).changes)
    })
  }
}
