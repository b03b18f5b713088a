/**
 * DID resolution: did:parley from a verified KEL, did:key through
 * key-did-resolver, did:web against a real HTTP server on 127.0.0.1
 * (well-known and path forms, 404, redirect, oversized bodies with and
 * without content-length, wrong id, duplicate JSON members), the did:web URL
 * mapping with an injected fetch, and the typed errors of
 * `resolveDidDocument`. Ends with a credential issued by a did:web issuer
 * (by did-jwt-vc) verified by Parley through this resolver.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { EdDSASigner } from 'did-jwt'
import { createVerifiableCredentialJwt } from 'did-jwt-vc'
import { defaultSuite as suite } from '../../src/crypto/index.js'
import { createIdentity } from '../../src/identity/author.js'
import { encodeKel } from '../../src/identity/log.js'
import { createDidResolver, didWebUrl, resolveDidDocument } from '../../src/identity/resolver.js'
import type { FetchFunction } from '../../src/identity/resolver.js'
import { DID_WEB_MAX_DOCUMENT_BYTES } from '../../src/constants.js'
import { ed25519Jwk, ed25519KeysFromDocument } from '../../src/identity/did-key.js'
import { issueCredential, verifyCredential, validateTrustPolicy } from '../../src/credentials/index.js'
import { isParleyError } from '../../src/errors.js'

const now = new Date('2030-01-01T00:00:00Z')
const alice = createIdentity(suite, { name: 'alice', now })
const aliceKel = encodeKel(alice.kel)
const webSeed = new Uint8Array(32).fill(9)
const webKey = suite.backend.ed25519PublicKey(webSeed)

let server: Server
let host = ''
let did = ''

function webDocument(id: string): Record<string, unknown> {
  return {
    '@context': ['https://www.w3.org/ns/did/v1'],
    id,
    verificationMethod: [{ id: `${id}#key-1`, type: 'JsonWebKey2020', controller: id, publicKeyJwk: ed25519Jwk(webKey) }],
    assertionMethod: [`${id}#key-1`],
    authentication: ['#key-1'],
  }
}

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? ''
    const json = (body: string) => {
      res.writeHead(200, { 'content-type': 'application/did+json' })
      res.end(body)
    }
    if (url === '/.well-known/did.json') return json(JSON.stringify(webDocument(did)))
    if (url === '/users/alice/did.json') return json(JSON.stringify(webDocument(`${did}:users:alice`)))
    if (url === '/wrong/did.json') return json(JSON.stringify(webDocument('did:web:example.com')))
    if (url === '/dup/did.json') return json(`{"id":"${did}:dup","id":"${did}:dup"}`)
    if (url === '/notjson/did.json') return json('<html>')
    if (url === '/big/did.json') return json(JSON.stringify({ id: `${did}:big`, pad: 'x'.repeat(DID_WEB_MAX_DOCUMENT_BYTES) }))
    if (url === '/stream/did.json') {
      res.writeHead(200, { 'content-type': 'application/json' }) // chunked: no content-length
      const chunk = 'x'.repeat(8192)
      for (let i = 0; i < 16; i++) res.write(chunk)
      return res.end()
    }
    if (url === '/redirect/did.json') {
      res.writeHead(302, { location: '/.well-known/did.json' })
      return res.end()
    }
    res.writeHead(404)
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  host = `127.0.0.1%3A${(server.address() as AddressInfo).port}`
  did = `did:web:${host}`
})

after(() => new Promise<void>((resolve) => server.close(() => resolve())))

const web = () => createDidResolver({ suite, webAllowHttp: true })

async function refused(resolverDid: string, code: string, resolver = web()): Promise<void> {
  await assert.rejects(resolveDidDocument(resolver, resolverDid), (err: unknown) => isParleyError(err) && err.code === code)
}

test('resolver: did:parley resolves from a verified KEL to its DID document', async () => {
  const resolver = createDidResolver({ suite, kels: async (d) => (d === alice.state.did ? aliceKel : undefined) })
  const doc = await resolveDidDocument(resolver, alice.state.did)
  assert.equal(doc.id, alice.state.did)
  const keys = ed25519KeysFromDocument(doc, alice.state.did, 'assertionMethod')
  assert.deepEqual(keys.map((k) => k.id), [`${alice.state.did}#sig-0`])
  assert.deepEqual(keys[0]?.publicKey, suite.splitSigningPublicKey(alice.state.signingKey).ed25519)
})

test('resolver: did:parley without a KEL -> DID_NOT_FOUND; a KEL of another DID -> DID_NOT_FOUND (cause KEL_ID_MISMATCH)', async () => {
  await refused(alice.state.did, 'DID_NOT_FOUND', createDidResolver({ suite }))
  const bob = createIdentity(suite, { name: 'bob', now })
  const lying = createDidResolver({ suite, kels: async () => encodeKel(bob.kel) })
  await assert.rejects(resolveDidDocument(lying, alice.state.did), (err: unknown) => {
    return isParleyError(err, 'DID_NOT_FOUND') && isParleyError(err.cause, 'KEL_ID_MISMATCH')
  })
  await refused('did:parley:abc', 'DID_INVALID', lying)
})

test('resolver: did:key resolves to its Ed25519 key', async () => {
  const key = suite.backend.ed25519PublicKey(webSeed)
  const { didKeyFromEd25519 } = await import('../../src/identity/did-key.js')
  const keyDid = didKeyFromEd25519(key)
  const doc = await resolveDidDocument(createDidResolver({ suite }), keyDid)
  assert.deepEqual(ed25519KeysFromDocument(doc, keyDid, 'assertionMethod')[0]?.publicKey, key)
  await refused('did:key:z6MkNotBase58!!', 'DID_INVALID', createDidResolver({ suite }))
  await refused('did:key:zQ3sh', 'DID_INVALID', createDidResolver({ suite }))
})

test('resolver: unknown method -> DID_METHOD_UNSUPPORTED; not a DID -> DID_INVALID', async () => {
  await refused('did:example:123', 'DID_METHOD_UNSUPPORTED')
  await refused('not-a-did', 'DID_INVALID')
  await refused(`${alice.state.did}#sig-0`, 'DID_INVALID')
})

test('resolver: did:web over a real HTTP server (well-known and path forms)', async () => {
  const doc = await resolveDidDocument(web(), did)
  assert.equal(doc.id, did)
  assert.deepEqual(ed25519KeysFromDocument(doc, did, 'assertionMethod')[0]?.publicKey, webKey)
  assert.deepEqual(ed25519KeysFromDocument(doc, did, 'authentication')[0]?.publicKey, webKey) // relative reference
  assert.equal((await resolveDidDocument(web(), `${did}:users:alice`)).id, `${did}:users:alice`)
})

test('resolver: did:web refusals — 404, redirect, wrong id, duplicate members, not JSON, oversized', async () => {
  await refused(`${did}:missing`, 'DID_NOT_FOUND')
  await refused(`${did}:redirect`, 'DID_NOT_FOUND')
  await refused(`${did}:wrong`, 'DID_NOT_FOUND')
  await refused(`${did}:dup`, 'DID_NOT_FOUND')
  await refused(`${did}:notjson`, 'DID_NOT_FOUND')
  await refused(`${did}:big`, 'DID_NOT_FOUND')
  await refused(`${did}:stream`, 'DID_NOT_FOUND')
  // https by default: the plain-http test server is not reachable that way
  await refused(did, 'DID_NOT_FOUND', createDidResolver({ suite }))
})

test('resolver: did:web URL mapping and the injected fetch', async () => {
  assert.equal(didWebUrl('did:web:example.com'), 'https://example.com/.well-known/did.json')
  assert.equal(didWebUrl('did:web:Example.COM%3A8443:users:alice'), 'https://example.com:8443/users/alice/did.json')
  assert.equal(didWebUrl('did:web:example.com', true), 'http://example.com/.well-known/did.json')
  for (const bad of ['did:web:', 'did:web:exa_mple.com', 'did:web:example.com:..', 'did:web:example.com:%2e%2e', 'did:web:a%2Fb', 'did:web:user@host', 'did:web:example.com:a%2Fb', 'did:web:example.com:%ff']) {
    assert.equal(didWebUrl(bad), undefined, bad)
  }
  const calls: { url: string; init: RequestInit }[] = []
  const fetch: FetchFunction = async (url, init) => {
    calls.push({ url, init })
    return new Response(JSON.stringify(webDocument('did:web:example.com:alice')), { headers: { 'content-length': '10' } })
  }
  const doc = await resolveDidDocument(createDidResolver({ suite, fetch }), 'did:web:example.com:alice')
  assert.equal(doc.id, 'did:web:example.com:alice')
  assert.equal(calls[0]?.url, 'https://example.com/alice/did.json')
  assert.equal(calls[0]?.init.redirect, 'error')
  assert.ok(calls[0]?.init.signal instanceof AbortSignal)
  const huge: FetchFunction = async () => new Response('{}', { headers: { 'content-length': String(DID_WEB_MAX_DOCUMENT_BYTES + 1) } })
  await refused('did:web:example.com', 'DID_NOT_FOUND', createDidResolver({ suite, fetch: huge }))
  const failing: FetchFunction = async () => {
    throw new TypeError('network down')
  }
  await refused('did:web:example.com', 'DID_NOT_FOUND', createDidResolver({ suite, fetch: failing }))
  await refused('did:web:exa_mple.com', 'DID_INVALID', createDidResolver({ suite, fetch: failing }))
})

test('resolver: a did:web issuer — did-jwt-vc issues, Parley verifies through the resolver', async () => {
  const holder = alice.state.did
  const jwt = await createVerifiableCredentialJwt(
    {
      sub: holder,
      nbf: Math.floor(now.getTime() / 1000),
      vc: {
        '@context': ['https://www.w3.org/2018/credentials/v1'],
        type: ['VerifiableCredential', 'VerifiedHumanCredential'],
        credentialSubject: { verifiedHuman: true },
      },
    },
    { did, signer: EdDSASigner(webSeed), alg: 'EdDSA' },
  )
  const policy = validateTrustPolicy({ trustedIssuers: [did], acceptedTypes: ['VerifiedHumanCredential'], requirePq: false })
  const vc = await verifyCredential(jwt, { suite, policy, now, resolver: web() })
  assert.equal(vc.issuer, did)
  assert.equal(vc.subject, holder)
  // and Parley can issue as the did:web issuer too
  const own = await issueCredential({ suite, issuer: { ed25519Seed: webSeed, did, kid: `${did}#key-1` }, subject: holder, now })
  assert.equal((await verifyCredential(own, { suite, policy, now, resolver: web() })).issuer, did)
  // a key the document does not list is refused
  const other = await issueCredential({ suite, issuer: { ed25519Seed: new Uint8Array(32).fill(1), did }, subject: holder, now })
  await assert.rejects(verifyCredential(other, { suite, policy, now, resolver: web() }), { code: 'VC_SIGNATURE_INVALID' })
})
