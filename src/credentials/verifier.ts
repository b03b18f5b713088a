/**
 * The verifying side shared by credentials and presentations: which keys may
 * have signed for a DID, and the two signature checks.
 *
 * Keys: a `did:parley` signer is checked from its KEL — the one embedded in
 * the container or the verifier's own (`kels` lookup), the newer of the two
 * when both exist (a fork is KEL_DUPLICITY), against the verifier's seen
 * record (KEL_ROLLBACK). Its current hybrid key gives the Ed25519 key for the
 * JWS and the ML-DSA-65 key for the co-signature; its rotated-out keys are
 * remembered so a signature by one of them is reported as KEL_ROTATED_KEY
 * (DESIGN.md §4: a rotated-out key is refused). Without a KEL, a did:parley
 * signer falls back to the resolver's DID document (`#sig-n` and the
 * `#hybrid-n` key; no rotation detail). Any other DID is resolved through
 * `did-resolver` and its Ed25519 verification methods for the relationship
 * (DID Core §5.3.2 `assertionMethod`, §5.3.1 `authentication`) are the
 * candidates; such a signer has no post-quantum key.
 */

import type { DIDDocument, Resolvable } from 'did-resolver'
import { DID_DOCUMENT_MAX_METHODS, VC_MAX_EMBEDDED_KEL_BYTES } from '../constants.js'
import { fromBase64url } from '../codec/index.js'
import type { Suite } from '../crypto/types.js'
import type { ErrorCode } from '../errors.js'
import { ParleyError } from '../errors.js'
import { HYBRID_KEY_TYPE, compareKels, hybridMethodId, verifyKel } from '../identity/index.js'
import type { KeyState, SeenRecord } from '../identity/index.js'
import { createDidResolver, resolveDidDocument } from '../identity/resolver.js'
import type { PqCoSignature } from './container.js'
import { didMethod, ed25519KeysFromDocument } from '../identity/did-key.js'
import type { ParsedJws } from './jwt.js'
import { verifyJwsSignature } from './jwt.js'
import type { PqPurpose } from './signer.js'

export type { SeenRecord }
/**
 * Seen records for did:parley signers: one record (used only for its own DID)
 * or a lookup by DID (a presentation involves the holder and every issuer).
 */
export type KelSeen = SeenRecord | ((did: string) => SeenRecord | undefined | Promise<SeenRecord | undefined>)

async function seenFor(seen: KelSeen | undefined, did: string): Promise<SeenRecord | undefined> {
  if (seen === undefined) return undefined
  if (typeof seen === 'function') return seen(did)
  return seen.did === did ? seen : undefined
}

/** Where signer keys may come from. */
export interface KeySources {
  suite: Suite
  /** Resolver for non-parley DIDs; default `createDidResolver({ suite })`. */
  resolver?: Resolvable
  /** KEL lookup for did:parley signers whose container carries none. */
  kels?: (did: string) => Promise<Uint8Array | undefined>
  /** What this verifier saw of signers' KELs before: an older KEL is KEL_ROLLBACK, a fork KEL_DUPLICITY. */
  seen?: KelSeen
}

/** The keys a DID may sign with now, and those it may no longer sign with. */
export interface SignerKeys {
  did: string
  /** Ed25519 keys allowed for the JWS. */
  ed25519: Uint8Array[]
  /** Ed25519 components of rotated-out did:parley keys. */
  rotatedEd25519: Uint8Array[]
  /** ML-DSA-65 component of the current hybrid key (did:parley only). */
  mlDsa65?: Uint8Array
  /** DID URL of the current hybrid key (did:parley only): the co-signature's `kid`. */
  kid?: string
  /** The verified key state (did:parley only). */
  state?: KeyState
}

const DECODE_CODES: ReadonlySet<string> = new Set([
  'DECODE_FAILED',
  'DECODE_TOO_LARGE',
  'DECODE_TOO_DEEP',
  'DECODE_NOT_CANONICAL',
  'DECODE_SCHEMA',
])

/** The keys of a did:parley from its encoded KEL. Decoding problems are `malformed`; KEL_* errors pass through. */
export async function keysFromKel(
  suite: Suite,
  did: string,
  kel: Uint8Array,
  seen: KelSeen | undefined,
  malformed: ErrorCode,
): Promise<SignerKeys> {
  const record = await seenFor(seen, did)
  let state: KeyState
  try {
    state = verifyKel(suite, kel, record === undefined ? { expectedDid: did } : { expectedDid: did, seen: record })
  } catch (err) {
    if (err instanceof ParleyError && DECODE_CODES.has(err.code)) {
      throw new ParleyError(malformed, 'embedded KEL does not decode', { cause: err })
    }
    throw err
  }
  const current = suite.splitSigningPublicKey(state.signingKey)
  return {
    did,
    ed25519: [current.ed25519],
    rotatedEd25519: state.rotatedKeys.map((k) => suite.splitSigningPublicKey(k).ed25519),
    mlDsa65: current.mlDsa65,
    kid: hybridMethodId(state),
    state,
  }
}

function decodeEmbedded(text: string, malformed: ErrorCode): Uint8Array {
  try {
    return fromBase64url(text, 'embedded KEL', VC_MAX_EMBEDDED_KEL_BYTES)
  } catch (err) {
    throw new ParleyError(malformed, 'embedded KEL is not base64url', { cause: err })
  }
}

/**
 * The newer of two copies of one KEL (the embedded one and the verifier's
 * own): a fork is KEL_DUPLICITY, two different identities KEL_ID_MISMATCH.
 */
function newerKel(embedded: Uint8Array | undefined, known: Uint8Array | undefined, malformed: ErrorCode): Uint8Array | undefined {
  if (embedded === undefined || known === undefined) return embedded ?? known
  try {
    return compareKels(embedded, known) === 'b-extends-a' ? known : embedded
  } catch (err) {
    if (err instanceof ParleyError && DECODE_CODES.has(err.code)) {
      throw new ParleyError(malformed, 'a KEL does not decode', { cause: err })
    }
    throw err
  }
}

/** ML-DSA-65 key and kid of the hybrid method a did:parley document lists for `relationship`. */
function hybridFromDocument(suite: Suite, doc: DIDDocument, did: string, relationship: Relationship): { mlDsa65: Uint8Array; kid: string } | undefined {
  const listed: unknown = doc[relationship]
  const methods: unknown = doc.verificationMethod
  if (!Array.isArray(listed) || !Array.isArray(methods)) return undefined
  for (const vm of methods.slice(0, DID_DOCUMENT_MAX_METHODS) as unknown[]) {
    if (typeof vm !== 'object' || vm === null) continue
    const { id, type, publicKeyMultibase: mb } = vm as Record<string, unknown>
    if (type !== HYBRID_KEY_TYPE || typeof id !== 'string' || !id.startsWith(`${did}#`) || !listed.includes(id)) continue
    if (typeof mb !== 'string' || !mb.startsWith('u')) continue
    try {
      return { mlDsa65: suite.splitSigningPublicKey(fromBase64url(mb.slice(1), 'hybrid key')).mlDsa65, kid: id }
    } catch {
      continue
    }
  }
  return undefined
}

type Relationship = 'assertionMethod' | 'authentication'

/**
 * The keys `did` may sign with for `relationship`. A did:parley signer is
 * checked from its KEL: the embedded one (`embeddedKel`, base64url) or the
 * `kels` lookup's, the newer when both exist; without either, from the
 * resolver's DID document when a resolver was given (no rotation detail
 * then). Other methods go through the resolver and may not embed a KEL.
 */
export async function signerKeys(
  did: string,
  embeddedKel: string | undefined,
  relationship: Relationship,
  sources: KeySources,
  malformed: ErrorCode,
): Promise<SignerKeys> {
  const { suite } = sources
  const method = didMethod(did)
  if (embeddedKel !== undefined && method !== 'parley') {
    throw new ParleyError(malformed, 'an embedded KEL is only meaningful for a did:parley signer')
  }
  if (method === 'parley') {
    const embedded = embeddedKel === undefined ? undefined : decodeEmbedded(embeddedKel, malformed)
    const known = sources.kels === undefined ? undefined : await sources.kels(did)
    const kel = newerKel(embedded, known, malformed)
    if (kel !== undefined) return keysFromKel(suite, did, kel, sources.seen, malformed)
    if (sources.resolver === undefined) throw new ParleyError('DID_NOT_FOUND', `no KEL for ${did}: embed it or pass a kels lookup`)
  }
  const resolver = sources.resolver ?? createDidResolver({ suite })
  const doc = await resolveDidDocument(resolver, did)
  const keys: SignerKeys = { did, ed25519: ed25519KeysFromDocument(doc, did, relationship).map((k) => k.publicKey), rotatedEd25519: [] }
  const hybrid = method === 'parley' ? hybridFromDocument(suite, doc, did, relationship) : undefined
  if (hybrid !== undefined) {
    keys.mlDsa65 = hybrid.mlDsa65
    keys.kid = hybrid.kid
  }
  return keys
}

/**
 * Throws unless the JWS verifies under one of the signer's current Ed25519
 * keys: KEL_ROTATED_KEY when it verifies under a rotated-out key, `invalid`
 * (VC_SIGNATURE_INVALID / VP_SIGNATURE_INVALID) otherwise.
 */
export function checkJwsSignature(suite: Suite, jws: ParsedJws, keys: SignerKeys, invalid: ErrorCode): void {
  if (keys.ed25519.some((k) => verifyJwsSignature(suite, jws, k))) return
  if (keys.rotatedEd25519.some((k) => verifyJwsSignature(suite, jws, k))) {
    throw new ParleyError('KEL_ROTATED_KEY', `${keys.did}: signed by a rotated-out key`)
  }
  throw new ParleyError(invalid, `${keys.did}: signature does not verify under the signer's current key`)
}

/**
 * Checks the ML-DSA-65 co-signature. Returns true when present and valid,
 * false when absent and not required; throws `missing` when absent and
 * required, `invalid` when present but wrong (whatever the policy says).
 */
export function checkPqCoSignature(
  suite: Suite,
  jws: ParsedJws,
  pq: PqCoSignature | undefined,
  keys: SignerKeys,
  purpose: PqPurpose,
  required: boolean,
  codes: { missing: ErrorCode; invalid: ErrorCode },
): boolean {
  if (pq === undefined) {
    if (required) throw new ParleyError(codes.missing, `${keys.did}: no ML-DSA-65 co-signature`)
    return false
  }
  if (keys.mlDsa65 === undefined) throw new ParleyError(codes.invalid, `${keys.did}: signer has no ML-DSA-65 key`)
  if (keys.kid !== undefined && pq.kid !== keys.kid) throw new ParleyError(codes.invalid, `${keys.did}: co-signature kid is not the current key`)
  let ok = false
  try {
    const sig = fromBase64url(pq.sig, 'pq.sig')
    ok = suite.backend.mlDsa65Verify(keys.mlDsa65, jws.signingInput, sig, new TextEncoder().encode(purpose))
  } catch (err) {
    throw new ParleyError(codes.invalid, `${keys.did}: co-signature unreadable`, { cause: err })
  }
  if (!ok) throw new ParleyError(codes.invalid, `${keys.did}: ML-DSA-65 co-signature does not verify`)
  return true
}
