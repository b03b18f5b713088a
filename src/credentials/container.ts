/**
 * The Parley credential and presentation files: versioned JSON wrappers that
 * carry a VC-JWT / VP-JWT (W3C VC Data Model 2.0 content in a JOSE compact
 * JWS, RFC 7515) together with what JOSE cannot hold: the ML-DSA-65
 * co-signature over the same JWS signing input, and the signer's KEL so a
 * `did:parley` signer can be checked offline (the KEL is self-certifying).
 *
 *   { "format": "parley-vc/1", "jwt": "…", "pq"?: { "alg": "ML-DSA-65", "kid": "…", "sig": "<b64url>" }, "issuerKel"?: "<b64url>" }
 *   { "format": "parley-vp/1", "jwt": "…", "pq": {…}, "holderKel": "<b64url>", "credentials": [ <parley-vc/1>, … ] }
 *
 * Parsing is strict (json.ts): size bounded before parsing, no unknown or
 * duplicate members, canonical base64url, exact signature length. Failures
 * are VC_MALFORMED / VP_MALFORMED. Nothing is verified here.
 */

import {
  MLDSA65_SIGNATURE_LENGTH,
  VC_MAX_CONTAINER_BYTES,
  VC_MAX_EMBEDDED_KEL_BYTES,
  VC_MAX_JSON_DEPTH,
  VC_MAX_JWT_LENGTH,
  VP_MAX_CONTAINER_BYTES,
  VP_MAX_CREDENTIALS,
  DID_MAX_LENGTH,
} from '../constants.js'
import { fromBase64url } from '../codec/index.js'
import type { ErrorCode } from '../errors.js'
import { ParleyError } from '../errors.js'
import { isJsonObject, parseStrictJson } from '../codec/json.js'
import type { JsonObject, JsonValue } from '../codec/json.js'

/** Format tag of a credential file. */
export const CREDENTIAL_FORMAT = 'parley-vc/1'
/** Format tag of a presentation. */
export const PRESENTATION_FORMAT = 'parley-vp/1'
/** The only post-quantum co-signature algorithm. */
export const PQ_ALG = 'ML-DSA-65'

/** An ML-DSA-65 co-signature over a JWS signing input. */
export interface PqCoSignature {
  alg: typeof PQ_ALG
  /** DID URL of the hybrid key whose ML-DSA-65 component signed. */
  kid: string
  /** base64url of the 3309-byte signature. */
  sig: string
}

/** A credential file (`parley-vc/1`). */
export interface CredentialContainer {
  format: typeof CREDENTIAL_FORMAT
  jwt: string
  pq?: PqCoSignature
  /** base64url of the issuer's encoded KEL (did:parley issuers only). */
  issuerKel?: string
}

/** A presentation (`parley-vp/1`). */
export interface PresentationContainer {
  format: typeof PRESENTATION_FORMAT
  jwt: string
  pq: PqCoSignature
  /** base64url of the holder's encoded KEL. */
  holderKel: string
  /** The presented credentials, in the order of the VP-JWT's `verifiableCredential`. */
  credentials: CredentialContainer[]
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function toText(input: string | Uint8Array, max: number, code: ErrorCode, what: string): string {
  if (typeof input === 'string') {
    if (input.length > max) throw new ParleyError(code, `${what}: larger than ${max} bytes`)
    return input
  }
  if (!(input instanceof Uint8Array)) throw new ParleyError(code, `${what}: expected text or bytes`)
  if (input.length > max) throw new ParleyError(code, `${what}: larger than ${max} bytes`)
  try {
    return utf8.decode(input)
  } catch (err) {
    throw new ParleyError(code, `${what}: not UTF-8`, { cause: err })
  }
}

function onlyKeys(obj: JsonObject, allowed: readonly string[], code: ErrorCode, what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new ParleyError(code, `${what}: unknown member "${key}"`)
  }
}

function jwtField(obj: JsonObject, code: ErrorCode, what: string): string {
  const jwt = obj.jwt
  if (typeof jwt !== 'string' || jwt.length === 0 || jwt.length > VC_MAX_JWT_LENGTH) {
    throw new ParleyError(code, `${what}: jwt must be a string of at most ${VC_MAX_JWT_LENGTH} characters`)
  }
  return jwt
}

/** Checks a base64url member decodes canonically within `min..max` bytes; returns the text. */
function b64Field(value: JsonValue | undefined, min: number, max: number, code: ErrorCode, what: string): string {
  if (typeof value !== 'string') throw new ParleyError(code, `${what}: expected base64url text`)
  let bytes: Uint8Array
  try {
    bytes = fromBase64url(value, what, max)
  } catch (err) {
    throw new ParleyError(code, `${what}: not canonical base64url within ${max} bytes`, { cause: err })
  }
  if (bytes.length < min || bytes.length > max) throw new ParleyError(code, `${what}: wrong length`)
  return value
}

function pqField(value: JsonValue | undefined, code: ErrorCode, what: string): PqCoSignature {
  if (!isJsonObject(value)) throw new ParleyError(code, `${what}: expected an object`)
  onlyKeys(value, ['alg', 'kid', 'sig'], code, what)
  if (value.alg !== PQ_ALG) throw new ParleyError(code, `${what}: alg must be ${PQ_ALG}`)
  const kid = value.kid
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > DID_MAX_LENGTH) {
    throw new ParleyError(code, `${what}: kid must be a DID URL`)
  }
  const sig = b64Field(value.sig, MLDSA65_SIGNATURE_LENGTH, MLDSA65_SIGNATURE_LENGTH, code, `${what}.sig`)
  return { alg: PQ_ALG, kid, sig }
}

/**
 * Checks that `value` is a well-formed `parley-vc/1` object and returns a
 * clean copy; throws VC_MALFORMED otherwise.
 */
export function validateCredentialContainer(value: unknown): CredentialContainer {
  const code = 'VC_MALFORMED'
  const what = 'credential container'
  if (!isJsonObject(value)) throw new ParleyError(code, `${what}: expected an object`)
  onlyKeys(value, ['format', 'jwt', 'pq', 'issuerKel'], code, what)
  if (value.format !== CREDENTIAL_FORMAT) throw new ParleyError(code, `${what}: format must be ${CREDENTIAL_FORMAT}`)
  const out: CredentialContainer = { format: CREDENTIAL_FORMAT, jwt: jwtField(value, code, what) }
  if (Object.hasOwn(value, 'pq')) out.pq = pqField(value.pq, code, `${what}.pq`)
  if (Object.hasOwn(value, 'issuerKel')) {
    out.issuerKel = b64Field(value.issuerKel, 1, VC_MAX_EMBEDDED_KEL_BYTES, code, `${what}.issuerKel`)
  }
  return out
}

/**
 * Parses a credential file (text or bytes).
 *
 * @example
 * const container = parseCredentialContainer(await readFile('alice.vc.json'))
 */
export function parseCredentialContainer(input: string | Uint8Array): CredentialContainer {
  const text = toText(input, VC_MAX_CONTAINER_BYTES, 'VC_MALFORMED', 'credential container')
  const obj = parseStrictJson(text, {
    maxLength: VC_MAX_CONTAINER_BYTES,
    maxDepth: VC_MAX_JSON_DEPTH,
    code: 'VC_MALFORMED',
    what: 'credential container',
  })
  return validateCredentialContainer(obj)
}

/** The file text of a credential container (pretty JSON, fixed member order, trailing newline). */
export function encodeCredentialContainer(container: CredentialContainer): string {
  const c = validateCredentialContainer(container)
  return `${JSON.stringify(c, null, 2)}\n`
}

/** Checks a `parley-vp/1` object; VP_MALFORMED for the wrapper, VC_MALFORMED for a credential in it. */
export function validatePresentationContainer(value: unknown): PresentationContainer {
  const code = 'VP_MALFORMED'
  const what = 'presentation container'
  if (!isJsonObject(value)) throw new ParleyError(code, `${what}: expected an object`)
  onlyKeys(value, ['format', 'jwt', 'pq', 'holderKel', 'credentials'], code, what)
  if (value.format !== PRESENTATION_FORMAT) throw new ParleyError(code, `${what}: format must be ${PRESENTATION_FORMAT}`)
  const creds = value.credentials
  if (!Array.isArray(creds) || creds.length > VP_MAX_CREDENTIALS) {
    throw new ParleyError(code, `${what}: credentials must be an array of at most ${VP_MAX_CREDENTIALS}`)
  }
  return {
    format: PRESENTATION_FORMAT,
    jwt: jwtField(value, code, what),
    pq: pqField(value.pq, code, `${what}.pq`),
    holderKel: b64Field(value.holderKel, 1, VC_MAX_EMBEDDED_KEL_BYTES, code, `${what}.holderKel`),
    credentials: creds.map((c) => validateCredentialContainer(c)),
  }
}

/** Parses a presentation (text or bytes); VP_MALFORMED on any structural problem. */
export function parsePresentationContainer(input: string | Uint8Array): PresentationContainer {
  const text = toText(input, VP_MAX_CONTAINER_BYTES, 'VP_MALFORMED', 'presentation container')
  const obj = parseStrictJson(text, {
    maxLength: VP_MAX_CONTAINER_BYTES,
    maxDepth: VC_MAX_JSON_DEPTH,
    code: 'VP_MALFORMED',
    what: 'presentation container',
  })
  return validatePresentationContainer(obj)
}

/** The wire/file text of a presentation (compact JSON: it travels over connections). */
export function encodePresentationContainer(container: PresentationContainer): string {
  return JSON.stringify(validatePresentationContainer(container))
}
