/**
 * Shared fixtures of the session tests (prekeys, bundles, PQXDH): a fixed
 * clock, identities, a responder with in-memory stores, a resolver over
 * known key states, code assertions, and a deterministic portable suite for
 * known-answer vectors (every random byte, including ML-KEM encapsulation
 * and ML-DSA signing randomness, drawn from SHA-256 in counter mode over a
 * label: the portable backend honours fixed randomness, the native one
 * cannot; see docs/crypto.md).
 */
import assert from 'node:assert/strict'
import { createSuite, defaultSuite, portableBackend } from '../../src/crypto/index.js'
import type { CryptoBackend, Suite } from '../../src/crypto/index.js'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import { createIdentity } from '../../src/identity/index.js'
import type { Identity, IdentitySecrets, KeyState } from '../../src/identity/index.js'
import { createBundle } from '../../src/session/bundle.js'
import type { PrekeyBundle } from '../../src/session/bundle.js'
import type { OwnIdentity } from '../../src/session/prekeys.js'
import { MemoryPrekeyStore, MemoryReplayCache } from '../../src/session/stores/memory.js'

export const suite = defaultSuite

/** 2026-01-01T00:00:00Z */
export const T0 = Date.UTC(2026, 0, 1)
/** The fixed clock, `s` seconds after T0. */
export const at = (s: number): Date => new Date(T0 + s * 1000)
export const DAY = 24 * 3600

function describe(err: unknown): string {
  return err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)
}

export function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    if (isParleyError(err, code)) return true
    assert.fail(`expected ${code}, got ${describe(err)}`)
  })
}

export async function rejectsCode(p: Promise<unknown> | (() => Promise<unknown>), code: ErrorCode): Promise<void> {
  await assert.rejects(typeof p === 'function' ? p() : p, (err: unknown) => {
    if (isParleyError(err, code)) return true
    assert.fail(`expected ${code}, got ${describe(err)}`)
  })
}

export function cloneSecrets(s: IdentitySecrets): IdentitySecrets {
  return { signing: s.signing.slice(), next: s.next.slice(), agreement: s.agreement.map((k) => k.slice()) }
}

/** An identity as the session layer holds it (secrets copied: authoring wipes the ones it is given). */
export function own(id: Identity): OwnIdentity {
  return { state: id.state, secrets: cloneSecrets(id.secrets) }
}

export function newIdentity(name: string, s: Suite = suite, now: Date = at(0)): Identity {
  return createIdentity(s, { name, now })
}

/** A resolver over known states (the latest one given for a DID wins). */
export function resolverOf(...states: KeyState[]): (did: string, keySequence: number) => Promise<KeyState> {
  const byDid = new Map(states.map((s) => [s.did, s]))
  return async (did) => {
    const state = byDid.get(did)
    if (state === undefined) throw new Error(`test resolver: unknown ${did}`)
    return state
  }
}

/** A responder: identity, fresh in-memory stores, and a bundle made at `now`. */
export interface Responder {
  ours: OwnIdentity
  prekeys: MemoryPrekeyStore
  replay: MemoryReplayCache
  bundle: PrekeyBundle
}

export async function makeResponder(id: Identity, opts: { now?: Date; oneTime?: boolean; s?: Suite } = {}): Promise<Responder> {
  const ours = own(id)
  const prekeys = new MemoryPrekeyStore()
  const replay = new MemoryReplayCache()
  const bundle = await createBundle(opts.s ?? suite, { ours, prekeys, now: opts.now ?? at(0), oneTime: opts.oneTime ?? true })
  return { ours, prekeys, replay, bundle }
}

export { drbg } from '../helpers/drbg.js'
import { drbg } from '../helpers/drbg.js'

/**
 * The portable suite with every random input fixed by `label`: key
 * generation, X25519 ephemerals, ML-KEM encapsulation `m`, ML-DSA `rnd`.
 * For known-answer vectors only.
 */
export function deterministicSuite(label: string): Suite {
  const random = drbg(label)
  const backend: CryptoBackend = {
    ...portableBackend,
    randomBytes: (n) => random(n),
    x25519Encapsulate: (pk, r) => portableBackend.x25519Encapsulate(pk, r ?? random(32)),
    mlKem768Encapsulate: (pk, r) => portableBackend.mlKem768Encapsulate(pk, r ?? random(32)),
    mlDsa65Sign: (seed, msg, ctx, r) => portableBackend.mlDsa65Sign(seed, msg, ctx, r ?? random(32)),
    mlDsa65SignWithPublicKey: (seed, msg, ctx, r) => portableBackend.mlDsa65SignWithPublicKey(seed, msg, ctx, r ?? random(32)),
  }
  return createSuite(backend)
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
