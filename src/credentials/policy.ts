/**
 * The trust policy a verifier applies to credentials (DESIGN.md §4): which
 * issuers it trusts, which credential types it accepts, how old a credential
 * may be, and whether the ML-DSA-65 co-signature is required. This file owns
 * the policy type, its validator (a policy read from a file or flags is
 * checked once, then frozen) and the two membership tests the verifier uses.
 *
 * A policy never trusts by pattern: issuers are exact DIDs (W3C DID Core
 * §3.1 syntax), types are exact strings. `VerifiableCredential` is refused as
 * an accepted type because every credential has it: it would accept anything.
 */

import { DID_MAX_LENGTH, TRUST_POLICY_MAX_ENTRIES, VC_MAX_JSON_DEPTH } from '../constants.js'
import { ParleyError } from '../errors.js'
import { isDid } from '../identity/did-key.js'
import { isJsonObject, parseStrictJson } from '../codec/json.js'

/** What a verifier accepts. */
export interface TrustPolicy {
  /** Exact issuer DIDs whose credentials are accepted. Empty: no credential is accepted. */
  trustedIssuers: string[]
  /** A credential is accepted when at least one of its types is listed, e.g. `VerifiedHumanCredential`. */
  acceptedTypes: string[]
  /** Largest age (now - issuance) in seconds; absent: no limit beyond `exp`. */
  maxAgeSeconds?: number
  /** Refuse credentials without a valid ML-DSA-65 co-signature (classical-only issuers, e.g. did:key). */
  requirePq: boolean
}

/** Longest type name accepted in a policy. */
const MAX_TYPE_LENGTH = 256
/** Largest policy file text. */
const MAX_POLICY_TEXT = TRUST_POLICY_MAX_ENTRIES * (DID_MAX_LENGTH + 8)

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u

function bad(message: string): ParleyError {
  return new ParleyError('INVALID_ARGUMENT', `trust policy: ${message}`)
}

function stringList(value: unknown, name: string, check: (s: string) => boolean): string[] {
  if (!Array.isArray(value)) throw bad(`${name} must be an array`)
  if (value.length > TRUST_POLICY_MAX_ENTRIES) throw bad(`${name} has more than ${TRUST_POLICY_MAX_ENTRIES} entries`)
  const seen = new Set<string>()
  for (const item of value) {
    if (typeof item !== 'string' || !check(item)) throw bad(`${name} has an invalid entry`)
    if (seen.has(item)) throw bad(`${name} lists "${item}" twice`)
    seen.add(item)
  }
  return [...seen]
}

/**
 * Checks a policy (from code, a file or flags) and returns a frozen copy.
 * Throws INVALID_ARGUMENT naming the first problem.
 *
 * @example
 * const policy = validateTrustPolicy({
 *   trustedIssuers: ['did:key:z6Mk…'],
 *   acceptedTypes: ['VerifiedHumanCredential'],
 *   maxAgeSeconds: 365 * 24 * 3600,
 *   requirePq: false,
 * })
 */
export function validateTrustPolicy(value: unknown): TrustPolicy {
  if (!isJsonObject(value)) throw bad('expected an object')
  const v: Record<string, unknown> = value
  for (const key of Object.keys(v)) {
    if (!['trustedIssuers', 'acceptedTypes', 'maxAgeSeconds', 'requirePq'].includes(key)) throw bad(`unknown member "${key}"`)
  }
  const trustedIssuers = stringList(v.trustedIssuers, 'trustedIssuers', isDid)
  const acceptedTypes = stringList(
    v.acceptedTypes,
    'acceptedTypes',
    (t) => t.length > 0 && t.length <= MAX_TYPE_LENGTH && !CONTROL.test(t) && t !== 'VerifiableCredential',
  )
  if (typeof v.requirePq !== 'boolean') throw bad('requirePq must be a boolean')
  const policy: TrustPolicy = { trustedIssuers, acceptedTypes, requirePq: v.requirePq }
  if (v.maxAgeSeconds !== undefined) {
    const age = v.maxAgeSeconds
    if (typeof age !== 'number' || !Number.isSafeInteger(age) || age <= 0) throw bad('maxAgeSeconds must be a positive integer')
    policy.maxAgeSeconds = age
  }
  Object.freeze(policy.trustedIssuers)
  Object.freeze(policy.acceptedTypes)
  return Object.freeze(policy)
}

/**
 * Parses and validates a policy file (strict JSON).
 *
 * @example
 * parseTrustPolicy('{"trustedIssuers":[],"acceptedTypes":["VerifiedHumanCredential"],"requirePq":true}')
 */
export function parseTrustPolicy(text: string): TrustPolicy {
  const obj = parseStrictJson(text, { maxLength: MAX_POLICY_TEXT, maxDepth: VC_MAX_JSON_DEPTH, code: 'INVALID_ARGUMENT', what: 'trust policy' })
  return validateTrustPolicy(obj)
}

/** True when `issuer` is listed exactly. */
export function isTrustedIssuer(policy: TrustPolicy, issuer: string): boolean {
  return policy.trustedIssuers.includes(issuer)
}

/** True when at least one of `types` is an accepted type. */
export function hasAcceptedType(policy: TrustPolicy, types: readonly string[]): boolean {
  return types.some((t) => policy.acceptedTypes.includes(t))
}
