/**
 * Compliance suite every InviteStore implementation passes: single use under
 * concurrency, expiry, revocation, exact record bytes.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { InviteStore } from '../../../src/session/invite-store.js'
import { isParleyError } from '../../../src/errors.js'

const code = (c: string) => (err: unknown) => isParleyError(err) && err.code === c
const token = (n: number): Uint8Array => new Uint8Array(16).fill(n)
const T0 = new Date('2026-11-22T00:00:00Z')
const later = (s: number): Date => new Date(T0.getTime() + s * 1000)

export function runInviteStoreCompliance(name: string, factory: () => Promise<InviteStore>): void {
  test(`${name}: a token redeems once, with its exact record`, async () => {
    const store = await factory()
    const record = Uint8Array.of(1, 2, 3, 0, 255)
    await store.issue(token(1), { record, expiresAt: later(60) })
    await assert.rejects(store.issue(token(1), { record, expiresAt: later(60) }), code('STORE_EXISTS'))
    assert.deepEqual(await store.redeem(token(1), later(1)), record)
    await assert.rejects(store.redeem(token(1), later(2)), code('INVITE_USED'))
    await assert.rejects(store.redeem(token(2), later(2)), code('INVITE_INVALID'))
  })

  test(`${name}: 100 concurrent redemptions of one token: exactly one succeeds`, async () => {
    const store = await factory()
    await store.issue(token(3), { record: Uint8Array.of(3), expiresAt: later(60) })
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => store.redeem(token(3), later(1))))
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    for (const r of results) if (r.status === 'rejected') assert.ok(code('INVITE_USED')(r.reason))
  })

  test(`${name}: expiry, revocation and pruning`, async () => {
    const store = await factory()
    await store.issue(token(4), { record: Uint8Array.of(4), expiresAt: later(10) })
    await assert.rejects(store.redeem(token(4), later(10)), code('INVITE_EXPIRED'))
    await store.issue(token(5), { record: Uint8Array.of(5), expiresAt: later(10) })
    await store.revoke(token(5))
    await assert.rejects(store.redeem(token(5), later(1)), code('INVITE_INVALID'))
    await store.issue(token(6), { record: Uint8Array.of(6), expiresAt: later(10) })
    await store.issue(token(7), { record: Uint8Array.of(7), expiresAt: later(100) })
    assert.equal(await store.prune(later(50)), 1)
    assert.deepEqual(await store.redeem(token(7), later(51)), Uint8Array.of(7))
  })
}
