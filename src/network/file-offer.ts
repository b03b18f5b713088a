/**
 * The file offer (DESIGN §7): what a sender puts inside a ratchet message so
 * the recipient can fetch a file over /parley/blob/1.0.0 — a transfer id, a
 * display name, the size, the SHA-256 of the content, a fresh per-file key,
 * the chunk size and the STREAM nonce prefix. `parley/file-offer` v1:
 *
 *   { i: transfer id (16), n: name, s: size, h: sha256 (32), k: file key (32), c: chunk size, p: nonce prefix (7) }
 *
 * and the cancel notice either side may send inside the ratchet,
 * `parley/file-cancel` v1 `{ i: transfer id, r: reason }`. Pure: the
 * application sends these bytes inside the ratchet; this module only creates
 * and codes them. Decoding is strict: unknown fields, a name that is not
 * already sanitized, a chunk size or a size out of bounds are refused.
 *
 * The name is only a suggestion for display and for a default destination:
 * it never carries a path (separators, `.`/`..`, control and bidirectional
 * formatting characters are replaced), so a receiver that joins it to a
 * directory cannot be led outside that directory.
 */
import {
  BLOB_DEFAULT_CHUNK_BYTES,
  BLOB_FILE_KEY_LENGTH,
  BLOB_MAX_CHUNK_BYTES,
  BLOB_MAX_CHUNKS,
  BLOB_MAX_FILE_BYTES,
  BLOB_MAX_NAME_BYTES,
  BLOB_MIN_CHUNK_BYTES,
  BLOB_NONCE_PREFIX_LENGTH,
  BLOB_TRANSFER_ID_LENGTH,
  SHA256_LENGTH,
} from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, getText, getUint, toHex, utf8Length } from '../codec/index.js'
import type { Suite } from '../crypto/types.js'
import { ParleyError } from '../errors.js'

export const FILE_OFFER_KIND = 'parley/file-offer'
export const FILE_OFFER_VERSION = 1
export const FILE_CANCEL_KIND = 'parley/file-cancel'
export const FILE_CANCEL_VERSION = 1

/** A file offer. `fileKey` is a secret: keep the offer as you keep ratchet plaintexts. */
export interface FileOffer {
  /** 16 random bytes naming the transfer (hex: `transferIdHex`). */
  transferId: Uint8Array
  /** Sanitized display name: no path, at most BLOB_MAX_NAME_BYTES. */
  name: string
  /** Size in bytes (0 allowed). */
  size: number
  /** SHA-256 of the whole content. */
  sha256: Uint8Array
  /** AES-256-GCM key of the STREAM chunks. */
  fileKey: Uint8Array
  /** Plaintext bytes per chunk (the last chunk may be shorter). */
  chunkSize: number
  /** STREAM nonce prefix. */
  noncePrefix: Uint8Array
}

/** Why a transfer was cancelled, told to the other side. */
export const CANCEL_REASONS = ['user', 'declined', 'no-space', 'too-large', 'source-changed', 'shutdown', 'failed'] as const
export type CancelReason = (typeof CANCEL_REASONS)[number]

/** A cancel notice for a transfer, sent inside the ratchet (or as the first frame of a blob stream). */
export interface FileCancel {
  transferId: Uint8Array
  reason: CancelReason
}

/** What `createFileOffer` needs to know about the file (the caller reads it; this module does no I/O). */
export interface FileStats {
  /** A file name or path: only its last component is kept, sanitized. */
  name: string
  size: number
  sha256: Uint8Array
  /** Default BLOB_DEFAULT_CHUNK_BYTES. */
  chunkSize?: number
}

// Cc controls, and the Unicode bidirectional formatting characters (Trojan Source, CVE-2021-42574).
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu
// characters no portable file system accepts in a name
const RESERVED_CHARS = /[<>:"|?*]/g
const FALLBACK_NAME = 'file'

/**
 * A file name safe to show and to join to a directory: the last path
 * component of `name` (either separator), unsafe and reserved characters
 * replaced by `_`, surrounding white space trimmed, `.`/`..`/empty replaced,
 * cut to BLOB_MAX_NAME_BYTES UTF-8 bytes on a character boundary.
 *
 * @example
 * sanitizeFileName('../../etc/passwd') // 'passwd'
 * sanitizeFileName('C:\\Users\\me\\a.txt') // 'a.txt'
 */
export function sanitizeFileName(name: string): string {
  if (typeof name !== 'string') throw new ParleyError('INVALID_ARGUMENT', 'sanitizeFileName: name must be a string')
  const parts = name.split(/[/\\]/)
  // lone surrogates would not survive UTF-8: replace them first
  const clean = (parts[parts.length - 1] ?? '').toWellFormed().replace(UNSAFE_CHARS, '_').replace(RESERVED_CHARS, '_')
  let cut = ''
  let bytes = 0
  for (const ch of clean) {
    const n = utf8Length(ch)
    if (bytes + n > BLOB_MAX_NAME_BYTES) break
    cut += ch
    bytes += n
  }
  const out = cut.trim()
  return out === '' || out === '.' || out === '..' ? FALLBACK_NAME : out
}

/** Number of chunks of a file of `size` bytes: at least one (an empty file is one empty, last chunk). */
export function chunkCount(size: number, chunkSize: number): number {
  return size === 0 ? 1 : Math.ceil(size / chunkSize)
}

/** Plaintext length of chunk `index` of `offer`. */
export function chunkLength(offer: Pick<FileOffer, 'size' | 'chunkSize'>, index: number): number {
  const start = index * offer.chunkSize
  return Math.max(0, Math.min(offer.chunkSize, offer.size - start))
}

/** The transfer id as 32 lowercase hex characters. */
export function transferIdHex(transferId: Uint8Array): string {
  return toHex(transferId)
}

function invalid(problem: string): ParleyError {
  return new ParleyError('BLOB_OFFER_INVALID', `file offer: ${problem}`)
}

/** Checks sizes, chunk size, name and field lengths: BLOB_OFFER_INVALID on any problem. */
export function validateFileOffer(offer: FileOffer): void {
  if (!(offer.transferId instanceof Uint8Array) || offer.transferId.length !== BLOB_TRANSFER_ID_LENGTH) throw invalid(`transfer id must be ${BLOB_TRANSFER_ID_LENGTH} bytes`)
  if (!(offer.sha256 instanceof Uint8Array) || offer.sha256.length !== SHA256_LENGTH) throw invalid(`sha256 must be ${SHA256_LENGTH} bytes`)
  if (!(offer.fileKey instanceof Uint8Array) || offer.fileKey.length !== BLOB_FILE_KEY_LENGTH) throw invalid(`file key must be ${BLOB_FILE_KEY_LENGTH} bytes`)
  if (!(offer.noncePrefix instanceof Uint8Array) || offer.noncePrefix.length !== BLOB_NONCE_PREFIX_LENGTH) throw invalid(`nonce prefix must be ${BLOB_NONCE_PREFIX_LENGTH} bytes`)
  if (!Number.isSafeInteger(offer.size) || offer.size < 0 || offer.size > BLOB_MAX_FILE_BYTES) throw invalid(`size must be 0..${BLOB_MAX_FILE_BYTES}`)
  if (!Number.isSafeInteger(offer.chunkSize) || offer.chunkSize < BLOB_MIN_CHUNK_BYTES || offer.chunkSize > BLOB_MAX_CHUNK_BYTES) {
    throw invalid(`chunk size must be ${BLOB_MIN_CHUNK_BYTES}..${BLOB_MAX_CHUNK_BYTES}`)
  }
  if (chunkCount(offer.size, offer.chunkSize) > BLOB_MAX_CHUNKS) throw invalid(`more than ${BLOB_MAX_CHUNKS} chunks`)
  if (typeof offer.name !== 'string' || sanitizeFileName(offer.name) !== offer.name) throw invalid('name is not a sanitized file name')
}

/**
 * A new offer for a file described by `stats`, with a fresh transfer id,
 * file key and nonce prefix from the suite's RNG.
 *
 * @example
 * ```ts
 * const offer = createFileOffer(suite, { name: 'report.pdf', size, sha256 })
 * const bytes = encodeFileOffer(offer) // send inside the ratchet
 * ```
 */
export function createFileOffer(suite: Suite, stats: FileStats): FileOffer {
  const offer: FileOffer = {
    transferId: suite.randomBytes(BLOB_TRANSFER_ID_LENGTH),
    name: sanitizeFileName(stats.name),
    size: stats.size,
    sha256: Uint8Array.from(stats.sha256),
    fileKey: suite.randomBytes(BLOB_FILE_KEY_LENGTH),
    chunkSize: stats.chunkSize ?? BLOB_DEFAULT_CHUNK_BYTES,
    noncePrefix: suite.randomBytes(BLOB_NONCE_PREFIX_LENGTH),
  }
  try {
    validateFileOffer(offer)
  } catch (err) {
    throw new ParleyError('INVALID_ARGUMENT', `createFileOffer: ${(err as Error).message}`, { cause: err })
  }
  return offer
}

/** The offer as `parley/file-offer` v1 bytes. */
export function encodeFileOffer(offer: FileOffer): Uint8Array {
  validateFileOffer(offer)
  return encodeVersioned(FILE_OFFER_KIND, FILE_OFFER_VERSION, {
    i: offer.transferId,
    n: offer.name,
    s: offer.size,
    h: offer.sha256,
    k: offer.fileKey,
    c: offer.chunkSize,
    p: offer.noncePrefix,
  })
}

/** Strict inverse of `encodeFileOffer`: DECODE_* for malformed bytes, BLOB_OFFER_INVALID for a bad offer. */
export function decodeFileOffer(bytes: Uint8Array): FileOffer {
  const what = 'file offer'
  const m = asMap(decodeVersioned(bytes, FILE_OFFER_KIND, [FILE_OFFER_VERSION]), what)
  expectKeys(m, ['i', 'n', 's', 'h', 'k', 'c', 'p'], [], what)
  const offer: FileOffer = {
    transferId: getBytes(m, 'i', what, { length: BLOB_TRANSFER_ID_LENGTH }),
    name: getText(m, 'n', what, BLOB_MAX_NAME_BYTES),
    size: getUint(m, 's', what, BLOB_MAX_FILE_BYTES),
    sha256: getBytes(m, 'h', what, { length: SHA256_LENGTH }),
    fileKey: getBytes(m, 'k', what, { length: BLOB_FILE_KEY_LENGTH }),
    chunkSize: getUint(m, 'c', what, BLOB_MAX_CHUNK_BYTES),
    noncePrefix: getBytes(m, 'p', what, { length: BLOB_NONCE_PREFIX_LENGTH }),
  }
  validateFileOffer(offer)
  return offer
}

/** A cancel reason read from the wire: DECODE_SCHEMA when it is not one of CANCEL_REASONS. */
export function asCancelReason(value: string, what: string): CancelReason {
  if (!(CANCEL_REASONS as readonly string[]).includes(value)) throw new ParleyError('DECODE_SCHEMA', `${what}: unknown cancel reason`)
  return value as CancelReason
}

/** The cancel notice as `parley/file-cancel` v1 bytes. */
export function encodeFileCancel(cancel: FileCancel): Uint8Array {
  if (!(cancel.transferId instanceof Uint8Array) || cancel.transferId.length !== BLOB_TRANSFER_ID_LENGTH) {
    throw new ParleyError('INVALID_ARGUMENT', `file cancel: transfer id must be ${BLOB_TRANSFER_ID_LENGTH} bytes`)
  }
  if (!(CANCEL_REASONS as readonly string[]).includes(cancel.reason)) throw new ParleyError('INVALID_ARGUMENT', 'file cancel: unknown reason')
  return encodeVersioned(FILE_CANCEL_KIND, FILE_CANCEL_VERSION, { i: cancel.transferId, r: cancel.reason })
}

/** Strict inverse of `encodeFileCancel`. */
export function decodeFileCancel(bytes: Uint8Array): FileCancel {
  const what = 'file cancel'
  const m = asMap(decodeVersioned(bytes, FILE_CANCEL_KIND, [FILE_CANCEL_VERSION]), what)
  expectKeys(m, ['i', 'r'], [], what)
  return {
    transferId: getBytes(m, 'i', what, { length: BLOB_TRANSFER_ID_LENGTH }),
    reason: asCancelReason(getText(m, 'r', what, 32), `${what}.r`),
  }
}
