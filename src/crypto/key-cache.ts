/**
 * The suite's cache of imported identity keys. An identity's hybrid secret
 * keys are long-lived and used on every session: `signAs` with the signing
 * key (Ed25519 seed ‖ ML-DSA-65 seed) for every bundle and first message,
 * `decapsulateAs` with the agreement key (the hybrid KEM seed, expanded to
 * ML-KEM-768 and X25519 secrets) for every first message received. Importing
 * them into node:crypto is a key expansion each time (FIPS 204
 * ML-DSA.KeyGen_internal: ~180 µs; FIPS 203 ML-KEM.KeyGen_internal, and a
 * scalar multiplication per Curve25519 key), so each suite keeps, per secret
 * key array, the backend handles made from it (`SecretKeyHandle`, types.ts).
 *
 * Rules (docs/crypto.md, "Imported identity keys"):
 * - Keyed by the caller's secret key array itself (a WeakMap): an entry
 *   lives exactly as long as the array does, and is collected with it. An
 *   OpenSSL key object cannot be wiped from JavaScript (OpenSSL clears it
 *   when it is freed), so its lifetime is the secret array's: wiping the
 *   array does not free it, dropping the array does.
 * - On every lookup the array's bytes are fingerprinted again and compared
 *   with the fingerprint taken at import: a wiped or changed array never
 *   uses handles made from its old bytes (the entry is dropped and the new
 *   bytes imported).
 * - The fingerprint is HMAC-SHA-256 under a random key of this cache, not a
 *   copy of the secret: no second copy of the secret sits in the JavaScript
 *   heap beside the caller's, and the value means nothing outside this
 *   process. That key comes from WebCrypto's getRandomValues, not from the
 *   backend: it never shows in any output, and a suite whose randomness is
 *   fixed for vectors draws the same stream with or without the cache.
 * - A caller that hands a fresh copy of its secret each time (as the
 *   SessionManager does, wiping it after each call) gets no hit: nothing is
 *   kept longer than that copy.
 */
import { SHA256_LENGTH } from '../constants.js'
import type { CryptoBackend } from './types.js'

interface Entry<T> {
  fingerprint: Uint8Array
  value: T
}

/** Imported secret keys of one backend, per secret key array. */
export class SecretKeyCache<T> {
  readonly #backend: CryptoBackend
  readonly #entries = new WeakMap<Uint8Array, Entry<T>>()
  #fingerprintKey: Uint8Array | undefined

  constructor(backend: CryptoBackend) {
    this.#backend = backend
  }

  #fingerprint(secretKey: Uint8Array): Uint8Array {
    // Drawn at first use, not at construction: suites are made when the module loads.
    this.#fingerprintKey ??= globalThis.crypto.getRandomValues(new Uint8Array(SHA256_LENGTH))
    return this.#backend.hmacSha256(this.#fingerprintKey, secretKey)
  }

  /**
   * What `load` made from the current bytes of `secretKey`: the held value
   * when the bytes are those it was made from, else a fresh `load()` (which
   * replaces it). `load` reads `secretKey` synchronously; if it throws,
   * nothing is held for `secretKey`.
   */
  get(secretKey: Uint8Array, load: () => T): T {
    const fingerprint = this.#fingerprint(secretKey)
    const held = this.#entries.get(secretKey)
    if (held !== undefined && this.#backend.timingSafeEqual(held.fingerprint, fingerprint)) return held.value
    this.#entries.delete(secretKey)
    const value = load()
    this.#entries.set(secretKey, { fingerprint, value })
    return value
  }
}
