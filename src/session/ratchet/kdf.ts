/**
 * The key derivation functions of the double ratchet (Signal, "The Double
 * Ratchet Algorithm", rev. 4, §5.2 recommended functions, with the header
 * encryption variant of §4.2, which adds a next header key to KDF_RK):
 *
 * - `kdfInit`: the PQXDH secret `SK` to the first root key and the two shared
 *   header keys of §4.3 (`shared_hka`, `shared_nhkb`):
 *   HKDF-SHA-256(ikm = SK, salt = session id, info = "parley/v1/ratchet-init", 96).
 * - `kdfRoot` (KDF_RK_HE): HKDF-SHA-256(ikm = dh_out [‖ kem_ss], salt = RK,
 *   info = "parley/v1/ratchet-root" or "parley/v1/ratchet-root-kem", 96) =
 *   RK' ‖ CK ‖ NHK. A KEM step mixes the ML-KEM-768 secret next to the X25519
 *   output and uses its own label, so the two kinds of step never share a domain.
 * - `kdfChain` (KDF_CK): MK ‖ CK' = SHAKE256(CK ‖ "parley/v1/ratchet-chain", 64),
 *   split in two 32-byte halves. §5.2 recommends HMAC keyed by CK with one
 *   constant per output; we key the SHAKE256 sponge by prefixing CK instead
 *   (a keyed sponge is a PRF: FIPS 203 builds its PRF and J the same way,
 *   SHAKE256(s ‖ b)), and take both keys from one output (its halves are
 *   independent). The input has a fixed length, so no extension question
 *   arises. One call instead of two HMACs: a third of the cost in node.
 *
 * Every output is fresh (kdfChain's two keys are the two halves of one new
 * buffer, each wiped by its owner); the caller wipes inputs it replaces.
 */
import { LABELS, RATCHET_SESSION_ID_LENGTH, RATCHET_SHARED_SECRET_LENGTH, SHA256_LENGTH } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import type { Suite } from '../../crypto/index.js'

/** Length of every ratchet key: root, chain, header and message keys. */
export const RATCHET_KEY_LENGTH = SHA256_LENGTH

const CHAIN_LABEL = new TextEncoder().encode(LABELS.ratchetChain)

/** The three outputs of KDF_RK_HE (and of the initial KDF). */
export interface RootOutput {
  rootKey: Uint8Array
  chainKey: Uint8Array
  nextHeaderKey: Uint8Array
}

/** The initial root key and the two shared header keys (§4.3). */
export interface InitOutput {
  rootKey: Uint8Array
  /** `shared_hka`: the initiator's first sending header key. */
  headerKeyA: Uint8Array
  /** `shared_nhkb`: the responder's first sending header key. */
  nextHeaderKeyB: Uint8Array
}

function split3(okm: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const a = okm.slice(0, RATCHET_KEY_LENGTH)
  const b = okm.slice(RATCHET_KEY_LENGTH, 2 * RATCHET_KEY_LENGTH)
  const c = okm.slice(2 * RATCHET_KEY_LENGTH, 3 * RATCHET_KEY_LENGTH)
  okm.fill(0)
  return [a, b, c]
}

/** Derives the first root key and the shared header keys from the PQXDH secret. */
export function kdfInit(suite: Suite, sharedSecret: Uint8Array, sessionId: Uint8Array): InitOutput {
  if (sharedSecret.length !== RATCHET_SHARED_SECRET_LENGTH || sessionId.length !== RATCHET_SESSION_ID_LENGTH) {
    throw new ParleyError('INVALID_ARGUMENT', 'ratchet kdfInit: wrong secret or session id length')
  }
  const [rootKey, headerKeyA, nextHeaderKeyB] = split3(suite.hkdf(sharedSecret, sessionId, LABELS.ratchetInit, 3 * RATCHET_KEY_LENGTH))
  return { rootKey, headerKeyA, nextHeaderKeyB }
}

/**
 * KDF_RK_HE: one step of the root chain. `kemSecret` is present exactly on a
 * KEM step; the ikm is then dh_out (32) ‖ kem_ss (32).
 */
export function kdfRoot(suite: Suite, rootKey: Uint8Array, dhOutput: Uint8Array, kemSecret?: Uint8Array): RootOutput {
  let ikm = dhOutput
  if (kemSecret !== undefined) {
    ikm = new Uint8Array(dhOutput.length + kemSecret.length)
    ikm.set(dhOutput)
    ikm.set(kemSecret, dhOutput.length)
  }
  const label = kemSecret === undefined ? LABELS.ratchetRoot : LABELS.ratchetRootKem
  const okm = suite.hkdf(ikm, rootKey, label, 3 * RATCHET_KEY_LENGTH)
  if (ikm !== dhOutput) ikm.fill(0)
  const [next, chainKey, nextHeaderKey] = split3(okm)
  return { rootKey: next, chainKey, nextHeaderKey }
}

/**
 * The input of KDF_CK, CK ‖ label: one buffer reused by every call (they
 * are synchronous), the label written once, CK wiped after each use.
 */
const CHAIN_INPUT = new Uint8Array(RATCHET_KEY_LENGTH + CHAIN_LABEL.length)
CHAIN_INPUT.set(CHAIN_LABEL, RATCHET_KEY_LENGTH)

/**
 * KDF_CK: the message key of the current position and the next chain key,
 * the two halves of one fresh 64-byte output (each owner wipes its half).
 */
export function kdfChain(suite: Suite, chainKey: Uint8Array): { messageKey: Uint8Array; chainKey: Uint8Array } {
  if (chainKey.length !== RATCHET_KEY_LENGTH) throw new ParleyError('INTERNAL', 'ratchet kdfChain: wrong chain key length')
  CHAIN_INPUT.set(chainKey)
  let okm: Uint8Array
  try {
    okm = suite.backend.shake256(CHAIN_INPUT, 2 * RATCHET_KEY_LENGTH)
  } finally {
    CHAIN_INPUT.fill(0, 0, RATCHET_KEY_LENGTH)
  }
  return { messageKey: okm.subarray(0, RATCHET_KEY_LENGTH), chainKey: okm.subarray(RATCHET_KEY_LENGTH) }
}
