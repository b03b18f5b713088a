/**
 * Shared fixtures of the credential tests: the suite, a fixed clock, a few
 * identities (created once: ML-DSA key generation is not free), a did:key
 * issuer from a fixed seed, and small token-surgery helpers that re-encode a
 * JWS segment so a test can tamper with exactly one thing.
 */
import { defaultSuite } from '../../src/crypto/index.js'
import { createIdentity } from '../../src/identity/author.js'
import type { Identity } from '../../src/identity/author.js'
import { toBase64url, fromBase64url } from '../../src/codec/index.js'
import { didKeySigner } from '../../src/credentials/signer.js'
import type { DidKeySigner } from '../../src/credentials/signer.js'
import { validateTrustPolicy } from '../../src/credentials/policy.js'
import type { TrustPolicy } from '../../src/credentials/policy.js'

export const suite = defaultSuite

/** The issuance time of every fixture credential. */
export const T0 = new Date('2030-01-01T00:00:00Z')

/** `T0` plus `seconds`. */
export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000)
}

export function identity(name: string): Identity {
  return createIdentity(suite, { name, now: at(-3600) })
}

/** A fresh copy of an identity's secrets (rotation wipes the ones passed in). */
export function copySecrets(id: Identity): Identity['secrets'] {
  return { signing: id.secrets.signing.slice(), next: id.secrets.next.slice(), agreement: id.secrets.agreement.map((k) => k.slice()) }
}

/** A did:key issuer from a fixed seed. */
export const keyIssuer: DidKeySigner = { ed25519Seed: new Uint8Array(32).fill(7) }
export const keyIssuerDid = didKeySigner(suite, keyIssuer).did

export function policy(trustedIssuers: string[], extra: Partial<TrustPolicy> = {}): TrustPolicy {
  return validateTrustPolicy({ trustedIssuers, acceptedTypes: ['VerifiedHumanCredential'], requirePq: true, ...extra })
}

const utf8 = new TextEncoder()
const text = new TextDecoder()

/** The decoded JSON of segment `i` (0 header, 1 payload) of a compact JWS. */
export function segmentJson(token: string, i: 0 | 1): Record<string, unknown> {
  return JSON.parse(text.decode(fromBase64url(token.split('.')[i] as string))) as Record<string, unknown>
}

/** `token` with segment `i` replaced by the base64url of `json` (signature kept). */
export function withSegment(token: string, i: 0 | 1, json: string): string {
  const parts = token.split('.')
  parts[i] = toBase64url(utf8.encode(json))
  return parts.join('.')
}

/** `token` with one bit of the signature flipped. */
export function flipSignature(token: string): string {
  const parts = token.split('.')
  const sig = fromBase64url(parts[2] as string)
  sig[5] = (sig[5] as number) ^ 1
  parts[2] = toBase64url(sig)
  return parts.join('.')
}
