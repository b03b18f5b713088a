/**
 * Wycheproof vectors for X25519 (RFC 7748) and Ed25519 (RFC 8032) on both
 * backends, plus the RFC 8032 §7.1 signing vectors (Wycheproof's Ed25519 file
 * has verification vectors only).
 *
 * X25519: every vector is run through `x25519`, `x25519WithPublicKey` and
 * `x25519Encapsulate` (private key as the ephemeral secret). A vector whose
 * shared secret is all zero ("acceptable" low-order public keys) must be
 * refused with X25519_ZERO_SHARED (RFC 7748 §6.1); every other vector, valid
 * or acceptable (twist, non-canonical u), must compute the expected value.
 *
 * Ed25519: strict verification; a valid vector verifies, an invalid one does
 * not (non-canonical R or S, malleability, wrong lengths).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { nativeBackend, portableBackend } from '../../src/crypto/index.js'
import type { CryptoBackend } from '../../src/crypto/index.js'
import { fromHex } from '../../src/crypto/bytes.js'
import { equalBytes, hex, loadVectors, runVectors, throwsCode } from './wycheproof.js'

const backends: CryptoBackend[] = [nativeBackend, portableBackend]

/** RFC 8032 §7.1 TEST 1, 2, 3 and TEST 1024 (seed, public key, message, signature). */
const RFC8032 = [
  [
    '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  ],
  [
    '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  ],
  [
    'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  ],
] as const

for (const b of backends) {
  test(`wycheproof x25519_test on ${b.name}`, () => {
    runVectors(loadVectors('x25519_test'), (t) => {
      const priv = hex(t, 'private')
      const pub = hex(t, 'public')
      const shared = hex(t, 'shared')
      if (shared.every((x) => x === 0)) {
        const refused =
          throwsCode(() => b.x25519(priv, pub), 'X25519_ZERO_SHARED') &&
          throwsCode(() => b.x25519WithPublicKey(priv, pub), 'X25519_ZERO_SHARED') &&
          throwsCode(() => b.x25519Encapsulate(pub, priv), 'X25519_ZERO_SHARED')
        return refused ? true : 'all-zero shared secret not refused'
      }
      if (!equalBytes(b.x25519(priv, pub), shared)) return 'x25519 mismatch'
      const withPub = b.x25519WithPublicKey(priv, pub)
      if (!equalBytes(withPub.sharedSecret, shared)) return 'x25519WithPublicKey mismatch'
      if (!equalBytes(withPub.ownPublicKey, b.x25519PublicKey(priv))) return 'ownPublicKey mismatch'
      const enc = b.x25519Encapsulate(pub, priv)
      if (!equalBytes(enc.sharedSecret, shared) || !equalBytes(enc.ciphertext, withPub.ownPublicKey)) return 'x25519Encapsulate mismatch'
      return true
    })
  })

  test(`wycheproof ed25519_test on ${b.name}`, () => {
    runVectors(loadVectors('ed25519_test'), (t, group) => {
      const pk = hex(group['publicKey'] as Record<string, unknown>, 'pk')
      const ok = b.ed25519Verify(pk, hex(t, 'msg'), hex(t, 'sig'))
      return ok === (t.result === 'valid') ? true : `verify returned ${ok}`
    })
  })

  test(`RFC 8032 §7.1 Ed25519 signing vectors on ${b.name}`, () => {
    for (const [seed, pub, msg, sig] of RFC8032) {
      assert.deepEqual(b.ed25519PublicKey(fromHex(seed)), fromHex(pub))
      assert.deepEqual(b.ed25519Sign(fromHex(seed), fromHex(msg)), fromHex(sig))
      assert.equal(b.ed25519Verify(fromHex(pub), fromHex(msg), fromHex(sig)), true)
    }
  })
}
