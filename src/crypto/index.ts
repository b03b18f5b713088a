/**
 * The crypto layer of Parley: the parley-1 suite (DESIGN.md §3) over a
 * native backend (node:crypto) and a portable one (@noble), typed key
 * encodings, and the two ready suites. Everything above this layer uses a
 * `Suite`; `defaultSuite` is the native one.
 *
 * @example
 * ```ts
 * import { defaultSuite as suite } from './crypto/index.js'
 * import { LABELS } from './constants.js'
 * const alice = suite.generateKemKey()
 * const { ciphertext, sharedSecret } = suite.encapsulate(alice.publicKey)
 * suite.decapsulate(alice.secretKey, ciphertext) // equals sharedSecret
 * ```
 */
import { nativeBackend } from './native.js'
import { portableBackend } from './portable.js'
import { createSuite } from './suite.js'
import type { Suite } from './types.js'

export { nativeBackend } from './native.js'
export { portableBackend } from './portable.js'
export { createSuite } from './suite.js'
export {
  KEY_TAG_ED25519_PUBLIC,
  KEY_TAG_KEM_CIPHERTEXT,
  KEY_TAG_KEM_PUBLIC,
  KEY_TAG_KEM_SECRET,
  KEY_TAG_SIGNATURE,
  KEY_TAG_SIGNING_PUBLIC,
  KEY_TAG_SIGNING_SECRET,
  KEY_TYPES,
  decodeKey,
  describeKey,
  encodeKey,
  encodedLength,
  keyFromDescription,
  keyTypeOf,
} from './keys.js'
export type { KeyDescription, KeyType, KeyTypeName } from './keys.js'
export type { Argon2Params, CryptoBackend, KeyPair, Suite } from './types.js'

/** The parley-1 suite over node:crypto: what the application uses. */
export const defaultSuite: Suite = createSuite(nativeBackend)

/** The parley-1 suite over @noble: runs anywhere, and the cross-check reference. */
export const portableSuite: Suite = createSuite(portableBackend)
export { sealTo, openSealed } from './sealed-box.js'
