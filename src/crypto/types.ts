/**
 * The interfaces of the crypto layer: `CryptoBackend` (raw primitives, one
 * implementation over node:crypto and one over @noble) and `Suite` (the
 * `parley-1` suite built over a backend: hybrid signatures, hybrid KEM,
 * typed key encodings, domain-separated digests). Everything above the crypto
 * layer uses `Suite`; only the suite and the vector tests touch a backend.
 *
 * All keys handed across the `Suite` API are *typed encodings*: one type-tag
 * byte followed by the raw key (see keys.ts). A key of the wrong type or
 * length is refused with `KEY_INVALID` / `KEY_TYPE_MISMATCH`.
 */

/** Argon2id cost parameters (RFC 9106). */
export interface Argon2Params {
  memoryKiB: number
  passes: number
  parallelism: number
  /** Output length in bytes. */
  length: number
}

/**
 * AES-GCM associated data: one byte string, or parts authenticated exactly
 * as their concatenation (NIST SP 800-38D: the AAD is one string; the parts
 * only spare the caller building it).
 */
export type AssociatedData = Uint8Array | readonly Uint8Array[]

/** An AEAD result with its 16-byte tag apart from the ciphertext. */
export interface DetachedSealed {
  ciphertext: Uint8Array
  tag: Uint8Array
}

/** What a `SecretKeyHandle` can be made for. */
export type SecretKeyAlgorithm = 'aes-256-gcm' | 'x25519' | 'ed25519' | 'ml-dsa-65' | 'ml-kem-768'

/**
 * A secret key imported into a backend once, for a key used more than once
 * (the ratchet's header keys and its current X25519 key; the suite's cache
 * of identity keys, key-cache.ts): node:crypto imports a raw key on every
 * call otherwise, and for ML-DSA and ML-KEM an import is a key expansion. Opaque, and bound to the backend
 * and algorithm it was made for (any other refuses it with KEY_INVALID). The
 * native backend holds an OpenSSL key object, which JavaScript cannot wipe
 * (OpenSSL clears it when it is freed); the portable one a private copy,
 * wiped when the handle is collected. Hold a handle exactly as long as the
 * key it was made from — in the object that owns that key, never in a
 * global — and drop it with the key.
 */
export interface SecretKeyHandle {
  readonly backend: 'native' | 'portable'
  readonly algorithm: SecretKeyAlgorithm
}

/** Raw primitives. Inputs are raw bytes (no type tags). Misuse throws ParleyError. */
export interface CryptoBackend {
  readonly name: 'native' | 'portable'
  randomBytes(length: number): Uint8Array
  sha256(data: Uint8Array): Uint8Array
  sha3_256(data: Uint8Array): Uint8Array
  shake256(data: Uint8Array, outputLength: number): Uint8Array
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array
  /**
   * Imports `key` once (`SecretKeyHandle`): 32 bytes for AES-256-GCM, a
   * 32-byte X25519 secret key, a 32-byte Ed25519 seed, a 32-byte ML-DSA-65
   * seed ξ, a 64-byte ML-KEM-768 seed d ‖ z. KEY_INVALID for another length.
   */
  importSecretKey(algorithm: SecretKeyAlgorithm, key: Uint8Array): SecretKeyHandle
  /**
   * AES-GCM with a 128/192/256-bit key (or an AES-256-GCM handle) and a
   * nonce of 8..128 bytes (AES_GCM_MIN/MAX_NONCE_LENGTH, backend-checks.ts);
   * returns ciphertext || 16-byte tag. The Suite narrows this to AES-256 and
   * 12-byte nonces. With `into` (exactly plaintext + 16 bytes) the result is
   * written there and `into` returned: a message built in one buffer.
   */
  aesGcmSeal(key: Uint8Array | SecretKeyHandle, nonce: Uint8Array, plaintext: Uint8Array, aad: AssociatedData, into?: Uint8Array): Uint8Array
  /** Throws ParleyError DECRYPT_FAILED on any authentication failure. */
  aesGcmOpen(key: Uint8Array | SecretKeyHandle, nonce: Uint8Array, sealed: Uint8Array, aad: AssociatedData): Uint8Array
  /**
   * `aesGcmSeal` with the tag apart: the ciphertext is the cipher's own
   * output, never copied into a joined buffer (a large message is written
   * to the network as ciphertext and tag side by side).
   */
  aesGcmSealDetached(key: Uint8Array | SecretKeyHandle, nonce: Uint8Array, plaintext: Uint8Array, aad: AssociatedData): DetachedSealed
  /**
   * `aesGcmOpen` of a ciphertext given in parts (as it came off the network)
   * and its tag apart: the plaintext comes back in parts too, nothing joined
   * (more than AEAD_MAX_DETACHED_PARTS parts are joined first). Nothing is
   * returned before the tag is verified; DECRYPT_FAILED otherwise.
   */
  aesGcmOpenDetached(key: Uint8Array | SecretKeyHandle, nonce: Uint8Array, ciphertext: readonly Uint8Array[], tag: Uint8Array, aad: AssociatedData): Uint8Array[]
  chacha20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array
  chacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array
  xchacha20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array
  xchacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array
  /** The public key of a secret key (raw, or an X25519 handle). */
  x25519PublicKey(secretKey: Uint8Array | SecretKeyHandle): Uint8Array
  /** Throws X25519_ZERO_SHARED when the result is all zero (small-order peer key). */
  x25519(secretKey: Uint8Array | SecretKeyHandle, publicKey: Uint8Array): Uint8Array
  /**
   * `x25519` that also returns the public key of `secretKey`, with one key
   * import: the hybrid KEM needs both (its combiner binds the public keys).
   */
  x25519WithPublicKey(secretKey: Uint8Array, publicKey: Uint8Array): { ownPublicKey: Uint8Array; sharedSecret: Uint8Array }
  /**
   * X25519 as a KEM (an ephemeral key pair agreed with `publicKey`): the
   * ciphertext is the ephemeral public key. `randomness` (32 bytes) is the
   * ephemeral secret, for vectors; without it the backend generates one.
   */
  x25519Encapsulate(publicKey: Uint8Array, randomness?: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array }
  /** The public key of a seed (raw, or an Ed25519 handle). */
  ed25519PublicKey(seed: Uint8Array | SecretKeyHandle): Uint8Array
  ed25519Sign(seed: Uint8Array | SecretKeyHandle, message: Uint8Array): Uint8Array
  /** `ed25519Sign` that also returns the public key of `seed`, with one key import. */
  ed25519SignWithPublicKey(seed: Uint8Array, message: Uint8Array): { signature: Uint8Array; publicKey: Uint8Array }
  /** Strict RFC 8032 verification (canonical S, canonical A); false on any failure. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
  /** The encapsulation key of a seed (raw, or an ML-KEM-768 handle). */
  mlKem768PublicKey(seed: Uint8Array | SecretKeyHandle): Uint8Array
  /** The expanded FIPS 203 decapsulation key (for vectors only). */
  mlKem768ExpandedSecretKey(seed: Uint8Array): Uint8Array
  /** `randomness` (32 bytes) is a test hook: only the portable backend honours it. */
  mlKem768Encapsulate(publicKey: Uint8Array, randomness?: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array }
  /** Decapsulation with a seed (raw, or an ML-KEM-768 handle). */
  mlKem768Decapsulate(seed: Uint8Array | SecretKeyHandle, ciphertext: Uint8Array): Uint8Array
  /**
   * `mlKem768Decapsulate` that also returns the encapsulation key of `seed`,
   * with one key expansion: the hybrid KEM combiner binds the public key.
   */
  mlKem768DecapsulateWithPublicKey(seed: Uint8Array, ciphertext: Uint8Array): { publicKey: Uint8Array; sharedSecret: Uint8Array }
  /** The public key of a seed (raw, or an ML-DSA-65 handle). */
  mlDsa65PublicKey(seed: Uint8Array | SecretKeyHandle): Uint8Array
  /**
   * Hedged ML-DSA-65 signing (FIPS 204 Algorithm 2). `randomness` (32 bytes,
   * the `rnd` of Algorithm 2; all zero = the deterministic variant) is a test
   * hook for vectors: only the portable backend honours it, the native one
   * throws UNSUPPORTED. `seed` raw, or an ML-DSA-65 handle.
   */
  mlDsa65Sign(seed: Uint8Array | SecretKeyHandle, message: Uint8Array, context?: Uint8Array, randomness?: Uint8Array): Uint8Array
  /**
   * `mlDsa65Sign` that also returns the public key of `seed`, with one key
   * expansion (FIPS 204 ML-DSA.KeyGen_internal is most of a native signing
   * key's import): for signing as a given public key.
   */
  mlDsa65SignWithPublicKey(seed: Uint8Array, message: Uint8Array, context?: Uint8Array, randomness?: Uint8Array): { signature: Uint8Array; publicKey: Uint8Array }
  mlDsa65Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context?: Uint8Array): boolean
  argon2id(password: Uint8Array, salt: Uint8Array, params: Argon2Params): Promise<Uint8Array>
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean
}

/** A key pair as typed encodings. */
export interface KeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** The parley-1 suite over one backend. */
export interface Suite {
  readonly id: 'parley-1'
  readonly backend: CryptoBackend
  randomBytes(length: number): Uint8Array
  sha256(data: Uint8Array): Uint8Array
  /** SHA-256 over a length-prefixed label and length-prefixed parts: unambiguous, domain-separated. */
  digest(label: string, ...parts: Uint8Array[]): Uint8Array
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean

  /** Hybrid Ed25519 + ML-DSA-65 key pair; `seed` (32 bytes) only for tests/vectors. */
  generateSigningKey(seed?: Uint8Array): KeyPair
  signingPublicKey(secretKey: Uint8Array): Uint8Array
  /** Hybrid signature: both component signatures over `LABELS.hybridSignature || label || message`. */
  sign(secretKey: Uint8Array, label: string, message: Uint8Array): Uint8Array
  /**
   * `sign` as the holder of `publicKey`: INVALID_ARGUMENT when `secretKey` is
   * not that key's (a rotated-out or foreign key), before anything is signed.
   * For a long-lived identity key: the suite keeps its imported key objects
   * as long as the `secretKey` array lives, re-checked against the array's
   * bytes at every call (key-cache.ts).
   */
  signAs(secretKey: Uint8Array, publicKey: Uint8Array, label: string, message: Uint8Array): Uint8Array
  /** True only when both component signatures verify. Malformed key -> throws KEY_INVALID. */
  verify(publicKey: Uint8Array, label: string, message: Uint8Array, signature: Uint8Array): boolean
  /** Components of a hybrid signing public key (raw bytes), e.g. for VC-JWT EdDSA. */
  splitSigningPublicKey(publicKey: Uint8Array): { ed25519: Uint8Array; mlDsa65: Uint8Array }
  /** Components of a hybrid signing secret key (raw seeds). Caller wipes them. */
  splitSigningSecretKey(secretKey: Uint8Array): { ed25519: Uint8Array; mlDsa65: Uint8Array }

  /** Hybrid X25519 + ML-KEM-768 key pair (KitchenSink combiner); `seed` (32 bytes) only for tests. */
  generateKemKey(seed?: Uint8Array): KeyPair
  encapsulate(publicKey: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array }
  /** Throws KEM_FAILED on malformed input (ML-KEM implicit rejection still yields a secret). */
  decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array
  /**
   * `decapsulate` as the holder of `publicKey`: INVALID_ARGUMENT when
   * `secretKey` is not that key's. For a long-lived identity key: imported
   * once per `secretKey` array, as for `signAs` (key-cache.ts).
   */
  decapsulateAs(secretKey: Uint8Array, publicKey: Uint8Array, ciphertext: Uint8Array): Uint8Array

  /**
   * AES-256-GCM with a 12-byte nonce only (AES_GCM_NONCE_LENGTH), ciphertext || tag; the key raw
   * (32 bytes) or an 'aes-256-gcm' handle of `backend.importSecretKey`; `aad` and `into` as on the backend.
   * Open throws DECRYPT_FAILED.
   */
  aesGcmSeal(key: Uint8Array | SecretKeyHandle, nonce: Uint8Array, plaintext: Uint8Array, aad: AssociatedData, into?: Uint8Array): Uint8Array
  aesGcmOpen(key: Uint8Array | SecretKeyHandle, nonce: Uint8Array, sealed: Uint8Array, aad: AssociatedData): Uint8Array
  /** The backend's detached variants, with the suite's checks (AES-256, 12-byte nonce). */
  aesGcmSealDetached(key: Uint8Array | SecretKeyHandle, nonce: Uint8Array, plaintext: Uint8Array, aad: AssociatedData): DetachedSealed
  aesGcmOpenDetached(key: Uint8Array | SecretKeyHandle, nonce: Uint8Array, ciphertext: readonly Uint8Array[], tag: Uint8Array, aad: AssociatedData): Uint8Array[]
  /** XChaCha20-Poly1305 with a fresh random nonce: returns nonce || ciphertext || tag. */
  seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array
  /** Inverse of `seal`; throws DECRYPT_FAILED. */
  open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array
  argon2id(passphrase: Uint8Array, salt: Uint8Array, params: Argon2Params): Promise<Uint8Array>
}
