/**
 * Verifiable presentations (W3C VC Data Model 2.0, in the VP-JWT encoding
 * of VC Data Model 1.1 §6.3.1): the holder proves, to one verifier and for one
 * connection, that it holds credentials issued to it. The VP-JWT is signed
 * with the holder's current did:parley key (Ed25519 JWS + ML-DSA-65
 * co-signature under LABELS.vpSignature), `aud` is the verifier's DID and
 * `nonce` the verifier's challenge (the connection transcript hash,
 * base64url), so a presentation can be replayed neither to another verifier
 * nor on another connection. The holder's KEL travels inside, and each
 * credential's subject must be the holder.
 *
 * `verifyPresentation` checks, in order: structure (VP_MALFORMED), holder KEL
 * (KEL_*), JWS signature under the holder's current key
 * (VP_SIGNATURE_INVALID / KEL_ROTATED_KEY), co-signature
 * (VP_SIGNATURE_INVALID), audience (VP_AUDIENCE_MISMATCH), nonce
 * (VP_NONCE_MISMATCH), exp (VP_EXPIRED), iat/nbf (VP_NOT_YET_VALID), then
 * each credential: subject (VC_SUBJECT_MISMATCH) and the trust policy.
 */

import {
  DID_MAX_LENGTH,
  LABELS,
  VC_CLOCK_SKEW_SECONDS,
  VP_DEFAULT_LIFETIME_SECONDS,
  VP_MAX_CREDENTIALS,
  VP_MAX_LIFETIME_SECONDS,
  VP_MAX_NONCE_LENGTH,
} from '../constants.js'
import { toBase64url } from '../codec/index.js'
import type { Suite } from '../crypto/types.js'
import type { KeyState } from '../identity/index.js'
import { ParleyError } from '../errors.js'
import type { PresentationContainer } from './container.js'
import { parsePresentationContainer, PRESENTATION_FORMAT, validatePresentationContainer } from './container.js'
import { isDid } from '../identity/did-key.js'
import { isJsonObject } from '../codec/json.js'
import type { JsonObject } from '../codec/json.js'
import { epochSeconds, numericDate, optionalString, parseJws } from './jwt.js'
import type { ParsedJws } from './jwt.js'
import { validateTrustPolicy } from './policy.js'
import type { TrustPolicy } from './policy.js'
import { hybridSignJws, loadParleySigner, randomUrn } from './signer.js'
import type { ParleySigner } from './signer.js'
import { checkContext, stringList, VC_CONTEXT_V1, VC_CONTEXT_V2 } from './vc-claims.js'
import { toCredentialContainer, verifyCredential } from './vc.js'
import type { CredentialInput, VerifiedCredential } from './vc.js'
import { checkJwsSignature, checkPqCoSignature, signerKeys } from './verifier.js'
import type { KeySources } from './verifier.js'

/** Inputs of `createPresentation`. */
export interface CreatePresentationOptions {
  suite: Suite
  /** The holder: its KEL and secrets (the current signing key signs). */
  holder: ParleySigner
  /** Credentials issued to the holder (containers, their file text, or bare JWTs). */
  credentials: CredentialInput[]
  /** The verifier's DID (`aud`). */
  audience: string
  /** The verifier's challenge: bytes (sent as base64url) or a string. */
  nonce: Uint8Array | string
  now: Date
  /** Lifetime in seconds; default VP_DEFAULT_LIFETIME_SECONDS, at most VP_MAX_LIFETIME_SECONDS. */
  lifetimeSeconds?: number
}

/** The `nonce` claim for a challenge. */
export function nonceClaim(nonce: Uint8Array | string): string {
  const n = typeof nonce === 'string' ? nonce : nonce instanceof Uint8Array ? toBase64url(nonce) : undefined
  if (n === undefined || n.length === 0 || n.length > VP_MAX_NONCE_LENGTH) {
    throw new ParleyError('INVALID_ARGUMENT', `nonce must be bytes or a string of 1..${VP_MAX_NONCE_LENGTH} characters`)
  }
  return n
}

/**
 * Creates a presentation for one verifier and one challenge.
 *
 * @example
 * const vp = await createPresentation({ suite, holder: { kel, secrets }, credentials: [container],
 *   audience: peerDid, nonce: transcriptHash, now: new Date() })
 * send(encodePresentationContainer(vp))
 */
export async function createPresentation(options: CreatePresentationOptions): Promise<PresentationContainer> {
  const { suite } = options
  if (!isDid(options.audience)) throw new ParleyError('INVALID_ARGUMENT', 'createPresentation: audience must be a DID')
  const nonce = nonceClaim(options.nonce)
  const lifetime = options.lifetimeSeconds ?? VP_DEFAULT_LIFETIME_SECONDS
  if (!Number.isSafeInteger(lifetime) || lifetime <= 0 || lifetime > VP_MAX_LIFETIME_SECONDS) {
    throw new ParleyError('INVALID_ARGUMENT', `createPresentation: lifetimeSeconds must be 1..${VP_MAX_LIFETIME_SECONDS}`)
  }
  if (options.credentials.length > VP_MAX_CREDENTIALS) {
    throw new ParleyError('INVALID_ARGUMENT', `createPresentation: at most ${VP_MAX_CREDENTIALS} credentials`)
  }
  const credentials = options.credentials.map((c) => toCredentialContainer(c))
  const signer = await loadParleySigner(suite, options.holder)
  const now = epochSeconds(options.now)
  const payload: JsonObject = {
    iss: signer.did,
    aud: options.audience,
    nonce,
    nbf: now,
    iat: now,
    exp: now + lifetime,
    jti: randomUrn(suite),
    vp: {
      '@context': [VC_CONTEXT_V2, VC_CONTEXT_V1],
      type: ['VerifiablePresentation'],
      holder: signer.did,
      verifiableCredential: credentials.map((c) => c.jwt),
    },
  }
  const { token, pq } = hybridSignJws(suite, options.holder.secrets.signing, signer, payload, LABELS.vpSignature)
  return validatePresentationContainer({
    format: PRESENTATION_FORMAT,
    jwt: token,
    pq,
    holderKel: toBase64url(signer.kelBytes),
    credentials,
  })
}

/** Inputs of `verifyPresentation`. */
export interface VerifyPresentationOptions extends KeySources {
  policy: TrustPolicy
  /** This verifier's DID: the presentation's `aud` must be exactly it. */
  audience: string
  /** The challenge this verifier sent. */
  nonce: Uint8Array | string
  now: Date
}

/** A verified presentation. */
export interface VerifiedPresentation {
  holder: string
  /** The holder's verified key state (agreement keys, services, members…); remember it for `seen`. */
  holderState: KeyState
  credentials: VerifiedCredential[]
  expiresAt: Date
}

interface PresentationClaims {
  holder: string
  aud: string
  nonce: string
  iat: number
  exp: number
  nbf?: number
  credentials: string[]
}

function parsePresentationJwt(token: string): { jws: ParsedJws; claims: PresentationClaims } {
  const code = 'VP_MALFORMED'
  const bad = (m: string): ParleyError => new ParleyError(code, `VP-JWT: ${m}`)
  const jws = parseJws(token, code, 'VP-JWT')
  const p = jws.payload
  if (Object.hasOwn(p, 'vc')) throw bad('carries a vc claim')
  const holder = p.iss
  if (!isDid(holder)) throw bad('iss must be a DID')
  if (jws.header.kid !== undefined && !jws.header.kid.startsWith(`${holder}#`)) throw bad('kid is not a key of iss')
  const aud = optionalString(p, 'aud', code, 'VP-JWT', DID_MAX_LENGTH)
  const nonce = optionalString(p, 'nonce', code, 'VP-JWT', VP_MAX_NONCE_LENGTH)
  if (aud === undefined || nonce === undefined) throw bad('aud (one DID) and nonce are required')
  const iat = numericDate(p, 'iat', code, 'VP-JWT')
  const exp = numericDate(p, 'exp', code, 'VP-JWT')
  const nbf = numericDate(p, 'nbf', code, 'VP-JWT')
  if (iat === undefined || exp === undefined) throw bad('iat and exp are required')
  if (exp <= iat || exp - iat > VP_MAX_LIFETIME_SECONDS) throw bad(`lifetime must be 1..${VP_MAX_LIFETIME_SECONDS} seconds`)
  const vp = p.vp
  if (!isJsonObject(vp)) throw bad('vp claim must be an object')
  checkContext(vp['@context'], code, 'vp')
  if (!stringList(vp.type, code, 'vp.type').includes('VerifiablePresentation')) throw bad('vp.type must include VerifiablePresentation')
  if (Object.hasOwn(vp, 'holder') && vp.holder !== holder) throw bad('vp.holder is not iss')
  const list = vp.verifiableCredential ?? []
  if (!Array.isArray(list) || list.length > VP_MAX_CREDENTIALS || list.some((c) => typeof c !== 'string')) {
    throw bad(`verifiableCredential must be at most ${VP_MAX_CREDENTIALS} JWT strings`)
  }
  const claims: PresentationClaims = { holder, aud, nonce, iat, exp, credentials: list as string[] }
  if (nbf !== undefined) claims.nbf = nbf
  return { jws, claims }
}

/**
 * Verifies a presentation for this verifier (`audience`) and this challenge
 * (`nonce`), then every credential in it under `policy` with the holder as
 * the required subject. Any failure refuses the whole presentation.
 *
 * @example
 * const { holder, credentials } = await verifyPresentation(received, {
 *   suite, policy, audience: myDid, nonce: transcriptHash, now: new Date() })
 */
export async function verifyPresentation(
  input: PresentationContainer | string | Uint8Array,
  options: VerifyPresentationOptions,
): Promise<VerifiedPresentation> {
  const { suite } = options
  const policy = validateTrustPolicy(options.policy)
  const now = epochSeconds(options.now)
  const expectedNonce = nonceClaim(options.nonce)
  const vp = typeof input === 'string' || input instanceof Uint8Array ? parsePresentationContainer(input) : validatePresentationContainer(input)
  const { jws, claims } = parsePresentationJwt(vp.jwt)
  if (!isDid(claims.holder) || !claims.holder.startsWith('did:parley:')) {
    throw new ParleyError('VP_MALFORMED', 'presentation: the holder must be a did:parley')
  }
  if (claims.credentials.length !== vp.credentials.length || claims.credentials.some((jwt, i) => vp.credentials[i]?.jwt !== jwt)) {
    throw new ParleyError('VP_MALFORMED', 'presentation: credentials do not match the signed list')
  }

  const keys = await signerKeys(claims.holder, vp.holderKel, 'authentication', options, 'VP_MALFORMED')
  checkJwsSignature(suite, jws, keys, 'VP_SIGNATURE_INVALID')
  checkPqCoSignature(suite, jws, vp.pq, keys, LABELS.vpSignature, true, { missing: 'VP_SIGNATURE_INVALID', invalid: 'VP_SIGNATURE_INVALID' })
  const holderState = keys.state
  if (holderState === undefined) throw new ParleyError('INTERNAL', 'presentation: holder keys without a key state')

  if (claims.aud !== options.audience) throw new ParleyError('VP_AUDIENCE_MISMATCH', 'presentation: made for another verifier')
  if (claims.nonce !== expectedNonce) throw new ParleyError('VP_NONCE_MISMATCH', 'presentation: made for another challenge')
  if (now > claims.exp + VC_CLOCK_SKEW_SECONDS) throw new ParleyError('VP_EXPIRED', 'presentation: expired')
  if (now < Math.max(claims.iat, claims.nbf ?? 0) - VC_CLOCK_SKEW_SECONDS) {
    throw new ParleyError('VP_NOT_YET_VALID', 'presentation: not yet valid')
  }

  const credentials: VerifiedCredential[] = []
  for (const c of vp.credentials) {
    credentials.push(await verifyCredential(c, { ...options, policy, subject: claims.holder }))
  }
  return { holder: claims.holder, holderState, credentials, expiresAt: new Date(claims.exp * 1000) }
}
