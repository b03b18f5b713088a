/**
 * Introductions, the pure part (docs/sessions.md "Introductions"): the
 * consent policy that says whose introductions we accept, and the checks on
 * an introduction invite. The flow that uses them (request, offer, relay,
 * start) is introduction-flow.ts.
 *
 * A contact A introduces B and C: A asks both (`intro-request`); each that
 * accepts introductions from A answers with a full invite for the other
 * (`intro-offer`, purpose `introduction`, audience the other); A relays each
 * invite to the other (`intro`); the receiver checks its policy again and
 * the invite (audience itself, inviter the one A named), then initiates.
 */
import { DID_MAX_LENGTH, INTRODUCTION_POLICY_MAX_ALLOW } from '../constants.js'
import type { Suite } from '../crypto/index.js'
import { ParleyError } from '../errors.js'
import { assertParleyDid } from '../identity/index.js'
import { verifyFullInvite } from './invite.js'
import type { FullInvite } from './invite.js'

/**
 * Whose introductions we accept: `none`; `contacts` (default: anyone we
 * hold an active session with); `allow-list` (only the DIDs in `allow`, who
 * must also be contacts, since the request travels in a session).
 */
export interface IntroductionPolicy {
  mode: 'none' | 'contacts' | 'allow-list'
  allow?: string[]
}

export const DEFAULT_INTRODUCTION_POLICY: Readonly<IntroductionPolicy> = Object.freeze({ mode: 'contacts' })

/** Checks a policy given by a caller (INVALID_ARGUMENT) and copies it. */
export function checkIntroductionPolicy(policy: IntroductionPolicy | undefined): IntroductionPolicy {
  if (policy === undefined) return { mode: 'contacts' }
  if (policy === null || typeof policy !== 'object' || !['none', 'contacts', 'allow-list'].includes(policy.mode)) {
    throw new ParleyError('INVALID_ARGUMENT', 'introductions: mode must be none, contacts or allow-list')
  }
  const allow = policy.allow ?? []
  if (!Array.isArray(allow) || allow.length > INTRODUCTION_POLICY_MAX_ALLOW) throw new ParleyError('INVALID_ARGUMENT', `introductions: at most ${INTRODUCTION_POLICY_MAX_ALLOW} allowed DIDs`)
  for (const did of allow) {
    if (typeof did !== 'string' || did.length > DID_MAX_LENGTH) throw new ParleyError('INVALID_ARGUMENT', 'introductions: allow holds DIDs')
    assertParleyDid(did, 'introductions: allowed DID')
  }
  return { mode: policy.mode, allow: [...allow] }
}

/** Whether `policy` lets `introducer` (a contact iff `isContact`) introduce us to someone. */
export function acceptsIntroductionFrom(policy: IntroductionPolicy, introducer: string, isContact: boolean): boolean {
  if (!isContact) return false
  if (policy.mode === 'contacts') return true
  if (policy.mode === 'allow-list') return (policy.allow ?? []).includes(introducer)
  return false
}

/**
 * Verifies an introduction invite relayed to us: its signature, KEL and
 * expiry (`verifyFullInvite`), purpose `introduction`, audience `me`, and
 * inviter `named` (the DID the introducer said it is from). Every refusal
 * is INTRODUCTION_INVALID, the invite layer's code chained as `cause`.
 *
 * @example
 * const invite = checkIntroductionInvite(suite, bytes, { me: carol, named: bob, now: new Date() })
 */
export function checkIntroductionInvite(suite: Suite, bytes: Uint8Array, opts: { me: string; named: string; now: Date }): FullInvite {
  let invite: FullInvite
  try {
    invite = verifyFullInvite(suite, bytes, { now: opts.now, me: opts.me })
  } catch (err) {
    throw new ParleyError('INTRODUCTION_INVALID', 'introduction: the invite does not verify', { cause: err })
  }
  if (invite.purpose !== 'introduction') throw new ParleyError('INTRODUCTION_INVALID', 'introduction: the invite is not for an introduction')
  if (invite.audience !== opts.me) throw new ParleyError('INTRODUCTION_INVALID', 'introduction: the invite is meant for someone else')
  if (invite.inviter.did !== opts.named) throw new ParleyError('INTRODUCTION_INVALID', 'introduction: the invite is not from the one the introducer named')
  return invite
}

/** The sentence shown for an introduction event. */
export function introductionSentence(status: string, introducer: string, peer: string): string {
  switch (status) {
    case 'offered': return `${introducer} offered to introduce you to ${peer}; you agreed and sent an invitation.`
    case 'relayed': return `You passed ${peer}'s invitation on, as part of an introduction.`
    case 'started': return `${introducer} introduced you to ${peer}; a session with ${peer} is being set up.`
    case 'skipped': return `${introducer} introduced you to ${peer}, whom you already have a session with.`
    case 'refused': return `${introducer} tried to introduce you to ${peer}; your introduction settings refused it.`
    default: return `${introducer}'s introduction to ${peer} was invalid and was ignored.`
  }
}
