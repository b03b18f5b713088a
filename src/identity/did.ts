/**
 * The `did:parley` identifier: `did:parley:` followed by the lowercase,
 * unpadded RFC 4648 §6 base32 encoding of the 32-byte inception digest
 * `digest(LABELS.didInception, inceptionEventBytes)` (docs/identity.md).
 * This file formats, parses and validates such identifiers; it never hashes.
 * Parsing is strict: one spelling per digest (lowercase, exact length,
 * unused trailing bits zero), so two strings never name the same identity.
 */

import { SHA256_LENGTH } from '../constants.js'
import { ParleyError } from '../errors.js'

/** The method prefix of every Parley DID. */
export const DID_PARLEY_PREFIX = 'did:parley:'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
/** Characters of the base32 form of a 32-byte digest: ceil(256 / 5). */
const ID_LENGTH = Math.ceil((SHA256_LENGTH * 8) / 5)
/** Length of a whole `did:parley:` string. */
export const DID_PARLEY_LENGTH = DID_PARLEY_PREFIX.length + ID_LENGTH

const DECODE_TABLE: ReadonlyMap<string, number> = new Map([...ALPHABET].map((c, i) => [c, i]))

/**
 * Lowercase unpadded base32 (RFC 4648 §6) of `bytes`.
 *
 * @example
 * base32Encode(new TextEncoder().encode('foobar')) // 'mzxw6ytboi'
 */
export function base32Encode(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += ALPHABET[(buffer >> bits) & 31]
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31]
  return out
}

/**
 * Inverse of `base32Encode`; refuses uppercase, padding, foreign characters,
 * impossible lengths and non-zero trailing bits (non-canonical spellings).
 */
export function base32Decode(text: string): Uint8Array {
  const rem = text.length % 8
  if (rem === 1 || rem === 3 || rem === 6) {
    throw new ParleyError('DID_INVALID', 'base32Decode: impossible length')
  }
  const out = new Uint8Array(Math.floor((text.length * 5) / 8))
  let buffer = 0
  let bits = 0
  let at = 0
  for (const ch of text) {
    const v = DECODE_TABLE.get(ch)
    if (v === undefined) throw new ParleyError('DID_INVALID', 'base32Decode: character outside the lowercase base32 alphabet')
    buffer = ((buffer << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[at++] = (buffer >> bits) & 0xff
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) {
    throw new ParleyError('DID_INVALID', 'base32Decode: non-zero trailing bits (non-canonical)')
  }
  return out
}

/**
 * The DID for an inception digest.
 *
 * @example
 * formatDid(suite.digest(LABELS.didInception, icpBytes)) // 'did:parley:…' (52 base32 characters)
 */
export function formatDid(inceptionDigest: Uint8Array): string {
  if (inceptionDigest.length !== SHA256_LENGTH) {
    throw new ParleyError('INVALID_ARGUMENT', `formatDid: digest must be ${SHA256_LENGTH} bytes`)
  }
  return DID_PARLEY_PREFIX + base32Encode(inceptionDigest)
}

/** A parsed `did:parley` identifier. */
export interface ParsedDid {
  /** The whole DID string, as given (it is canonical once parsed). */
  did: string
  /** The method-specific identifier (base32 text). */
  id: string
  /** The inception digest it encodes. */
  digest: Uint8Array
}

/**
 * Parses a `did:parley` string; throws `DID_INVALID` for anything that is
 * not exactly one canonical spelling (no DID URL parts: path, query, fragment).
 *
 * @example
 * parseDid(state.did).digest // 32 bytes
 */
export function parseDid(did: string): ParsedDid {
  if (typeof did !== 'string' || did.length !== DID_PARLEY_LENGTH || !did.startsWith(DID_PARLEY_PREFIX)) {
    throw new ParleyError('DID_INVALID', 'parseDid: not a did:parley identifier')
  }
  const id = did.slice(DID_PARLEY_PREFIX.length)
  let digest: Uint8Array
  try {
    digest = base32Decode(id)
  } catch (err) {
    throw new ParleyError('DID_INVALID', 'parseDid: malformed method-specific identifier', { cause: err })
  }
  return { did, id, digest }
}

/** True when `did` is a canonical `did:parley` identifier. */
export function isParleyDid(did: unknown): did is string {
  if (typeof did !== 'string') return false
  try {
    parseDid(did)
    return true
  } catch {
    return false
  }
}

/** Throws `DID_INVALID` unless `did` is a canonical `did:parley` identifier; returns it. */
export function assertParleyDid(did: unknown, what = 'DID'): string {
  if (!isParleyDid(did)) throw new ParleyError('DID_INVALID', `${what}: not a canonical did:parley identifier`)
  return did
}
