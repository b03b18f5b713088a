/**
 * /parley/auth/1.0.0 between real libp2p nodes on 127.0.0.1: mutual
 * authentication with and without credentials and in a group context, and
 * each refusal by code on both sides (the refusing side surfaces it as
 * 'local', the other receives it in a refuse frame as 'peer'): expired and
 * untrusted credentials, a missing presentation, a proof by a rotated-out
 * key, a KEL rollback, a peer id the DID does not list, a wrong group key, a
 * non-member, and replays of a proof and of a presentation from another
 * connection.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Libp2p } from 'libp2p'
import { AUTH_MAX_FRAME_BYTES, AUTH_PROTOCOL_ID, LABELS, PROTOCOL_VERSION, SUITE_ID } from '../../src/constants.js'
import { createIdentity, rotateIdentity } from '../../src/identity/author.js'
import type { Identity } from '../../src/identity/author.js'
import { encodeKel } from '../../src/identity/log.js'
import type { ErrorCode } from '../../src/errors.js'
import { createChallengeBook, runHandshake } from '../../src/network/auth.js'
import type { HandshakeOptions } from '../../src/network/auth.js'
import { authTranscript, decodeAuthMessage, encodeAuthMessage } from '../../src/network/auth-messages.js'
import type { TranscriptInput } from '../../src/network/auth-messages.js'
import { frameStream } from '../../src/network/frames.js'
import type { FrameStream } from '../../src/network/frames.js'
import { connect, connectionTo, stopNodes, waitFor } from '../helpers/auth-nodes.js'
import { at, copySecrets, credentialFor, open, party, presenter, suite, testClock, trusting } from '../helpers/auth-fixtures.js'
import type { Party } from '../helpers/auth-fixtures.js'

after(stopNodes)

const EXPECTED = { version: PROTOCOL_VERSION, suite: SUITE_ID }

/** Dials `responder` from `dialer`, expects both sides to surface `code`, refused by `by`. */
async function expectRefusal(dialer: Party, responder: Party, code: ErrorCode, by: 'dialer' | 'responder'): Promise<void> {
  const before = { dialer: dialer.authenticated.length, responder: responder.authenticated.length }
  dialer.refused.length = 0
  responder.refused.length = 0
  const connection = await connect(dialer.node, responder.node)
  await assert.rejects(dialer.service.authenticate(connection), { code })
  await waitFor(() => dialer.refused.length > 0 && responder.refused.length > 0, 5_000, 'refusals on both sides')
  const d = dialer.refused.at(-1)
  const r = responder.refused.at(-1)
  assert.equal(d?.error.code, code, 'dialer surfaces the code')
  assert.equal(r?.error.code, code, 'responder surfaces the code')
  assert.equal(d?.by, by === 'dialer' ? 'local' : 'peer')
  assert.equal(r?.by, by === 'responder' ? 'local' : 'peer')
  assert.equal(d?.role, 'dialer')
  assert.equal(r?.role, 'responder')
  assert.equal(dialer.authenticated.length, before.dialer, 'the dialer authenticated nobody')
  assert.equal(responder.authenticated.length, before.responder, 'the responder authenticated nobody')
  // the refusing side closes the connection and cools the peer down in its gater
  await waitFor(() => connection.status !== 'open', 5_000, 'connection closed')
  const refuser = by === 'dialer' ? dialer : responder
  const other = by === 'dialer' ? responder : dialer
  assert.equal(refuser.gater.isRefused(other.node.peerId), true)
}

test('mutual auth with credentials: both sides see the peer, its DID and credential types', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock })
  const bob = await party('bob', { clock })
  const connection = await connect(alice.node, bob.node)
  const peer = await alice.service.authenticate(connection)
  assert.equal(peer.did, bob.identity.state.did)
  assert.ok(peer.peerId.equals(bob.node.peerId))
  assert.deepEqual(peer.credentialTypes, ['VerifiedHumanCredential'])
  assert.equal(peer.keyState.did, bob.identity.state.did)
  assert.equal(peer.group, undefined)
  assert.equal(alice.service.peerOf(connection), peer)
  assert.equal(alice.service.require(connection), peer)
  assert.equal(alice.service.isAuthenticated(bob.node.peerId), true)

  await waitFor(() => bob.authenticated.length === 1, 5_000, 'bob authenticated alice')
  const seen = bob.authenticated[0]
  assert.equal(seen?.role, 'responder')
  assert.equal(seen?.peer.did, alice.identity.state.did)
  assert.deepEqual(seen?.peer.credentialTypes, ['VerifiedHumanCredential'])
  assert.deepEqual(seen?.kel, encodeKel(alice.identity.kel))
  assert.equal(seen?.credentials[0]?.issuer, trusting.trustedIssuers[0])
  const back = await connectionTo(bob.node, alice.node)
  assert.equal(bob.service.require(back).did, alice.identity.state.did)
  assert.equal(bob.service.isAuthenticated(alice.node.peerId), true)
  assert.equal(alice.authenticated[0]?.role, 'dialer')

  // authenticated once: later calls return the recorded peer
  assert.equal(await alice.service.authenticate(connection), peer)
  assert.equal(alice.authenticated.length, 1)
  // gone with the connection
  await connection.close()
  await waitFor(() => !alice.service.isAuthenticated(bob.node.peerId), 5_000, 'forgotten after close')
  assert.equal(alice.service.peerOf(connection), undefined)
  assert.throws(() => alice.service.require(connection), { code: 'PEER_NOT_AUTHENTICATED' })
})

test('no credential required: no presentation travels, credential types are empty', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock, trust: open, credential: 'none' })
  const bob = await party('bob', { clock, trust: open, credential: 'none' })
  const peer = await alice.service.authenticate(await connect(alice.node, bob.node))
  assert.equal(peer.did, bob.identity.state.did)
  assert.deepEqual(peer.credentialTypes, [])
  await waitFor(() => bob.authenticated.length === 1)
  assert.deepEqual(bob.authenticated[0]?.credentials, [])
})

test('concurrent authenticate calls join one run', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock })
  const bob = await party('bob', { clock })
  const connection = await connect(alice.node, bob.node)
  const peers = await Promise.all([1, 2, 3].map(() => alice.service.authenticate(connection)))
  assert.ok(peers.every((p) => p === peers[0]))
  await waitFor(() => bob.authenticated.length === 1)
  assert.equal(alice.authenticated.length, 1)
  assert.equal(bob.authenticated.length, 1)
})

test('expired credential -> VC_EXPIRED on both sides (refused by the responder)', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock, credential: 'expired' })
  const bob = await party('bob', { clock })
  await expectRefusal(alice, bob, 'VC_EXPIRED', 'responder')
})

test('untrusted issuer -> VC_UNTRUSTED_ISSUER on both sides (refused by the dialer)', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock })
  const bob = await party('bob', { clock, credential: 'untrusted' })
  await expectRefusal(alice, bob, 'VC_UNTRUSTED_ISSUER', 'dialer')
})

test('no presentation where one is required -> AUTH_CREDENTIAL_REQUIRED', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock, credential: 'none' })
  const bob = await party('bob', { clock })
  await expectRefusal(alice, bob, 'AUTH_CREDENTIAL_REQUIRED', 'responder')
})

test('proof made with a rotated-out key -> KEL_ROTATED_KEY', async () => {
  const clock = testClock()
  // alice rotated, but her node still signs with the old key (stale state and secrets, new KEL)
  const alice = await party('alice', {
    clock,
    trust: open,
    credential: 'none',
    identity: (created) => {
      const old = { ...created, secrets: copySecrets(created) }
      const rotated = rotateIdentity(suite, created.kel, copySecrets(created), { now: at(-60) })
      return { kel: rotated.kel, state: { ...rotated.state, signingKey: old.state.signingKey }, secrets: old.secrets }
    },
  })
  const bob = await party('bob', { clock, trust: open, credential: 'none' })
  await expectRefusal(alice, bob, 'KEL_ROTATED_KEY', 'responder')
})

test('an older KEL than one seen before -> KEL_ROLLBACK', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock, trust: open, credential: 'none' })
  const rotated = rotateIdentity(suite, alice.identity.kel, copySecrets(alice.identity), { now: at(-60) })
  const bob = await party('bob', {
    clock,
    trust: open,
    credential: 'none',
    service: { knownKel: (did) => (did === alice.identity.state.did ? rotated.kel : undefined) },
  })
  await expectRefusal(alice, bob, 'KEL_ROLLBACK', 'responder')
})

test('a DID that does not list the connection\'s peer id -> AUTH_PEER_ID_MISMATCH', async () => {
  const clock = testClock()
  const alice = await party('alice', {
    clock,
    services: () => [{ id: 'p2p', type: 'libp2p-peer', endpoint: '12D3KooWSomebodyElse' }],
  })
  const bob = await party('bob', { clock })
  await expectRefusal(alice, bob, 'AUTH_PEER_ID_MISMATCH', 'responder')
})

test('group context: both members prove the group key; a stale group key -> AUTH_GROUP_KEY_INVALID; a non-member -> GROUP_NOT_MEMBER', async () => {
  const clock = testClock()
  // members need their KELs in the group: create parties first, with the group set through a getter
  let group: Identity | undefined
  let staleGroup: Identity | undefined
  const current = (): Identity => {
    if (group === undefined) throw new Error('group not ready')
    return group
  }
  const stale = (): Identity => {
    if (staleGroup === undefined) throw new Error('group not ready')
    return staleGroup
  }
  const alice = await party('alice', { clock, group: current })
  const bob = await party('bob', { clock, group: current })
  const carol = await party('carol', { clock, group: current })
  const dave = await party('dave', { clock, group: stale })
  group = createIdentity(suite, { kind: 'group', name: 'g', now: at(-1800), members: [alice.identity.kel, bob.identity.kel, dave.identity.kel] })

  // both members: the connection is in the group's context
  const peer = await alice.service.authenticate(await connect(alice.node, bob.node))
  assert.equal(peer.group, group.state.did)
  await waitFor(() => bob.authenticated.length === 1)
  assert.equal(bob.authenticated[0]?.peer.group, group.state.did)

  // carol holds the group key but is not listed
  await expectRefusal(carol, bob, 'GROUP_NOT_MEMBER', 'responder')

  // the group rotated its control key; dave still signs with the old one
  staleGroup = { ...group, secrets: copySecrets(group) }
  group = rotateIdentity(suite, group.kel, copySecrets(group), { now: at(-60) })
  await expectRefusal(alice, dave, 'AUTH_GROUP_KEY_INVALID', 'dialer')
})

/** A frame stream that records what it writes. */
function recording(frames: FrameStream): { frames: FrameStream; written: Uint8Array[] } {
  const written: Uint8Array[] = []
  return {
    written,
    frames: {
      stream: frames.stream,
      read: (o) => frames.read(o),
      readList: (o) => frames.readList(o),
      write: async (f, o) => {
        written.push(f.slice())
        await frames.write(f, o)
      },
      writeMany: async (fs, o) => {
        for (const f of fs) written.push(f.slice())
        await frames.writeMany(fs, o)
      },
    },
  }
}

function dialerOptions(me: Party, identity: Identity, remote: Libp2p, credential: Parameters<typeof presenter>[1]): HandshakeOptions {
  const clock = testClock()
  return {
    suite,
    identity,
    trust: trusting,
    requireCredential: true,
    presentation: presenter(() => identity, credential),
    clock,
    challenges: createChallengeBook(suite, 8, 10_000),
    localPeerId: me.node.peerId.toMultihash().bytes,
    remotePeerId: remote.peerId.toMultihash().bytes,
    remotePeerIdText: remote.peerId.toString(),
    signal: AbortSignal.timeout(10_000),
  }
}

test('a proof or a presentation replayed from another connection -> AUTH_REPLAY', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock })
  const bob = await party('bob', { clock })
  const credential = await credentialFor(alice.identity.state.did)

  // connection 1: a real handshake, alice's messages recorded
  const first = await connect(alice.node, bob.node)
  const rec = recording(frameStream(await first.newStream(AUTH_PROTOCOL_ID), { maxBytes: AUTH_MAX_FRAME_BYTES, timeoutMs: 0 }))
  const done = await runHandshake('dialer', rec.frames, dialerOptions(alice, alice.identity, bob.node, [credential]))
  assert.equal(done.did, bob.identity.state.did)
  await waitFor(() => bob.authenticated.length === 1)
  const oldProof = rec.written[1]
  assert.ok(oldProof !== undefined)
  const oldMessage = decodeAuthMessage(oldProof, ['proof'], EXPECTED)
  assert.equal(oldMessage.t, 'proof')

  // connection 2: a fresh hello, then the recorded proof
  async function replayOn(cause: ErrorCode | undefined, answer: (reply: ReturnType<typeof decodeReply>, frames: FrameStream) => Promise<void>): Promise<void> {
    const c = await connect(alice.node, bob.node)
    const frames = frameStream(await c.newStream(AUTH_PROTOCOL_ID), { maxBytes: AUTH_MAX_FRAME_BYTES, timeoutMs: 5_000 })
    const challenge = suite.randomBytes(32)
    await frames.write(encodeAuthMessage({ t: 'hello', ...EXPECTED, challenge, did: alice.identity.state.did, wantsCredential: false }))
    const reply = decodeReply(await frames.read())
    await answer(reply, frames)
    const verdict = await frames.read()
    assert.ok(verdict !== undefined)
    const m = decodeAuthMessage(verdict, ['ok'], EXPECTED)
    assert.equal(m.t, 'refuse')
    assert.equal(m.t === 'refuse' ? m.code : undefined, 'AUTH_REPLAY')
    await waitFor(() => bob.refused.length > 0)
    assert.equal(bob.refused.at(-1)?.error.code, 'AUTH_REPLAY')
    assert.equal(bob.refused.at(-1)?.by, 'local')
    assert.equal((bob.refused.at(-1)?.error.cause as { code?: string } | undefined)?.code, cause)
    bob.gater.forgive(alice.node.peerId)
    bob.refused.length = 0
  }
  function decodeReply(frame: Uint8Array | undefined) {
    assert.ok(frame !== undefined)
    const m = decodeAuthMessage(frame, ['reply'], EXPECTED)
    if (m.t !== 'reply') throw new Error('expected a reply')
    return m
  }

  // 1. the old proof as it was: it answers another challenge
  await replayOn(undefined, async (_reply, frames) => frames.write(oldProof))

  // 2. a fresh, correctly signed proof carrying the old presentation (its nonce is connection 1's)
  await replayOn('VP_NONCE_MISMATCH', async (reply, frames) => {
    const presentation = oldMessage.t === 'proof' ? oldMessage.presentation : undefined
    assert.ok(presentation !== undefined)
    // the hello above asked for nothing, so build the transcript exactly as bob does
    const t: TranscriptInput = {
      ...EXPECTED,
      dialer: { challenge: new Uint8Array(0), peerId: alice.node.peerId.toMultihash().bytes, did: alice.identity.state.did, wantsCredential: false, presentationHash: suite.sha256(presentation) },
      responder: { challenge: reply.challenge, peerId: bob.node.peerId.toMultihash().bytes, did: bob.identity.state.did, wantsCredential: true },
    }
    t.dialer.challenge = reply.echo
    const signature = suite.signAs(alice.identity.secrets.signing, alice.identity.state.signingKey, LABELS.auth, authTranscript('dialer', t))
    await frames.write(encodeAuthMessage({ t: 'proof', echo: reply.challenge, kel: encodeKel(alice.identity.kel), presentation, signature }))
  })
})

test('a KEL left out of the handshake is fetched with resolveKel; without one -> DID_NOT_FOUND', async () => {
  const clock = testClock()
  const alice = await party('alice', { clock, trust: open, credential: 'none' })
  const kelOf = new Map([[alice.identity.state.did, encodeKel(alice.identity.kel)]])
  const lookups: string[] = []
  const bob = await party('bob', {
    clock,
    trust: open,
    credential: 'none',
    service: { resolveKel: (d) => (lookups.push(d), kelOf.get(d)) },
  })
  const carol = await party('carol', { clock, trust: open, credential: 'none' })

  /** alice's dialer, with the KEL stripped from her proof (the signature does not cover it). */
  async function withoutKel(to: Party): Promise<unknown> {
    const c = await connect(alice.node, to.node)
    const frames = frameStream(await c.newStream(AUTH_PROTOCOL_ID), { maxBytes: AUTH_MAX_FRAME_BYTES, timeoutMs: 0 })
    const stripping: FrameStream = {
      ...frames,
      write: async (f, o) => {
        const m = f.length > 0 ? decodeAuthMessage(f, ['hello', 'proof'], EXPECTED) : undefined
        if (m?.t === 'proof') {
          const { kel: _dropped, ...rest } = m
          return frames.write(encodeAuthMessage(rest), o)
        }
        return frames.write(f, o)
      },
    }
    const options = { ...dialerOptions(alice, alice.identity, to.node, []), trust: open, requireCredential: false }
    return runHandshake('dialer', stripping, options).catch((e: unknown) => e)
  }

  const done = await withoutKel(bob)
  assert.equal((done as { did?: string }).did, bob.identity.state.did)
  assert.deepEqual(lookups, [alice.identity.state.did])
  await waitFor(() => bob.authenticated.length === 1)
  assert.equal(bob.authenticated[0]?.peer.did, alice.identity.state.did)

  const refused = await withoutKel(carol)
  assert.equal((refused as { code?: string }).code, 'DID_NOT_FOUND')
  await waitFor(() => carol.refused.length === 1)
  assert.equal(carol.refused[0]?.error.code, 'DID_NOT_FOUND')
  assert.equal(carol.gater.isRefused(alice.node.peerId), false, 'an unknown KEL may be a lookup failure: no cool-down')
})
