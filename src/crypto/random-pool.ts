/**
 * The native backend's randomness: node's `randomFillSync` (the OS CSPRNG
 * through OpenSSL's DRBG), with a small pool for short requests. Every
 * `randomFillSync` call costs ~7 µs whatever its length, which was a fifth
 * of a one-way ratchet message (one 12-byte nonce each); the pool draws
 * RANDOM_POOL_BYTES at once and hands them out in pieces.
 *
 * Why this is safe (docs/crypto.md, "Randomness"):
 * - The bytes handed out are CSPRNG output either way; a piece is copied out
 *   and its bytes in the pool are zeroed at once, so no byte is ever handed
 *   out twice and the pool never holds a byte that was already used.
 * - Only requests of at most RANDOM_POOL_MAX_REQUEST (12) bytes come from
 *   the pool; in Parley those are AES-GCM nonces, which go on the wire in
 *   clear. Every key, seed, token and id (16 bytes and more) is drawn fresh
 *   from the OS, so a disclosure of process memory reveals no *future*
 *   secret through the pool: post-compromise healing (fresh ratchet and
 *   prekey secrets after a compromise) is unaffected.
 * - Worker threads each load their own copy of this module (own pool).
 *   Node cannot fork a running process. A V8 startup snapshot would freeze
 *   the pool into every process started from it, so the pool is emptied
 *   when a snapshot is taken.
 */
import { randomFillSync } from 'node:crypto'
import { startupSnapshot } from 'node:v8'
import { RANDOM_POOL_BYTES, RANDOM_POOL_MAX_REQUEST } from '../constants.js'

const pool = new Uint8Array(RANDOM_POOL_BYTES)
/** Bytes before `next` are used (zeroed); the pool starts empty and is filled at first use. */
let next = RANDOM_POOL_BYTES

function emptyPool(): void {
  pool.fill(0)
  next = RANDOM_POOL_BYTES
}

if (startupSnapshot.isBuildingSnapshot()) startupSnapshot.addSerializeCallback(emptyPool)

/** `length` fresh random bytes (length already checked by the caller). */
export function randomBytes(length: number): Uint8Array {
  if (length > RANDOM_POOL_MAX_REQUEST) return randomFillSync(new Uint8Array(length))
  if (next + length > RANDOM_POOL_BYTES) {
    // The unused tail is dropped with the rest: refilling overwrites it all.
    randomFillSync(pool)
    next = 0
  }
  const end = next + length
  const out = pool.slice(next, end)
  pool.fill(0, next, end)
  next = end
  return out
}
