/**
 * The X25519 side of the session layer: key pairs for prekeys and
 * ephemerals, the canonical-encoding check on every X25519 public key that
 * arrives from a peer, and Diffie-Hellman with the all-zero check (RFC 7748
 * §5 and §6.1; PQXDH §4 asks that received public keys be checked).
 * Backends accept any 32 bytes (RFC 7748 masks the top bit and reduces mod
 * p); Parley refuses both non-canonical forms, so every key has exactly one
 * encoding and binds into transcripts uniquely: a set top bit, or a
 * u-coordinate ≥ p = 2^255 − 19, is KEY_INVALID. A low-order point (the
 * output is all zero) is X25519_ZERO_SHARED, at use.
 */
import { X25519_KEY_LENGTH } from '../constants.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError } from '../errors.js'

/** An X25519 key pair as raw bytes (no type tag: X25519 keys appear only inside session structures). */
export interface X25519KeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

/** p = 2^255 − 19, little-endian: 0xed, then 30 × 0xff, then 0x7f. */
function belowP(u: Uint8Array): boolean {
  if ((u[31] as number) !== 0x7f) return (u[31] as number) < 0x7f
  for (let i = 30; i >= 1; i--) if ((u[i] as number) !== 0xff) return true
  return (u[0] as number) < 0xed
}

/** True when `key` is 32 bytes, top bit clear and u < p (the one canonical encoding). */
export function isCanonicalX25519(key: Uint8Array): boolean {
  return key instanceof Uint8Array && key.length === X25519_KEY_LENGTH && ((key[31] as number) & 0x80) === 0 && belowP(key)
}

/** Refuses a peer's X25519 public key that is not canonically encoded (KEY_INVALID). */
export function assertX25519Public(key: Uint8Array, what: string): void {
  if (!isCanonicalX25519(key)) throw new ParleyError('KEY_INVALID', `${what}: not a canonical X25519 public key`)
}

/** A fresh X25519 key pair from the suite's randomness. */
export function generateX25519(suite: Suite): X25519KeyPair {
  const secretKey = suite.randomBytes(X25519_KEY_LENGTH)
  return { secretKey, publicKey: suite.backend.x25519PublicKey(secretKey) }
}

/**
 * X25519(secretKey, publicKey) after the canonical check; X25519_ZERO_SHARED
 * for a low-order `publicKey` (the backends refuse the all-zero output).
 */
export function x25519(suite: Suite, secretKey: Uint8Array, publicKey: Uint8Array, what: string): Uint8Array {
  assertX25519Public(publicKey, what)
  return suite.backend.x25519(secretKey, publicKey)
}
