import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { defaultSuite as suite } from '../../src/crypto/index.js'
import { createIdentity, encodeKel, rotateIdentity } from '../../src/identity/index.js'
import {
  checkFetchedForCompact,
  createCompactInvite,
  createFullInvite,
  parseCompactInvite,
  verifyFullInvite,
} from '../../src/session/invite.js'
import { MemoryInviteStore } from '../../src/session/invite-store.js'
import { INVITE_COMPACT_MAX_BYTES } from '../../src/constants.js'
import { isParleyError } from '../../src/errors.js'
import { fuzzDecoder, fuzzStringDecoder } from '../helpers/fuzz.js'
import { runInviteStoreCompliance } from './compliance/invite-store.js'

const code = (c: string) => (err: unknown) => isParleyError(err) && err.code === c
const now = new Date('2026-11-22T12:00:00Z')
const inAWeek = new Date(now.getTime() + 7 * 24 * 3600 * 1000)
const alice = createIdentity(suite, { name: 'alice', now })
const bob = createIdentity(suite, { name: 'bob', now })
const bundle = suite.randomBytes(9000)
const rendezvous = { initial: new Uint8Array(16).fill(1), reset: new Uint8Array(16).fill(2) }
const addresses = [
  '/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWGzh9QbXhvYtqJHxWT4K3rJqPw3vYb5rQbZt9kV7uJxQe',
  '/dns4/relay.example.org/tcp/443/wss/p2p/12D3KooWRy6Zb8vPHmFqJqW3sCqkTnqVjUqB6n3xZ4zTq8sVwXyA',
]

test('full invite: verifies, carries what it was given, and is bound to its audience', () => {
  const bytes = createFullInvite(suite, { inviter: alice, bundle, addresses, rendezvous, now, expiresAt: inAWeek, audience: bob.state.did, purpose: 'introduction' })
  const invite = verifyFullInvite(suite, bytes, { now, me: bob.state.did })
  assert.equal(invite.inviter.did, alice.state.did)
  assert.deepEqual(invite.bundle, bundle)
  assert.deepEqual(invite.addresses, addresses)
  assert.deepEqual(invite.rendezvous, rendezvous)
  assert.equal(invite.purpose, 'introduction')
  assert.equal(invite.audience, bob.state.did)
  assert.equal(invite.token.length, 16)
  assert.throws(() => verifyFullInvite(suite, bytes, { now, me: alice.state.did }), code('INVITE_INVALID'))
})

test('full invite: expired, tampered, or signed by a rotated-out key is refused with its code', () => {
  const bytes = createFullInvite(suite, { inviter: alice, bundle, addresses, rendezvous, now, expiresAt: inAWeek })
  assert.throws(() => verifyFullInvite(suite, bytes, { now: inAWeek }), code('INVITE_EXPIRED'))
  const tampered = bytes.slice()
  const at = tampered.length - 4000
  tampered[at] = (tampered[at] as number) ^ 1
  assert.throws(() => verifyFullInvite(suite, tampered, { now }), (e: unknown) => isParleyError(e) && /^(KEL_|INVITE_|DECODE_)/.test(e.code))

  const old = { signing: alice.secrets.signing.slice() }
  const rotated = rotateIdentity(suite, alice.kel, { ...alice.secrets, signing: alice.secrets.signing.slice(), next: alice.secrets.next.slice(), agreement: alice.secrets.agreement.map((k) => k.slice()) }, { now })
  const stale = createFullInvite(suite, { inviter: { kel: rotated.kel, secrets: old }, bundle, addresses, rendezvous, now, expiresAt: inAWeek })
  assert.throws(() => verifyFullInvite(suite, stale, { now }), code('KEL_ROTATED_KEY'))
  assert.throws(() => createFullInvite(suite, { inviter: alice, bundle, addresses, rendezvous, now, expiresAt: now }), code('INVALID_ARGUMENT'))
})

test('compact invite: a parley: URI of at most 400 bytes that commits to the KEL and bundle', () => {
  const token = suite.randomBytes(16)
  const kel = encodeKel(alice.kel)
  const uri = createCompactInvite(suite, { kel, bundle, addresses, token, expiresAt: inAWeek })
  assert.ok(uri.startsWith('parley:'))
  assert.ok(uri.length <= INVITE_COMPACT_MAX_BYTES, `${uri.length} bytes`)
  const parsed = parseCompactInvite(uri, { now })
  assert.deepEqual(parsed.addresses, addresses)
  assert.deepEqual(parsed.token, token)
  assert.equal(checkFetchedForCompact(suite, parsed, { kel, bundle }).did, alice.state.did)
  const otherBundle = bundle.slice()
  otherBundle[0] = (otherBundle[0] as number) ^ 1
  assert.throws(() => checkFetchedForCompact(suite, parsed, { kel, bundle: otherBundle }), code('INVITE_DIGEST_MISMATCH'))
  assert.throws(() => checkFetchedForCompact(suite, parsed, { kel: encodeKel(bob.kel), bundle }), code('INVITE_DIGEST_MISMATCH'))
  assert.throws(() => parseCompactInvite(uri, { now: inAWeek }), code('INVITE_EXPIRED'))
  assert.throws(() => parseCompactInvite('https://example.org', { now }), code('INVITE_INVALID'))
  const many = Array.from({ length: 6 }, () => addresses[0] as string)
  assert.throws(() => createCompactInvite(suite, { kel, bundle, addresses: many, token, expiresAt: inAWeek }), code('INVITE_TOO_LARGE'))
})

test('compact invite: round trip for any addresses that fit', () => {
  const kel = encodeKel(alice.kel)
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^\/[a-z0-9/.]{1,60}$/), { maxLength: 3 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (addrs, token) => {
      const uri = createCompactInvite(suite, { kel, bundle, addresses: addrs, token, expiresAt: inAWeek })
      const parsed = parseCompactInvite(uri, { now })
      assert.deepEqual(parsed.addresses, addrs)
      assert.deepEqual(parsed.token, token)
    }),
    { numRuns: 200 },
  )
})

test('an invite is single use: the inviter redeems its token once', async () => {
  const store = new MemoryInviteStore()
  const bytes = createFullInvite(suite, { inviter: alice, bundle, addresses, rendezvous, now, expiresAt: inAWeek })
  const invite = verifyFullInvite(suite, bytes, { now })
  await store.issue(invite.token, { record: Uint8Array.of(1), expiresAt: invite.expiresAt })
  assert.deepEqual(await store.redeem(invite.token, now), Uint8Array.of(1))
  await assert.rejects(store.redeem(invite.token, now), code('INVITE_USED'))
})

runInviteStoreCompliance('MemoryInviteStore', async () => new MemoryInviteStore())

const fullSeed = createFullInvite(suite, { inviter: alice, bundle: suite.randomBytes(64), addresses: [], rendezvous, now, expiresAt: inAWeek })
fuzzDecoder('full invite', (b) => verifyFullInvite(suite, b, { now }), [fullSeed])
fuzzStringDecoder('compact invite URI', (s) => parseCompactInvite(s, { now }), [
  createCompactInvite(suite, { kel: encodeKel(alice.kel), bundle, addresses, token: new Uint8Array(16), expiresAt: inAWeek }),
])
