/**
 * The signing side of credentials and presentations. A `did:parley` signer
 * signs with its *current* hybrid key (the newest establishment event of its
 * verified KEL, DESIGN.md §4): the Ed25519 component makes the JWS (EdDSA,
 * RFC 8037), the ML-DSA-65 component co-signs the same JWS signing input
 * (ASCII `header.payload`, RFC 7515 §5.1) with the FIPS 204 context string
 * set to a purpose label (`LABELS.vcPqCoSignature` for credentials,
 * `LABELS.vpSignature` for presentations), so a co-signature for one purpose
 * never verifies for another. A `did:key` signer is Ed25519 only (no
 * co-signature). Secret seeds are wiped after use.
 */

import { LABELS } from '../constants.js'
import { bytesEqual, toBase64url } from '../codec/index.js'
import type { Suite } from '../crypto/types.js'
import { ParleyError, wrapError } from '../errors.js'
import { encodeKel, hybridMethodId, signingMethodId, verifyKel } from '../identity/index.js'
import type { Kel, KeyState } from '../identity/index.js'
import { PQ_ALG } from './container.js'
import type { PqCoSignature } from './container.js'
import { didKeyFromEd25519, isDid } from '../identity/did-key.js'
import type { JsonObject } from '../codec/json.js'
import { signJws } from './jwt.js'

/** A did:parley identity able to sign: its KEL and its secrets (only `signing` is used). */
export interface ParleySigner {
  kel: Kel | Uint8Array
  secrets: { signing: Uint8Array }
}

/**
 * A classical (Ed25519-only) signer: a raw 32-byte seed. Without `did` it is
 * the seed's did:key; with `did` (e.g. a did:web whose document lists the key
 * under `assertionMethod`) that DID is the issuer and `kid` names the key.
 */
export interface DidKeySigner {
  ed25519Seed: Uint8Array
  did?: string
  kid?: string
}

/** The two purposes a co-signature can have; each is its own FIPS 204 context. */
export type PqPurpose = typeof LABELS.vcPqCoSignature | typeof LABELS.vpSignature

const utf8 = new TextEncoder()

/** A did:parley signer checked against its own KEL. */
export interface LoadedParleySigner {
  state: KeyState
  did: string
  /** DID URL of the current key's Ed25519 verification method (`<did>#sig-<n>`): the JWS `kid`. */
  kid: string
  /** DID URL of the current hybrid key (`<did>#hybrid-<n>`): the co-signature's `kid`. */
  pqKid: string
  kelBytes: Uint8Array
}

/**
 * Verifies the signer's KEL and checks its secret is the current key
 * (a rotated-out secret is refused with KEL_ROTATED_KEY: it would make
 * credentials nobody accepts).
 */
export async function loadParleySigner(suite: Suite, signer: ParleySigner): Promise<LoadedParleySigner> {
  const kelBytes = signer.kel instanceof Uint8Array ? signer.kel : encodeKel(signer.kel)
  const state = await verifyKel(suite, kelBytes)
  let publicKey: Uint8Array
  try {
    publicKey = suite.signingPublicKey(signer.secrets.signing)
  } catch (err) {
    throw wrapError(err, 'KEY_INVALID', 'signer: invalid signing secret')
  }
  if (!bytesEqual(publicKey, state.signingKey)) {
    throw new ParleyError('KEL_ROTATED_KEY', 'signer: the secret is not the current signing key of this KEL')
  }
  return { state, did: state.did, kid: signingMethodId(state), pqKid: hybridMethodId(state), kelBytes }
}

/**
 * Signs `payload` as a JWS with the current Ed25519 component and co-signs the
 * signing input with the ML-DSA-65 component under `purpose`.
 *
 * @example
 * const { token, pq } = hybridSignJws(suite, secrets.signing, { kid, pqKid }, payload, LABELS.vcPqCoSignature)
 */
export function hybridSignJws(
  suite: Suite,
  signingSecret: Uint8Array,
  kids: { kid: string; pqKid: string },
  payload: JsonObject,
  purpose: PqPurpose,
): { token: string; pq: PqCoSignature } {
  const seeds = suite.splitSigningSecretKey(signingSecret)
  try {
    const { token, signingInput } = signJws(suite, { kid: kids.kid }, payload, seeds.ed25519)
    const sig = suite.backend.mlDsa65Sign(seeds.mlDsa65, signingInput, utf8.encode(purpose))
    return { token, pq: { alg: PQ_ALG, kid: kids.pqKid, sig: toBase64url(sig) } }
  } finally {
    seeds.ed25519.fill(0)
    seeds.mlDsa65.fill(0)
  }
}

/** The DID and kid of a classical signer (its did:key unless `did` is given). */
export function didKeySigner(suite: Suite, signer: DidKeySigner): { did: string; kid?: string } {
  if (signer.did !== undefined) {
    if (!isDid(signer.did)) throw new ParleyError('INVALID_ARGUMENT', 'signer: did must be a DID')
    if (signer.kid !== undefined && !signer.kid.startsWith(`${signer.did}#`)) throw new ParleyError('INVALID_ARGUMENT', 'signer: kid must be a key of did')
    return signer.kid === undefined ? { did: signer.did } : { did: signer.did, kid: signer.kid }
  }
  const did = didKeyFromEd25519(suite.backend.ed25519PublicKey(signer.ed25519Seed))
  return { did, kid: `${did}#${did.slice('did:key:'.length)}` }
}

/** A random `urn:uuid:` (RFC 9562 version 4) from the suite's RNG, for `jti`. */
export function randomUrn(suite: Suite): string {
  const b = suite.randomBytes(16)
  b[6] = ((b[6] as number) & 0x0f) | 0x40
  b[8] = ((b[8] as number) & 0x3f) | 0x80
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
