/**
 * Shared fixtures for the identity tests: a fixed clock, identities built on
 * the native suite, and helpers to sign hand-crafted (often invalid) events
 * so each verifier refusal can be reached with otherwise valid signatures.
 */
import assert from 'node:assert/strict'
import { LABELS } from '../../src/constants.js'
import { encodeVersioned } from '../../src/codec/index.js'
import type { CborValue } from '../../src/codec/index.js'
import { defaultSuite } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import { KEL_EVENT_KIND, encodeEvent } from '../../src/identity/events.js'
import type { KelEvent } from '../../src/identity/events.js'
import type { KelEntry } from '../../src/identity/log.js'
import type { IdentitySecrets } from '../../src/identity/secrets.js'

export const suite = defaultSuite

/** 2026-01-01T00:00:00Z */
export const T0 = Date.UTC(2026, 0, 1)
/** T0 in Unix seconds (event timestamps). */
export const T0S = T0 / 1000
/** The fixed clock, `i` seconds after T0. */
export const at = (i: number): Date => new Date(T0 + i * 1000)

export function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    if (isParleyError(err, code)) return true
    assert.fail(`expected ${code}, got ${err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)}`)
  })
}

/** A deep copy of secrets (authoring wipes the ones passed in). */
export function cloneSecrets(s: IdentitySecrets): IdentitySecrets {
  return { signing: s.signing.slice(), next: s.next.slice(), agreement: s.agreement.map((k) => k.slice()) }
}

/** Signs a typed event with `secret`. */
export function signEvent(secret: Uint8Array, ev: KelEvent): KelEntry {
  const event = encodeEvent(ev)
  return { event, signature: suite.sign(secret, LABELS.kelEvent, event) }
}

/** Signs a raw event body (for shapes `encodeEvent` cannot produce). */
export function signRaw(secret: Uint8Array, body: Record<string, CborValue>): KelEntry {
  const event = encodeVersioned(KEL_EVENT_KIND, 1, body)
  return { event, signature: suite.sign(secret, LABELS.kelEvent, event) }
}

/** A fresh random challenge. */
export const challenge = (): Uint8Array => suite.randomBytes(32)
