/**
 * Verified-Human credentials: a W3C VC Data Model 2.0 credential secured as a
 * VC-JWT in the `vc`-claim encoding (VC Data Model 1.1 §6.3.1, what did-jwt-vc
 * reads and writes; JWT claims per RFC 7519 §4.1, EdDSA per RFC 8037), plus an
 * ML-DSA-65 co-signature over the same JWS signing input (signer.ts), in the
 * `parley-vc/1` container (container.ts).
 *
 * `@context` is `[VC 2.0, VC 1.1]`: VC 2.0 requires its context first;
 * did-jwt-vc 4 refuses a credential whose `@context` lacks the 1.1 context.
 * (A JSON-LD processor would refuse the pair; VC-JWTs are not processed as
 * JSON-LD, and docs/identity.md records the compromise.) Verification accepts
 * either context first, so did-jwt-vc-issued credentials verify too.
 *
 * `verifyCredential` checks, in order, each with its own code: structure
 * (VC_MALFORMED), expected subject (VC_SUBJECT_MISMATCH), trusted issuer
 * (VC_UNTRUSTED_ISSUER — before any resolution, so an untrusted credential
 * never makes us fetch), JWS signature under the issuer's current key
 * (VC_SIGNATURE_INVALID, or KEL_ROTATED_KEY), PQ co-signature
 * (VC_PQ_SIGNATURE_MISSING / VC_PQ_SIGNATURE_INVALID), exp (VC_EXPIRED),
 * nbf (VC_NOT_YET_VALID), max age (VC_TOO_OLD), type (VC_TYPE_NOT_ACCEPTED).
 */

import { LABELS, VC_CLOCK_SKEW_SECONDS } from '../constants.js'
import { toBase64url } from '../codec/index.js'
import type { Suite } from '../crypto/types.js'
import { ParleyError } from '../errors.js'
import type { CredentialContainer } from './container.js'
import { CREDENTIAL_FORMAT, parseCredentialContainer, validateCredentialContainer } from './container.js'
import { isDid } from '../identity/did-key.js'
import type { JsonObject } from '../codec/json.js'
import { epochSeconds, signJws } from './jwt.js'
import { hasAcceptedType, isTrustedIssuer, validateTrustPolicy } from './policy.js'
import type { TrustPolicy } from './policy.js'
import { didKeySigner, hybridSignJws, loadParleySigner, randomUrn } from './signer.js'
import type { DidKeySigner, ParleySigner } from './signer.js'
import { checkJwsSignature, checkPqCoSignature, signerKeys } from './verifier.js'
import type { KeySources } from './verifier.js'
import { parseCredentialJwt, VC_CONTEXT_V1, VC_CONTEXT_V2 } from './vc-claims.js'

/** The credential type Parley issues by default. */
export const VERIFIED_HUMAN_TYPE = 'VerifiedHumanCredential'

/** Inputs of `issueCredential`. */
export interface IssueCredentialOptions {
  suite: Suite
  /** A did:parley identity (hybrid: JWS + ML-DSA-65 co-signature) or an Ed25519 seed (did:key or a given DID; classical only). */
  issuer: ParleySigner | DidKeySigner
  /** The subject DID (the holder). */
  subject: string
  now: Date
  /** Expiry (`exp` / `validUntil`); absent: no expiry. */
  validUntil?: Date
  /** Types after `VerifiableCredential`; default `['VerifiedHumanCredential']`. */
  types?: string[]
  /** More `credentialSubject` members (not `id`). */
  claims?: JsonObject
  /** `jti` / `id`; default a random `urn:uuid:`. */
  id?: string
  /** Embed the issuer's KEL (did:parley; default true) so verifiers need no lookup. */
  embedKel?: boolean
}

function isParleySigner(issuer: ParleySigner | DidKeySigner): issuer is ParleySigner {
  return Object.hasOwn(issuer, 'kel')
}

function xsdDateTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

/**
 * Issues a credential. The JWT payload holds `iss, sub, nbf, iat, exp?, jti`
 * and the `vc` claim (the VC 2.0 credential).
 *
 * @example
 * const container = await issueCredential({ suite, issuer: { kel, secrets }, subject: aliceDid, now: new Date() })
 * await writeFile('alice.vc.json', encodeCredentialContainer(container))
 */
export async function issueCredential(options: IssueCredentialOptions): Promise<CredentialContainer> {
  const { suite, subject } = options
  if (!isDid(subject)) throw new ParleyError('INVALID_ARGUMENT', 'issueCredential: subject must be a DID')
  const now = epochSeconds(options.now)
  const exp = options.validUntil === undefined ? undefined : epochSeconds(options.validUntil)
  if (exp !== undefined && exp <= now) throw new ParleyError('INVALID_ARGUMENT', 'issueCredential: validUntil must be after now')
  const types = options.types ?? [VERIFIED_HUMAN_TYPE]
  if (types.length === 0 || types.some((t) => typeof t !== 'string' || t.length === 0 || t === 'VerifiableCredential')) {
    throw new ParleyError('INVALID_ARGUMENT', 'issueCredential: types must be non-empty names other than VerifiableCredential')
  }
  const claims = options.claims ?? {}
  if (Object.hasOwn(claims, 'id')) throw new ParleyError('INVALID_ARGUMENT', 'issueCredential: claims must not set id')
  const jti = options.id ?? randomUrn(suite)

  const issuer = options.issuer
  const parley = isParleySigner(issuer) ? { signer: issuer, loaded: await loadParleySigner(suite, issuer) } : undefined
  const classical = isParleySigner(issuer) ? undefined : { seed: issuer.ed25519Seed, ...didKeySigner(suite, issuer) }
  const iss = parley?.loaded.did ?? classical?.did ?? ''

  const vc: JsonObject = {
    '@context': [VC_CONTEXT_V2, VC_CONTEXT_V1],
    id: jti,
    type: ['VerifiableCredential', ...types],
    issuer: iss,
    validFrom: xsdDateTime(now),
    credentialSubject: { id: subject, ...claims },
  }
  if (exp !== undefined) vc.validUntil = xsdDateTime(exp)
  const payload: JsonObject = { iss, sub: subject, nbf: now, iat: now, jti, vc }
  if (exp !== undefined) payload.exp = exp

  let container: CredentialContainer
  if (parley !== undefined) {
    const { token, pq } = hybridSignJws(suite, parley.signer.secrets.signing, parley.loaded, payload, LABELS.vcPqCoSignature)
    container = { format: CREDENTIAL_FORMAT, jwt: token, pq }
    if (options.embedKel !== false) container.issuerKel = toBase64url(parley.loaded.kelBytes)
  } else if (classical !== undefined) {
    const { token } = signJws(suite, classical.kid === undefined ? {} : { kid: classical.kid }, payload, classical.seed)
    container = { format: CREDENTIAL_FORMAT, jwt: token }
  } else {
    throw new ParleyError('INVALID_ARGUMENT', 'issueCredential: no issuer')
  }
  parseCredentialJwt(container.jwt) // never issue what we would not parse
  return validateCredentialContainer(container)
}

/** Inputs of `verifyCredential`. */
export interface VerifyCredentialOptions extends KeySources {
  policy: TrustPolicy
  now: Date
  /** When set, the credential's subject must be this DID (VC_SUBJECT_MISMATCH). */
  subject?: string
}

/** What a verified credential says. */
export interface VerifiedCredential {
  issuer: string
  subject: string
  types: string[]
  issuedAt: Date
  notBefore?: Date
  expiresAt?: Date
  /** True when the ML-DSA-65 co-signature was present and verified. */
  pq: boolean
  /** `jti` / `vc.id`, when present. */
  id?: string
  /** `credentialSubject` without `id`. */
  claims: JsonObject
  jwt: string
}

/** A container object, its file text, or a bare VC-JWT (classical only). */
export type CredentialInput = CredentialContainer | string | Uint8Array

/** The container for any accepted input form; VC_MALFORMED otherwise. */
export function toCredentialContainer(input: CredentialInput): CredentialContainer {
  if (typeof input === 'string' && !input.trimStart().startsWith('{')) return validateCredentialContainer({ format: CREDENTIAL_FORMAT, jwt: input })
  if (typeof input === 'string' || input instanceof Uint8Array) return parseCredentialContainer(input)
  return validateCredentialContainer(input)
}

/**
 * Verifies a credential under a trust policy at time `now`.
 *
 * @example
 * const vc = await verifyCredential(container, { suite, policy, now: new Date() })
 * vc.subject // 'did:parley:…'; vc.pq // true
 */
export async function verifyCredential(input: CredentialInput, options: VerifyCredentialOptions): Promise<VerifiedCredential> {
  const { suite } = options
  const policy = validateTrustPolicy(options.policy)
  const now = epochSeconds(options.now)
  const container = toCredentialContainer(input)
  const { jws, claims } = parseCredentialJwt(container.jwt)
  if (container.pq !== undefined && !container.pq.kid.startsWith(`${claims.issuer}#`)) {
    throw new ParleyError('VC_MALFORMED', 'credential: pq.kid is not a key of the issuer')
  }
  if (options.subject !== undefined && claims.subject !== options.subject) {
    throw new ParleyError('VC_SUBJECT_MISMATCH', 'credential: subject is not the expected DID')
  }
  if (!isTrustedIssuer(policy, claims.issuer)) throw new ParleyError('VC_UNTRUSTED_ISSUER', `credential: issuer ${claims.issuer} is not trusted`)

  const keys = await signerKeys(claims.issuer, container.issuerKel, 'assertionMethod', options, 'VC_MALFORMED')
  checkJwsSignature(suite, jws, keys, 'VC_SIGNATURE_INVALID')
  const pq = checkPqCoSignature(suite, jws, container.pq, keys, LABELS.vcPqCoSignature, policy.requirePq, {
    missing: 'VC_PQ_SIGNATURE_MISSING',
    invalid: 'VC_PQ_SIGNATURE_INVALID',
  })

  if (claims.exp !== undefined && now > claims.exp + VC_CLOCK_SKEW_SECONDS) throw new ParleyError('VC_EXPIRED', 'credential: expired')
  const notBefore = Math.max(claims.nbf ?? 0, claims.iat ?? 0)
  if (now < notBefore - VC_CLOCK_SKEW_SECONDS) throw new ParleyError('VC_NOT_YET_VALID', 'credential: not yet valid')
  if (policy.maxAgeSeconds !== undefined && now - claims.issuedAt > policy.maxAgeSeconds) {
    throw new ParleyError('VC_TOO_OLD', 'credential: older than the policy allows')
  }
  if (!hasAcceptedType(policy, claims.types)) throw new ParleyError('VC_TYPE_NOT_ACCEPTED', 'credential: no accepted type')

  const out: VerifiedCredential = {
    issuer: claims.issuer,
    subject: claims.subject,
    types: claims.types,
    issuedAt: new Date(claims.issuedAt * 1000),
    pq,
    claims: claims.subjectClaims,
    jwt: container.jwt,
  }
  if (claims.nbf !== undefined) out.notBefore = new Date(claims.nbf * 1000)
  if (claims.exp !== undefined) out.expiresAt = new Date(claims.exp * 1000)
  if (claims.id !== undefined) out.id = claims.id
  return out
}
