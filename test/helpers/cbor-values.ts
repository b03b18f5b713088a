/**
 * A fast-check arbitrary of every value the codec's data model holds
 * (CborValue): nested arrays and text-keyed maps of nulls, booleans, safe
 * integers, any UTF-16 text (lone surrogates included: the encoders must
 * refuse them) and byte strings. Shared by the codec's and the database
 * writer's property tests.
 */
import fc from 'fast-check'
import type { CborValue } from '../../src/codec/index.js'

export function cborValues(opts: { maxKeyLength?: number; maxKeys?: number } = {}): fc.Arbitrary<CborValue> {
  const { value } = fc.letrec<{ value: CborValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 5 },
      fc.constant(null),
      fc.boolean(),
      fc.maxSafeInteger(),
      fc.integer({ min: -70000, max: 70000 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.array(tie('value'), { maxLength: 6 }),
      fc.dictionary(fc.string({ unit: 'binary', maxLength: opts.maxKeyLength ?? 8 }), tie('value'), { maxKeys: opts.maxKeys ?? 6, noNullPrototype: true }),
    ),
  }))
  return value
}
