/**
 * The DID document view of a verified key state (W3C DID Core §5), for
 * `did-resolver` consumers such as VC-JWT verification. The KEL stays the
 * source of truth; this is a projection of its newest state:
 *
 * - `#sig-<n>`: the Ed25519 component of the current signing key as a
 *   `JsonWebKey2020` (`{ kty: 'OKP', crv: 'Ed25519', x }`), where n is the
 *   sequence of the establishment event that set the key, so a rotation
 *   changes the id. Classical only: interoperable EdDSA verifiers use it.
 * - `#hybrid-<n>`: the whole hybrid key (Ed25519 + ML-DSA-65) as a
 *   `ParleyHybridKey2026` with `publicKeyMultibase` = 'u' + base64url of the
 *   typed encoding (multibase base64url, no padding). Parley verifiers use
 *   this one and require both component signatures.
 * - `#kem-<i>`: agreement keys (`ParleyHybridKem2026`), in KEL order.
 * - services as `<did>#<id>` with `serviceEndpoint`.
 */

import type { DIDDocument, Service as DidService, VerificationMethod } from 'did-resolver'
import { ED25519_PUBLIC_KEY_LENGTH } from '../constants.js'
import { toBase64url } from '../codec/index.js'
import { decodeKey } from '../crypto/index.js'
import type { KeyState } from './state.js'

/** Verification method type of the hybrid signing key. */
export const HYBRID_KEY_TYPE = 'ParleyHybridKey2026'
/** Verification method type of a hybrid agreement (KEM) key. */
export const HYBRID_KEM_TYPE = 'ParleyHybridKem2026'
/** JSON-LD contexts of the document. */
export const DID_DOCUMENT_CONTEXT = ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1']

/** Multibase base64url (prefix 'u', RFC 4648 §5 without padding). */
function multibase(bytes: Uint8Array): string {
  return `u${toBase64url(bytes)}`
}

/** The id of the Ed25519 verification method of `state`'s current key. */
export function signingMethodId(state: KeyState): string {
  return `${state.did}#sig-${state.keySequence}`
}

/** The id of the hybrid verification method of `state`'s current key. */
export function hybridMethodId(state: KeyState): string {
  return `${state.did}#hybrid-${state.keySequence}`
}

/**
 * The DID document of `state` (obtain `state` from `verifyKel`).
 *
 * @example
 * const doc = toDidDocument(verifyKel(suite, kelBytes))
 * doc.assertionMethod // ['did:parley:…#sig-0', 'did:parley:…#hybrid-0']
 */
export function toDidDocument(state: KeyState): DIDDocument {
  const did = state.did
  const raw = decodeKey('signingPublic', state.signingKey)
  const ed25519: VerificationMethod = {
    id: signingMethodId(state),
    type: 'JsonWebKey2020',
    controller: did,
    publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: toBase64url(raw.subarray(0, ED25519_PUBLIC_KEY_LENGTH)) },
  }
  const hybrid: VerificationMethod = {
    id: hybridMethodId(state),
    type: HYBRID_KEY_TYPE,
    controller: did,
    publicKeyMultibase: multibase(state.signingKey),
  }
  const agreement: VerificationMethod[] = state.agreementKeys.map((key, i) => ({
    id: `${did}#kem-${i}`,
    type: HYBRID_KEM_TYPE,
    controller: did,
    publicKeyMultibase: multibase(key),
  }))
  const service: DidService[] = state.services.map((s) => ({ id: `${did}#${s.id}`, type: s.type, serviceEndpoint: s.endpoint }))
  return {
    '@context': [...DID_DOCUMENT_CONTEXT],
    id: did,
    verificationMethod: [ed25519, hybrid],
    authentication: [ed25519.id, hybrid.id],
    assertionMethod: [ed25519.id, hybrid.id],
    keyAgreement: agreement,
    service,
  }
}
