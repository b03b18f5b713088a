/**
 * Loader and checking helpers for the Wycheproof vectors in
 * `../shared/vectors/wycheproof/` (C2SP/wycheproof testvectors_v1; the repo's
 * parent directory holds `shared/`, CI clones the repo with it beside).
 * Each test file runs every vector of a file on one backend, collects the
 * failing tcIds, and asserts that the number of vectors exercised equals the
 * file's `numberOfTests`.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import { fromHex } from '../../src/crypto/bytes.js'

export const VECTOR_DIR = new URL('../../../shared/vectors/wycheproof/', import.meta.url)

export interface WycheproofTest {
  tcId: number
  comment?: string
  flags?: string[]
  result: 'valid' | 'invalid' | 'acceptable'
  [field: string]: unknown
}

export interface WycheproofGroup {
  type: string
  tests: WycheproofTest[]
  [field: string]: unknown
}

export interface WycheproofFile {
  algorithm: string
  numberOfTests: number
  testGroups: WycheproofGroup[]
}

export function loadVectors(name: string): WycheproofFile {
  const file = JSON.parse(readFileSync(new URL(`${name}.json`, VECTOR_DIR), 'utf8')) as WycheproofFile
  assert.ok(Array.isArray(file.testGroups) && file.numberOfTests > 0, `${name}: not a Wycheproof file`)
  return file
}

/** Hex field of a test or group ('' → empty bytes). */
export function hex(obj: Record<string, unknown>, field: string): Uint8Array {
  const value = obj[field]
  assert.equal(typeof value, 'string', `field ${field} missing`)
  return fromHex(value as string)
}

export function optionalHex(obj: Record<string, unknown>, field: string): Uint8Array | undefined {
  return typeof obj[field] === 'string' ? fromHex(obj[field]) : undefined
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** True when `fn` throws a ParleyError with one of `codes`. */
export function throwsCode(fn: () => unknown, ...codes: ErrorCode[]): boolean {
  try {
    fn()
    return false
  } catch (err) {
    return codes.some((code) => isParleyError(err, code))
  }
}

/**
 * Runs `check` on every vector of `file` and asserts no failures and the
 * full count. `check` returns true on success or a string saying what failed.
 */
export function runVectors(file: WycheproofFile, check: (test: WycheproofTest, group: WycheproofGroup) => true | string): void {
  const failures: string[] = []
  let exercised = 0
  for (const group of file.testGroups) {
    for (const test of group.tests) {
      exercised++
      let outcome: true | string
      try {
        outcome = check(test, group)
      } catch (err) {
        outcome = `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`
      }
      if (outcome !== true) failures.push(`tcId ${test.tcId} (${test.result}; ${test.comment ?? ''}): ${outcome}`)
    }
  }
  assert.deepEqual(failures, [], `${failures.length} failing vectors:\n${failures.join('\n')}`)
  assert.equal(exercised, file.numberOfTests, 'vectors exercised vs numberOfTests')
}
