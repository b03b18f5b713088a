import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GROUP_MAX_MEMBERS } from '../../src/constants.js'
import { createIdentity, createPerson, rotateIdentity, updateIdentity } from '../../src/identity/author.js'
import type { Identity } from '../../src/identity/author.js'
import {
  decodeMembershipProof,
  encodeMembershipProof,
  proveMembership,
  verifyMembership,
} from '../../src/identity/group.js'
import { verifyKel } from '../../src/identity/kel.js'
import { encodeKel } from '../../src/identity/log.js'
import { formatDid } from '../../src/identity/did.js'
import { T0S, at, challenge, cloneSecrets, signEvent, signRaw, suite, throwsCode } from './fixtures.js'

const alice = createIdentity(suite, { name: 'alice', now: at(0) })
const bob = createIdentity(suite, { name: 'bob', now: at(0) })
const carol = createIdentity(suite, { name: 'carol', now: at(0) })

function prove(group: Identity, member: Identity, c: Uint8Array) {
  return proveMembership(suite, { groupSecrets: group.secrets, memberSecrets: member.secrets, groupDid: group.state.did, memberDid: member.state.did, challenge: c })
}

test('group: members prove membership; the proof round-trips its wire form', () => {
  const team = createIdentity(suite, { kind: 'group', name: 'team', members: [alice.kel, encodeKel(bob.kel)], now: at(1) })
  assert.equal(team.state.kind, 'group')
  assert.deepStrictEqual(team.state.members, [alice.state.did, bob.state.did])
  const groupState = verifyKel(suite, encodeKel(team.kel))
  for (const member of [alice, bob]) {
    const c = challenge()
    const proof = decodeMembershipProof(encodeMembershipProof(prove(team, member, c)))
    verifyMembership(suite, proof, groupState, member.state, c)
  }
})

test('group: refusals GROUP_NOT_MEMBER, GROUP_PROOF_INVALID', () => {
  const team = createIdentity(suite, { kind: 'group', members: [alice.state], now: at(1) })
  const c = challenge()
  // carol holds the control key somehow, but she is not listed
  throwsCode(() => verifyMembership(suite, prove(team, carol, c), team.state, carol.state, c), 'GROUP_NOT_MEMBER')
  // an individual is not a group
  throwsCode(() => verifyMembership(suite, prove(bob, alice, c), bob.state, alice.state, c), 'GROUP_NOT_MEMBER')
  const good = prove(team, alice, c)
  throwsCode(() => verifyMembership(suite, good, team.state, alice.state, challenge()), 'GROUP_PROOF_INVALID')
  throwsCode(() => verifyMembership(suite, good, team.state, alice.state, c.subarray(0, 8)), 'GROUP_PROOF_INVALID')
  throwsCode(() => verifyMembership(suite, { ...good, memberDid: bob.state.did }, team.state, alice.state, c), 'GROUP_PROOF_INVALID')
  const flipped = good.memberSignature.slice()
  flipped[10] = (flipped[10] as number) ^ 0x80
  throwsCode(() => verifyMembership(suite, { ...good, memberSignature: flipped }, team.state, alice.state, c), 'GROUP_PROOF_INVALID')
  throwsCode(() => verifyMembership(suite, { ...good, groupSignature: good.memberSignature }, team.state, alice.state, c), 'GROUP_PROOF_INVALID')
  // bob's own key instead of the group control key
  const forged = proveMembership(suite, { groupSecrets: bob.secrets, memberSecrets: alice.secrets, groupDid: team.state.did, memberDid: alice.state.did, challenge: c })
  throwsCode(() => verifyMembership(suite, forged, team.state, alice.state, c), 'GROUP_PROOF_INVALID')
  throwsCode(() => prove(team, alice, new Uint8Array(8)), 'INVALID_ARGUMENT')
})

test('group: a signature by a rotated-out key (group or member) is KEL_ROTATED_KEY', () => {
  const dave = createIdentity(suite, { now: at(0) })
  const team = createIdentity(suite, { kind: 'group', members: [dave.state], now: at(1) })
  const oldTeam = { ...team, secrets: cloneSecrets(team.secrets) }
  const oldDave = { ...dave, secrets: cloneSecrets(dave.secrets) }
  const team2 = rotateIdentity(suite, team.kel, team.secrets, { now: at(2) })
  const dave2 = rotateIdentity(suite, dave.kel, dave.secrets, { now: at(2) })
  const c = challenge()
  verifyMembership(suite, prove(team2, dave2, c), team2.state, dave2.state, c)
  throwsCode(() => verifyMembership(suite, prove(oldTeam, dave2, c), team2.state, dave2.state, c), 'KEL_ROTATED_KEY')
  throwsCode(() => verifyMembership(suite, prove(team2, oldDave, c), team2.state, dave2.state, c), 'KEL_ROTATED_KEY')
})

test('group: add in update or rotation, remove only in a rotation', () => {
  const team = createIdentity(suite, { kind: 'group', members: [alice.state], now: at(1) })
  const withBob = updateIdentity(suite, team.kel, team.secrets, { now: at(2), addMembers: [bob.kel] })
  assert.deepStrictEqual(withBob.state.members, [alice.state.did, bob.state.did])
  throwsCode(() => updateIdentity(suite, withBob.kel, withBob.secrets, { now: at(3), addMembers: [bob.state] }), 'GROUP_MEMBER_EXISTS')
  throwsCode(() => rotateIdentity(suite, withBob.kel, withBob.secrets, { now: at(3), removeMembers: [carol.state.did] }), 'GROUP_NOT_MEMBER')
  throwsCode(() => updateIdentity(suite, withBob.kel, withBob.secrets, { now: at(3), addMembers: [withBob.kel] }), 'INVALID_ARGUMENT')
  // a hand-made update that removes bob, validly signed with the control key, is refused by every verifier
  const updRemove = signRaw(withBob.secrets.signing, {
    t: 'upd', ts: withBob.state.updatedAt.getTime() / 1000, did: withBob.state.did, s: 2, p: withBob.state.digest, rm: [bob.state.did],
  })
  throwsCode(() => verifyKel(suite, [...withBob.kel, updRemove]), 'KEL_EVENT_INVALID')
  const rotated = rotateIdentity(suite, withBob.kel, withBob.secrets, { now: at(3), removeMembers: [bob.state.did], addMembers: [carol.state] })
  assert.deepStrictEqual(rotated.state.members, [alice.state.did, carol.state.did])
  assert.equal(rotated.state.keySequence, 2)
  const c = challenge()
  throwsCode(() => verifyMembership(suite, prove(rotated, bob, c), rotated.state, bob.state, c), 'GROUP_NOT_MEMBER')
  verifyMembership(suite, prove(rotated, carol, c), rotated.state, carol.state, c)
})

test('group: GROUP_MAX_MEMBERS bounds the member list; a member listed twice is refused', () => {
  const sk = suite.generateSigningKey()
  const dids = Array.from({ length: GROUP_MAX_MEMBERS }, () => formatDid(suite.randomBytes(32)))
  const icp = signEvent(sk.secretKey, {
    type: 'icp', timestamp: T0S, kind: 'group', signingKey: sk.publicKey, nextCommitment: suite.randomBytes(32),
    agreementKeys: [suite.generateKemKey().publicKey], services: [], members: dids,
  })
  const full = verifyKel(suite, [icp])
  assert.equal(full.members.length, GROUP_MAX_MEMBERS)
  const add = signEvent(sk.secretKey, {
    type: 'upd', did: full.did, sequence: 1, prior: full.digest, timestamp: T0S, addMembers: [alice.state.did],
  })
  throwsCode(() => verifyKel(suite, [icp, add]), 'KEL_EVENT_INVALID')
  throwsCode(() => createIdentity(suite, { kind: 'group', members: [alice.state, alice.kel], now: at(0) }), 'GROUP_MEMBER_EXISTS')
})

test('person: two devices each prove membership; a removed device fails', () => {
  const laptop = createIdentity(suite, { name: 'laptop', now: at(0) })
  const phone = createIdentity(suite, { name: 'phone', now: at(0) })
  const person = createPerson(suite, { name: 'alice', devices: [laptop.kel, phone.kel], now: at(1) })
  assert.equal(person.state.kind, 'person')
  const state = verifyKel(suite, person.kel)
  for (const device of [laptop, phone]) {
    const c = challenge()
    verifyMembership(suite, prove(person, device, c), state, device.state, c)
  }
  // the phone is lost: remove it, which rotates the person's control key
  const oldPerson = { ...person, secrets: cloneSecrets(person.secrets) }
  const after = rotateIdentity(suite, person.kel, person.secrets, { now: at(2), removeMembers: [phone.state.did] })
  const current = verifyKel(suite, encodeKel(after.kel), { seen: { did: state.did, sequence: state.sequence, digest: state.digest } })
  const c = challenge()
  throwsCode(() => verifyMembership(suite, prove(oldPerson, phone, c), current, phone.state, c), 'GROUP_NOT_MEMBER')
  // the old control key (which the phone knew) no longer speaks for the person
  throwsCode(() => verifyMembership(suite, prove(oldPerson, laptop, c), current, laptop.state, c), 'KEL_ROTATED_KEY')
  verifyMembership(suite, prove(after, laptop, c), current, laptop.state, c)
  // a person's members are devices, not groups
  throwsCode(() => createPerson(suite, { devices: [person.kel], now: at(3) }), 'INVALID_ARGUMENT')
})
