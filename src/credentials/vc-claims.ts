/**
 * Reading the claims of a VC-JWT and a VP-JWT (VC Data Model 1.1 §6.3.1 JWT
 * encoding, as did-jwt-vc writes it, carrying VC Data Model 2.0 content):
 * registered claims `iss`, `sub`, `nbf`, `exp`, `iat`, `jti` (RFC 7519 §4.1)
 * and the `vc` / `vp` claim. Everything is type- and size-checked; JWT
 * claims and their in-credential twins (`validFrom`/`issuanceDate` for `nbf`,
 * `validUntil`/`expirationDate` for `exp`, `credentialSubject.id` for `sub`,
 * `issuer` for `iss`, `id` for `jti`) must agree when both are present.
 * A VC-JWT may not carry `vp`, a VP-JWT may not carry `vc`, so one can never
 * be taken for the other. Failures are VC_MALFORMED / VP_MALFORMED.
 */

import { DID_MAX_LENGTH, VC_MAX_LIST_ITEMS } from '../constants.js'
import type { ErrorCode } from '../errors.js'
import { ParleyError } from '../errors.js'
import { isDid } from '../identity/did-key.js'
import { isJsonObject } from '../codec/json.js'
import type { JsonObject, JsonValue } from '../codec/json.js'
import { numericDate, optionalString, parseJws } from './jwt.js'
import type { ParsedJws } from './jwt.js'

/** VC Data Model 2.0 base context (must come first in a 2.0 credential). */
export const VC_CONTEXT_V2 = 'https://www.w3.org/ns/credentials/v2'
/** VC Data Model 1.1 base context (did-jwt-vc requires it). */
export const VC_CONTEXT_V1 = 'https://www.w3.org/2018/credentials/v1'

/** The checked claims of a VC-JWT. */
export interface CredentialClaims {
  issuer: string
  subject: string
  types: string[]
  nbf?: number
  exp?: number
  iat?: number
  /** `iat`, else `nbf`: when the credential was issued (for max age). */
  issuedAt: number
  id?: string
  /** `credentialSubject` without `id`. */
  subjectClaims: JsonObject
}

const XSD_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/

function fail(code: ErrorCode, message: string): ParleyError {
  return new ParleyError(code, message)
}

/** A list of distinct non-empty strings, at most VC_MAX_LIST_ITEMS. */
export function stringList(value: JsonValue | undefined, code: ErrorCode, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > VC_MAX_LIST_ITEMS) {
    throw fail(code, `${what}: expected a non-empty array of at most ${VC_MAX_LIST_ITEMS}`)
  }
  const out: string[] = []
  for (const item of value) {
    if (typeof item !== 'string' || item.length === 0 || item.length > DID_MAX_LENGTH || out.includes(item)) {
      throw fail(code, `${what}: entries must be distinct non-empty strings`)
    }
    out.push(item)
  }
  return out
}

/** `@context` must start with the VC 2.0 or the VC 1.1 base context. */
export function checkContext(value: JsonValue | undefined, code: ErrorCode, what: string): void {
  const contexts = stringList(value, code, `${what}.@context`)
  if (contexts[0] !== VC_CONTEXT_V2 && contexts[0] !== VC_CONTEXT_V1) {
    throw fail(code, `${what}.@context must start with the VC base context`)
  }
}

/** Seconds of an XML Schema dateTime member, or undefined when absent. */
function dateMember(obj: JsonObject, key: string, code: ErrorCode, what: string): number | undefined {
  if (!Object.hasOwn(obj, key)) return undefined
  const v = obj[key]
  const ms = typeof v === 'string' && XSD_DATE_TIME.test(v) ? Date.parse(v) : Number.NaN
  if (!Number.isFinite(ms)) throw fail(code, `${what}.${key}: not a dateTime`)
  return Math.floor(ms / 1000)
}

/** The JWT claim, else its in-credential twin; both present must agree. */
function agree(claim: number | undefined, twins: (number | undefined)[], code: ErrorCode, what: string): number | undefined {
  let value = claim
  for (const t of twins) {
    if (t === undefined) continue
    if (value !== undefined && value !== t) throw fail(code, `${what}: JWT claim and credential disagree`)
    value = t
  }
  return value
}

/** Parses a VC-JWT and checks its claims (no signature check). */
export function parseCredentialJwt(token: string): { jws: ParsedJws; claims: CredentialClaims } {
  const code = 'VC_MALFORMED'
  const jws = parseJws(token, code, 'VC-JWT')
  const p = jws.payload
  if (Object.hasOwn(p, 'vp')) throw fail(code, 'VC-JWT: carries a vp claim')
  const issuer = p.iss
  if (!isDid(issuer)) throw fail(code, 'VC-JWT: iss must be a DID')
  if (jws.header.kid !== undefined && !jws.header.kid.startsWith(`${issuer}#`)) throw fail(code, 'VC-JWT: kid is not a key of iss')
  const vc = p.vc
  if (!isJsonObject(vc)) throw fail(code, 'VC-JWT: vc claim must be an object')
  checkContext(vc['@context'], code, 'vc')
  const types = stringList(vc.type, code, 'vc.type')
  if (!types.includes('VerifiableCredential')) throw fail(code, 'vc.type: must include VerifiableCredential')

  if (Object.hasOwn(vc, 'issuer')) {
    const vi = vc.issuer
    const id = isJsonObject(vi) ? vi.id : vi
    if (id !== issuer) throw fail(code, 'vc.issuer: is not iss')
  }
  const cs = vc.credentialSubject
  if (!isJsonObject(cs)) throw fail(code, 'vc.credentialSubject: must be one object')
  const sub = optionalString(p, 'sub', code, 'VC-JWT', DID_MAX_LENGTH)
  const csId = optionalString(cs, 'id', code, 'vc.credentialSubject', DID_MAX_LENGTH)
  if (sub !== undefined && csId !== undefined && sub !== csId) throw fail(code, 'VC-JWT: sub and credentialSubject.id disagree')
  const subject = sub ?? csId
  if (!isDid(subject)) throw fail(code, 'VC-JWT: the subject must be a DID')

  const jti = optionalString(p, 'jti', code, 'VC-JWT', DID_MAX_LENGTH)
  const vcId = optionalString(vc, 'id', code, 'vc', DID_MAX_LENGTH)
  if (jti !== undefined && vcId !== undefined && jti !== vcId) throw fail(code, 'VC-JWT: jti and vc.id disagree')

  const nbf = agree(numericDate(p, 'nbf', code, 'VC-JWT'), [dateMember(vc, 'validFrom', code, 'vc'), dateMember(vc, 'issuanceDate', code, 'vc')], code, 'nbf')
  const exp = agree(numericDate(p, 'exp', code, 'VC-JWT'), [dateMember(vc, 'validUntil', code, 'vc'), dateMember(vc, 'expirationDate', code, 'vc')], code, 'exp')
  const iat = numericDate(p, 'iat', code, 'VC-JWT')
  const issuedAt = iat ?? nbf
  if (issuedAt === undefined) throw fail(code, 'VC-JWT: neither iat nor nbf')
  if (exp !== undefined && exp < issuedAt) throw fail(code, 'VC-JWT: expires before it is issued')

  const { id: _omit, ...subjectClaims } = cs
  const claims: CredentialClaims = { issuer, subject, types, issuedAt, subjectClaims }
  if (nbf !== undefined) claims.nbf = nbf
  if (exp !== undefined) claims.exp = exp
  if (iat !== undefined) claims.iat = iat
  const id = jti ?? vcId
  if (id !== undefined) claims.id = id
  return { jws, claims }
}
