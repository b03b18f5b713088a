/**
 * The native `CryptoBackend`: every primitive of the parley-1 suite over
 * node:crypto (OpenSSL 3.5 in Node 24). Specs: FIPS 180-4 (SHA-256),
 * FIPS 202 (SHA3-256, SHAKE256), RFC 2104 (HMAC), RFC 5869 (HKDF),
 * NIST SP 800-38D (AES-GCM), RFC 8439 (ChaCha20-Poly1305), RFC 7748 (X25519),
 * RFC 8032 (Ed25519), FIPS 203 (ML-KEM-768), FIPS 204 (ML-DSA-65),
 * RFC 9106 (Argon2id).
 *
 * One exception: XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) has no
 * node:crypto primitive; its HChaCha20 subkey step comes from
 * @noble/ciphers and the ChaCha20-Poly1305 that follows from node:crypto
 * (draft §2.3 defines it so); we never implement a primitive ourselves.
 *
 * Key import, the public-key cache, secret-key handles and the Buffer
 * boundary live in native-keys.ts. Secret keys are imported per call and
 * never cached, unless the caller holds a `SecretKeyHandle` of its own
 * (types.ts); imported public keys are (peers' keys recur, and import is a
 * large part of the cost: an ML-KEM encapsulation key import runs the
 * FIPS 203 §7.2 checks).
 *
 * Test hooks the native backend cannot honour: fixed ML-KEM encapsulation
 * randomness and fixed ML-DSA signing randomness throw UNSUPPORTED.
 */
import type { Buffer } from 'node:buffer'
import {
  argon2,
  createCipheriv,
  createSecretKey,
  createDecipheriv,
  createHmac,
  decapsulate,
  diffieHellman,
  encapsulate,
  generateKeyPairSync,
  hash,
  hkdfSync,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto'
import type { CipherChaCha20Poly1305, CipherGCM, DecipherChaCha20Poly1305, DecipherGCM, KeyObject } from 'node:crypto'
import { hchacha } from '@noble/ciphers/chacha.js'
import { ParleyError, DECRYPT_FAILED_MESSAGE } from '../errors.js'
import {
  AEAD_TAG_LENGTH,
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SEED_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  MLDSA65_PUBLIC_KEY_LENGTH,
  MLDSA65_SEED_LENGTH,
  MLDSA65_SIGNATURE_LENGTH,
  MLDSA_MAX_CONTEXT_LENGTH,
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  X25519_KEY_LENGTH,
} from '../constants.js'
import {
  checkAesGcm,
  checkAesGcmInputs,
  checkSealInto,
  checkArgon2,
  detachedCiphertext,
  checkChaCha,
  checkHkdf,
  checkMlDsaContext,
  checkOutputLength,
  checkXChaCha,
  tooShortForTag,
} from './backend-checks.js'
import { assertBytes, assertLength, fail } from './bytes.js'
import { isStrictEd25519PublicKey } from './ed25519-strict.js'
import { randomBytes } from './random-pool.js'
import { buf, expandedMlKemSecretKey, exportPublic, importPublic, importSecret, importSecretHandle, keyObjectOf, own, secretKeyObject } from './native-keys.js'
import type { Argon2Params, AssociatedData, CryptoBackend, DetachedSealed, SecretKeyHandle } from './types.js'

/**
 * A symmetric key as a KeyObject. node:crypto imports a raw Buffer key on
 * every call through a slow path (~9 µs); `createSecretKey` first is ~0.7 µs,
 * which makes HMAC, HKDF and the AEADs 3–4× faster on small inputs.
 *
 * Small byte arrays go to node as they are, not as Buffer views (`buf`): V8
 * keeps a typed array of at most 64 bytes inside the JS heap, and taking its
 * `.buffer` for a view moves it out (~0.9 µs each), where node reads it in place.
 */
function secretKey(key: Uint8Array): KeyObject {
  return createSecretKey(key)
}

/** "expand 32-byte k" as four little-endian words: ChaCha's constants. */
const CHACHA_SIGMA = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574)

/**
 * The ChaCha20-Poly1305 key and nonce of an XChaCha20-Poly1305 (key, 24-byte
 * nonce): subkey = HChaCha20(key, nonce[0..16]), nonce = 0⁴ ‖ nonce[16..24].
 * Words are read and written little-endian whatever the host; the subkey
 * goes straight into a key object and its bytes are wiped.
 */
function xchachaSubkey(key: Uint8Array, nonce: Uint8Array): { subkey: KeyObject; nonce12: Uint8Array } {
  const k = new Uint32Array(8)
  const n = new Uint32Array(4)
  const out = new Uint32Array(8)
  const kv = new DataView(key.buffer, key.byteOffset, key.byteLength)
  const nv = new DataView(nonce.buffer, nonce.byteOffset, nonce.byteLength)
  for (let i = 0; i < 8; i++) k[i] = kv.getUint32(4 * i, true)
  for (let i = 0; i < 4; i++) n[i] = nv.getUint32(4 * i, true)
  hchacha(CHACHA_SIGMA, k, n, out)
  const bytes = new Uint8Array(32)
  const bv = new DataView(bytes.buffer)
  for (let i = 0; i < 8; i++) bv.setUint32(4 * i, out[i] as number, true)
  const subkey = createSecretKey(bytes)
  bytes.fill(0)
  k.fill(0)
  out.fill(0)
  const nonce12 = new Uint8Array(12)
  nonce12.set(nonce.subarray(16, 24), 4)
  return { subkey, nonce12 }
}

/** Checks an AES-GCM call and returns the key object (raw key, or an AES-256-GCM handle). */
function gcmKey(op: string, key: Uint8Array | SecretKeyHandle, nonce: Uint8Array, data: Uint8Array, aad: AssociatedData): KeyObject {
  if (key instanceof Uint8Array) {
    checkAesGcm(op, key, nonce, data, aad)
    return secretKey(key)
  }
  const keyObject = keyObjectOf(op, 'aes-256-gcm', key)
  checkAesGcmInputs(op, nonce, data, aad)
  return keyObject
}


const EMPTY = new Uint8Array(0)

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (const b of bytes) acc |= b
  return acc === 0
}

const GCM_CIPHERS = { 16: 'aes-128-gcm', 24: 'aes-192-gcm', 32: 'aes-256-gcm' } as const

type GcmName = 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm'

function gcmCipher(key: Uint8Array | SecretKeyHandle): GcmName {
  return key instanceof Uint8Array ? GCM_CIPHERS[key.length as 16 | 24 | 32] : 'aes-256-gcm'
}

/** The associated data into a node cipher, part by part (OpenSSL takes AAD in pieces before the data). */
function setAad(cipher: CipherGCM | CipherChaCha20Poly1305 | DecipherGCM | DecipherChaCha20Poly1305, aad: AssociatedData, plaintextLength: number): void {
  if (aad instanceof Uint8Array) cipher.setAAD(aad, { plaintextLength })
  else for (const part of aad) cipher.setAAD(part, { plaintextLength })
}

/** The cipher options of every AEAD here: 16-byte tags only (a decipher refuses any other tag length). */
const AEAD_OPTIONS = Object.freeze({ authTagLength: AEAD_TAG_LENGTH })

/** AEAD seal through a node cipher: returns ciphertext || tag (in `into` when given). */
function aeadSeal(cipher: CipherGCM | CipherChaCha20Poly1305, plaintext: Uint8Array, aad: AssociatedData, into?: Uint8Array): Uint8Array {
  setAad(cipher, aad, plaintext.length)
  const out = into ?? new Uint8Array(plaintext.length + AEAD_TAG_LENGTH)
  const body = cipher.update(plaintext)
  const tail = cipher.final()
  out.set(body, 0)
  out.set(tail, body.length)
  out.set(cipher.getAuthTag(), plaintext.length)
  return out
}

/** AEAD seal with the tag apart: the cipher's own output is the ciphertext (GCM gives it all from update()). */
function aeadSealDetached(cipher: CipherGCM, plaintext: Uint8Array, aad: AssociatedData): DetachedSealed {
  setAad(cipher, aad, plaintext.length)
  const body = cipher.update(plaintext)
  const tail = cipher.final()
  const ciphertext = tail.length === 0 ? own(body) : concatOwned(body, tail)
  return { ciphertext, tag: own(cipher.getAuthTag()) }
}

function concatOwned(a: Buffer, b: Buffer): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  a.fill(0)
  b.fill(0)
  return out
}

/** AEAD open of a ciphertext in parts; the plaintext parts are wiped and DECRYPT_FAILED thrown when the tag does not verify. */
function aeadOpenDetached(op: string, decipher: DecipherGCM, parts: readonly Uint8Array[], length: number, tag: Uint8Array, aad: AssociatedData): Uint8Array[] {
  setAad(decipher, aad, length)
  decipher.setAuthTag(tag)
  const out: Buffer[] = []
  for (const part of parts) out.push(decipher.update(part))
  let tail: Buffer
  try {
    tail = decipher.final()
  } catch (err) {
    for (const b of out) b.fill(0)
    return fail('DECRYPT_FAILED', op, DECRYPT_FAILED_MESSAGE, err)
  }
  if (tail.length > 0) out.push(tail)
  return out.map(own)
}

/** AEAD open through a node decipher; unauthenticated plaintext is wiped on failure. */
function aeadOpen(op: string, decipher: DecipherGCM | DecipherChaCha20Poly1305, sealed: Uint8Array, aad: AssociatedData): Uint8Array {
  const bodyLength = sealed.length - AEAD_TAG_LENGTH
  setAad(decipher, aad, bodyLength)
  decipher.setAuthTag(sealed.subarray(bodyLength))
  const body = decipher.update(sealed.subarray(0, bodyLength))
  let tail: Buffer
  try {
    tail = decipher.final()
  } catch (err) {
    body.fill(0)
    return fail('DECRYPT_FAILED', op, DECRYPT_FAILED_MESSAGE, err)
  }
  // GCM and ChaCha20-Poly1305 return everything from update(): keep that buffer (no copy of a large body).
  if (tail.length === 0 && body.length === bodyLength) return own(body)
  const out = new Uint8Array(bodyLength)
  out.set(body, 0)
  out.set(tail, body.length)
  body.fill(0)
  tail.fill(0)
  return out
}

/** Checks lengths and imports an X25519 secret key (or takes a handle's). */
function importX25519(op: string, secretKey: Uint8Array | SecretKeyHandle, publicKey: Uint8Array): KeyObject {
  assertLength(op, 'publicKey', publicKey, X25519_KEY_LENGTH, 'KEY_INVALID')
  return x25519Secret(op, secretKey)
}

function x25519Secret(op: string, secretKey: Uint8Array | SecretKeyHandle): KeyObject {
  if (!(secretKey instanceof Uint8Array)) return keyObjectOf(op, 'x25519', secretKey)
  assertLength(op, 'secretKey', secretKey, X25519_KEY_LENGTH, 'KEY_INVALID')
  return importSecret(op, 'x25519', 'raw-private', secretKey)
}

/** RFC 7748 §6.1 X25519 with the all-zero check. */
function x25519Agree(op: string, privateKey: KeyObject, publicKey: Uint8Array): Uint8Array {
  const peer = importPublic(op, 'x25519', publicKey)
  let shared: Uint8Array
  try {
    shared = own(diffieHellman({ privateKey, publicKey: peer }))
  } catch (err) {
    // OpenSSL refuses exactly one X25519 outcome: the all-zero output.
    return fail('X25519_ZERO_SHARED', op, 'all-zero shared secret (small-order public key)', err)
  }
  // RFC 7748 §6.1: check for the all-zero value and abort.
  if (isAllZero(shared)) fail('X25519_ZERO_SHARED', op, 'all-zero shared secret (small-order public key)')
  return shared
}

/** Checks lengths and imports an ML-KEM-768 decapsulation key from its 64-byte seed (FIPS 203 §7.1). */
function importMlKemSecret(op: string, seed: Uint8Array, ciphertext: Uint8Array): KeyObject {
  assertLength(op, 'seed', seed, MLKEM768_SEED_LENGTH, 'KEY_INVALID')
  assertLength(op, 'ciphertext', ciphertext, MLKEM768_CIPHERTEXT_LENGTH)
  return importSecret(op, 'ml-kem-768', 'raw-seed', seed)
}

/**
 * The options of an ML-DSA sign/verify call: the key object itself when the
 * FIPS 204 context is empty (as in every hybrid signature), else `{ key,
 * context }`. node probes an options object with isKeyObject/isCryptoKey,
 * which throw and catch internally: ~10 µs per call for nothing.
 */
function mlDsaKey(key: KeyObject, context: Uint8Array): KeyObject | { key: KeyObject; context: Buffer } {
  return context.length === 0 ? key : { key, context: buf(context) }
}

function mlKemDecapsulate(op: string, key: KeyObject, ciphertext: Uint8Array): Uint8Array {
  try {
    // FIPS 203 Algorithm 21: implicit rejection, a wrong ciphertext still yields a secret.
    return own(decapsulate(key, ciphertext))
  } catch (err) {
    return fail('KEM_FAILED', op, 'decapsulation failed', err)
  }
}

export const nativeBackend: CryptoBackend = {
  name: 'native',

  randomBytes(length: number): Uint8Array {
    checkOutputLength('randomBytes', length)
    // Short requests (nonces) come from a pool, longer ones straight from the OS (random-pool.ts).
    return randomBytes(length)
  },

  sha256(data: Uint8Array): Uint8Array {
    assertBytes('sha256', 'data', data)
    return own(hash('sha256', data, 'buffer'))
  },

  sha3_256(data: Uint8Array): Uint8Array {
    assertBytes('sha3_256', 'data', data)
    return own(hash('sha3-256', data, 'buffer'))
  },

  shake256(data: Uint8Array, outputLength: number): Uint8Array {
    assertBytes('shake256', 'data', data)
    checkOutputLength('shake256', outputLength)
    if (outputLength === 0) return new Uint8Array(0)
    // One-shot: a third cheaper than a hash object on short inputs (the ratchet's KDF_CK).
    return own(hash('shake256', data, { outputEncoding: 'buffer', outputLength }))
  },

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    assertBytes('hmacSha256', 'key', key, 'KEY_INVALID')
    assertBytes('hmacSha256', 'data', data)
    return own(createHmac('sha256', secretKey(key)).update(data).digest())
  },

  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    checkHkdf('hkdfSha256', ikm, salt, info, length)
    // RFC 5869 §2.2: an empty salt is HashLen zero bytes; OpenSSL does the same.
    return new Uint8Array(hkdfSync('sha256', secretKey(ikm), salt, info, length))
  },

  importSecretKey: importSecretHandle,

  aesGcmSeal(key, nonce, plaintext, aad, into) {
    const keyObject = gcmKey('aesGcmSeal', key, nonce, plaintext, aad)
    if (into !== undefined) checkSealInto('aesGcmSeal', into, plaintext)
    return aeadSeal(createCipheriv(gcmCipher(key), keyObject, nonce, AEAD_OPTIONS), plaintext, aad, into)
  },

  aesGcmOpen(key, nonce, sealed, aad) {
    const keyObject = gcmKey('aesGcmOpen', key, nonce, sealed, aad)
    if (tooShortForTag(sealed)) fail('DECRYPT_FAILED', 'aesGcmOpen', DECRYPT_FAILED_MESSAGE)
    return aeadOpen('aesGcmOpen', createDecipheriv(gcmCipher(key), keyObject, nonce, AEAD_OPTIONS), sealed, aad)
  },

  aesGcmSealDetached(key, nonce, plaintext, aad) {
    const keyObject = gcmKey('aesGcmSealDetached', key, nonce, plaintext, aad)
    return aeadSealDetached(createCipheriv(gcmCipher(key), keyObject, nonce, AEAD_OPTIONS), plaintext, aad)
  },

  aesGcmOpenDetached(key, nonce, ciphertext, tag, aad) {
    const op = 'aesGcmOpenDetached'
    const keyObject = gcmKey(op, key, nonce, EMPTY, aad)
    const { parts, length } = detachedCiphertext(op, ciphertext)
    assertBytes(op, 'tag', tag)
    if (tag.length !== AEAD_TAG_LENGTH) fail('DECRYPT_FAILED', op, DECRYPT_FAILED_MESSAGE)
    return aeadOpenDetached(op, createDecipheriv(gcmCipher(key), keyObject, nonce, AEAD_OPTIONS), parts, length, tag, aad)
  },

  chacha20Poly1305Seal(key, nonce, plaintext, aad) {
    checkChaCha('chacha20Poly1305Seal', key, nonce, plaintext, aad)
    return aeadSeal(createCipheriv('chacha20-poly1305', secretKey(key), nonce, AEAD_OPTIONS), plaintext, aad)
  },

  chacha20Poly1305Open(key, nonce, sealed, aad) {
    checkChaCha('chacha20Poly1305Open', key, nonce, sealed, aad)
    if (tooShortForTag(sealed)) fail('DECRYPT_FAILED', 'chacha20Poly1305Open', DECRYPT_FAILED_MESSAGE)
    return aeadOpen('chacha20Poly1305Open', createDecipheriv('chacha20-poly1305', secretKey(key), nonce, { authTagLength: AEAD_TAG_LENGTH }), sealed, aad)
  },

  // XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2.3): HChaCha20 from @noble/ciphers derives the
  // subkey (one block function), and OpenSSL's ChaCha20-Poly1305 does the rest. The same bytes as
  // @noble's xchacha20poly1305 (the portable backend; cross-checked, and both run the Wycheproof vectors).
  xchacha20Poly1305Seal(key, nonce, plaintext, aad) {
    checkXChaCha('xchacha20Poly1305Seal', key, nonce, plaintext, aad)
    const { subkey, nonce12 } = xchachaSubkey(key, nonce)
    return aeadSeal(createCipheriv('chacha20-poly1305', subkey, nonce12, AEAD_OPTIONS), plaintext, aad)
  },

  xchacha20Poly1305Open(key, nonce, sealed, aad) {
    checkXChaCha('xchacha20Poly1305Open', key, nonce, sealed, aad)
    if (tooShortForTag(sealed)) fail('DECRYPT_FAILED', 'xchacha20Poly1305Open', DECRYPT_FAILED_MESSAGE)
    const { subkey, nonce12 } = xchachaSubkey(key, nonce)
    return aeadOpen('xchacha20Poly1305Open', createDecipheriv('chacha20-poly1305', subkey, nonce12, AEAD_OPTIONS), sealed, aad)
  },

  x25519PublicKey(secretKey: Uint8Array | SecretKeyHandle): Uint8Array {
    return exportPublic(x25519Secret('x25519PublicKey', secretKey))
  },

  x25519(secretKey: Uint8Array | SecretKeyHandle, publicKey: Uint8Array): Uint8Array {
    return x25519Agree('x25519', importX25519('x25519', secretKey, publicKey), publicKey)
  },

  x25519WithPublicKey(secretKey: Uint8Array, publicKey: Uint8Array) {
    const op = 'x25519WithPublicKey'
    const privateKey = importX25519(op, secretKey, publicKey)
    return { ownPublicKey: exportPublic(privateKey), sharedSecret: x25519Agree(op, privateKey, publicKey) }
  },

  x25519Encapsulate(publicKey: Uint8Array, randomness?: Uint8Array) {
    const op = 'x25519Encapsulate'
    assertLength(op, 'publicKey', publicKey, X25519_KEY_LENGTH, 'KEY_INVALID')
    // A fresh key pair from OpenSSL is cheaper than importing random bytes (no import-time checks).
    const privateKey =
      randomness === undefined ? generateKeyPairSync('x25519').privateKey : importX25519(op, randomness, publicKey)
    return { ciphertext: exportPublic(privateKey), sharedSecret: x25519Agree(op, privateKey, publicKey) }
  },

  ed25519PublicKey(seed: Uint8Array | SecretKeyHandle): Uint8Array {
    return exportPublic(secretKeyObject('ed25519PublicKey', 'ed25519', seed))
  },

  ed25519Sign(seed: Uint8Array | SecretKeyHandle, message: Uint8Array): Uint8Array {
    const key = secretKeyObject('ed25519Sign', 'ed25519', seed)
    assertBytes('ed25519Sign', 'message', message)
    return own(sign(null, message, key))
  },

  ed25519SignWithPublicKey(seed: Uint8Array, message: Uint8Array) {
    const op = 'ed25519SignWithPublicKey'
    assertLength(op, 'seed', seed, ED25519_SEED_LENGTH, 'KEY_INVALID')
    assertBytes(op, 'message', message)
    const key = importSecret(op, 'ed25519', 'raw-private', seed)
    return { signature: own(sign(null, message, key)), publicKey: exportPublic(key) }
  },

  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    assertLength('ed25519Verify', 'publicKey', publicKey, ED25519_PUBLIC_KEY_LENGTH, 'KEY_INVALID')
    assertBytes('ed25519Verify', 'message', message)
    assertBytes('ed25519Verify', 'signature', signature)
    if (signature.length !== ED25519_SIGNATURE_LENGTH) return false
    // RFC 8032 §5.1.3 canonical A and no small-order A (see ed25519-strict.ts);
    // OpenSSL itself checks S < L (§5.1.7 step 1) and compares R byte-for-byte.
    if (!isStrictEd25519PublicKey(publicKey)) return false
    try {
      return verify(null, message, importPublic('ed25519Verify', 'ed25519', publicKey), signature)
    } catch {
      return false
    }
  },

  mlKem768PublicKey(seed: Uint8Array | SecretKeyHandle): Uint8Array {
    return exportPublic(secretKeyObject('mlKem768PublicKey', 'ml-kem-768', seed))
  },

  mlKem768ExpandedSecretKey(seed: Uint8Array): Uint8Array {
    assertLength('mlKem768ExpandedSecretKey', 'seed', seed, MLKEM768_SEED_LENGTH, 'KEY_INVALID')
    return expandedMlKemSecretKey('mlKem768ExpandedSecretKey', importSecret('mlKem768ExpandedSecretKey', 'ml-kem-768', 'raw-seed', seed))
  },

  mlKem768Encapsulate(publicKey: Uint8Array, randomness?: Uint8Array) {
    const op = 'mlKem768Encapsulate'
    if (randomness !== undefined) fail('UNSUPPORTED', op, 'node:crypto cannot encapsulate with caller randomness')
    assertLength(op, 'publicKey', publicKey, MLKEM768_PUBLIC_KEY_LENGTH, 'KEY_INVALID')
    // Import runs the FIPS 203 §7.2 encapsulation-key checks (type and modulus).
    const { sharedKey, ciphertext } = encapsulate(importPublic(op, 'ml-kem-768', publicKey))
    return { ciphertext: own(ciphertext), sharedSecret: own(sharedKey) }
  },

  mlKem768Decapsulate(seed: Uint8Array | SecretKeyHandle, ciphertext: Uint8Array): Uint8Array {
    const op = 'mlKem768Decapsulate'
    if (seed instanceof Uint8Array) return mlKemDecapsulate(op, importMlKemSecret(op, seed, ciphertext), ciphertext)
    const key = keyObjectOf(op, 'ml-kem-768', seed)
    assertLength(op, 'ciphertext', ciphertext, MLKEM768_CIPHERTEXT_LENGTH)
    return mlKemDecapsulate(op, key, ciphertext)
  },

  mlKem768DecapsulateWithPublicKey(seed: Uint8Array, ciphertext: Uint8Array) {
    const op = 'mlKem768DecapsulateWithPublicKey'
    const key = importMlKemSecret(op, seed, ciphertext)
    return { publicKey: exportPublic(key), sharedSecret: mlKemDecapsulate(op, key, ciphertext) }
  },

  mlDsa65PublicKey(seed: Uint8Array | SecretKeyHandle): Uint8Array {
    return exportPublic(secretKeyObject('mlDsa65PublicKey', 'ml-dsa-65', seed))
  },

  mlDsa65Sign(seed: Uint8Array | SecretKeyHandle, message: Uint8Array, context: Uint8Array = EMPTY, randomness?: Uint8Array): Uint8Array {
    const op = 'mlDsa65Sign'
    if (randomness !== undefined) fail('UNSUPPORTED', op, 'node:crypto cannot sign with caller randomness')
    const key = secretKeyObject(op, 'ml-dsa-65', seed)
    assertBytes(op, 'message', message)
    checkMlDsaContext(op, context)
    // FIPS 204 Algorithm 2 (hedged): M' = 0 || |ctx| || ctx || M, formatted by OpenSSL.
    return own(sign(null, message, mlDsaKey(key, context)))
  },

  mlDsa65SignWithPublicKey(seed: Uint8Array, message: Uint8Array, context: Uint8Array = EMPTY, randomness?: Uint8Array) {
    const op = 'mlDsa65SignWithPublicKey'
    if (randomness !== undefined) fail('UNSUPPORTED', op, 'node:crypto cannot sign with caller randomness')
    assertLength(op, 'seed', seed, MLDSA65_SEED_LENGTH, 'KEY_INVALID')
    assertBytes(op, 'message', message)
    checkMlDsaContext(op, context)
    const key = importSecret(op, 'ml-dsa-65', 'raw-seed', seed)
    return { signature: own(sign(null, message, mlDsaKey(key, context))), publicKey: exportPublic(key) }
  },

  mlDsa65Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, context: Uint8Array = EMPTY): boolean {
    const op = 'mlDsa65Verify'
    assertLength(op, 'publicKey', publicKey, MLDSA65_PUBLIC_KEY_LENGTH, 'KEY_INVALID')
    assertBytes(op, 'message', message)
    assertBytes(op, 'signature', signature)
    assertBytes(op, 'context', context)
    // FIPS 204 Algorithm 3 step 1-2: wrong ctx or signature length is a failed verification.
    if (signature.length !== MLDSA65_SIGNATURE_LENGTH || context.length > MLDSA_MAX_CONTEXT_LENGTH) return false
    try {
      return verify(null, message, mlDsaKey(importPublic(op, 'ml-dsa-65', publicKey), context), signature)
    } catch {
      return false
    }
  },

  async argon2id(password: Uint8Array, salt: Uint8Array, params: Argon2Params): Promise<Uint8Array> {
    checkArgon2('argon2id', password, salt, params)
    // RFC 9106 §3 Argon2id, version 0x13, on libuv's thread pool.
    return await new Promise((resolve, reject) => {
      argon2(
        'argon2id',
        { message: password, nonce: salt, parallelism: params.parallelism, tagLength: params.length, memory: params.memoryKiB, passes: params.passes },
        (err, derivedKey) => {
          if (err !== null) reject(new ParleyError('INTERNAL', 'argon2id: derivation failed', { cause: err }))
          else resolve(own(derivedKey))
        },
      )
    })
  },

  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
    assertBytes('timingSafeEqual', 'a', a)
    assertBytes('timingSafeEqual', 'b', b)
    if (a.length !== b.length) return false
    return timingSafeEqual(a, b)
  },
}
