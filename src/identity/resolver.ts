/**
 * DID resolution through the `did-resolver` interface (W3C DID Core §7.1,
 * DID Resolution), for credential issuers and holders (DESIGN.md §4):
 *
 * - `did:parley`: the KEL comes from the injected `kels` lookup, is verified
 *   (self-certifying, so the source need not be trusted) and turned into a
 *   DID document with `toDidDocument`.
 * - `did:key`: `key-did-resolver` (pure; no I/O).
 * - `did:web` (did:web method §3.2): `https://<host>[:port]/<path>/did.json`
 *   or `/.well-known/did.json`, fetched with the injected `fetch` (default the
 *   global one), no redirects, a timeout, a size cap read incrementally,
 *   strict JSON, and the document's `id` must be the DID. `webAllowHttp`
 *   switches to plain http for tests on 127.0.0.1 only.
 *
 * The `Resolver` reports failures in resolution metadata, as did-jwt expects;
 * `resolveDidDocument` turns them into ParleyError DID_INVALID /
 * DID_NOT_FOUND / DID_METHOD_UNSUPPORTED with the detail chained as `cause`.
 */

import { Resolver } from 'did-resolver'
import type { DIDDocument, DIDResolutionResult, DIDResolver, Resolvable } from 'did-resolver'
import { getResolver as getKeyResolver } from 'key-did-resolver'
import { DID_WEB_MAX_DOCUMENT_BYTES, DID_WEB_TIMEOUT_MS, VC_MAX_JSON_DEPTH } from '../constants.js'
import type { Suite } from '../crypto/index.js'
import type { ErrorCode } from '../errors.js'
import { ParleyError } from '../errors.js'
import { isDid } from './did-key.js'
import { concatBytes, parseStrictJson } from '../codec/index.js'
import { parseDid } from './did.js'
import { toDidDocument } from './document.js'
import { verifyKel } from './kel.js'

/** The fetch a did:web lookup uses (the global `fetch` has this shape). */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>

/** Inputs of `createDidResolver`. */
export interface DidResolverOptions {
  suite: Suite
  /** Encoded KEL of a did:parley, from wherever the caller keeps them; undefined: not found. */
  kels?: (did: string) => Promise<Uint8Array | undefined>
  /** The fetch for did:web; default `globalThis.fetch`. */
  fetch?: FetchFunction
  /** Use http instead of https for did:web (tests against 127.0.0.1 only). */
  webAllowHttp?: boolean
}

type ResolutionError = 'invalidDid' | 'notFound' | 'invalidDidDocument' | 'unsupportedDidMethod'

function failure(error: ResolutionError, message: string, cause?: unknown): DIDResolutionResult {
  return { didResolutionMetadata: { error, message, cause }, didDocument: null, didDocumentMetadata: {} }
}

function success(didDocument: DIDDocument): DIDResolutionResult {
  return { didResolutionMetadata: { contentType: 'application/did+json' }, didDocument, didDocumentMetadata: {} }
}

function parleyDriver(options: DidResolverOptions): DIDResolver {
  return async (_did, parsed) => {
    const did = parsed.did
    try {
      parseDid(did)
    } catch (err) {
      return failure('invalidDid', 'not a canonical did:parley', err)
    }
    const kel = options.kels === undefined ? undefined : await options.kels(did)
    if (kel === undefined) return failure('notFound', 'no KEL known for this DID')
    try {
      const state = await verifyKel(options.suite, kel, { expectedDid: did })
      return success(toDidDocument(state))
    } catch (err) {
      return failure('invalidDidDocument', 'the KEL does not verify', err)
    }
  }
}

/** Host (with optional port) as did:web allows it after decoding `%3A`. */
const WEB_HOST = /^(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}(?::[0-9]{1,5})?$/
const WEB_PATH_SEGMENT = /^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$/

/** The document URL of a did:web (did:web method §3.2 "Read"), or undefined when malformed. */
export function didWebUrl(did: string, allowHttp = false): string | undefined {
  if (!isDid(did) || !did.startsWith('did:web:')) return undefined
  const [hostPart, ...path] = did.slice('did:web:'.length).split(':') as [string, ...string[]]
  const host = hostPart.replace(/%3A/gi, ':')
  if (!WEB_HOST.test(host) || host.includes('%')) return undefined
  for (const segment of path) {
    if (!WEB_PATH_SEGMENT.test(segment)) return undefined
    let decoded: string
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      return undefined // not UTF-8
    }
    if (decoded === '.' || decoded === '..' || /[/?#\\]/.test(decoded)) return undefined
  }
  const base = `${allowHttp ? 'http' : 'https'}://${host.toLowerCase()}`
  return path.length === 0 ? `${base}/.well-known/did.json` : `${base}/${path.join('/')}/did.json`
}

/** Reads at most `max` bytes of a response body; throws when it is larger. */
async function readBounded(response: Response, max: number): Promise<Uint8Array> {
  const declared = response.headers.get('content-length')
  if (declared !== null && Number(declared) > max) throw new ParleyError('DID_NOT_FOUND', `did:web document larger than ${max} bytes`)
  if (response.body === null) return new Uint8Array(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > max) {
      await reader.cancel().catch(() => undefined)
      throw new ParleyError('DID_NOT_FOUND', `did:web document larger than ${max} bytes`)
    }
    chunks.push(value)
  }
  return concatBytes(...chunks)
}

function webDriver(options: DidResolverOptions): DIDResolver {
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  return async (_did, parsed) => {
    const did = parsed.did
    const url = didWebUrl(did, options.webAllowHttp === true)
    if (url === undefined) return failure('invalidDid', 'malformed did:web')
    const fetchFn: FetchFunction = options.fetch ?? ((u, init) => globalThis.fetch(u, init))
    let response: Response
    try {
      response = await fetchFn(url, {
        method: 'GET',
        redirect: 'error',
        headers: { accept: 'application/did+json, application/json' },
        signal: AbortSignal.timeout(DID_WEB_TIMEOUT_MS),
      })
    } catch (err) {
      return failure('notFound', 'did:web fetch failed', err)
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined)
      return failure('notFound', `did:web fetch answered HTTP ${response.status}`)
    }
    try {
      const text = utf8.decode(await readBounded(response, DID_WEB_MAX_DOCUMENT_BYTES))
      const doc = parseStrictJson(text, {
        maxLength: DID_WEB_MAX_DOCUMENT_BYTES,
        maxDepth: VC_MAX_JSON_DEPTH,
        code: 'DID_NOT_FOUND',
        what: 'did:web document',
      })
      if (doc.id !== did) return failure('invalidDidDocument', 'did:web document id is not the DID')
      return success(doc as unknown as DIDDocument)
    } catch (err) {
      return failure('invalidDidDocument', 'did:web document unreadable', err)
    }
  }
}

/**
 * A `did-resolver` Resolver for did:parley, did:key and did:web. Usable
 * directly with did-jwt / did-jwt-vc, and by `verifyCredential`.
 *
 * @example
 * const resolver = createDidResolver({ suite, kels: async (did) => store.getKel(did) })
 * const doc = await resolveDidDocument(resolver, 'did:key:z6Mk…')
 */
export function createDidResolver(options: DidResolverOptions): Resolver {
  const key = getKeyResolver().key as DIDResolver
  return new Resolver({ parley: parleyDriver(options), key, web: webDriver(options) })
}

const ERROR_CODES: Record<string, ErrorCode> = {
  invalidDid: 'DID_INVALID',
  notFound: 'DID_NOT_FOUND',
  invalidDidDocument: 'DID_NOT_FOUND',
  unsupportedDidMethod: 'DID_METHOD_UNSUPPORTED',
  methodNotSupported: 'DID_METHOD_UNSUPPORTED',
}

/**
 * Resolves `did` to its DID document, or throws DID_INVALID /
 * DID_NOT_FOUND / DID_METHOD_UNSUPPORTED (detail chained as `cause`).
 *
 * @example
 * const doc = await resolveDidDocument(createDidResolver({ suite }), issuerDid)
 */
export async function resolveDidDocument(resolver: Resolvable, did: string): Promise<DIDDocument> {
  if (!isDid(did)) throw new ParleyError('DID_INVALID', 'resolveDidDocument: not a DID')
  let result: DIDResolutionResult
  try {
    result = await resolver.resolve(did)
  } catch (err) {
    throw new ParleyError('DID_NOT_FOUND', `resolveDidDocument: resolution failed`, { cause: err })
  }
  const meta = result.didResolutionMetadata
  if (typeof meta.error === 'string') {
    const code = ERROR_CODES[meta.error] ?? 'DID_NOT_FOUND'
    const message = typeof meta.message === 'string' ? meta.message : meta.error
    throw new ParleyError(code, `resolveDidDocument: ${message}`, { cause: meta.cause ?? meta })
  }
  const doc = result.didDocument
  if (doc === null || typeof doc !== 'object' || doc.id !== did) {
    throw new ParleyError('DID_NOT_FOUND', 'resolveDidDocument: no document for this DID')
  }
  return doc
}
