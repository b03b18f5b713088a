/**
 * Strict compact JWS (RFC 7515 §7.1) for VC-JWTs and VP-JWTs (RFC 7519),
 * EdDSA over Ed25519 only (RFC 8037 §3.1). Parsing bounds the token length
 * (VC_MAX_JWT_LENGTH) before anything else, requires exactly three canonical
 * base64url segments, a UTF-8 JSON header holding only `alg`, `typ` and
 * `kid`, `alg` exactly `EdDSA` (so `none`, `HS256` and every other algorithm
 * — the alg-confusion family — are refused before a key is looked up), `typ`
 * exactly `JWT`, and a strict-JSON object payload (json.ts). Signing and
 * verification use the suite's Ed25519 (strict RFC 8032 verification); this
 * file never picks a key: callers pass the keys a DID or KEL allows.
 */

import { VC_MAX_JSON_DEPTH, VC_MAX_JWT_LENGTH, DID_MAX_LENGTH, ED25519_SIGNATURE_LENGTH } from '../constants.js'
import { fromBase64url, toBase64url } from '../codec/index.js'
import type { Suite } from '../crypto/types.js'
import type { ErrorCode } from '../errors.js'
import { ParleyError } from '../errors.js'
import { parseStrictJson } from '../codec/json.js'
import type { JsonObject } from '../codec/json.js'

/** The only JWS algorithm accepted or produced (RFC 8037 §3.1). */
export const JWS_ALG = 'EdDSA'
/** The only JOSE `typ` accepted or produced (RFC 7519 §5.1; what did-jwt writes). */
export const JWT_TYP = 'JWT'

/** A JOSE header as this profile allows it. */
export interface JwsHeader {
  alg: typeof JWS_ALG
  typ: typeof JWT_TYP
  /** A DID URL naming the signing key, e.g. `did:parley:…#sig-0`. */
  kid?: string
}

/** A parsed, not yet verified, compact JWS. */
export interface ParsedJws {
  /** The token as given. */
  token: string
  header: JwsHeader
  payload: JsonObject
  /** ASCII bytes of `BASE64URL(header) '.' BASE64URL(payload)`: what both signatures cover. */
  signingInput: Uint8Array
  /** The 64-byte Ed25519 signature. */
  signature: Uint8Array
}

const HEADER_KEYS: ReadonlySet<string> = new Set(['alg', 'typ', 'kid'])
const SEGMENT = /^[A-Za-z0-9_-]*$/
const ascii = new TextEncoder()
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Parses a compact JWS under this profile; throws `code` (VC_MALFORMED or
 * VP_MALFORMED) on anything else. Nothing is verified here.
 *
 * @example
 * const jws = parseJws(token, 'VC_MALFORMED', 'VC-JWT')
 * jws.payload.iss // 'did:key:z6Mk…'
 */
export function parseJws(token: unknown, code: ErrorCode, what: string): ParsedJws {
  if (typeof token !== 'string') throw new ParleyError(code, `${what}: expected a compact JWS string`)
  if (token.length > VC_MAX_JWT_LENGTH) throw new ParleyError(code, `${what}: longer than ${VC_MAX_JWT_LENGTH} characters`)
  const parts = token.split('.')
  if (parts.length !== 3) throw new ParleyError(code, `${what}: expected three dot-separated segments`)
  const [h, p, s] = parts as [string, string, string]
  if (h.length === 0 || p.length === 0 || s.length === 0) throw new ParleyError(code, `${what}: empty segment`)
  const headerJson = decodeSegment(h, code, `${what} header`)
  const payloadJson = decodeSegment(p, code, `${what} payload`)
  const signature = segmentBytes(s, code, `${what} signature`)
  if (signature.length !== ED25519_SIGNATURE_LENGTH) {
    throw new ParleyError(code, `${what}: signature must be ${ED25519_SIGNATURE_LENGTH} bytes`)
  }
  const limits = { maxLength: VC_MAX_JWT_LENGTH, maxDepth: VC_MAX_JSON_DEPTH, code }
  const rawHeader = parseStrictJson(headerJson, { ...limits, what: `${what} header` })
  const payload = parseStrictJson(payloadJson, { ...limits, what: `${what} payload` })
  return { token, header: checkHeader(rawHeader, code, what), payload, signingInput: ascii.encode(`${h}.${p}`), signature }
}

function checkHeader(raw: JsonObject, code: ErrorCode, what: string): JwsHeader {
  for (const key of Object.keys(raw)) {
    // RFC 7515 §4.1.11: `crit` (and any parameter we do not understand) is refused
    if (!HEADER_KEYS.has(key)) throw new ParleyError(code, `${what}: header parameter "${key}" not allowed`)
  }
  if (raw.alg !== JWS_ALG) throw new ParleyError(code, `${what}: alg must be ${JWS_ALG}`)
  if (raw.typ !== JWT_TYP) throw new ParleyError(code, `${what}: typ must be ${JWT_TYP}`)
  const header: JwsHeader = { alg: JWS_ALG, typ: JWT_TYP }
  if (Object.hasOwn(raw, 'kid')) {
    const kid = raw.kid
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > DID_MAX_LENGTH) {
      throw new ParleyError(code, `${what}: kid must be a non-empty string`)
    }
    header.kid = kid
  }
  return header
}

/** Canonical base64url bytes of one segment (one spelling per byte string). */
function segmentBytes(segment: string, code: ErrorCode, what: string): Uint8Array {
  if (!SEGMENT.test(segment)) throw new ParleyError(code, `${what}: not base64url`)
  try {
    return fromBase64url(segment, what, VC_MAX_JWT_LENGTH)
  } catch (err) {
    throw new ParleyError(code, `${what}: not canonical base64url`, { cause: err })
  }
}

function decodeSegment(segment: string, code: ErrorCode, what: string): string {
  const bytes = segmentBytes(segment, code, what)
  try {
    return utf8.decode(bytes)
  } catch (err) {
    throw new ParleyError(code, `${what}: not UTF-8`, { cause: err })
  }
}

/**
 * Signs `payload` as a compact JWS with header `{alg: EdDSA, typ: JWT, kid?}`
 * using a raw Ed25519 seed. Returns the token and its signing input (for a
 * post-quantum co-signature over the same bytes).
 *
 * @example
 * const { token, signingInput } = signJws(suite, { kid }, { iss: did, sub }, ed25519Seed)
 */
export function signJws(
  suite: Suite,
  header: { kid?: string },
  payload: JsonObject,
  ed25519Seed: Uint8Array,
): { token: string; signingInput: Uint8Array } {
  const fullHeader: JwsHeader = header.kid === undefined ? { alg: JWS_ALG, typ: JWT_TYP } : { alg: JWS_ALG, typ: JWT_TYP, kid: header.kid }
  const input = `${toBase64url(ascii.encode(JSON.stringify(fullHeader)))}.${toBase64url(ascii.encode(JSON.stringify(payload)))}`
  if (input.length > VC_MAX_JWT_LENGTH) throw new ParleyError('INVALID_ARGUMENT', 'signJws: token would exceed VC_MAX_JWT_LENGTH')
  const signingInput = ascii.encode(input)
  const signature = suite.backend.ed25519Sign(ed25519Seed, signingInput)
  return { token: `${input}.${toBase64url(signature)}`, signingInput }
}

/**
 * True when the JWS signature verifies under the raw Ed25519 public key
 * (strict RFC 8032). Never throws for a wrong key length: that is just false.
 */
export function verifyJwsSignature(suite: Suite, jws: ParsedJws, ed25519PublicKey: Uint8Array): boolean {
  try {
    return suite.backend.ed25519Verify(ed25519PublicKey, jws.signingInput, jws.signature)
  } catch {
    return false
  }
}

/** A JWT NumericDate claim (RFC 7519 §2): absent, or whole seconds in the safe-integer range. */
export function numericDate(payload: JsonObject, claim: string, code: ErrorCode, what: string): number | undefined {
  if (!Object.hasOwn(payload, claim)) return undefined
  const value = payload[claim]
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ParleyError(code, `${what}: ${claim} must be a NumericDate in whole seconds`)
  }
  return value
}

/** An optional string claim, bounded by `max` characters. */
export function optionalString(payload: JsonObject, claim: string, code: ErrorCode, what: string, max: number): string | undefined {
  if (!Object.hasOwn(payload, claim)) return undefined
  const value = payload[claim]
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new ParleyError(code, `${what}: ${claim} must be a non-empty string of at most ${max} characters`)
  }
  return value
}

/** Seconds since the epoch of `now`, rounded down. */
export function epochSeconds(now: Date): number {
  const ms = now.getTime()
  if (!Number.isFinite(ms)) throw new ParleyError('INVALID_ARGUMENT', 'now must be a valid Date')
  return Math.floor(ms / 1000)
}
