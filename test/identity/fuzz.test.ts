/**
 * Fuzzing every identity decoder of untrusted bytes with the shared harness
 * (random and mutated inputs; only ParleyErrors may escape, no call may
 * hang). Seeds are real, small logs (1 to 3 events) so mutations reach the
 * event decoder, the chain checks and signature verification. `verifyKel`
 * on bytes gets the full 100k runs too: mutations that still parse cost a
 * few hybrid verifications each (~7 s per 100k on the native suite).
 */
import { createIdentity, createPerson, rotateIdentity, updateIdentity } from '../../src/identity/author.js'
import { decodeEvent } from '../../src/identity/events.js'
import { decodeMembershipProof, encodeMembershipProof, proveMembership } from '../../src/identity/group.js'
import { verifyKel } from '../../src/identity/kel.js'
import { decodeKel, encodeKel } from '../../src/identity/log.js'
import { decodeSecrets, encodeSecrets } from '../../src/identity/secrets.js'
import { fuzzDecoder } from '../helpers/fuzz.js'
import { at, challenge, suite } from './fixtures.js'

const a = createIdentity(suite, { name: 'a', now: at(0) })
const aSecrets = encodeSecrets(a.secrets)
const b = rotateIdentity(suite, a.kel, a.secrets, { now: at(1) })
const c = updateIdentity(suite, b.kel, b.secrets, { now: at(2), services: [{ id: 'mbox', type: 'mailbox', endpoint: '/dns4/m.example/tcp/443/wss' }] })
const person = createPerson(suite, { name: 'p', devices: [c.state], now: at(3) })
const person2 = rotateIdentity(suite, person.kel, person.secrets, { now: at(4), removeMembers: [c.state.did] })

const kels = [encodeKel(a.kel), encodeKel(c.kel), encodeKel(person2.kel)]
const events = [...c.kel, ...person2.kel].map((e) => e.event)
const proof = encodeMembershipProof(
  proveMembership(suite, { groupSecrets: person2.secrets, memberSecrets: c.secrets, groupDid: person2.state.did, memberDid: c.state.did, challenge: challenge() }),
)

fuzzDecoder('identity decodeKel', decodeKel, kels)
fuzzDecoder('identity verifyKel (bytes)', (bytes) => verifyKel(suite, bytes), kels)
fuzzDecoder('identity decodeEvent', decodeEvent, events)
fuzzDecoder('identity decodeMembershipProof', decodeMembershipProof, [proof])
fuzzDecoder('identity decodeSecrets', decodeSecrets, [aSecrets, encodeSecrets(c.secrets)])
