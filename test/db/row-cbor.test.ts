/**
 * The database's direct CBOR writer (src/db/row-cbor.ts) gives exactly the
 * codec's `encode` bytes, refuses exactly what it refuses (ENCODE_FAILED),
 * and its payloads read back with the codec's strict `decode`.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decode, encode } from '../../src/codec/index.js'
import type { CborValue } from '../../src/codec/index.js'
import { encodeRowCbor } from '../../src/db/row-cbor.js'
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

test('property: encodeRowCbor(v) is encode(v), and decodes back to v', () => {
  fc.assert(
    fc.property(cborValue, (v) => {
      const bytes = encodeRowCbor(v)
      assert.deepEqual(bytes, encode(v))
      assert.deepStrictEqual(decode(bytes), v)
    }),
    { numRuns: 2000 },
  )
})

test('the same refusals as encode: outside the data model, over the limits', () => {
  const sparse: CborValue[] = []
  sparse[2] = 1
  const deep: CborValue = [[[[[1]]]]]
  const cases: [CborValue, Parameters<typeof encode>[1]][] = [
    [1.5, undefined],
    [Number.MAX_SAFE_INTEGER + 1, undefined],
    ['\ud800', undefined],
    [{ ['\udc00']: 1 }, undefined],
    [sparse, undefined],
    [new Date(0) as unknown as CborValue, undefined],
    [undefined as unknown as CborValue, undefined],
    [deep, { maxDepth: 3 }],
    [[1, 2, 3], { maxItems: 2 }],
    [{ a: 1, b: 2, c: 3 }, { maxItems: 2 }],
    [new Uint8Array(100), { maxBytes: 50 }],
    [-0, undefined],
    [Object.create(null) as CborValue, undefined],
  ]
  for (const [v, limits] of cases) assert.equal(outcome(() => encodeRowCbor(v, limits)), outcome(() => encode(v, limits)), `for case ${JSON.stringify(limits)} ${typeof v}`)
})
