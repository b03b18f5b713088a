import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ParleyError } from '../../src/errors.js'
import { FUZZ_RUNS_PER_DECODER, runFuzz } from '../helpers/fuzz.js'

// the harness itself must catch what it promises to catch

test('fuzz harness: fails on a non-ParleyError and prints the input hex', () => {
  const decoder = (b: Uint8Array): unknown => {
    if (b.length > 3 && b[0] === 0xa3) throw new TypeError('boom')
    throw new ParleyError('DECODE_FAILED', 'no')
  }
  assert.throws(
    () => runFuzz('harness-type-error', decoder, [Uint8Array.of(0xa3, 1, 2, 3, 4)], { runs: 2000 }),
    (err: unknown) => err instanceof assert.AssertionError && /non-ParleyError for input a3/.test(err.message),
  )
})

test('fuzz harness: fails on a call that is slow every time', () => {
  const decoder = (b: Uint8Array): unknown => {
    if (b[0] === 0x01) {
      const until = performance.now() + 30
      while (performance.now() < until) {
        // spin
      }
    }
    return null
  }
  assert.throws(
    () => runFuzz('harness-slow', decoder, [Uint8Array.of(1, 2)], { runs: 50, maxCallMs: 10 }),
    (err: unknown) => err instanceof assert.AssertionError && /took .* ms/.test(err.message),
  )
})

test('fuzz harness: is deterministic per name and reports what it saw', () => {
  const seen: string[][] = [[], []]
  for (const run of [0, 1]) {
    runFuzz('harness-determinism', (b) => seen[run]!.push(Buffer.from(b).toString('hex')), [Uint8Array.of(1, 2, 3)], {
      runs: 200,
    })
  }
  assert.deepStrictEqual(seen[0], seen[1])
  const report = runFuzz('harness-report', () => null, [Uint8Array.of(1)], { runs: 100 })
  assert.equal(report.runs, 100)
  assert.equal(report.accepted, 100)
  assert.equal(FUZZ_RUNS_PER_DECODER, 100_000)
})
