/**
 * Wycheproof vectors for ML-KEM-768 (FIPS 203) on both backends.
 *
 * - mlkem_768_keygen_seed_test: seed → ek and the expanded dk.
 * - mlkem_768_test: seed, ciphertext c → K (including the implicit-rejection
 *   "strcmp" vectors); invalid seed or ciphertext lengths are refused.
 * - mlkem_768_encaps_test: ek, m → (c, K); encapsulation keys failing the
 *   FIPS 203 §7.2 modulus check must be refused with KEY_INVALID.
 *
 * Native limits, documented per vector form: node:crypto cannot encapsulate
 * with a fixed `m`, so on the native backend a valid encaps vector checks
 * (1) that the fixed-`m` call is refused with UNSUPPORTED, (2) that ek is
 * accepted and a fresh encapsulation has the right sizes, and, when the seed
 * of that ek is known from the other two files (130 of 133 vectors),
 * (3) that decapsulating the vector's c gives K and (4) that the fresh
 * encapsulation decapsulates to its own secret.
 */
import { test } from 'node:test'
import { nativeBackend, portableBackend } from '../../src/crypto/index.js'
import type { CryptoBackend } from '../../src/crypto/index.js'
import { fromHex, toHex } from '../../src/crypto/bytes.js'
import { equalBytes, hex, loadVectors, optionalHex, runVectors, throwsCode } from './wycheproof.js'

const backends: CryptoBackend[] = [nativeBackend, portableBackend]

/** ek (hex) → seed (hex), from the two files that carry both. */
function knownSeeds(): Map<string, string> {
  const seeds = new Map<string, string>()
  for (const name of ['mlkem_768_test', 'mlkem_768_keygen_seed_test']) {
    for (const group of loadVectors(name).testGroups) {
      for (const t of group.tests) {
        if (typeof t['ek'] === 'string' && typeof t['seed'] === 'string') seeds.set(t['ek'], t['seed'])
      }
    }
  }
  return seeds
}

for (const b of backends) {
  test(`wycheproof mlkem_768_keygen_seed_test on ${b.name}`, () => {
    runVectors(loadVectors('mlkem_768_keygen_seed_test'), (t) => {
      const seed = hex(t, 'seed')
      if (!equalBytes(b.mlKem768PublicKey(seed), hex(t, 'ek'))) return 'ek mismatch'
      if (!equalBytes(b.mlKem768ExpandedSecretKey(seed), hex(t, 'dk'))) return 'dk mismatch'
      return true
    })
  })

  test(`wycheproof mlkem_768_test on ${b.name}`, () => {
    runVectors(loadVectors('mlkem_768_test'), (t) => {
      const seed = hex(t, 'seed')
      const c = hex(t, 'c')
      if (t.result !== 'valid') {
        // Wrong seed length (KEY_INVALID) or wrong ciphertext length (INVALID_ARGUMENT).
        const refused =
          throwsCode(() => b.mlKem768Decapsulate(seed, c), 'KEY_INVALID', 'INVALID_ARGUMENT') &&
          throwsCode(() => b.mlKem768DecapsulateWithPublicKey(seed, c), 'KEY_INVALID', 'INVALID_ARGUMENT')
        return refused ? true : 'malformed input not refused'
      }
      const ek = optionalHex(t, 'ek')
      if (ek !== undefined && !equalBytes(b.mlKem768PublicKey(seed), ek)) return 'ek mismatch'
      if (!equalBytes(b.mlKem768Decapsulate(seed, c), hex(t, 'K'))) return 'K mismatch'
      const both = b.mlKem768DecapsulateWithPublicKey(seed, c)
      if (!equalBytes(both.sharedSecret, hex(t, 'K'))) return 'K mismatch (WithPublicKey)'
      if (!equalBytes(both.publicKey, b.mlKem768PublicKey(seed))) return 'ek mismatch (WithPublicKey)'
      return true
    })
  })

  test(`wycheproof mlkem_768_encaps_test on ${b.name}`, () => {
    const seeds = knownSeeds()
    runVectors(loadVectors('mlkem_768_encaps_test'), (t) => {
      const ek = hex(t, 'ek')
      const m = hex(t, 'm')
      if (t.result !== 'valid') {
        const refused = throwsCode(() => b.mlKem768Encapsulate(ek), 'KEY_INVALID') && (b.name === 'native' || throwsCode(() => b.mlKem768Encapsulate(ek, m), 'KEY_INVALID'))
        return refused ? true : 'invalid ek accepted'
      }
      const c = hex(t, 'c')
      const k = hex(t, 'K')
      if (b.name === 'portable') {
        const out = b.mlKem768Encapsulate(ek, m)
        return equalBytes(out.ciphertext, c) && equalBytes(out.sharedSecret, k) ? true : 'encapsulation mismatch'
      }
      if (!throwsCode(() => b.mlKem768Encapsulate(ek, m), 'UNSUPPORTED')) return 'fixed m not refused with UNSUPPORTED'
      const fresh = b.mlKem768Encapsulate(ek)
      if (fresh.ciphertext.length !== 1088 || fresh.sharedSecret.length !== 32) return 'fresh encapsulation sizes'
      const seedHex = seeds.get(toHex(ek))
      if (seedHex === undefined) return true
      const seed = fromHex(seedHex)
      if (!equalBytes(b.mlKem768Decapsulate(seed, c), k)) return 'vector c does not decapsulate to K'
      if (!equalBytes(b.mlKem768Decapsulate(seed, fresh.ciphertext), fresh.sharedSecret)) return 'fresh encapsulation does not round-trip'
      return true
    })
  })
}
