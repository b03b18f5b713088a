import { bytesEqual, decode, decodeVersioned, encode, encodeVersioned, fromBase64url, fromHex } from '../../src/codec/index.js'
import type { CborValue } from '../../src/codec/index.js'
import { fuzzDecoder, fuzzStringDecoder } from '../helpers/fuzz.js'

const nested = {
  id: new Uint8Array(32).fill(7),
  name: 'alice \u00e9\u{1f600}',
  seq: 1_000_000,
  neg: -300,
  flags: [true, false, null],
  keys: [{ t: 1, k: new Uint8Array(40).fill(1) }, { t: 2, k: new Uint8Array(300).fill(2) }],
  deep: [[[[{ a: [[[]]] }]]]],
}

let deepest: CborValue = { k: [1] }
for (let i = 0; i < 14; i++) deepest = [deepest]
const manyKeys = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i % 2 === 0 ? i : `v${i}`]))

const cborSeeds = [
  encode(deepest),
  encode(manyKeys),
  encode(nested),
  encode([1, 'two', Uint8Array.of(3), { four: 4 }]),
  encode({ a: 0, b: { c: [24, 256, 65536, 4294967296] } }),
  encode(Array.from({ length: 30 }, (_, i) => i * 1000)),
  encode('x'.repeat(300)),
  encode(new Uint8Array(70_000)),
  encode(null),
]

/**
 * Besides "returns or throws a ParleyError": whatever decode accepts must be
 * exactly what encode writes for that value (decode accepts canonical bytes
 * only), so a strictness gap shows up as a plain Error and fails the run.
 */
function decodeCanonicalOnly(b: Uint8Array): unknown {
  const value = decode(b)
  if (!bytesEqual(encode(value), b)) throw new Error('decode accepted a non-canonical encoding')
  return value
}

fuzzDecoder('cbor decode', decodeCanonicalOnly, cborSeeds)

const envelopeSeeds = [
  encodeVersioned('parley/fuzz', 1, nested),
  encodeVersioned('parley/fuzz', 2, [1, 2, 3]),
  encodeVersioned('parley/other', 1, {}),
  encodeVersioned('parley/fuzz', 9, null),
]

fuzzDecoder('cbor decodeVersioned', (b) => decodeVersioned(b, 'parley/fuzz', [1, 2]), envelopeSeeds)

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/'

fuzzStringDecoder('fromBase64url', (s) => fromBase64url(s, 'fuzz', 4096), ['', 'Zg', 'Zm8', 'Zm9vYmFy', 'AAAA_-_-', 'eyJhbGciOiJFZERTQSJ9'], {
  alphabet: B64_ALPHABET,
})

fuzzStringDecoder('fromHex', (s) => fromHex(s, 'fuzz', 4096), ['', '00', '0123456789abcdef', 'ff'.repeat(40)], {
  alphabet: '0123456789abcdefABCDEF',
})
