/**
 * Session reset (DESIGN.md §6, docs/sessions.md "Reset") end to end: a
 * reset invite sealed to the peer's current agreement key at its reset
 * rendezvous; one new session on both sides, the old one deleted once the
 * new one is established; the reason shown on both sides; the tie-break
 * when both reset at once (in both delivery orders); automatic detection
 * of a rollback (a restored backup) and of repeated decrypt failures; and
 * the refusals of stale, duplicate, misdirected or malformed deposits.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { toHex } from '../../src/codec/index.js'
import { resetWinner, sealReset, openReset } from '../../src/session/reset.js'
import { checkResetReason, resetSentence } from '../../src/session/reset-reason.js'
import { decodeSessionMessage, encodeSessionMessage } from '../../src/session/session-message.js'
import { Net, connectPair, copySessions, eventsOf, rejectsWith, say, utf8 } from './manager-harness.js'
import type { Packet, Party } from './manager-harness.js'
import { verifyFullInvite } from '../../src/session/invite.js'
import { cloneSecrets, suite } from './fixtures.js'

/** The one session each side holds with the other, equal on both sides and active. */
async function assertOneSession(a: Party, b: Party): Promise<string> {
  const [av, ...amore] = await a.manager.sessions(b.did)
  const [bv, ...bmore] = await b.manager.sessions(a.did)
  assert.ok(av !== undefined && bv !== undefined, 'both hold a session')
  assert.deepEqual([amore.length, bmore.length], [0, 0], 'exactly one session each')
  assert.equal(toHex(av.sessionId), toHex(bv.sessionId))
  assert.ok(av.active && bv.active && !av.pending && !bv.pending)
  return toHex(av.sessionId)
}

test('a reset: sealed invite at the reset rendezvous, one new session on both sides, the reason shown to both', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  await connectPair(net, alice, bob)
  await say(net, alice, bob, 'before')
  const old = await assertOneSession(alice, bob)
  const proposal = await alice.manager.reset(bob.did, { code: 'user-request', text: 'new phone' })
  assert.equal(proposal.rendezvous.length, 16)
  assert.ok(proposal.notice !== undefined)
  assert.equal((await alice.manager.sessions(bob.did))[0]?.resetInFlight, true)
  net.post(alice, [proposal.notice, { rendezvous: proposal.rendezvous, bytes: proposal.bytes }])
  await net.flush()
  assert.deepEqual(eventsOf(bob, 'reset-notice').map((e) => e.reason), ['user-request'])
  const accepted = await bob.manager.acceptReset(proposal.rendezvous, proposal.bytes)
  assert.equal(accepted.status, 'accepted')
  assert.equal((await bob.manager.sessions(alice.did)).length, 2, 'the old session stays until the new one is established')
  net.post(bob, accepted.outgoing)
  await net.flush()
  const fresh = await assertOneSession(alice, bob)
  assert.notEqual(fresh, old)
  assert.equal((await alice.manager.sessions(bob.did))[0]?.origin, 'reset')
  assert.equal((await alice.manager.sessions(bob.did))[0]?.reason, 'user-request')
  for (const [who, by] of [[alice, 'me'], [bob, 'peer']] as const) {
    const [e] = eventsOf(who, 'session-reset')
    assert.ok(e !== undefined)
    assert.equal(e.reason, 'user-request')
    assert.equal(e.by, by)
    assert.match(e.message, /restarted with new keys/)
    assert.match(e.message, /new phone/)
  }
  await say(net, alice, bob, 'after')
  await say(net, bob, alice, 'after, too')
})

for (const winnerFirst of [true, false]) {
  test(`both reset at once (${winnerFirst ? 'winner' : 'loser'} opens first): the smaller DID's reset wins, one session on both sides`, async () => {
    const net = new Net()
    const alice = net.party('alice')
    const bob = net.party('bob')
    await connectPair(net, alice, bob)
    const winner = resetWinner(alice.did, bob.did) === alice.did ? alice : bob
    const loser = winner === alice ? bob : alice
    const pw = await winner.manager.reset(loser.did, { code: 'user-request', text: '' })
    const pl = await loser.manager.reset(winner.did, { code: 'key-compromise', text: '' })
    net.take() // the notices are not needed
    if (winnerFirst) {
      const r = await winner.manager.acceptReset(pl.rendezvous, pl.bytes)
      assert.equal(r.status, 'superseded')
      assert.equal(eventsOf(winner, 'reset-superseded').length, 1)
    }
    const accepted = await loser.manager.acceptReset(pw.rendezvous, pw.bytes)
    assert.equal(accepted.status, 'accepted')
    net.post(loser, accepted.outgoing)
    await net.flush()
    if (!winnerFirst) {
      // the winner's old session (where the loser's deposit pointed) is gone: a stale reset
      await rejectsWith(winner.manager.acceptReset(pl.rendezvous, pl.bytes), 'RESET_INVALID')
    }
    await assertOneSession(alice, bob)
    for (const who of [alice, bob]) assert.deepEqual(eventsOf(who, 'session-reset').map((e) => e.reason), ['user-request'], 'the winning reset\'s reason')
    // the loser withdrew its own reset invite: it can never start a session
    const theirs = openReset(suite, await winner.context().identity(), pl.rendezvous, pl.bytes)
    const token = verifyFullInvite(suite, theirs.invite, { now: net.now() }).token
    await rejectsWith(loser.invites.redeem(token, net.now()), 'INVITE_INVALID')
    await say(net, alice, bob, 'converged')
    await say(net, bob, alice, 'yes')
  })
}

/** Alice and Bob after some traffic; Bob then restored from a backup taken two messages ago. */
async function restoredPair(): Promise<{ net: Net; alice: Party; bob: Party }> {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  await connectPair(net, alice, bob)
  await say(net, alice, bob, 'one')
  await say(net, bob, alice, 'two')
  await say(net, alice, bob, 'three')
  const backup = await copySessions(bob.sessions, [alice.did]) // bob's session store, snapshot
  await say(net, bob, alice, 'four')
  await say(net, alice, bob, 'five')
  bob.restart(backup) // bob's device is restored from the backup: its ratchet is behind
  return { net, alice, bob }
}

async function assertRecovered(net: Net, alice: Party, bob: Party, reason: string): Promise<void> {
  await assertOneSession(alice, bob)
  for (const who of [alice, bob]) assert.deepEqual(eventsOf(who, 'session-reset').map((e) => e.reason), [reason])
  await say(net, bob, alice, 'back in sync')
  await say(net, alice, bob, 'indeed')
}

test('a rollback (a restored backup) is detected by the peer, a reset is proposed, and both converge within 10 round trips', async () => {
  const { net, alice, bob } = await restoredPair()
  let trips = 0
  net.post(bob, [await bob.manager.send(alice.did, utf8('after the restore'))])
  const seen = await net.flush()
  trips++
  const proposed = seen.filter((e) => e.type === 'reset-proposed')
  assert.equal(proposed.length, 1, 'alice proposes a reset instead of throwing')
  assert.equal(proposed[0]?.type === 'reset-proposed' ? proposed[0].cause : '', 'RATCHET_ROLLBACK_DETECTED')
  assert.ok(!alice.messages.includes('after the restore'))
  assert.equal(net.mailbox.size, 1)
  await net.acceptDeposits(bob)
  await net.flush()
  trips += 2 // the deposit, then the new session's first message and its hello
  assert.match(eventsOf(bob, 'session-reset')[0]?.message ?? '', /restored from an older copy/)
  await assertRecovered(net, alice, bob, 'rollback-detected')
  trips += 2
  assert.ok(trips <= 10, `${trips} round trips`)
})

test('a rollback noticed by the restored side (the peer\'s messages stop decrypting) also converges', async () => {
  const { net, alice, bob } = await restoredPair()
  let sent = 0
  for (; sent < 10 && net.mailbox.size === 0; sent++) {
    net.post(alice, [await alice.manager.send(bob.did, utf8(`lost ${sent}`))])
    const [p] = net.take()
    await net.deliver(p as Packet).catch((err: unknown) => assert.equal((err as { code?: string }).code, 'DECRYPT_FAILED'))
  }
  assert.equal(sent, 5, 'SESSION_RESET_DECRYPT_FAILURES messages')
  assert.equal(eventsOf(bob, 'reset-proposed')[0]?.cause, 'DECRYPT_FAILED')
  await net.acceptDeposits(alice)
  await net.flush()
  await assertRecovered(net, alice, bob, 'decrypt-failures')
})

test('repeated DECRYPT_FAILED in the active session proposes a reset after the configured count', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob', { resetAfterDecryptFailures: 3 })
  await connectPair(net, alice, bob)
  const garbage = async (): Promise<Uint8Array> => {
    const m = decodeSessionMessage((await alice.manager.send(bob.did, utf8('x'))).bytes)
    const body = (m.ratchetMessage as Uint8Array).slice()
    body[body.length - 1] = (body[body.length - 1] as number) ^ 1
    return encodeSessionMessage({ sessionId: m.sessionId, ratchetMessage: body })
  }
  await rejectsWith(bob.manager.receive(await garbage(), { from: alice.did }), 'DECRYPT_FAILED')
  await rejectsWith(bob.manager.receive(await garbage(), { from: alice.did }), 'DECRYPT_FAILED')
  await say(net, alice, bob, 'a good one resets the count')
  await rejectsWith(bob.manager.receive(await garbage(), { from: alice.did }), 'DECRYPT_FAILED')
  await rejectsWith(bob.manager.receive(await garbage(), { from: alice.did }), 'DECRYPT_FAILED')
  const third = await bob.manager.receive(await garbage(), { from: alice.did })
  assert.deepEqual(third.received.map((r) => r.type), ['reset-proposed'])
  assert.equal(third.outgoing.length, 1)
  // one reset in flight at a time: further failures are plain refusals
  for (let i = 0; i < 3; i++) await rejectsWith(bob.manager.receive(await garbage(), { from: alice.did }), 'DECRYPT_FAILED')
  net.post(bob, third.outgoing)
  await net.acceptDeposits(alice)
  await net.flush()
  await assertOneSession(alice, bob)
  assert.equal(eventsOf(alice, 'session-reset')[0]?.reason, 'decrypt-failures')
})

test('deposits: duplicate, stale, misdirected, for someone else, or not a reset invite', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  const carol = net.party('carol')
  await connectPair(net, alice, bob)
  await connectPair(net, carol, bob)
  const p = await alice.manager.reset(bob.did)
  net.take()
  await rejectsWith(carol.manager.acceptReset(p.rendezvous, p.bytes), 'DECRYPT_FAILED')
  const elsewhere = p.rendezvous.slice()
  elsewhere[0] = (elsewhere[0] as number) ^ 1
  await rejectsWith(bob.manager.acceptReset(elsewhere, p.bytes), 'DECRYPT_FAILED')
  await rejectsWith(bob.manager.acceptReset(p.rendezvous.subarray(1), p.bytes), 'INVALID_ARGUMENT')
  const first = await bob.manager.acceptReset(p.rendezvous, p.bytes)
  assert.equal(first.status, 'accepted')
  assert.equal((await bob.manager.acceptReset(p.rendezvous, p.bytes)).status, 'duplicate', 'redelivered before the new session is established')
  net.post(bob, first.outgoing)
  await net.flush()
  await rejectsWith(bob.manager.acceptReset(p.rendezvous, p.bytes), 'RESET_INVALID')
  // a sealed contact invite is not a reset
  const me = await bob.context().identity()
  const contact = await alice.manager.createInvite({ addresses: [] })
  const [bobView] = await bob.manager.sessions(alice.did)
  assert.ok(bobView !== undefined)
  const rv = new Uint8Array(16)
  const box = sealReset(bob.context().suite, { peer: bob.id.state, rendezvous: rv, content: { invite: contact.full, reason: { code: 'other', text: '' } } })
  assert.equal(openReset(bob.context().suite, me, rv, box).reason.code, 'other')
  await rejectsWith(bob.manager.acceptReset(rv, box), 'RESET_INVALID')
  const junk = sealReset(bob.context().suite, { peer: bob.id.state, rendezvous: rv, content: { invite: new Uint8Array([1]), reason: { code: 'other', text: '' } } })
  await rejectsWith(bob.manager.acceptReset(rv, junk), 'RESET_INVALID')
  // bob's reset for carol, carol's session untouched by all of this
  await say(net, carol, bob, 'unaffected')
})

test('a reset is sealed to the peer\'s current agreement key, after a rotation', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  await connectPair(net, alice, bob)
  const oldSecrets = cloneSecrets(bob.id.secrets)
  const oldState = bob.id.state
  bob.rotate()
  const p = await alice.manager.reset(bob.did, { code: 'key-compromise', text: '' })
  await rejectsWith(Promise.resolve().then(() => openReset(bob.context().suite, { state: oldState, secrets: oldSecrets }, p.rendezvous, p.bytes)), 'DECRYPT_FAILED')
  const r = await bob.manager.acceptReset(p.rendezvous, p.bytes)
  net.take()
  net.post(bob, r.outgoing)
  await net.flush()
  await assertOneSession(alice, bob)
  const [view] = await alice.manager.sessions(bob.did)
  assert.equal(view?.peerKeySequence, bob.id.state.keySequence)
})

test('a reset made before its author rotated its key is refused with KEL_ROTATED_KEY (the resolver knows better)', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  await connectPair(net, alice, bob)
  const stale = await alice.manager.reset(bob.did)
  alice.rotate()
  const before = await bob.dump([alice.did])
  await rejectsWith(bob.manager.acceptReset(stale.rendezvous, stale.bytes), 'KEL_ROTATED_KEY')
  assert.equal(await bob.dump([alice.did]), before)
  const fresh = await alice.manager.reset(bob.did)
  net.take()
  const r = await bob.manager.acceptReset(fresh.rendezvous, fresh.bytes)
  net.post(bob, r.outgoing)
  await net.flush()
  await assertOneSession(alice, bob)
})

test('reset refusals: no session, no rendezvous yet, a bad reason; reasons read as sentences', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  await rejectsWith(alice.manager.reset(bob.did), 'SESSION_NOT_FOUND')
  const invite = await bob.manager.createInvite({ addresses: [] })
  await alice.manager.connectCompact(invite.compact, { kel: invite.kel, bundle: invite.bundle })
  await rejectsWith(alice.manager.reset(bob.did), 'SESSION_STATE_INVALID')
  await rejectsWith(alice.manager.reset(bob.did, { code: 'bored' as 'other', text: '' }), 'INVALID_ARGUMENT')
  assert.throws(() => checkResetReason({ code: 'other', text: 'x'.repeat(600) }), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => checkResetReason({ code: 'other', text: 'line\nbreak' }), { code: 'INVALID_ARGUMENT' })
  assert.match(resetSentence({ code: 'decrypt-failures', text: '' }, { peer: 'did:parley:x', by: 'me' }), /by you; .*could not be decrypted\.$/)
})
