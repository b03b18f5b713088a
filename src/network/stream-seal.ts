/**
 * The STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online
 * Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO
 * 2015, §7) over the suite's AES-256-GCM: a file is cut into chunks and chunk
 * i is sealed under the per-file key with the 96-bit nonce
 *
 *   nonce prefix (7 bytes) ‖ uint32 BE i ‖ last flag (0x01 on the final chunk, else 0x00)
 *
 * and the associated data len16(label) ‖ label ‖ transfer id ‖ uint32 BE i
 * (label LABELS.blobChunk). Because the index and the last flag are in the
 * nonce, an opener that tracks its position refuses, with the one opaque
 * DECRYPT_FAILED: a chunk moved to another position (reordering), a stream
 * that ends before a chunk flagged last (truncation, `finish`), anything after
 * the last chunk (extension), a chunk presented as last that was not sealed
 * so, a chunk of another transfer, and a wrong key. Pure: no I/O; the key is
 * imported into the backend once per sealer/opener.
 *
 * Nonce uniqueness: the file key is fresh and random per offer and used by
 * one sender only; resuming re-seals chunk i of the same file under the same
 * nonce, which gives the same ciphertext as long as the file is unchanged
 * (the sender checks size and modification time before it serves).
 */
import { AEAD_TAG_LENGTH, AES_GCM_NONCE_LENGTH, BLOB_FILE_KEY_LENGTH, BLOB_MAX_CHUNKS, BLOB_NONCE_PREFIX_LENGTH, BLOB_TRANSFER_ID_LENGTH, LABELS } from '../constants.js'
import type { DetachedSealed, SecretKeyHandle, Suite } from '../crypto/types.js'
import { concatBytes } from '../bytes.js'
import { ParleyError, decryptFailed, isParleyError } from '../errors.js'

/** What binds a stream: the per-file key, the nonce prefix and the transfer id, all from the offer. */
export interface StreamParams {
  fileKey: Uint8Array
  noncePrefix: Uint8Array
  transferId: Uint8Array
}

/** Seals chunks of one stream, in any order (a resumed transfer restarts from any index). */
export interface StreamSealer {
  /** Chunk `index` sealed: ciphertext ‖ tag. */
  seal(index: number, last: boolean, plaintext: Uint8Array): Uint8Array
  /** The same, ciphertext and tag apart (written to the network side by side: no joined copy). */
  sealDetached(index: number, last: boolean, plaintext: Uint8Array): DetachedSealed
}

/** Opens the chunks of one stream strictly in order, starting at `startIndex`. */
export interface StreamOpener {
  /** The index of the next chunk `open` expects. */
  readonly next: number
  /** True once the chunk flagged last was opened. */
  readonly finished: boolean
  /** Opens chunk `next` (`last`: whether the framing says it is the final one); DECRYPT_FAILED on any failure. */
  open(sealed: Uint8Array, last: boolean): Uint8Array
  /**
   * The same for a chunk whose ciphertext came in parts (as the network
   * delivered it) and its tag: the plaintext in parts, nothing joined.
   */
  openDetached(ciphertext: readonly Uint8Array[], tag: Uint8Array, last: boolean): Uint8Array[]
  /** DECRYPT_FAILED unless the chunk flagged last was opened: a truncated stream. */
  finish(): void
}

const AD_LABEL: Uint8Array = (() => {
  const label = new TextEncoder().encode(LABELS.blobChunk)
  const out = new Uint8Array(2 + label.length)
  out[0] = label.length >>> 8
  out[1] = label.length & 0xff
  out.set(label, 2)
  return out
})()

function checkIndex(op: string, index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= BLOB_MAX_CHUNKS) {
    throw new ParleyError('INVALID_ARGUMENT', `${op}: chunk index ${index} out of range`)
  }
}

function uint32(n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n, false)
  return out
}

function checkParams(op: string, p: StreamParams): void {
  if (!(p.fileKey instanceof Uint8Array) || p.fileKey.length !== BLOB_FILE_KEY_LENGTH) {
    throw new ParleyError('KEY_INVALID', `${op}: file key must be ${BLOB_FILE_KEY_LENGTH} bytes`)
  }
  if (!(p.noncePrefix instanceof Uint8Array) || p.noncePrefix.length !== BLOB_NONCE_PREFIX_LENGTH) {
    throw new ParleyError('INVALID_ARGUMENT', `${op}: nonce prefix must be ${BLOB_NONCE_PREFIX_LENGTH} bytes`)
  }
  if (!(p.transferId instanceof Uint8Array) || p.transferId.length !== BLOB_TRANSFER_ID_LENGTH) {
    throw new ParleyError('INVALID_ARGUMENT', `${op}: transfer id must be ${BLOB_TRANSFER_ID_LENGTH} bytes`)
  }
}

/** The nonce of chunk `index`: prefix ‖ uint32 BE index ‖ last flag. */
export function streamNonce(noncePrefix: Uint8Array, index: number, last: boolean): Uint8Array {
  checkIndex('streamNonce', index)
  if (noncePrefix.length !== BLOB_NONCE_PREFIX_LENGTH) throw new ParleyError('INVALID_ARGUMENT', `streamNonce: nonce prefix must be ${BLOB_NONCE_PREFIX_LENGTH} bytes`)
  const nonce = new Uint8Array(AES_GCM_NONCE_LENGTH)
  nonce.set(noncePrefix, 0)
  new DataView(nonce.buffer).setUint32(BLOB_NONCE_PREFIX_LENGTH, index, false)
  nonce[AES_GCM_NONCE_LENGTH - 1] = last ? 1 : 0
  return nonce
}

/** The associated data of chunk `index`, as parts: len16(label) ‖ label, transfer id, uint32 BE index. */
export function streamAssociatedData(transferId: Uint8Array, index: number): Uint8Array[] {
  checkIndex('streamAssociatedData', index)
  return [AD_LABEL, transferId, uint32(index)]
}

/**
 * A sealer for the stream of `params`.
 *
 * @example
 * ```ts
 * const sealer = createStreamSealer(suite, { fileKey, noncePrefix, transferId })
 * const c0 = sealer.seal(0, false, first)
 * const c1 = sealer.seal(1, true, rest)
 * ```
 */
export function createStreamSealer(suite: Suite, params: StreamParams): StreamSealer {
  checkParams('createStreamSealer', params)
  const key: SecretKeyHandle = suite.backend.importSecretKey('aes-256-gcm', params.fileKey)
  const transferId = Uint8Array.from(params.transferId)
  const prefix = Uint8Array.from(params.noncePrefix)
  return {
    seal(index, last, plaintext) {
      return suite.aesGcmSeal(key, streamNonce(prefix, index, last), plaintext, streamAssociatedData(transferId, index))
    },
    sealDetached(index, last, plaintext) {
      return suite.aesGcmSealDetached(key, streamNonce(prefix, index, last), plaintext, streamAssociatedData(transferId, index))
    },
  }
}

/**
 * An opener for the stream of `params`, expecting chunk `startIndex` first
 * (0, or the number of chunks already verified when a transfer resumes).
 *
 * @example
 * ```ts
 * const opener = createStreamOpener(suite, params)
 * const a = opener.open(c0, false)
 * const b = opener.open(c1, true)
 * opener.finish() // throws DECRYPT_FAILED when the last chunk never came
 * ```
 */
export function createStreamOpener(suite: Suite, params: StreamParams, startIndex = 0): StreamOpener {
  checkParams('createStreamOpener', params)
  checkIndex('createStreamOpener', startIndex)
  const key: SecretKeyHandle = suite.backend.importSecretKey('aes-256-gcm', params.fileKey)
  const transferId = Uint8Array.from(params.transferId)
  const prefix = Uint8Array.from(params.noncePrefix)
  let next = startIndex
  let finished = false
  /** Opens chunk `next` and moves on; any failure is the one opaque DECRYPT_FAILED. */
  const openNext = (ciphertext: readonly Uint8Array[], tag: Uint8Array, last: boolean): Uint8Array[] => {
    // extension: nothing may follow the last chunk
    if (finished) throw decryptFailed(new Error('STREAM: data after the last chunk'))
    if (next >= BLOB_MAX_CHUNKS) throw decryptFailed(new Error('STREAM: counter exhausted'))
    let plaintext: Uint8Array[]
    try {
      plaintext = suite.aesGcmOpenDetached(key, streamNonce(prefix, next, last), ciphertext, tag, streamAssociatedData(transferId, next))
    } catch (err) {
      throw isParleyError(err, 'DECRYPT_FAILED') ? err : decryptFailed(err)
    }
    next++
    if (last) finished = true
    return plaintext
  }
  return {
    get next() {
      return next
    },
    get finished() {
      return finished
    },
    open(sealed, last) {
      if (!(sealed instanceof Uint8Array) || sealed.length < AEAD_TAG_LENGTH) throw decryptFailed(new Error('STREAM: chunk shorter than a tag'))
      const bodyLength = sealed.length - AEAD_TAG_LENGTH
      const parts = openNext([sealed.subarray(0, bodyLength)], sealed.subarray(bodyLength), last)
      return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(...parts)
    },
    openDetached(ciphertext, tag, last) {
      return openNext(ciphertext, tag, last)
    },
    finish() {
      if (!finished) throw decryptFailed(new Error('STREAM: the stream ended before its last chunk'))
    },
  }
}
