/**
 * Group membership proofs (DESIGN.md §4, docs/identity.md "Groups and
 * persons"): a member answers a challenge with two hybrid signatures over one
 * transcript that binds the group DID, the member DID and the challenge:
 * one by the group's current control key (`LABELS.groupProofGroup`), one by
 * the member's own current key (`LABELS.groupProofMember`). A verifier holds
 * both verified key states and checks the member is listed, both signatures
 * are by current keys, and the challenge is its own. The challenge must be
 * fresh and single use (the connection layer passes its transcript hash).
 */

import { GROUP_PROOF_MAX_CHALLENGE_LENGTH, GROUP_PROOF_MIN_CHALLENGE_LENGTH, LABELS } from '../constants.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, getText } from '../codec/index.js'
import { encodedLength } from '../crypto/index.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError, isParleyError } from '../errors.js'
import { assertParleyDid } from './did.js'
import { verifySignedBy } from './kel.js'
import type { IdentitySecrets } from './secrets.js'
import type { KeyState } from './state.js'

/** Envelope kind of the signed transcript. */
export const GROUP_PROOF_TRANSCRIPT_KIND = 'parley/group-proof-transcript'
/** Envelope kind of an encoded proof. */
export const GROUP_PROOF_KIND = 'parley/group-proof'
const VERSION = 1

/** A member's answer to a challenge. */
export interface MembershipProof {
  groupDid: string
  memberDid: string
  /** By the group's control key, label `LABELS.groupProofGroup`. */
  groupSignature: Uint8Array
  /** By the member's own key, label `LABELS.groupProofMember`. */
  memberSignature: Uint8Array
}

function checkChallenge(challenge: Uint8Array, code: 'INVALID_ARGUMENT' | 'GROUP_PROOF_INVALID'): void {
  if (
    !(challenge instanceof Uint8Array) ||
    challenge.length < GROUP_PROOF_MIN_CHALLENGE_LENGTH ||
    challenge.length > GROUP_PROOF_MAX_CHALLENGE_LENGTH
  ) {
    throw new ParleyError(code, `group proof: challenge must be ${GROUP_PROOF_MIN_CHALLENGE_LENGTH}..${GROUP_PROOF_MAX_CHALLENGE_LENGTH} bytes`)
  }
}

/** The bytes both signatures cover: `parley/group-proof-transcript` v1 `{ g, m, c }`. */
export function membershipTranscript(groupDid: string, memberDid: string, challenge: Uint8Array): Uint8Array {
  return encodeVersioned(GROUP_PROOF_TRANSCRIPT_KIND, VERSION, { g: groupDid, m: memberDid, c: challenge })
}

/**
 * Answers `challenge` as `memberDid` of `groupDid`. The caller holds the
 * group's current secrets (members share the control key) and its own.
 *
 * @example
 * const proof = proveMembership(suite, { groupSecrets, memberSecrets, groupDid, memberDid, challenge })
 */
export function proveMembership(
  suite: Suite,
  args: { groupSecrets: IdentitySecrets; memberSecrets: IdentitySecrets; groupDid: string; memberDid: string; challenge: Uint8Array },
): MembershipProof {
  assertParleyDid(args.groupDid, 'proveMembership: groupDid')
  assertParleyDid(args.memberDid, 'proveMembership: memberDid')
  checkChallenge(args.challenge, 'INVALID_ARGUMENT')
  const transcript = membershipTranscript(args.groupDid, args.memberDid, args.challenge)
  return {
    groupDid: args.groupDid,
    memberDid: args.memberDid,
    groupSignature: suite.sign(args.groupSecrets.signing, LABELS.groupProofGroup, transcript),
    memberSignature: suite.sign(args.memberSecrets.signing, LABELS.groupProofMember, transcript),
  }
}

/** `verifySignedBy`, with a plain bad signature reported as GROUP_PROOF_INVALID. */
function checkSignature(suite: Suite, state: KeyState, label: string, transcript: Uint8Array, signature: Uint8Array, who: string): void {
  try {
    verifySignedBy(suite, state, label, transcript, signature)
  } catch (err) {
    if (isParleyError(err, 'KEL_SIGNATURE_INVALID')) {
      throw new ParleyError('GROUP_PROOF_INVALID', `group proof: the ${who} signature does not verify`, { cause: err })
    }
    throw err
  }
}

/**
 * Checks `proof` against verified key states of the group and the member and
 * the verifier's own `challenge`. Throws GROUP_NOT_MEMBER (not a group, or
 * the member is not listed), GROUP_PROOF_INVALID (DIDs that are not these
 * states', a bad challenge, or a bad signature), KEL_ROTATED_KEY (a
 * signature by a rotated-out key).
 *
 * @example
 * verifyMembership(suite, proof, verifyKel(suite, groupKel), verifyKel(suite, memberKel), myChallenge)
 */
export function verifyMembership(
  suite: Suite,
  proof: MembershipProof,
  groupState: KeyState,
  memberState: KeyState,
  challenge: Uint8Array,
): void {
  if (proof.groupDid !== groupState.did || proof.memberDid !== memberState.did) {
    throw new ParleyError('GROUP_PROOF_INVALID', 'group proof: names another group or member')
  }
  if (groupState.kind === 'individual') throw new ParleyError('GROUP_NOT_MEMBER', 'group proof: not a group')
  if (!groupState.members.includes(memberState.did)) {
    throw new ParleyError('GROUP_NOT_MEMBER', 'group proof: the DID is not a member of the group')
  }
  checkChallenge(challenge, 'GROUP_PROOF_INVALID')
  const transcript = membershipTranscript(groupState.did, memberState.did, challenge)
  checkSignature(suite, groupState, LABELS.groupProofGroup, transcript, proof.groupSignature, 'group')
  checkSignature(suite, memberState, LABELS.groupProofMember, transcript, proof.memberSignature, 'member')
}

/** Wire form of a proof: `parley/group-proof` v1. */
export function encodeMembershipProof(proof: MembershipProof): Uint8Array {
  return encodeVersioned(GROUP_PROOF_KIND, VERSION, {
    g: proof.groupDid,
    m: proof.memberDid,
    gs: proof.groupSignature,
    ms: proof.memberSignature,
  })
}

/** Strict inverse of `encodeMembershipProof` (DECODE_* / DID_INVALID on malformed input). */
export function decodeMembershipProof(bytes: Uint8Array): MembershipProof {
  const map = asMap(decodeVersioned(bytes, GROUP_PROOF_KIND, [VERSION]), 'group proof')
  expectKeys(map, ['g', 'm', 'gs', 'ms'], [], 'group proof')
  const sigLength = encodedLength('signature')
  return {
    groupDid: assertParleyDid(getText(map, 'g', 'group proof', 64), 'group proof.g'),
    memberDid: assertParleyDid(getText(map, 'm', 'group proof', 64), 'group proof.m'),
    groupSignature: getBytes(map, 'gs', 'group proof', { length: sigLength }),
    memberSignature: getBytes(map, 'ms', 'group proof', { length: sigLength }),
  }
}
