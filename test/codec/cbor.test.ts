import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decode, encode, fromHex, toHex } from '../../src/codec/index.js'
import type { CborValue } from '../../src/codec/index.js'
import { CODEC_MAX_DEPTH, CODEC_MAX_INPUT_BYTES, CODEC_MAX_ITEMS } from '../../src/constants.js'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import { cborValues } from '../helpers/cbor-values.js'

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isParleyError(err), `expected ParleyError, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    return true
  })
}

const refuses = (hex: string, code: ErrorCode): void => throwsCode(() => decode(fromHex(hex)), code)

/** A key-sorted map built without invoking the __proto__ setter. */
function map(entries: [string, CborValue][]): { [key: string]: CborValue } {
  const out: { [key: string]: CborValue } = {}
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
  return out
}

// ---------------------------------------------------------------------------
// RFC 8949 Appendix A vectors (the deterministic subset we support)
// ---------------------------------------------------------------------------

const VECTORS: [CborValue, string][] = [
  [0, '00'],
  [1, '01'],
  [10, '0a'],
  [23, '17'],
  [24, '1818'],
  [25, '1819'],
  [100, '1864'],
  [1000, '1903e8'],
  [1000000, '1a000f4240'],
  [1000000000000, '1b000000e8d4a51000'],
  [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
  [-1, '20'],
  [-10, '29'],
  [-100, '3863'],
  [-1000, '3903e7'],
  [Number.MIN_SAFE_INTEGER, '3b001ffffffffffffe'],
  [false, 'f4'],
  [true, 'f5'],
  [null, 'f6'],
  [new Uint8Array(0), '40'],
  [Uint8Array.of(1, 2, 3, 4), '4401020304'],
  ['', '60'],
  ['a', '6161'],
  ['IETF', '6449455446'],
  ['"\\', '62225c'],
  ['\u00fc', '62c3bc'],
  ['\u6c34', '63e6b0b4'],
  ['\ud800\udd51', '64f0908591'],
  [[], '80'],
  [[1, 2, 3], '83010203'],
  [[1, [2, 3], [4, 5]], '8301820203820405'],
  [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
  [{}, 'a0'],
  [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
  [['a', { b: 'c' }], '826161a161626163'],
  [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
]

test('encode matches the RFC 8949 Appendix A vectors', () => {
  for (const [value, hex] of VECTORS) assert.equal(toHex(encode(value)), hex, JSON.stringify(value))
})

test('decode reads the RFC 8949 Appendix A vectors', () => {
  for (const [value, hex] of VECTORS) assert.deepStrictEqual(decode(fromHex(hex)), value, hex)
})

test('encode sorts map keys bytewise on their encodings (RFC 8949 §4.2.1)', () => {
  // "b" (61 62) sorts before "aa" (62 61 61): shorter encodings first, then bytewise
  assert.equal(toHex(encode({ aa: 1, b: 2, a: 0 })), 'a361610061620262616101')
  // a 24-byte key has a two-byte head (78 18) and sorts after every 23-byte key (77 ..)
  const long = 'a'.repeat(24)
  const short = 'z'.repeat(23)
  const bytes = encode({ [long]: 1, [short]: 2 })
  assert.equal(bytes[1], 0x77)
  assert.deepStrictEqual(Object.keys(decode(bytes) as object), [short, long])
})

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

const cborValue = cborValues()

test('property: decode(encode(v)) deep-equals v', () => {
  fc.assert(
    fc.property(cborValue, (v) => {
      assert.deepStrictEqual(decode(encode(v)), v)
    }),
    { numRuns: 2000 },
  )
})

test('property: encoding is deterministic (re-encoding a decode gives the same bytes)', () => {
  fc.assert(
    fc.property(cborValue, (v) => {
      const bytes = encode(v)
      assert.deepStrictEqual(encode(decode(bytes)), bytes)
      assert.deepStrictEqual(encode(structuredClone(v)), bytes)
    }),
    { numRuns: 2000 },
  )
})

test('property: key insertion order does not change the encoding', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { noNullPrototype: true }), (d) => {
      const reversed = map(Object.entries(d).reverse())
      assert.deepStrictEqual(encode(reversed), encode(d))
    }),
  )
})

test('property: any byte string decodes or throws a ParleyError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try {
        decode(b)
      } catch (err) {
        assert.ok(isParleyError(err), String(err))
      }
    }),
    { numRuns: 5000 },
  )
})

// ---------------------------------------------------------------------------
// Decode refusals
// ---------------------------------------------------------------------------

test('decode refuses indefinite lengths', () => {
  refuses('9f00ff', 'DECODE_FAILED') // array
  refuses('bf616100ff', 'DECODE_FAILED') // map
  refuses('5f4100ff', 'DECODE_FAILED') // byte string
  refuses('7f6161ff', 'DECODE_FAILED') // text string
  refuses('ff', 'DECODE_FAILED') // lone break
  refuses('8100ff', 'DECODE_FAILED') // break after a definite array
})

test('decode refuses duplicate map keys', () => {
  refuses('a2616101616102', 'DECODE_FAILED')
  refuses('a2600060' + '01', 'DECODE_FAILED')
})

test('decode refuses map keys out of canonical order', () => {
  refuses('a2616201616102', 'DECODE_NOT_CANONICAL') // "b" then "a"
  refuses('a262616101616202', 'DECODE_NOT_CANONICAL') // "aa" then "b": shorter encodings sort first
  refuses('a1616ba2616201616102', 'DECODE_NOT_CANONICAL') // nested map
})

test('decode refuses non-minimal integers and lengths', () => {
  refuses('1817', 'DECODE_NOT_CANONICAL') // 23 in two bytes
  refuses('190017', 'DECODE_NOT_CANONICAL')
  refuses('1900ff', 'DECODE_NOT_CANONICAL')
  refuses('1a0000ffff', 'DECODE_NOT_CANONICAL')
  refuses('1b00000000ffffffff', 'DECODE_NOT_CANONICAL')
  refuses('3817', 'DECODE_NOT_CANONICAL') // -24 in two bytes
  refuses('580100', 'DECODE_NOT_CANONICAL') // byte string length
  refuses('780161', 'DECODE_NOT_CANONICAL') // text length
  refuses('980100', 'DECODE_NOT_CANONICAL') // array length
  refuses('b801616100', 'DECODE_NOT_CANONICAL') // map length
})

test('decode refuses tags, floats, undefined and other simple values', () => {
  refuses('c074323031332d30332d32315432303a30343a30305a', 'DECODE_FAILED') // tag 0
  refuses('d82076687474703a2f2f7777772e6578616d706c652e636f6d', 'DECODE_FAILED') // tag 32
  refuses('c249010000000000000000', 'DECODE_FAILED') // bignum
  refuses('f93c00', 'DECODE_FAILED') // 1.0 half
  refuses('fa47c35000', 'DECODE_FAILED') // single
  refuses('fb3ff199999999999a', 'DECODE_FAILED') // 1.1 double
  refuses('f97e00', 'DECODE_FAILED') // NaN
  refuses('f97c00', 'DECODE_FAILED') // Infinity
  refuses('f7', 'DECODE_FAILED') // undefined
  refuses('f0', 'DECODE_FAILED') // simple(16)
  refuses('f8ff', 'DECODE_FAILED') // simple(255)
  refuses('1c', 'DECODE_FAILED') // reserved additional information
  refuses('fc', 'DECODE_FAILED')
})

test('decode refuses integers beyond the safe range', () => {
  refuses('1b0020000000000000', 'DECODE_FAILED') // 2^53
  refuses('1bffffffffffffffff', 'DECODE_FAILED')
  refuses('3b001fffffffffffff', 'DECODE_FAILED') // -2^53
  refuses('3bffffffffffffffff', 'DECODE_FAILED')
})

test('decode refuses trailing bytes, empty and truncated input', () => {
  refuses('0000', 'DECODE_FAILED')
  refuses('a0a0', 'DECODE_FAILED')
  refuses('', 'DECODE_FAILED')
  refuses('19', 'DECODE_FAILED')
  refuses('1901', 'DECODE_FAILED')
  refuses('43010203'.slice(0, 6), 'DECODE_FAILED')
  refuses('8301', 'DECODE_FAILED')
  refuses('a161', 'DECODE_FAILED')
  refuses('a16161', 'DECODE_FAILED')
})

test('decode refuses non-text map keys', () => {
  refuses('a10102', 'DECODE_FAILED')
  refuses('a1410102', 'DECODE_FAILED')
  refuses('a1f600', 'DECODE_FAILED')
  refuses('a1f400', 'DECODE_FAILED')
  refuses('a1800102', 'DECODE_FAILED')
  refuses('a1a00102', 'DECODE_FAILED')
})

test('decode refuses invalid UTF-8', () => {
  refuses('62c328', 'DECODE_FAILED') // bad continuation
  refuses('61ff', 'DECODE_FAILED')
  refuses('63eda080', 'DECODE_FAILED') // encoded surrogate U+D800
  refuses('62c0af', 'DECODE_FAILED') // overlong '/'
  refuses('64f4908080', 'DECODE_FAILED') // beyond U+10FFFF
  refuses('a161ff00', 'DECODE_FAILED') // in a key
})

test('decode keeps a leading U+FEFF (cborg alone would strip it)', () => {
  assert.equal(decode(fromHex('63efbbbf')), '\ufeff')
  assert.equal(decode(encode('\ufeffx'.repeat(20))), '\ufeffx'.repeat(20))
})

test('decode refuses nesting deeper than CODEC_MAX_DEPTH', () => {
  const ok = '81'.repeat(CODEC_MAX_DEPTH - 1) + '80'
  assert.ok(Array.isArray(decode(fromHex(ok))))
  refuses('81'.repeat(CODEC_MAX_DEPTH) + '80', 'DECODE_TOO_DEEP')
  refuses('a16161'.repeat(CODEC_MAX_DEPTH) + 'a0', 'DECODE_TOO_DEEP')
  // a deep input far beyond the limit fails fast, without recursing
  const huge = new Uint8Array(100_000).fill(0x81)
  throwsCode(() => decode(huge), 'DECODE_TOO_DEEP')
  throwsCode(() => decode(fromHex('8180'), { maxDepth: 1 }), 'DECODE_TOO_DEEP')
})

test('decode refuses more than CODEC_MAX_ITEMS items in one container', () => {
  const okArray = new Uint8Array(3 + CODEC_MAX_ITEMS)
  okArray.set([0x99, CODEC_MAX_ITEMS >> 8, CODEC_MAX_ITEMS & 0xff])
  assert.equal((decode(okArray) as CborValue[]).length, CODEC_MAX_ITEMS)
  const n = CODEC_MAX_ITEMS + 1
  const tooMany = new Uint8Array(3 + n)
  tooMany.set([0x99, n >> 8, n & 0xff])
  throwsCode(() => decode(tooMany), 'DECODE_TOO_LARGE')
  refuses('b91001', 'DECODE_TOO_LARGE') // map of 4097 entries, checked before reading any
  throwsCode(() => decode(fromHex('83010203'), { maxItems: 2 }), 'DECODE_TOO_LARGE')
})

test('decode refuses input larger than CODEC_MAX_INPUT_BYTES before reading it', () => {
  const big = new Uint8Array(CODEC_MAX_INPUT_BYTES + 1)
  throwsCode(() => decode(big), 'DECODE_TOO_LARGE')
  throwsCode(() => decode(fromHex('4401020304'), { maxBytes: 4 }), 'DECODE_TOO_LARGE')
  // a byte string of exactly the limit is fine
  const atLimit = encode(new Uint8Array(CODEC_MAX_INPUT_BYTES - 5))
  assert.equal(atLimit.length, CODEC_MAX_INPUT_BYTES)
  assert.equal((decode(atLimit) as Uint8Array).length, CODEC_MAX_INPUT_BYTES - 5)
})

test('a declared length of 2^32 on a 10-byte input is refused at once, without allocating', () => {
  const inputs = [
    '9b000000010000000000', // array of 2^32
    'bb000000010000000000', // map of 2^32
    '5b000000010000000000', // bytes of 2^32
    '7b000000010000000000', // text of 2^32
    '9affffffff00', // array of 2^32 - 1
    '5affffffff00',
    '9bffffffffffffffff00', // array of 2^64 - 1
    '5bffffffffffffffff00',
  ]
  const before = process.memoryUsage().arrayBuffers
  const t0 = performance.now()
  for (const hex of inputs) {
    assert.throws(
      () => decode(fromHex(hex)),
      (err: unknown) => isParleyError(err, 'DECODE_TOO_LARGE') || isParleyError(err, 'DECODE_FAILED'),
    )
  }
  assert.ok(performance.now() - t0 < 50, 'refusal took too long')
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'refusal allocated')
  refuses('9b000000010000000000', 'DECODE_TOO_LARGE')
  refuses('5b000000010000000000', 'DECODE_FAILED')
  // within the item limit but past the end of the input
  refuses('990fff00', 'DECODE_FAILED')
  refuses('b9080000', 'DECODE_FAILED')
})

test('decode wraps every failure: never a raw Error, cause kept', () => {
  for (const hex of ['8301', 'a161', '62c328', '9f00ff']) {
    assert.throws(
      () => decode(fromHex(hex)),
      (err: unknown) => isParleyError(err) && err.code.startsWith('DECODE_'),
    )
  }
  const err = (() => {
    try {
      decode(fromHex('62c328'))
    } catch (e) {
      return e
    }
  })()
  assert.ok(isParleyError(err) && err.cause instanceof Error)
  // @ts-expect-error not a Uint8Array
  throwsCode(() => decode('a0'), 'DECODE_FAILED')
})

test('decode rejects invalid limits as misuse', () => {
  throwsCode(() => decode(fromHex('00'), { maxDepth: 0 }), 'INVALID_ARGUMENT')
  throwsCode(() => decode(fromHex('00'), { maxItems: 1.5 }), 'INVALID_ARGUMENT')
  throwsCode(() => decode(fromHex('00'), { maxBytes: Number.NaN }), 'INVALID_ARGUMENT')
})

// ---------------------------------------------------------------------------
// Decode output
// ---------------------------------------------------------------------------

test('decoded byte strings are copies, not views of the input', () => {
  const input = encode({ a: new Uint8Array(100).fill(1), b: Uint8Array.of(2), c: new Uint8Array(0) })
  const out = decode(input) as Record<string, Uint8Array>
  input.fill(0)
  assert.deepStrictEqual(out['a'], new Uint8Array(100).fill(1))
  assert.deepStrictEqual(out['b'], Uint8Array.of(2))
  for (const b of Object.values(out)) {
    assert.notEqual(b.buffer, input.buffer)
    assert.equal(Object.getPrototypeOf(b), Uint8Array.prototype)
  }
  // empty byte strings are distinct objects too
  assert.notEqual((decode(fromHex('40')) as Uint8Array), decode(fromHex('40')))
})

test('decode accepts a Buffer or a subarray and still returns plain Uint8Array copies', () => {
  const inner = encode(Uint8Array.of(9, 9, 9))
  const padded = new Uint8Array(inner.length + 4)
  padded.set(inner, 2)
  assert.deepStrictEqual(decode(padded.subarray(2, 2 + inner.length)), Uint8Array.of(9, 9, 9))
  const out = decode(Buffer.from(inner)) as Uint8Array
  assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype)
  assert.deepStrictEqual(out, Uint8Array.of(9, 9, 9))
})

test('a "__proto__" key is an own property, not a prototype change', () => {
  const value = map([['__proto__', 1], ['a', 2]])
  const out = decode(encode(value)) as Record<string, CborValue>
  assert.ok(Object.hasOwn(out, '__proto__'))
  assert.equal(Object.getPrototypeOf(out), Object.prototype)
  assert.deepStrictEqual(out, value)
})

// ---------------------------------------------------------------------------
// Encode refusals
// ---------------------------------------------------------------------------

test('encode refuses floats, unsafe integers, NaN and Infinity', () => {
  for (const n of [1.5, -0.1, Number.NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), Number.MAX_VALUE]) {
    throwsCode(() => encode(n), 'ENCODE_FAILED')
    throwsCode(() => encode({ a: [n] }), 'ENCODE_FAILED')
  }
})

test('encode writes -0 as the integer 0', () => {
  assert.equal(toHex(encode(-0)), '00')
})

test('encode refuses values outside the data model', () => {
  const bad: unknown[] = [
    undefined,
    10n,
    () => 1,
    Symbol('x'),
    new Date(0),
    new Map(),
    new Set(),
    /x/,
    new Uint16Array(2),
    new ArrayBuffer(2),
    new (class Point {
      x = 1
    })(),
    { a: undefined },
    [1, undefined],
    // eslint-disable-next-line no-sparse-arrays
    [1, , 3],
    { [Symbol('s')]: 1 },
    '\ud800',
    { '\udc00': 1 },
  ]
  for (const v of bad) throwsCode(() => encode(v as CborValue), 'ENCODE_FAILED')
})

test('encode refuses cycles and values over the limits', () => {
  const cyclic: CborValue[] = []
  cyclic.push(cyclic)
  throwsCode(() => encode(cyclic), 'ENCODE_FAILED')
  let deep: CborValue = []
  for (let i = 1; i < CODEC_MAX_DEPTH; i++) deep = [deep]
  assert.ok(encode(deep))
  throwsCode(() => encode([deep]), 'ENCODE_FAILED')
  throwsCode(() => encode(new Array<CborValue>(CODEC_MAX_ITEMS + 1).fill(0)), 'ENCODE_FAILED')
  throwsCode(() => encode(new Uint8Array(CODEC_MAX_INPUT_BYTES)), 'ENCODE_FAILED')
  // raised limits let a known-large structure through, and decode needs the same limits
  const long = new Array<CborValue>(CODEC_MAX_ITEMS + 1).fill(0)
  const bytes = encode(long, { maxItems: 10_000 })
  throwsCode(() => decode(bytes), 'DECODE_TOO_LARGE')
  assert.equal((decode(bytes, { maxItems: 10_000 }) as CborValue[]).length, CODEC_MAX_ITEMS + 1)
})

test('encode accepts null-prototype maps and Buffers, and returns a fresh plain Uint8Array', () => {
  const m = Object.create(null) as Record<string, CborValue>
  m['b'] = Buffer.from([1, 2])
  m['a'] = 1
  const out = encode(m)
  assert.equal(toHex(out), 'a2616101616242' + '0102')
  assert.equal(Object.getPrototypeOf(out), Uint8Array.prototype)
  assert.equal(out.byteOffset, 0)
  assert.equal(out.buffer.byteLength, out.length)
  const again = encode(m)
  assert.notEqual(again.buffer, out.buffer)
})
