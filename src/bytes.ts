/**
 * Small byte-array helpers for non-secret data: equality, concatenation and
 * the bytewise lexicographic order that RFC 8949 §4.2.1 uses to sort map keys
 * on their encodings. None of these is constant-time: compare secrets (MACs,
 * keys, shared secrets) with the crypto layer's constant-time equality instead.
 */

/**
 * True when `a` and `b` hold the same bytes. Not constant-time: for public
 * data (digests, identifiers, encodings) only.
 *
 * @example
 * bytesEqual(new Uint8Array([1, 2]), Uint8Array.of(1, 2)) // true
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Bytewise lexicographic comparison (RFC 8949 §4.2.1): negative when `a` sorts
 * before `b`, zero when equal, positive otherwise. A proper prefix sorts first.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/**
 * A fresh array holding `parts` one after another.
 *
 * @example
 * concatBytes(Uint8Array.of(1), Uint8Array.of(2, 3)) // Uint8Array [1, 2, 3]
 */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0
  for (const p of parts) total += p.length
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
