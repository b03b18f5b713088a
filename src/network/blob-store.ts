/**
 * What a sender remembers about the files it offered, so that it serves a
 * transfer only to the peer it offered it to, refuses a cancelled or finished
 * one, and keeps serving after a restart: the `TransferStore` contract, its
 * in-memory implementation, and the record codec (`parley/blob-outgoing` v1)
 * that a persistent implementation stores — sealed, since the record holds
 * the file key.
 */
import { BLOB_MAX_PATH_BYTES, BLOB_RECORD_MAX_BYTES, DID_MAX_LENGTH } from '../constants.js'
import { asMap, asText, decodeVersioned, encodeVersioned, expectKeys, getBytes, getText, getUint, optional } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import { assertParleyDid } from '../identity/index.js'
import { asCancelReason, decodeFileOffer, encodeFileOffer, transferIdHex } from './file-offer.js'
import type { CancelReason, FileOffer } from './file-offer.js'

export const BLOB_OUTGOING_KIND = 'parley/blob-outgoing'
export const BLOB_OUTGOING_VERSION = 1

/** active: served on request; cancelled: refused with the reason; completed: the receiver confirmed (refused as not found). */
export type OutgoingState = 'active' | 'cancelled' | 'completed'
const STATES: readonly OutgoingState[] = ['active', 'cancelled', 'completed']

/** One offered file. */
export interface OutgoingTransfer {
  offer: FileOffer
  /** The only DID the file is served to. */
  recipient: string
  /** Absolute path of the source file. */
  path: string
  /** The file's modification time (ms) when it was offered: a changed file is not served. */
  mtimeMs: number
  state: OutgoingState
  /** Set when `state` is 'cancelled'. */
  reason?: CancelReason
  /** Epoch ms. */
  createdAt: number
}

/**
 * The sender's transfer records. Keys are `transferIdHex(offer.transferId)`.
 * Every method is durable when it resolves.
 */
export interface TransferStore {
  /** Adds a record; STORE_EXISTS when the id is taken. */
  put(record: OutgoingTransfer): Promise<void>
  get(transferId: string): Promise<OutgoingTransfer | undefined>
  /** Changes the state (and reason) of a record; STORE_NOT_FOUND when there is none. */
  update(transferId: string, patch: { state: OutgoingState; reason?: CancelReason }): Promise<void>
  /** Removes a record. Idempotent. */
  delete(transferId: string): Promise<void>
  /** Every record, oldest first. */
  list(): Promise<OutgoingTransfer[]>
}

/** The record as `parley/blob-outgoing` v1 bytes (holds the file key: seal it at rest). */
export function encodeOutgoingTransfer(r: OutgoingTransfer): Uint8Array {
  if (!STATES.includes(r.state)) throw new ParleyError('INVALID_ARGUMENT', 'outgoing transfer: unknown state')
  if ((r.state === 'cancelled') !== (r.reason !== undefined)) throw new ParleyError('INVALID_ARGUMENT', 'outgoing transfer: a reason goes with a cancelled state only')
  if (!Number.isSafeInteger(r.mtimeMs) || r.mtimeMs < 0 || !Number.isSafeInteger(r.createdAt) || r.createdAt < 0) {
    throw new ParleyError('INVALID_ARGUMENT', 'outgoing transfer: times must be non-negative integers (ms)')
  }
  assertParleyDid(r.recipient, 'outgoing transfer recipient')
  try {
    asText(r.path, 'outgoing transfer path', BLOB_MAX_PATH_BYTES)
  } catch (err) {
    throw new ParleyError('INVALID_ARGUMENT', `outgoing transfer: the source path must be at most ${BLOB_MAX_PATH_BYTES} bytes without control characters`, { cause: err })
  }
  const m: CborMap = { o: encodeFileOffer(r.offer), d: r.recipient, p: r.path, m: r.mtimeMs, s: r.state, c: r.createdAt }
  if (r.reason !== undefined) m['r'] = r.reason
  return encodeVersioned(BLOB_OUTGOING_KIND, BLOB_OUTGOING_VERSION, m, { maxBytes: BLOB_RECORD_MAX_BYTES })
}

/** Strict inverse of `encodeOutgoingTransfer`. */
export function decodeOutgoingTransfer(bytes: Uint8Array): OutgoingTransfer {
  const what = 'outgoing transfer'
  const m = asMap(decodeVersioned(bytes, BLOB_OUTGOING_KIND, [BLOB_OUTGOING_VERSION], { maxBytes: BLOB_RECORD_MAX_BYTES }), what)
  expectKeys(m, ['o', 'd', 'p', 'm', 's', 'c'], ['r'], what)
  const state = getText(m, 's', what, 16) as OutgoingState
  if (!STATES.includes(state)) throw new ParleyError('DECODE_SCHEMA', `${what}.s: unknown state`)
  const reason = optional(m, 'r', (mm, k) => asCancelReason(getText(mm, k, what, 32), `${what}.r`))
  if ((state === 'cancelled') !== (reason !== undefined)) throw new ParleyError('DECODE_SCHEMA', `${what}: a reason goes with a cancelled state only`)
  const record: OutgoingTransfer = {
    offer: decodeFileOffer(getBytes(m, 'o', what, { max: BLOB_RECORD_MAX_BYTES })),
    recipient: assertParleyDid(getText(m, 'd', what, DID_MAX_LENGTH), `${what}.d`),
    path: getText(m, 'p', what, BLOB_MAX_PATH_BYTES),
    mtimeMs: getUint(m, 'm', what),
    state,
    createdAt: getUint(m, 'c', what),
  }
  if (reason !== undefined) record.reason = reason
  return record
}

/**
 * A `TransferStore` in memory (records are kept encoded, so a caller never
 * shares a mutable object with the store). Lost on exit: use it for tests
 * and for senders that do not need to serve across restarts.
 */
export function createMemoryTransferStore(): TransferStore {
  const records = new Map<string, Uint8Array>()
  return {
    async put(record) {
      const id = transferIdHex(record.offer.transferId)
      if (records.has(id)) throw new ParleyError('STORE_EXISTS', `transfer ${id} already recorded`)
      records.set(id, encodeOutgoingTransfer(record))
    },
    async get(transferId) {
      const bytes = records.get(transferId)
      return bytes === undefined ? undefined : decodeOutgoingTransfer(bytes)
    },
    async update(transferId, patch) {
      const bytes = records.get(transferId)
      if (bytes === undefined) throw new ParleyError('STORE_NOT_FOUND', `no transfer ${transferId}`)
      const record = decodeOutgoingTransfer(bytes)
      record.state = patch.state
      if (patch.reason === undefined) delete record.reason
      else record.reason = patch.reason
      records.set(transferId, encodeOutgoingTransfer(record))
    },
    async delete(transferId) {
      records.delete(transferId)
    },
    async list() {
      return [...records.values()].map(decodeOutgoingTransfer).sort((a, b) => a.createdAt - b.createdAt)
    },
  }
}
