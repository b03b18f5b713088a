/**
 * The codec's encoder (src/codec/writer.ts, behind `encode`) against an
 * independent oracle: cborg's RFC 8949 deterministic encoder, given the same
 * value with maps as Map. The same bytes on generated values, which the
 * strict `decode` reads back; and the refusals the data model and the
 * limits call for (ENCODE_FAILED), each.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decode, encode } from '../../src/codec/index.js'
import type { CborValue } from '../../src/codec/index.js'
import { encode as cborgEncode, rfc8949EncodeOptions } from 'cborg'
import { isParleyError } from '../../src/errors.js'
import { cborValues } from '../helpers/cbor-values.js'

const cborValue = cborValues({ maxKeyLength: 30, maxKeys: 8 })

/** The result of `fn`: its bytes, or the code it failed with. */
function outcome(fn: () => Uint8Array): string {
  try {
    return Buffer.from(fn()).toString('hex')
  } catch (err) {
    return isParleyError(err) ? `error ${err.code}` : `foreign ${String(err)}`
  }
}

/** The value as cborg takes it: objects as Map (cborg then sorts their keys as RFC 8949 §4.2.1 says). */
function forCborg(v: CborValue): unknown {
  if (Array.isArray(v)) return v.map(forCborg)
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) return new Map(Object.entries(v).map(([k, x]) => [k, forCborg(x)]))
  return v
}

test('property: encode(v) is cborg\'s RFC 8949 deterministic encoding of v, and decodes back to v', () => {
  fc.assert(
    fc.property(cborValue, (v) => {
      let oracle: string
      try {
        oracle = Buffer.from(cborgEncode(forCborg(v), rfc8949EncodeOptions)).toString('hex')
      } catch {
        // cborg refuses what the model refuses too (a lone surrogate)
        assert.equal(outcome(() => encode(v)), 'error ENCODE_FAILED')
        return
      }
      const bytes = encode(v)
      assert.equal(Buffer.from(bytes).toString('hex'), oracle)
      assert.deepStrictEqual(decode(bytes), v)
    }),
    { numRuns: 2000 },
  )
})

test('refusals: outside the data model and over the limits are ENCODE_FAILED; -0 is 0, a null-prototype object a map', () => {
  const sparse: CborValue[] = []
  sparse[2] = 1
  const deep: CborValue = [[[[[1]]]]]
  const refused: [CborValue, Parameters<typeof encode>[1]][] = [
    [1.5, undefined],
    [Number.MAX_SAFE_INTEGER + 1, undefined],
    ['\ud800', undefined],
    [{ ['\udc00']: 1 }, undefined],
    [sparse, undefined],
    [new Date(0) as unknown as CborValue, undefined],
    [undefined as unknown as CborValue, undefined],
    [Object.assign({ a: 1 }, { [Symbol('s')]: 2 }) as unknown as CborValue, undefined],
    [deep, { maxDepth: 3 }],
    [[1, 2, 3], { maxItems: 2 }],
    [{ a: 1, b: 2, c: 3 }, { maxItems: 2 }],
    [new Uint8Array(100), { maxBytes: 50 }],
    [[new Uint8Array(40), new Uint8Array(40)], { maxBytes: 50 }],
    ['x'.repeat(1000), { maxBytes: 50 }],
    [{ ['k'.repeat(1000)]: 1 }, { maxBytes: 50 }],
  ]
  for (const [v, limits] of refused) assert.equal(outcome(() => encode(v, limits)), 'error ENCODE_FAILED', `for ${typeof v} ${JSON.stringify(limits)}`)
  assert.equal(outcome(() => encode(-0)), '00')
  assert.equal(outcome(() => encode(Object.create(null) as CborValue)), 'a0')
  assert.equal(outcome(() => encode(new Uint8Array(50), { maxBytes: 52 })), '5832' + '00'.repeat(50))
})
