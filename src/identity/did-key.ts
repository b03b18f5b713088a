/**
 * DIDs as credential issuers see them: DID syntax (W3C DID Core §3.1), the
 * `did:key` form of an Ed25519 key (did:key method spec: multibase base58btc
 * of multicodec `ed25519-pub` 0xed 0x01 ‖ key), and the Ed25519 keys a
 * resolved DID document allows for a verification relationship (DID Core
 * §5.3: `assertionMethod` for credentials, `authentication` for
 * presentations). Only methods that are the DID's own (`<did>#…`) and carry
 * an Ed25519 key as `Ed25519VerificationKey2018` (publicKeyBase58),
 * `Ed25519VerificationKey2020`/`Multikey` (publicKeyMultibase) or
 * `JsonWebKey2020`/`JsonWebKey` (OKP Ed25519 JWK, RFC 8037 §2) count;
 * everything else in the document is ignored.
 */

import { base58 } from '@scure/base'
import type { DIDDocument, VerificationMethod } from 'did-resolver'
import { DID_DOCUMENT_MAX_METHODS, DID_MAX_LENGTH, ED25519_PUBLIC_KEY_LENGTH } from '../constants.js'
import { fromBase64url, toBase64url } from '../codec/index.js'
import { ParleyError } from '../errors.js'

/** did:key method prefix. */
export const DID_KEY_PREFIX = 'did:key:'
/** multicodec varint of `ed25519-pub`. */
const ED25519_MULTICODEC = [0xed, 0x01] as const

const METHOD_NAME = /^[a-z0-9]+$/
const ID_SEGMENT = /^(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*$/

/**
 * True when `value` is a DID (no path, query or fragment) per DID Core §3.1:
 * `did:` method-name `:` method-specific-id, the last segment non-empty.
 *
 * @example
 * isDid('did:web:example.com%3A8443:alice') // true
 * isDid('did:key:z6Mk…#z6Mk…') // false (a DID URL)
 */
export function isDid(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > DID_MAX_LENGTH) return false
  const parts = value.split(':')
  if (parts.length < 3 || parts[0] !== 'did' || !METHOD_NAME.test(parts[1] as string)) return false
  const ids = parts.slice(2)
  if ((ids[ids.length - 1] as string).length === 0) return false
  return ids.every((s) => ID_SEGMENT.test(s))
}

/** The method name of a DID (`parley`, `key`, `web`, …). Caller checked `isDid`. */
export function didMethod(did: string): string {
  return did.split(':')[1] as string
}

/**
 * The did:key for a raw Ed25519 public key.
 *
 * @example
 * didKeyFromEd25519(suite.backend.ed25519PublicKey(seed)) // 'did:key:z6Mk…'
 */
export function didKeyFromEd25519(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new ParleyError('KEY_INVALID', 'didKeyFromEd25519: expected a 32-byte Ed25519 public key')
  }
  return `${DID_KEY_PREFIX}z${base58.encode(Uint8Array.from([...ED25519_MULTICODEC, ...publicKey]))}`
}

/** The raw Ed25519 key of an Ed25519 did:key; DID_INVALID for anything else. */
export function ed25519FromDidKey(did: string): Uint8Array {
  if (!isDid(did) || !did.startsWith(`${DID_KEY_PREFIX}z`)) throw new ParleyError('DID_INVALID', 'not a did:key')
  const key = ed25519FromMultibase(did.slice(DID_KEY_PREFIX.length))
  if (key === undefined) throw new ParleyError('DID_INVALID', 'did:key is not an Ed25519 key')
  return key
}

function base58Canonical(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 128) return undefined
  try {
    const bytes = base58.decode(text)
    return base58.encode(bytes) === text ? bytes : undefined
  } catch {
    return undefined
  }
}

function ed25519FromMultibase(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || !text.startsWith('z')) return undefined
  const bytes = base58Canonical(text.slice(1))
  if (bytes === undefined || bytes.length !== ED25519_MULTICODEC.length + ED25519_PUBLIC_KEY_LENGTH) return undefined
  if (bytes[0] !== ED25519_MULTICODEC[0] || bytes[1] !== ED25519_MULTICODEC[1]) return undefined
  return bytes.slice(ED25519_MULTICODEC.length)
}

/** The raw key of an OKP Ed25519 JWK (RFC 8037 §2), or undefined. */
export function ed25519FromJwk(jwk: unknown): Uint8Array | undefined {
  if (typeof jwk !== 'object' || jwk === null) return undefined
  const { kty, crv, x, d } = jwk as Record<string, unknown>
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || d !== undefined) return undefined
  try {
    const key = fromBase64url(x, 'jwk.x', ED25519_PUBLIC_KEY_LENGTH)
    return key.length === ED25519_PUBLIC_KEY_LENGTH ? key : undefined
  } catch {
    return undefined
  }
}

/** The public OKP JWK of a raw Ed25519 key. */
export function ed25519Jwk(publicKey: Uint8Array): { kty: 'OKP'; crv: 'Ed25519'; x: string } {
  return { kty: 'OKP', crv: 'Ed25519', x: toBase64url(publicKey) }
}

function ed25519FromMethod(vm: VerificationMethod): Uint8Array | undefined {
  switch (vm.type) {
    case 'Ed25519VerificationKey2018': {
      const key = typeof vm.publicKeyBase58 === 'string' ? base58Canonical(vm.publicKeyBase58) : undefined
      return key?.length === ED25519_PUBLIC_KEY_LENGTH ? key : undefined
    }
    case 'Ed25519VerificationKey2020':
    case 'Multikey':
      return ed25519FromMultibase(vm.publicKeyMultibase)
    case 'JsonWebKey2020':
    case 'JsonWebKey':
      return ed25519FromJwk(vm.publicKeyJwk)
    default:
      return undefined
  }
}

/** An Ed25519 key a DID document allows, with the id of its verification method. */
export interface DocumentKey {
  id: string
  publicKey: Uint8Array
}

/**
 * The Ed25519 keys `doc` lists under `relationship`, resolving references
 * (absolute `did#frag` or relative `#frag`) against `verificationMethod`.
 * Methods of another DID are ignored.
 *
 * @example
 * ed25519KeysFromDocument(doc, 'did:key:z6Mk…', 'assertionMethod') // [{ id: 'did:key:z6Mk…#z6Mk…', publicKey }]
 */
export function ed25519KeysFromDocument(
  doc: DIDDocument,
  did: string,
  relationship: 'assertionMethod' | 'authentication',
): DocumentKey[] {
  // the document may come from the network: read it as unknown
  const listed: unknown = doc[relationship]
  const declared: unknown = doc.verificationMethod
  if (!Array.isArray(listed)) return []
  const isMethod = (m: unknown): m is VerificationMethod => typeof m === 'object' && m !== null && !Array.isArray(m)
  const methods = Array.isArray(declared) ? (declared.slice(0, DID_DOCUMENT_MAX_METHODS) as unknown[]).filter(isMethod) : []
  const absolute = (id: unknown): string | undefined =>
    typeof id !== 'string' ? undefined : id.startsWith('#') ? `${did}${id}` : id.startsWith(`${did}#`) ? id : undefined
  const out: DocumentKey[] = []
  for (const entry of listed.slice(0, DID_DOCUMENT_MAX_METHODS) as unknown[]) {
    const ref = typeof entry === 'string' ? absolute(entry) : undefined
    const vm = typeof entry === 'string' ? (ref === undefined ? undefined : methods.find((m) => absolute(m.id) === ref)) : entry
    if (!isMethod(vm)) continue
    const id = absolute(vm.id)
    if (id === undefined) continue
    const publicKey = ed25519FromMethod(vm)
    if (publicKey !== undefined) out.push({ id, publicKey })
  }
  return out
}
