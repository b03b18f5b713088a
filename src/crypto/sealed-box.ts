/**
 * A sealed box: anonymous public-key encryption to a hybrid KEM key
 * (X25519 + ML-KEM-768, KitchenSink combiner), in the KEM/DEM style of HPKE
 * base mode (RFC 9180 §5.1) built from parley-1 parts:
 *
 *   (ct, ss) = encapsulate(recipientPublicKey)
 *   key      = HKDF-SHA-256(ikm = ss, salt = digest(label, recipientPublicKey, ct), info = label, L = 32)
 *   box      = ct || XChaCha20-Poly1305(key, random nonce, plaintext, aad = label || aad)
 *
 * The key is bound to the purpose label, the recipient's key and the KEM
 * ciphertext; each box uses a fresh KEM encapsulation, so a key is never
 * reused. The sender is anonymous: authenticate inside the plaintext (for
 * example a signed invite). Used to seal reset invites to a peer's current
 * agreement key, and by the mailbox for sealed deposits.
 */
import { HYBRID_KEM_SHARED_SECRET_LENGTH, XCHACHA20_KEY_LENGTH } from '../constants.js'
import { ParleyError, decryptFailed } from '../errors.js'
import { concatBytes, utf8, wipe } from './bytes.js'
import { encodedLength } from './keys.js'
import type { Suite } from './types.js'

/** Seals `plaintext` to `recipientPublicKey` (a typed hybrid KEM public key). */
export function sealTo(suite: Suite, recipientPublicKey: Uint8Array, label: string, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const { ciphertext, sharedSecret } = suite.encapsulate(recipientPublicKey)
  const key = boxKey(suite, sharedSecret, recipientPublicKey, ciphertext, label)
  try {
    return concatBytes(ciphertext, suite.seal(key, plaintext, concatBytes(utf8(label), aad)))
  } finally {
    wipe(key, sharedSecret)
  }
}

/**
 * Opens a box sealed to the key pair (`secretKey`, `publicKey`). Any failure
 * is DECRYPT_FAILED, one opaque code.
 */
export function openSealed(suite: Suite, secretKey: Uint8Array, publicKey: Uint8Array, label: string, aad: Uint8Array, box: Uint8Array): Uint8Array {
  const ctLength = encodedLength('kemCiphertext')
  if (box.length < ctLength) throw decryptFailed()
  const ciphertext = box.subarray(0, ctLength)
  let sharedSecret: Uint8Array
  try {
    sharedSecret = suite.decapsulate(secretKey, ciphertext)
  } catch (err) {
    throw decryptFailed(err)
  }
  const key = boxKey(suite, sharedSecret, publicKey, ciphertext, label)
  try {
    return suite.open(key, box.subarray(ctLength), concatBytes(utf8(label), aad))
  } finally {
    wipe(key, sharedSecret)
  }
}

function boxKey(suite: Suite, sharedSecret: Uint8Array, recipientPublicKey: Uint8Array, ciphertext: Uint8Array, label: string): Uint8Array {
  if (sharedSecret.length !== HYBRID_KEM_SHARED_SECRET_LENGTH) throw new ParleyError('KEM_FAILED', 'sealed box: bad shared secret length')
  return suite.hkdf(sharedSecret, suite.digest(label, recipientPublicKey, ciphertext), label, XCHACHA20_KEY_LENGTH)
}
