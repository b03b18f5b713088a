/**
 * Verifiable credentials for Parley (DESIGN.md §4, docs/identity.md
 * "Credentials"): Verified-Human credentials as W3C VC Data Model 2.0
 * VC-JWTs (RFC 7515/7519, EdDSA per RFC 8037) with an ML-DSA-65
 * co-signature, the `parley-vc/1` / `parley-vp/1` containers, trust
 * policies, and presentations bound to a verifier and a challenge.
 * Interoperates with did-jwt-vc in both directions.
 */

export { issueCredential, verifyCredential, toCredentialContainer, VERIFIED_HUMAN_TYPE } from './vc.js'
export type { IssueCredentialOptions, VerifyCredentialOptions, VerifiedCredential, CredentialInput } from './vc.js'
export { createPresentation, verifyPresentation, nonceClaim } from './presentation.js'
export type { CreatePresentationOptions, VerifyPresentationOptions, VerifiedPresentation } from './presentation.js'
export {
  CREDENTIAL_FORMAT,
  PRESENTATION_FORMAT,
  PQ_ALG,
  parseCredentialContainer,
  encodeCredentialContainer,
  validateCredentialContainer,
  parsePresentationContainer,
  encodePresentationContainer,
  validatePresentationContainer,
} from './container.js'
export type { CredentialContainer, PresentationContainer, PqCoSignature } from './container.js'
export { validateTrustPolicy, parseTrustPolicy, isTrustedIssuer, hasAcceptedType } from './policy.js'
export type { TrustPolicy } from './policy.js'
export { parseJws, JWS_ALG, JWT_TYP } from './jwt.js'
export type { ParsedJws, JwsHeader } from './jwt.js'
export { parseCredentialJwt, VC_CONTEXT_V1, VC_CONTEXT_V2 } from './vc-claims.js'
export type { CredentialClaims } from './vc-claims.js'
export { didKeySigner } from './signer.js'
export type { ParleySigner, DidKeySigner } from './signer.js'
export type { KeySources, KelSeen, SeenRecord } from './verifier.js'
export { parseStrictJson } from '../codec/json.js'
export type { JsonObject, JsonValue } from '../codec/json.js'
