/**
 * The SessionManager end to end on real in-memory stores and the native
 * suite: invites (full and compact) and direct bundles, the hello that
 * acknowledges PQXDH, the pending header and a lost first message, single
 * use of invite tokens, refusals that change nothing (tampering,
 * duplicates, wrong recipient), and the commit rules.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeFirstMessage } from '../../src/session/first-message.js'
import { decodeSessionMessage } from '../../src/session/session-message.js'
import { SessionManager } from '../../src/session/manager.js'
import { Net, connectPair, eventsOf, rejectsWith, say, utf8 } from './manager-harness.js'
import type { Packet, Party } from './manager-harness.js'
import { openMessage, requireActive } from '../../src/session/session-ops.js'

const isFirst = (p: Packet): boolean => decodeSessionMessage(p.bytes).first !== undefined

test('invite → connect → hello/ack → messages both ways', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  const invite = await bob.manager.createInvite({ addresses: ['/dns4/bob.example/tcp/443/wss'] })
  const started = await alice.manager.connect(invite.full)
  assert.equal(started.peer, bob.did)
  assert.deepEqual(started.addresses, ['/dns4/bob.example/tcp/443/wss'])
  assert.equal(started.rendezvous?.length, 16)
  net.post(alice, started.outgoing)
  const [first] = net.take()
  assert.ok(first !== undefined && isFirst(first))
  const got = await net.deliver(first)
  assert.deepEqual(got.received.map((r) => r.type), ['session-established'])
  assert.equal(net.queue.length, 1, 'the responder answers with its hello')
  await net.flush()
  const [aliceView] = await alice.manager.sessions(bob.did)
  const [bobView] = await bob.manager.sessions(alice.did)
  assert.ok(aliceView !== undefined && bobView !== undefined)
  assert.deepEqual(aliceView.sessionId, bobView.sessionId)
  assert.deepEqual([aliceView.role, aliceView.origin, aliceView.pending, aliceView.active, aliceView.resettable], ['initiator', 'contact', false, true, true])
  assert.deepEqual([bobView.role, bobView.origin, bobView.pending, bobView.active, bobView.resettable], ['responder', 'contact', false, true, true])
  assert.deepEqual(eventsOf(alice, 'session-established').map((e) => e.origin), ['contact'])
  for (let i = 0; i < 4; i++) {
    await say(net, alice, bob, `a${i}`)
    await say(net, bob, alice, `b${i}`)
  }
  net.post(alice, [await alice.manager.send(bob.did, utf8('burst 1')), await alice.manager.send(bob.did, utf8('burst 2'))])
  await net.flush()
  assert.deepEqual(bob.messages.slice(-2), ['burst 1', 'burst 2'])
})

test('the PQXDH header rides on every message until the peer answers; a lost first message does not matter', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  const { full } = await bob.manager.createInvite({ addresses: [] })
  net.post(alice, (await alice.manager.connect(full)).outgoing)
  net.take() // the first message (hello) is lost
  net.post(alice, [await alice.manager.send(bob.did, utf8('second'))])
  net.post(alice, [await alice.manager.send(bob.did, utf8('third'))])
  const [second, third] = net.take()
  assert.ok(second !== undefined && third !== undefined && isFirst(second) && isFirst(third))
  const a = decodeFirstMessage(decodeSessionMessage(second.bytes).first as Uint8Array)
  const b = decodeFirstMessage(decodeSessionMessage(third.bytes).first as Uint8Array)
  assert.deepEqual(a.header, b.header, 'the same PQXDH header on each')
  // the third arrives first: it establishes the session (its hello redeems the token), then the second still decrypts
  const got = await net.deliver(third)
  assert.deepEqual(got.received.map((r) => r.type), ['session-established', 'message'])
  await net.deliver(second)
  assert.deepEqual(bob.messages, ['third', 'second'])
  assert.equal((await alice.manager.sessions(bob.did))[0]?.pending, true, 'still pending: Bob\'s hello is in flight')
  net.post(alice, [await alice.manager.send(bob.did, utf8('fourth'))])
  assert.ok(net.queue.at(-1) !== undefined && isFirst(net.queue.at(-1) as Packet))
  await net.flush()
  assert.equal((await alice.manager.sessions(bob.did))[0]?.pending, false)
  net.post(alice, [await alice.manager.send(bob.did, utf8('fifth'))])
  assert.equal(isFirst(net.queue.at(-1) as Packet), false, 'acknowledged: plain ratchet messages now')
  await net.flush()
  assert.deepEqual(bob.messages, ['third', 'second', 'fourth', 'fifth'])
  assert.equal((await bob.manager.sessions(alice.did)).length, 1)
})

test('each side attaches its hello until the peer has shown it holds the session', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  /** Whether the next message from `from` to `to` carries a hello (opened on a copy of the receiver's record, nothing stored). */
  const carriesHello = async (from: Party, to: Party): Promise<boolean> => {
    const out = await from.manager.send(to.did, utf8('probe'))
    const msg = decodeSessionMessage(out.bytes)
    const part = msg.ratchetMessage ?? decodeFirstMessage(msg.first as Uint8Array).ratchetMessage
    const record = await requireActive(to.context(), from.did)
    const { frame } = openMessage(to.context().suite, record, part)
    net.post(from, [out])
    await net.flush()
    return frame.hello !== undefined
  }
  const { full } = await bob.manager.createInvite({ addresses: [] })
  net.post(alice, (await alice.manager.connect(full)).outgoing)
  const first = net.take()[0] as Packet
  await net.deliver(first)
  net.take() // Bob's hello is lost
  assert.equal(await carriesHello(bob, alice), true, 'Bob: Alice has not sent since she got one of his')
  assert.equal(await carriesHello(alice, bob), false, 'Alice got Bob\'s message: her PQXDH is acknowledged')
  assert.equal(await carriesHello(bob, alice), false, 'Alice\'s new chain shows she got one of Bob\'s')
  const [aliceView] = await alice.manager.sessions(bob.did)
  assert.equal(aliceView?.resettable, true, 'Alice learnt Bob\'s reset rendezvous from the hello on his second message')
})

test('an invite is single use: a second connect is refused by the inviter with INVITE_USED, and stores nothing', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  const carol = net.party('carol')
  const { full } = await bob.manager.createInvite({ addresses: [] })
  await (async () => {
    net.post(alice, (await alice.manager.connect(full)).outgoing)
    await net.flush()
  })()
  for (const who of [alice, carol]) {
    net.post(who, (await who.manager.connect(full)).outgoing)
    const [again] = net.take()
    const before = await bob.dump([alice.did, carol.did])
    await rejectsWith(net.deliver(again as Packet), 'INVITE_USED')
    assert.equal(await bob.dump([alice.did, carol.did]), before)
  }
  assert.equal((await bob.manager.sessions(alice.did)).length, 1)
  assert.equal((await bob.manager.sessions(carol.did)).length, 0)
})

test('invites: expired, meant for someone else, unknown token, or not a contact invite', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  const carol = net.party('carol')
  const short = await bob.manager.createInvite({ addresses: [], lifetimeSeconds: 60 })
  net.post(alice, (await alice.manager.connect(short.full)).outgoing)
  net.clock += 120
  await rejectsWith(net.deliver(net.take()[0] as Packet), 'INVITE_EXPIRED')
  await rejectsWith(alice.manager.connect(short.full), 'INVITE_EXPIRED')
  const forCarol = await bob.manager.createInvite({ addresses: [], audience: carol.did })
  await rejectsWith(alice.manager.connect(forCarol.full), 'INVITE_INVALID')
  const introInvite = await bob.manager.createInvite({ addresses: [], purpose: 'introduction', audience: alice.did })
  await rejectsWith(alice.manager.connect(introInvite.full), 'INVITE_INVALID')
  // a withdrawn token is unknown to the inviter
  const withdrawn = await bob.manager.createInvite({ addresses: [] })
  await bob.invites.revoke(withdrawn.token)
  net.post(alice, (await alice.manager.connect(withdrawn.full)).outgoing)
  const before = await bob.dump([alice.did])
  await rejectsWith(net.deliver(net.take()[0] as Packet), 'INVITE_INVALID')
  assert.equal(await bob.dump([alice.did]), before)
})

test('a compact invite: the fetched KEL and bundle are checked against it', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  const invite = await bob.manager.createInvite({ addresses: ['/ip4/203.0.113.7/tcp/4001'] })
  assert.ok(invite.compact.startsWith('parley:') && invite.compact.length <= 400)
  const wrong = invite.bundle.slice()
  wrong[wrong.length - 1] = (wrong[wrong.length - 1] as number) ^ 1
  await rejectsWith(alice.manager.connectCompact(invite.compact, { kel: invite.kel, bundle: wrong }), 'INVITE_DIGEST_MISMATCH')
  const started = await alice.manager.connectCompact(invite.compact, { kel: invite.kel, bundle: invite.bundle })
  assert.equal((await alice.manager.sessions(bob.did))[0]?.resettable, false, 'a compact invite carries no reset rendezvous: the hello brings it')
  net.post(alice, started.outgoing)
  await net.flush()
  assert.equal((await alice.manager.sessions(bob.did))[0]?.resettable, true)
  await say(net, bob, alice, 'scanned')
  const tooMany = Array.from({ length: 6 }, (_, i) => `/dns4/relay-${i}.example.org/tcp/443/wss/p2p/12D3KooWGzh9QbXhvYtqJHxWT4K3rJqPw3vYb5rQbZt9kV7uJxQe`)
  await rejectsWith(bob.manager.createInvite({ addresses: tooMany }), 'INVITE_TOO_LARGE')
  // the full form shares the token: used now
  net.post(alice, (await alice.manager.connect(invite.full)).outgoing)
  await rejectsWith(net.deliver(net.take()[0] as Packet), 'INVITE_USED')
})

test('a session from a bundle given directly (live or from a mailbox)', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  const bundle = await bob.manager.createBundle()
  const started = await alice.manager.initiate(bob.id.state, bundle)
  net.post(alice, started.outgoing)
  await net.flush()
  assert.equal((await bob.manager.sessions(alice.did))[0]?.origin, 'direct')
  await say(net, alice, bob, 'direct')
  await say(net, bob, alice, 'back')
  // the bundle's one-time prekeys were used: the same bundle again is refused
  net.post(alice, (await alice.manager.initiate(bob.id.state, bundle)).outgoing)
  await rejectsWith(net.deliver(net.take()[0] as Packet), 'PREKEY_USED')
})

test('wrong recipient, sender mismatch, unknown sessions and a message without its sender', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  const carol = net.party('carol')
  const { full } = await bob.manager.createInvite({ addresses: [] })
  net.post(alice, (await alice.manager.connect(full)).outgoing)
  const first = net.take()[0] as Packet
  const before = await carol.dump([alice.did])
  await rejectsWith(carol.manager.receive(first.bytes, { from: alice.did }), 'SESSION_WRONG_RECIPIENT')
  assert.equal(await carol.dump([alice.did]), before)
  await rejectsWith(bob.manager.receive(first.bytes, { from: carol.did }), 'SESSION_SENDER_MISMATCH')
  await net.deliver(first)
  await net.flush()
  const m = await alice.manager.send(bob.did, utf8('x'))
  await rejectsWith(bob.manager.receive(m.bytes), 'SESSION_NOT_FOUND')
  await rejectsWith(bob.manager.receive(m.bytes, { from: carol.did }), 'SESSION_NOT_FOUND')
  await rejectsWith(alice.manager.send(carol.did, utf8('x')), 'SESSION_NOT_FOUND')
  await rejectsWith(alice.manager.send(bob.did, new Uint8Array(300 * 1024)), 'INVALID_ARGUMENT')
  await rejectsWith(bob.manager.receive(new Uint8Array([1, 2, 3])), 'DECODE_FAILED')
})

test('tampering anywhere in an envelope is refused and leaves every store byte-identical', async () => {
  const net = new Net()
  const alice = net.party('alice', { resetAfterDecryptFailures: 0 })
  const bob = net.party('bob', { resetAfterDecryptFailures: 0 })
  const { full } = await bob.manager.createInvite({ addresses: [] })
  net.post(alice, (await alice.manager.connect(full)).outgoing)
  const first = net.take()[0] as Packet
  // the first message: tampered copies consume nothing and store nothing
  const bobBefore = await bob.dump([alice.did])
  for (const at of [0, 20, 200, 2000, first.bytes.length - 40, first.bytes.length - 1]) {
    const bad = first.bytes.slice()
    bad[at] = (bad[at] as number) ^ 0x40
    await assert.rejects(bob.manager.receive(bad, { from: alice.did }), (e: unknown) => e instanceof Error && e.name === 'ParleyError')
    assert.equal(await bob.dump([alice.did]), bobBefore)
  }
  await net.deliver(first)
  await net.flush()
  const m = await alice.manager.send(bob.did, utf8('payload'))
  const before = await bob.dump([alice.did])
  for (let at = 0; at < m.bytes.length; at += 7) {
    const bad = m.bytes.slice()
    bad[at] = (bad[at] as number) ^ 1
    await assert.rejects(bob.manager.receive(bad, { from: alice.did }), (e: unknown) => e instanceof Error && e.name === 'ParleyError')
  }
  await assert.rejects(bob.manager.receive(m.bytes.slice(0, -1), { from: alice.did }))
  assert.equal(await bob.dump([alice.did]), before, 'store bytes identical after every refusal')
  const got = await bob.manager.receive(m.bytes, { from: alice.did })
  assert.deepEqual(got.received.map((r) => r.type), ['message'])
})

test('a duplicate delivery is RATCHET_DUPLICATE and changes nothing', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  const { full } = await bob.manager.createInvite({ addresses: [] })
  net.post(alice, (await alice.manager.connect(full)).outgoing)
  const first = net.take()[0] as Packet
  await net.deliver(first)
  const hello = net.take()[0] as Packet
  // the first message again, while Bob holds the session: a duplicate within it
  let before = await bob.dump([alice.did])
  await rejectsWith(net.deliver(first), 'RATCHET_DUPLICATE')
  assert.equal(await bob.dump([alice.did]), before)
  await net.deliver(hello)
  const m = await alice.manager.send(bob.did, utf8('once'))
  await bob.manager.receive(m.bytes, { from: alice.did })
  before = await bob.dump([alice.did])
  await rejectsWith(bob.manager.receive(m.bytes, { from: alice.did }), 'RATCHET_DUPLICATE')
  assert.equal(await bob.dump([alice.did]), before)
  const helloAgain = await alice.dump([bob.did])
  await rejectsWith(alice.manager.receive(hello.bytes, { from: bob.did }), 'RATCHET_DUPLICATE')
  assert.equal(await alice.dump([bob.did]), helloAgain)
})

test('the sender commits before the ciphertext leaves: a crash after send never reuses a key', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  await connectPair(net, alice, bob)
  const stored = await alice.dump([bob.did])
  const m1 = await alice.manager.send(bob.did, utf8('one'))
  assert.notEqual(await alice.dump([bob.did]), stored, 'the advanced state is in the store when send returns')
  alice.restart() // a new process over the same stores
  const m2 = await alice.manager.send(bob.did, utf8('two'))
  await bob.manager.receive(m2.bytes, { from: alice.did })
  await bob.manager.receive(m1.bytes, { from: alice.did })
  assert.deepEqual(bob.events.filter((e) => e.type === 'session-established').length, 1)
})

test('calls are serialized: concurrent receives of one session never lose an update', async () => {
  const net = new Net()
  const alice = net.party('alice')
  const bob = net.party('bob')
  await connectPair(net, alice, bob)
  const sent = []
  for (let i = 0; i < 6; i++) sent.push(await alice.manager.send(bob.did, utf8(`c${i}`)))
  const results = await Promise.all(sent.map((o) => bob.manager.receive(o.bytes, { from: alice.did })))
  assert.equal(results.flatMap((r) => r.received).filter((r) => r.type === 'message').length, 6)
  await say(net, bob, alice, 'all six')
  for (const o of sent) await rejectsWith(bob.manager.receive(o.bytes, { from: alice.did }), 'RATCHET_DUPLICATE')
})

test('constructor and argument checks', () => {
  const net = new Net()
  const alice = net.party('alice')
  const ctx = alice.context()
  assert.throws(() => new SessionManager({ ...ctx, resetAfterDecryptFailures: -1 }), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => new SessionManager({ ...ctx, introductions: { mode: 'sometimes' as 'none' } }), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => new SessionManager({ ...ctx, introductions: { mode: 'allow-list', allow: ['not a did'] } }), { code: 'DID_INVALID' })
  assert.throws(() => new SessionManager({ ...ctx, stores: { ...ctx.stores, invites: undefined as never } }), { code: 'INVALID_ARGUMENT' })
})
