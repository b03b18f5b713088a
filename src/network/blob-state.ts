/**
 * The receiver's resumable state on disk, next to the destination: the
 * partial file `<dest>.part` (verified chunks only, in order) and the progress
 * file `<dest>.parley-transfer`, `parley/blob-receive-state` v1
 *
 *   { i: transfer id, d: digest of the offer (LABELS.blobOffer), n: chunks verified and fsynced }
 *
 * written atomically (storage/files.ts writeAtomic) only after the .part
 * was fsynced, so `n` never counts a chunk that a crash could lose. On
 * resume the .part is cut back to n chunks. The progress file holds no
 * secret: the offer (with its key) stays with the application, which passes
 * it again to resume; the digest ties the two together.
 */
import { readFile, unlink } from 'node:fs/promises'
import { BLOB_MAX_CHUNKS, BLOB_STATE_MAX_BYTES, BLOB_TRANSFER_ID_LENGTH, LABELS, SHA256_LENGTH } from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, getUint } from '../codec/index.js'
import type { Suite } from '../crypto/types.js'
import { ParleyError, isParleyError } from '../errors.js'
import { writeAtomic } from '../storage/files.js'
import { encodeFileOffer } from './file-offer.js'
import type { FileOffer } from './file-offer.js'

export const BLOB_RECEIVE_STATE_KIND = 'parley/blob-receive-state'
export const BLOB_RECEIVE_STATE_VERSION = 1

export interface ReceiveState {
  transferId: Uint8Array
  offerDigest: Uint8Array
  /** Chunks verified, written and fsynced. */
  chunks: number
}

/** The partial file of a transfer to `dest`. */
export function partPath(dest: string): string {
  return `${dest}.part`
}

/** The progress file of a transfer to `dest`. */
export function statePath(dest: string): string {
  return `${dest}.parley-transfer`
}

/** The digest naming `offer` in a progress file. */
export function offerDigest(suite: Suite, offer: FileOffer): Uint8Array {
  return suite.digest(LABELS.blobOffer, encodeFileOffer(offer))
}

export function encodeReceiveState(s: ReceiveState): Uint8Array {
  return encodeVersioned(BLOB_RECEIVE_STATE_KIND, BLOB_RECEIVE_STATE_VERSION, { i: s.transferId, d: s.offerDigest, n: s.chunks })
}

export function decodeReceiveState(bytes: Uint8Array): ReceiveState {
  const what = 'blob receive state'
  const m = asMap(decodeVersioned(bytes, BLOB_RECEIVE_STATE_KIND, [BLOB_RECEIVE_STATE_VERSION], { maxBytes: BLOB_STATE_MAX_BYTES }), what)
  expectKeys(m, ['i', 'd', 'n'], [], what)
  return {
    transferId: getBytes(m, 'i', what, { length: BLOB_TRANSFER_ID_LENGTH }),
    offerDigest: getBytes(m, 'd', what, { length: SHA256_LENGTH }),
    chunks: getUint(m, 'n', what, BLOB_MAX_CHUNKS),
  }
}

/** The progress file at `path`, `undefined` when there is none; STORE_CORRUPT when it cannot be read as one. */
export async function readReceiveState(path: string): Promise<ReceiveState | undefined> {
  let data: Buffer
  try {
    data = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ParleyError('IO_FAILED', `cannot read ${path}`, { cause: err })
  }
  if (data.length > BLOB_STATE_MAX_BYTES) throw new ParleyError('STORE_CORRUPT', `${path} is not a transfer progress file (too large)`)
  try {
    return decodeReceiveState(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  } catch (err) {
    throw new ParleyError('STORE_CORRUPT', `${path} is not a transfer progress file`, { cause: err })
  }
}

/** Writes the progress file atomically (0600). */
export async function writeReceiveState(path: string, state: ReceiveState): Promise<void> {
  await writeAtomic(path, encodeReceiveState(state))
}

/** Removes a file if it exists. */
export async function removeIfExists(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw isParleyError(err) ? err : new ParleyError('IO_FAILED', `cannot remove ${path}`, { cause: err })
  }
}
