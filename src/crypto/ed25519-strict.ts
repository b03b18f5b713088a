/**
 * Strict Ed25519 public-key screening for the native backend (RFC 8032
 * §5.1.3 decoding, plus the small-order rejection of strict verifiers).
 * RFC 8032 does not require refusing small-order public keys, and OpenSSL
 * documents no such check (the 3.5 build in Node 24 happens to refuse the
 * forgeries the tests craft); @noble/curves with `zip215: false` refuses
 * them by design. This check makes the native backend refuse exactly the
 * keys the portable one refuses, whatever OpenSSL is linked. It is input
 * validation by comparison against fixed encodings, not curve arithmetic.
 *
 * Known residual difference: OpenSSL checks the cofactorless equation
 * [S]B = R + [k]A, noble the cofactored one [8][S]B = [8]R + [8][k]A
 * (both allowed by RFC 8032 §5.1.7). They disagree only on signatures a
 * signer deliberately crafts with a small-order component in R or A.
 */

/** p = 2^255 − 19, little-endian, as the 32-byte field encoding. */
const P_LE = Uint8Array.from([
  0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
])

/**
 * The y-coordinates (sign bit cleared) of the eight points of the torsion
 * subgroup E[8]: y = 1 (identity), y = p − 1 (order 2), y = 0 (order 4), and
 * ±y₈ (order 8). A key whose y is one of these is a small-order point for
 * either sign of x. The test suite re-derives this list with noble.
 */
const SMALL_ORDER_Y = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
].map((hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)))

/** y (the low 255 bits, little-endian) compared with p: true when y < p (§5.1.3 step 1). */
function yIsCanonical(key: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const k = i === 31 ? (key[i] ?? 0) & 0x7f : (key[i] ?? 0)
    const p = P_LE[i] ?? 0
    if (k !== p) return k < p
  }
  return false // y == p
}

function yEquals(key: Uint8Array, y: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const k = i === 31 ? (key[i] ?? 0) & 0x7f : (key[i] ?? 0)
    if (k !== y[i]) return false
  }
  return true
}

/**
 * True when the 32-byte `publicKey` is a canonical encoding of a point that
 * is not of small order. (Points off the curve are refused later by the
 * verifier itself.) Public data: no constant-time requirement.
 */
export function isStrictEd25519PublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32 || !yIsCanonical(publicKey)) return false
  return !SMALL_ORDER_Y.some((y) => yEquals(publicKey, y))
}
