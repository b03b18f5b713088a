/**
 * Fuzzing the parsers of untrusted credential input with the shared harness
 * (test/helpers/fuzz.ts): credential and presentation containers (bytes),
 * compact JWS and VC-JWT claims (text read as latin1), trust policies, and
 * key extraction from hostile DID documents.
 * Every input must end in a return or a ParleyError, quickly.
 */
import { fuzzDecoder, fuzzStringDecoder } from '../helpers/fuzz.js'
import {
  issueCredential,
  createPresentation,
  encodeCredentialContainer,
  encodePresentationContainer,
  parseCredentialContainer,
  parsePresentationContainer,
  parseJws,
  parseCredentialJwt,
  parseTrustPolicy,
  parseStrictJson,
} from '../../src/credentials/index.js'
import type { DIDDocument } from 'did-resolver'
import { ed25519KeysFromDocument } from '../../src/identity/did-key.js'
import { toDidDocument } from '../../src/identity/document.js'
import { suite, T0, at, identity, keyIssuer, keyIssuerDid } from './fixtures.js'

const alice = identity('alice')
const classical = await issueCredential({ suite, issuer: keyIssuer, subject: alice.state.did, now: T0, validUntil: at(60), claims: { n: 1 } })
const hybrid = await issueCredential({ suite, issuer: alice, subject: alice.state.did, now: T0, embedKel: false })
const withKel = await issueCredential({ suite, issuer: alice, subject: alice.state.did, now: T0 })
const vp = await createPresentation({ suite, holder: alice, credentials: [classical], audience: keyIssuerDid, nonce: 'n', now: T0 })
const utf8 = new TextEncoder()

fuzzDecoder(
  'credential container',
  (b) => parseCredentialContainer(b),
  [classical, hybrid, withKel].map((c) => utf8.encode(encodeCredentialContainer(c))),
)
fuzzDecoder('presentation container', (b) => parsePresentationContainer(b), [utf8.encode(encodePresentationContainer(vp))])
fuzzStringDecoder('compact JWS', (s) => parseJws(s, 'VC_MALFORMED', 'fuzz'), [classical.jwt, hybrid.jwt, vp.jwt], {
  alphabet: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.',
})
fuzzStringDecoder('VC-JWT claims', (s) => parseCredentialJwt(s), [classical.jwt, hybrid.jwt])
fuzzStringDecoder('trust policy', (s) => parseTrustPolicy(s), [
  JSON.stringify({ trustedIssuers: [keyIssuerDid, 'did:web:example.com'], acceptedTypes: ['VerifiedHumanCredential'], maxAgeSeconds: 60, requirePq: true }),
])

const aliceDoc = toDidDocument(alice.state)
const keyDoc = {
  id: keyIssuerDid,
  verificationMethod: [{ id: `${keyIssuerDid}#k`, type: 'Ed25519VerificationKey2018', controller: keyIssuerDid, publicKeyBase58: 'GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB' }],
  assertionMethod: ['#k', { id: `${keyIssuerDid}#m`, type: 'Multikey', publicKeyMultibase: 'z6MkvDqGT54cXesYGvABpF1UapVNwjCqRcafi4Px6Thv5T3Z' }],
}
fuzzStringDecoder(
  'DID document keys',
  (s) => {
    const doc = parseStrictJson(s, { maxLength: 1 << 16, maxDepth: 16, code: 'DID_NOT_FOUND', what: 'fuzz' }) as unknown as DIDDocument
    return [ed25519KeysFromDocument(doc, alice.state.did, 'assertionMethod'), ed25519KeysFromDocument(doc, keyIssuerDid, 'assertionMethod')]
  },
  [JSON.stringify(aliceDoc), JSON.stringify(keyDoc)],
)
