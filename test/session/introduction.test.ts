/**
 * Introductions (automatic key exchange; docs/sessions.md "Introductions")
 * end to end: A introduces B and C, who end with one active session each
 * way and no out-of-band step — when both initiate at once (the session
 * initiated by the smaller DID is kept active on both sides, a message in
 * the other still decrypts) and when one initiates first (the other
 * skips). Consent: a refusing policy stops it at either step; an
 * allow-list. Invalid steps: an invite for someone else, from someone
 * other than named, expired, an offer nobody asked for, requests naming
 * ourselves.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { toHex } from '../../src/codec/index.js'
import type { Payload } from '../../src/session/control.js'
import { loadActive, requireActive, sendFrame, wipeRecord } from '../../src/session/session-ops.js'
import { Net, connectPair, eventsOf, rejectsWith, say, utf8 } from './manager-harness.js'
import type { Packet, Party } from './manager-harness.js'

/** Sends a hand-made payload from `from` to `to` in their active session (what a buggy or hostile contact could send). */
async function sendRaw(net: Net, from: Party, to: Party, payload: Payload): Promise<void> {
  const ctx = from.context()
  const record = await requireActive(ctx, to.did)
  net.post(from, [await sendFrame(ctx, record, payload)])
  wipeRecord(record)
}

/** Three contacts: A knows B and C; B and C do not know each other. */
async function triangle(opts: { b?: Parameters<Net['party']>[1]; c?: Parameters<Net['party']>[1] } = {}): Promise<{ net: Net; a: Party; b: Party; c: Party }> {
  const net = new Net()
  const a = net.party('ann')
  const b = net.party('ben', opts.b)
  const c = net.party('cat', opts.c)
  await connectPair(net, a, b)
  await connectPair(net, c, a)
  return { net, a, b, c }
}

async function activeBetween(x: Party, y: Party): Promise<string | undefined> {
  const r = await loadActive(x.context(), y.did)
  wipeRecord(r)
  return r === undefined ? undefined : toHex(r.sessionId)
}

test('B and C both initiate at once: the session initiated by the smaller DID is active on both sides, the other still decrypts', async () => {
  const { net, a, b, c } = await triangle()
  net.post(a, await a.manager.introduce(b.did, c.did))
  for (let round = 0; round < 3; round++) for (const p of net.take()) await net.deliver(p) // requests, offers, relayed invites
  assert.deepEqual(eventsOf(b, 'introduction').map((e) => e.status), ['offered', 'started'])
  assert.deepEqual(eventsOf(c, 'introduction').map((e) => e.status), ['offered', 'started'])
  assert.deepEqual(eventsOf(a, 'introduction').map((e) => e.status), ['requested', 'requested', 'relayed', 'relayed'])
  const [small, large] = b.did < c.did ? [b, c] : [c, b]
  // the larger DID writes in the session it initiated, before it hears of the other one
  net.post(large, [await large.manager.send(small.did, utf8('early, in my own session'))])
  await net.flush()
  const wanted = await activeBetween(small, large)
  assert.equal(await activeBetween(large, small), wanted, 'one active session, the same on both sides')
  const views = await small.manager.sessions(large.did)
  assert.equal(views.length, 2)
  const active = views.find((v) => v.active)
  assert.equal(active?.role, 'initiator', 'the active one was initiated by the smaller DID')
  assert.ok(views.every((v) => v.origin === 'introduction' && v.introducer === a.did))
  assert.ok(small.messages.includes('early, in my own session'), 'a message in the other session still decrypts')
  await say(net, b, c, 'hello cat')
  await say(net, c, b, 'hello ben')
  assert.equal(await activeBetween(b, c), wanted)
})

test('one side initiates first: the other skips, and they end with a single session', async () => {
  const { net, a, b, c } = await triangle()
  net.post(a, await a.manager.introduce(b.did, c.did))
  for (let round = 0; round < 2; round++) for (const p of net.take()) await net.deliver(p) // requests, offers
  const toB = net.take((p) => p.to === b.did)
  for (const p of toB) await net.deliver(p) // B starts a session with C
  const firstToC = net.take((p) => p.from === b.did && p.to === c.did)
  for (const p of firstToC) await net.deliver(p)
  await net.flush() // C's relayed invite now arrives: C already has a session with B
  assert.deepEqual(eventsOf(c, 'introduction').map((e) => e.status), ['offered', 'skipped'])
  assert.equal((await b.manager.sessions(c.did)).length, 1)
  assert.equal((await c.manager.sessions(b.did)).length, 1)
  await say(net, c, b, 'hi')
  await say(net, b, c, 'hi back')
})

for (const where of ['b', 'c'] as const) {
  test(`a refusing policy (${where === 'b' ? 'the first' : 'the second'} contact) stops the introduction: no session, nothing sent`, async () => {
    const { net, a, b, c } = await triangle({ [where]: { introductions: { mode: 'none' } } })
    const refuser = where === 'b' ? b : c
    const other = where === 'b' ? c : b
    net.post(a, await a.manager.introduce(b.did, c.did))
    await net.flush()
    assert.deepEqual(eventsOf(refuser, 'introduction').map((e) => [e.status, e.code]), [['refused', 'INTRODUCTION_REFUSED'], ['refused', 'INTRODUCTION_REFUSED']])
    assert.deepEqual(eventsOf(other, 'introduction').map((e) => e.status), ['offered'])
    assert.equal((await b.manager.sessions(c.did)).length, 0)
    assert.equal((await c.manager.sessions(b.did)).length, 0)
    assert.match(eventsOf(refuser, 'introduction')[0]?.message ?? '', /refused/)
  })
}

test('an allow-list accepts only the introducers it names', async () => {
  const net = new Net()
  const a = net.party('ann')
  const d = net.party('dan')
  const b = net.party('ben', { introductions: { mode: 'allow-list', allow: [a.did] } })
  const c = net.party('cat', { introductions: { mode: 'allow-list', allow: [a.did] } })
  for (const [x, y] of [[a, b], [a, c], [d, b], [d, c]] as const) await connectPair(net, x, y)
  net.post(d, await d.manager.introduce(b.did, c.did))
  await net.flush()
  assert.equal((await b.manager.sessions(c.did)).length, 0)
  net.post(a, await a.manager.introduce(b.did, c.did))
  await net.flush()
  assert.ok((await activeBetween(b, c)) !== undefined)
  await say(net, b, c, 'via ann')
})

test('invalid introductions are refused with INTRODUCTION_INVALID and start nothing', async () => {
  const { net, a, b, c } = await triangle()
  const e = net.party('eve')
  await connectPair(net, e, a)
  const invalid = (p: Party): Array<string | undefined> => eventsOf(p, 'introduction').filter((x) => x.status === 'invalid').map((x) => x.code)
  // B's invitation for C, relayed to E: meant for someone else
  const forC = await b.manager.createInvite({ addresses: [], purpose: 'introduction', audience: c.did })
  await sendRaw(net, a, e, { type: 'intro', peer: b.did, invite: forC.full })
  // relayed to C but A names E as its author
  await sendRaw(net, a, c, { type: 'intro', peer: e.did, invite: forC.full })
  // a contact invite is not an introduction
  const contact = await b.manager.createInvite({ addresses: [] })
  await sendRaw(net, a, c, { type: 'intro', peer: b.did, invite: contact.full })
  // expired
  const short = await b.manager.createInvite({ addresses: [], purpose: 'introduction', audience: c.did, lifetimeSeconds: 10 })
  net.clock += 20
  await sendRaw(net, a, c, { type: 'intro', peer: b.did, invite: short.full })
  await net.flush()
  assert.deepEqual(invalid(e), ['INTRODUCTION_INVALID'])
  assert.deepEqual(invalid(c), ['INTRODUCTION_INVALID', 'INTRODUCTION_INVALID', 'INTRODUCTION_INVALID'])
  assert.equal((await c.manager.sessions(b.did)).length, 0)
  assert.equal((await e.manager.sessions(b.did)).length, 0)
  // an offer A never asked for is not relayed
  const cEvents = c.events.length
  await sendRaw(net, b, a, { type: 'intro-offer', peer: c.did, invite: forC.full })
  const [offer] = net.take()
  const reply = await net.deliver(offer as Packet)
  assert.deepEqual(reply.outgoing, [], 'nothing relayed')
  assert.deepEqual(invalid(a), ['INTRODUCTION_INVALID'])
  assert.equal(c.events.length, cEvents)
  // requests naming the receiver or the introducer itself
  await sendRaw(net, a, b, { type: 'intro-request', peer: b.did })
  await sendRaw(net, a, b, { type: 'intro-request', peer: a.did })
  await net.flush()
  assert.deepEqual(invalid(b), ['INTRODUCTION_INVALID', 'INTRODUCTION_INVALID'])
  // the sessions that carried all this still work
  await say(net, a, c, 'still fine')
})

test('introduce: argument checks and an offer for a contact we lost meanwhile', async () => {
  const { net, a, b, c } = await triangle()
  await rejectsWith(a.manager.introduce(b.did, b.did), 'INVALID_ARGUMENT')
  await rejectsWith(a.manager.introduce(a.did, b.did), 'INVALID_ARGUMENT')
  const stranger = net.party('sam')
  await rejectsWith(a.manager.introduce(b.did, stranger.did), 'SESSION_NOT_FOUND')
  net.post(a, await a.manager.introduce(b.did, c.did))
  const requests = net.take()
  for (const p of requests) await net.deliver(p)
  const offers = net.take()
  // A drops its session with C before the offers come back
  for (const id of await a.sessions.list(c.did)) await a.sessions.delete(c.did, id)
  for (const p of offers) {
    if (p.from === b.did) assert.deepEqual((await net.deliver(p)).outgoing, [], 'B\'s offer has nobody to go to')
    else await rejectsWith(net.deliver(p), 'SESSION_NOT_FOUND') // C's came in the deleted session
  }
  const invalid = eventsOf(a, 'introduction').filter((x) => x.status === 'invalid')
  assert.ok(invalid.some((x) => x.code === 'SESSION_NOT_FOUND'))
  assert.equal((await b.manager.sessions(c.did)).length, 0)
})
