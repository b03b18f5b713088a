/**
 * The ML-KEM-768 part of the ratchet's KEM steps (FIPS 203), over the raw
 * backend primitives: a fresh offer (a 64-byte seed `d ‖ z` and its
 * encapsulation key), encapsulation to the peer's offer, decapsulation with
 * our offer's seed, and the FIPS 203 §7.2 "modulus check" of an offered
 * encapsulation key, run when the offer arrives so that a malformed key is
 * refused with its message instead of breaking our next send.
 *
 * Randomness comes from the caller (`random`, which is `suite.randomBytes`
 * outside tests). The ML-KEM encapsulation randomness `m` is passed to the
 * backend only when a test hook supplies `random`; only the portable backend
 * honours it (docs/crypto.md), so known-answer tests run on `portableSuite`.
 */
import {
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  MLKEM_RANDOMNESS_LENGTH,
} from '../../constants.js'
import { ParleyError, decryptFailed } from '../../errors.js'
import type { Suite } from '../../crypto/index.js'

/** A source of random bytes (suite.randomBytes, or a deterministic test hook). */
export type RandomSource = (length: number) => Uint8Array

/** ML-KEM-768 modulus q (FIPS 203 §2.4). */
const Q = 3329
/** Bytes of the encoded vector t̂ in an ML-KEM-768 ek (k = 3 polynomials × 384 bytes); ρ (32) follows. */
const EK_VECTOR_BYTES = 3 * 384

/**
 * FIPS 203 §7.2 encapsulation key check: every 12-bit coefficient of t̂ is
 * below q (ByteEncode12(ByteDecode12(ek)) = ek) and the length is right.
 */
export function isValidEncapsulationKey(ek: Uint8Array): boolean {
  if (ek.length !== MLKEM768_PUBLIC_KEY_LENGTH) return false
  for (let i = 0; i < EK_VECTOR_BYTES; i += 3) {
    const b0 = ek[i] as number
    const b1 = ek[i + 1] as number
    const b2 = ek[i + 2] as number
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) return false
  }
  return true
}

/** A fresh offer: the seed we keep (secret) and the key we send. */
export function newOffer(suite: Suite, random: RandomSource): { seed: Uint8Array; encapsulationKey: Uint8Array } {
  const seed = random(MLKEM768_SEED_LENGTH)
  if (seed.length !== MLKEM768_SEED_LENGTH) throw new ParleyError('INVALID_ARGUMENT', 'ratchet: random source returned the wrong length')
  return { seed, encapsulationKey: suite.backend.mlKem768PublicKey(seed) }
}

/** Encapsulates to the peer's offer; `hooked` passes the test randomness `m` to the backend. */
export function encapsulate(
  suite: Suite,
  encapsulationKey: Uint8Array,
  random: RandomSource,
  hooked: boolean,
): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  const m = hooked ? random(MLKEM_RANDOMNESS_LENGTH) : undefined
  const out = suite.backend.mlKem768Encapsulate(encapsulationKey, m)
  m?.fill(0)
  return out
}

/**
 * Decapsulates `ciphertext` with our offer's seed. ML-KEM rejects implicitly:
 * a wrong but well-formed ciphertext yields an unrelated secret, which makes
 * the root KDF and so the message body fail (DECRYPT_FAILED).
 */
export function decapsulate(suite: Suite, seed: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length !== MLKEM768_CIPHERTEXT_LENGTH) throw decryptFailed()
  return suite.backend.mlKem768Decapsulate(seed, ciphertext)
}
