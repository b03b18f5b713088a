/**
 * Crypto benchmarks: every primitive of the parley-1 suite on the native
 * backend (node:crypto) side by side with the portable one (@noble), then the
 * hybrids (sign, verify, KEM encapsulate + decapsulate) on both suites. Each
 * row is native ops/s with the portable figure as baseline; `ratio` is
 * native / portable. Candidates run in interleaved rounds and the median is
 * reported (harness.ts).
 *
 * The native hybrid KEM (encapsulate + decapsulate) must be at least
 * KEM_TARGET_RATIO times the portable one; a warning is printed when not.
 */
import { ARGON2_MEMORY_KIB, ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_PASSES, ARGON2_PARALLELISM, ARGON2_PASSES, LABELS } from '../src/constants.js'
import { createSuite, nativeBackend, portableBackend } from '../src/crypto/index.js'
import type { CryptoBackend, Suite } from '../src/crypto/index.js'
import { measureOpsPerSecond } from './harness.js'
import type { BenchRow, MeasureOptions } from './harness.js'

/** Native hybrid KEM encaps+decaps must be at least this many times the portable one. */
export const KEM_TARGET_RATIO = 10

type Op = () => unknown

async function sideBySide(metric: string, native: Op, portable: Op, opts: MeasureOptions = {}): Promise<BenchRow> {
  const ops = await measureOpsPerSecond(
    [
      { name: 'native', op: native },
      { name: 'portable', op: portable },
    ],
    opts,
  )
  const value = ops.get('native') ?? 0
  const baselineValue = ops.get('portable') ?? 0
  return { metric, value, unit: 'ops/s', baseline: 'portable', baselineValue, ratio: baselineValue > 0 ? value / baselineValue : null }
}

/** The same operation on both backends, built by `make(backend)`. */
function both(metric: string, make: (b: CryptoBackend) => Op, opts?: MeasureOptions): Promise<BenchRow> {
  return sideBySide(metric, make(nativeBackend), make(portableBackend), opts)
}

/** The same operation on both suites, built by `make(suite)`. */
function bothSuites(metric: string, make: (s: Suite) => Op, opts?: MeasureOptions): Promise<BenchRow> {
  return sideBySide(metric, make(createSuite(nativeBackend)), make(createSuite(portableBackend)), opts)
}

export async function runCryptoBench(): Promise<BenchRow[]> {
  const kib = new Uint8Array(1024).fill(1)
  const key = new Uint8Array(32).fill(2)
  const nonce12 = new Uint8Array(12).fill(3)
  const nonce24 = new Uint8Array(24).fill(3)
  const empty = new Uint8Array(0)
  const seed32 = new Uint8Array(32).fill(4)
  const seed64 = new Uint8Array(64).fill(5)
  const msg = new Uint8Array(256).fill(6)

  const x25519Peer = nativeBackend.x25519PublicKey(new Uint8Array(32).fill(7))
  const edPub = nativeBackend.ed25519PublicKey(seed32)
  const edSig = nativeBackend.ed25519Sign(seed32, msg)
  const ek = nativeBackend.mlKem768PublicKey(seed64)
  const kemCt = nativeBackend.mlKem768Encapsulate(ek).ciphertext
  const dsaPub = nativeBackend.mlDsa65PublicKey(seed32)
  const dsaSig = nativeBackend.mlDsa65Sign(seed32, msg)
  const sigKeys = createSuite(nativeBackend).generateSigningKey(seed32)
  const hybridSig = createSuite(nativeBackend).sign(sigKeys.secretKey, LABELS.kelEvent, msg)
  const kemKeys = createSuite(nativeBackend).generateKemKey(seed32)
  const password = new TextEncoder().encode('correct horse battery staple')
  const salt = new Uint8Array(16).fill(8)
  const slow: MeasureOptions = { rounds: 3, minBatchMs: 100 }

  const rows: BenchRow[] = []
  rows.push(await both('sha256 (1 KiB)', (b) => () => b.sha256(kib)))
  rows.push(await both('sha3-256 (1 KiB)', (b) => () => b.sha3_256(kib)))
  rows.push(await both('shake256 (1 KiB → 64 B)', (b) => () => b.shake256(kib, 64)))
  rows.push(await both('hmac-sha256 (1 KiB)', (b) => () => b.hmacSha256(key, kib)))
  rows.push(await both('hkdf-sha256 (32 B → 32 B)', (b) => () => b.hkdfSha256(key, empty, nonce12, 32)))
  rows.push(await both('aes-256-gcm seal (1 KiB)', (b) => () => b.aesGcmSeal(key, nonce12, kib, empty)))
  rows.push(await both('chacha20-poly1305 seal (1 KiB)', (b) => () => b.chacha20Poly1305Seal(key, nonce12, kib, empty)))
  rows.push(await both('xchacha20-poly1305 seal (1 KiB; native delegates to noble)', (b) => () => b.xchacha20Poly1305Seal(key, nonce24, kib, empty)))
  rows.push(await both('x25519 agreement', (b) => () => b.x25519(seed32, x25519Peer)))
  rows.push(await both('ed25519 sign', (b) => () => b.ed25519Sign(seed32, msg)))
  rows.push(await both('ed25519 verify', (b) => () => b.ed25519Verify(edPub, msg, edSig)))
  rows.push(await both('ml-kem-768 keygen (seed → ek)', (b) => () => b.mlKem768PublicKey(seed64)))
  rows.push(await both('ml-kem-768 encapsulate', (b) => () => b.mlKem768Encapsulate(ek)))
  rows.push(await both('ml-kem-768 decapsulate (from seed)', (b) => () => b.mlKem768Decapsulate(seed64, kemCt)))
  rows.push(await both('ml-dsa-65 sign (from seed)', (b) => () => b.mlDsa65Sign(seed32, msg)))
  rows.push(await both('ml-dsa-65 verify', (b) => () => b.mlDsa65Verify(dsaPub, msg, dsaSig)))
  rows.push(
    await both(
      `argon2id (${ARGON2_MIN_MEMORY_KIB / 1024} MiB, t=${ARGON2_MIN_PASSES}: the floor)`,
      (b) => () => b.argon2id(password, salt, { memoryKiB: ARGON2_MIN_MEMORY_KIB, passes: ARGON2_MIN_PASSES, parallelism: 1, length: 32 }),
      slow,
    ),
  )
  rows.push(
    await both(
      `argon2id (${ARGON2_MEMORY_KIB / 1024} MiB, t=${ARGON2_PASSES}: the default)`,
      (b) => () => b.argon2id(password, salt, { memoryKiB: ARGON2_MEMORY_KIB, passes: ARGON2_PASSES, parallelism: ARGON2_PARALLELISM, length: 32 }),
      slow,
    ),
  )
  rows.push(await bothSuites('hybrid signing keygen (seed)', (s) => () => s.generateSigningKey(seed32)))
  rows.push(await bothSuites('hybrid sign (Ed25519 + ML-DSA-65)', (s) => () => s.sign(sigKeys.secretKey, LABELS.kelEvent, msg)))
  rows.push(await bothSuites('hybrid verify (Ed25519 + ML-DSA-65)', (s) => () => s.verify(sigKeys.publicKey, LABELS.kelEvent, msg, hybridSig)))
  const kem = await bothSuites('hybrid KEM encapsulate + decapsulate (ML-KEM-768 + X25519)', (s) => () => {
    const { ciphertext } = s.encapsulate(kemKeys.publicKey)
    return s.decapsulate(kemKeys.secretKey, ciphertext)
  })
  rows.push(kem)
  if (kem.ratio !== null && kem.ratio < KEM_TARGET_RATIO) {
    console.warn(`bench: native hybrid KEM is only ${kem.ratio.toFixed(1)}× the portable one (target ${KEM_TARGET_RATIO}×)`)
  }
  return rows
}
