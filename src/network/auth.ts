/**
 * Connection authentication, /parley/auth/1.0.0 (DESIGN §5): the protocol
 * core that runs on one auth stream. gate.ts wires it into a libp2p node;
 * auth-messages.ts holds the wire format and the signed transcript.
 *
 * ```
 *  dialer D (opens the stream)                    responder R
 *  hello {v, s, cA, dA, g?, qA}          ───────▶  version, suite, group context
 *                                                  cB fresh; presentation B (aud dA,
 *                                                  nonce H(cA,cB,peer ids,DIDs,'responder'))
 *                                        ◀───────  reply {v, s, cB, echo cA, dB, g?, qB,
 *  echo = cA, single use, not expired               KEL B, pres B?, sig B, gsig B?}
 *  verify B (order below); record B
 *  proof {echo cB, KEL A, pres A?,       ───────▶  echo = cB, single use, not expired
 *         sig A, gsig A?}                          verify A; record A
 *                                        ◀───────  ok
 *  (a refuse {code, msg} may replace any message; the refusing side then closes)
 * ```
 *
 * sig X = hybrid signature (LABELS.auth) by X's current DID key over the
 * transcript of role X: version, suite, both challenges, both peer ids (from
 * the libp2p connection, never from a message), both DIDs, both credential
 * requests, the group, and the hash of each presentation already sent
 * (R's only: R signs before A's exists). gsig X = the group control key's
 * signature over the membership transcript (identity/group.ts) with
 * challenge SHA-256(transcript X): the "second signature with the group
 * control key" of DESIGN §5, made by whoever holds the group's secrets.
 *
 * Verification of a peer, cheap checks first: message structure and sizes
 * (decode) → echo of our challenge, single use and unexpired (a bounded
 * challenge book) → its DID lists the connection's peer id (a scan of the
 * KEL, no signature yet) → group membership listed → the KEL verifies
 * (current keys) and is not older than the one we know (`knownKel`,
 * compareKels: older is KEL_ROLLBACK, a fork KEL_DUPLICITY) → the signature
 * by its current key → its presentation against our trust policy → the
 * group control key signature. Any failure is a typed ParleyError; the
 * refusing side sends it as a `refuse` frame and the peer surfaces the same
 * code. R signs before it knows who D is (the price of 1.5 round trips):
 * the per-peer and per-IP rate limits and the bound on handshakes in flight
 * (gate.ts) cap what a flood of hellos costs.
 */
import { AUTH_CHALLENGE_LENGTH, AUTH_CLOSE_GRACE_MS, AUTH_MAX_INLINE_KEL_BYTES, AUTH_MAX_PRESENTATION_BYTES, LABELS, PROTOCOL_VERSION, SUITE_ID } from '../constants.js'
import { toHex } from '../codec/index.js'
import type { Suite } from '../crypto/index.js'
import { encodePresentationContainer, verifyPresentation } from '../credentials/index.js'
import type { KeySources, PresentationContainer, TrustPolicy, VerifiedCredential } from '../credentials/index.js'
import { ParleyError, isParleyError } from '../errors.js'
import { compareKels, decodeEvent, decodeKel, encodeKel, formatDid, membershipTranscript, verifyKel, verifySignedBy } from '../identity/index.js'
import type { Identity, Kel, KeyState, Service } from '../identity/index.js'
import { authTranscript, decodeAuthMessage, encodeAuthMessage, presentationNonce } from './auth-messages.js'
import type { AuthMessage, AuthMessageType, AuthRole, ProofFields, RefuseMessage, TranscriptInput } from './auth-messages.js'
import type { FrameStream } from './frames.js'
import { createExpiringSet } from './rate-limit.js'

export type { AuthRole } from './auth-messages.js'

/** A KEL lookup: encoded or as entries; `undefined` when unknown. */
export type KelSource = (did: string) => Promise<Kel | Uint8Array | undefined> | Kel | Uint8Array | undefined

/** What a presentation must be made for. */
export interface PresentationRequest {
  /** The peer's DID: the presentation's audience. */
  audience: string
  /** The presentation's nonce (binds it to this connection and direction). */
  nonce: Uint8Array
  now: Date
}

/**
 * Makes our presentation when the peer asks for one (`createPresentation`
 * with our identity and credentials); `undefined` = we have none to show.
 */
export type PresentationProvider = (request: PresentationRequest) => Promise<PresentationContainer | undefined>

/** A verified peer, as one handshake produced it. */
export interface HandshakeResult {
  did: string
  keyState: KeyState
  /** The peer's KEL as verified (encoded): store it, so a later rollback is noticed. */
  kel: Uint8Array
  /** Accepted credentials (empty when we required none). */
  credentials: VerifiedCredential[]
  /** Types of the accepted credentials that our policy accepts. */
  credentialTypes: string[]
  group?: string
}

/** Outstanding challenges: issued once, redeemed once, expiring. */
export interface ChallengeBook {
  /** A fresh challenge, remembered until redeemed or expired; AUTH_RATE_LIMITED when too many are outstanding. */
  issue(now: number): Uint8Array
  /** Checks that `echo` is `ours` and that `ours` is still outstanding; consumes it. AUTH_REPLAY or AUTH_TIMEOUT otherwise. */
  redeem(ours: Uint8Array, echo: Uint8Array, now: number): void
  /** Forgets `ours` (the handshake ended). */
  release(ours: Uint8Array): void
}

/** A challenge book holding at most `max` challenges, each for `ttlMs`. */
export function createChallengeBook(suite: Suite, max: number, ttlMs: number): ChallengeBook {
  const outstanding = createExpiringSet(max)
  return {
    issue(now) {
      const challenge = suite.randomBytes(AUTH_CHALLENGE_LENGTH)
      if (!outstanding.add(toHex(challenge), now + ttlMs, now, false)) {
        throw new ParleyError('AUTH_RATE_LIMITED', 'auth: too many handshakes in progress; try again later')
      }
      return challenge
    },
    redeem(ours, echo, now) {
      if (ours.length !== echo.length || !suite.timingSafeEqual(ours, echo)) {
        throw new ParleyError('AUTH_REPLAY', 'auth: the answer is for another challenge (a replay from another connection)')
      }
      const state = outstanding.check(toHex(ours), now)
      if (state === 'expired') throw new ParleyError('AUTH_TIMEOUT', 'auth: the challenge expired')
      if (state === 'absent') throw new ParleyError('AUTH_REPLAY', 'auth: the challenge was already used')
      outstanding.delete(toHex(ours))
    },
    release(ours) {
      outstanding.delete(toHex(ours))
    },
  }
}

/** Everything one handshake needs. The service builds one per run. */
export interface HandshakeOptions {
  suite: Suite
  /** Our identity now (the current key signs). */
  identity: Identity
  /** The group we hold the control key of: every connection is then in its context. */
  group?: Identity
  trust: TrustPolicy
  /** Ask the peer for a presentation and refuse without an accepted credential. */
  requireCredential: boolean
  presentation?: PresentationProvider
  /** Where a peer's KEL comes from when its message carries none. */
  resolveKel?: KelSource
  /** The newest KEL we know for a DID (a shorter one is KEL_ROLLBACK, a fork KEL_DUPLICITY). */
  knownKel?: KelSource
  /** For did:web / did:key credential issuers. */
  resolver?: KeySources['resolver']
  clock: () => Date
  challenges: ChallengeBook
  /** Multihash bytes of our and the peer's libp2p peer ids, and the peer's id as a string (KEL services list it). */
  localPeerId: Uint8Array
  remotePeerId: Uint8Array
  remotePeerIdText: string
  /** Aborts the handshake (the whole-handshake deadline). */
  signal: AbortSignal
  /** Called once the peer is verified, before our last message goes out. */
  onVerified?: (result: HandshakeResult) => void
}

/** Refusals we received, told apart from refusals we made. */
const peerRefusals = new WeakSet<ParleyError>()

/** True when `err` is the peer's refusal (its code, surfaced here), not one we made. */
export function isPeerRefusal(err: unknown): boolean {
  return err instanceof ParleyError && peerRefusals.has(err)
}

const EXPECTED = { version: PROTOCOL_VERSION, suite: SUITE_ID }
const DECODE_CODES: ReadonlySet<string> = new Set(['DECODE_FAILED', 'DECODE_TOO_LARGE', 'DECODE_TOO_DEEP', 'DECODE_NOT_CANONICAL', 'DECODE_SCHEMA'])

function isRefusal(m: AuthMessage): m is RefuseMessage {
  return m.t === 'refuse'
}

/** The next message, of one of the `accept` types; the peer's `refuse` is thrown as its code. */
async function receive<T extends Exclude<AuthMessageType, 'refuse'>>(
  frames: FrameStream,
  accept: readonly T[],
  o: HandshakeOptions,
): Promise<Extract<AuthMessage, { t: T }>> {
  const frame = await frames.read({ signal: o.signal })
  if (frame === undefined) throw new ParleyError('NETWORK_CLOSED', 'auth: the peer closed the stream')
  const m: AuthMessage = decodeAuthMessage(frame, accept, EXPECTED)
  if (isRefusal(m)) {
    const err = new ParleyError(m.code, `auth: refused by the peer: ${m.message}`)
    peerRefusals.add(err)
    throw err
  }
  return m as Extract<AuthMessage, { t: T }>
}

async function kelBytes(source: KelSource | undefined, did: string): Promise<Uint8Array | undefined> {
  const kel = source === undefined ? undefined : await source(did)
  if (kel === undefined || kel instanceof Uint8Array) return kel
  return encodeKel(kel)
}

/**
 * The services of the newest event of `kel` that lists them, after checking
 * the inception is `did`'s — no signature checked yet: a cheap filter that
 * refuses a peer id the DID does not list before any ML-DSA work.
 */
function claimedServices(o: HandshakeOptions, kel: Uint8Array, did: string): readonly Service[] {
  const entries = decodeKel(kel)
  const first = entries[0]
  if (first === undefined) throw new ParleyError('KEL_EMPTY', 'auth: the peer KEL is empty')
  if (formatDid(o.suite.digest(LABELS.didInception, first.event)) !== did) {
    throw new ParleyError('KEL_ID_MISMATCH', 'auth: the KEL is not the DID\'s')
  }
  let services: readonly Service[] = []
  for (const entry of entries) {
    const ev = decodeEvent(entry.event)
    if (ev.services !== undefined) services = ev.services
  }
  return services
}

function listsPeer(services: readonly Service[], peerId: string): boolean {
  return services.some((s) => s.type === 'libp2p-peer' && s.endpoint === peerId)
}

function peerIdMismatch(did: string): ParleyError {
  return new ParleyError('AUTH_PEER_ID_MISMATCH', `auth: ${did} does not list this connection's peer id`)
}

/** Verifies the peer's proof (role `peerRole`) in the order of the file header. */
async function verifyPeer(o: HandshakeOptions, peerRole: AuthRole, did: string, fields: ProofFields, t: TranscriptInput): Promise<HandshakeResult> {
  const { suite } = o
  const kel = fields.kel ?? (await kelBytes(o.resolveKel, did))
  if (kel === undefined) throw new ParleyError('DID_NOT_FOUND', `auth: no KEL for ${did}`)
  if (!listsPeer(claimedServices(o, kel, did), o.remotePeerIdText)) throw peerIdMismatch(did)
  const group = o.group?.state
  if (group !== undefined && (group.kind === 'individual' || !group.members.includes(did))) {
    throw new ParleyError('GROUP_NOT_MEMBER', `auth: ${did} is not a member of the group`)
  }
  const state = verifyKel(suite, kel, { expectedDid: did })
  // after verification: a fork between two verified copies is evidence against the controller (compareKels)
  const known = await kelBytes(o.knownKel, did)
  if (known !== undefined && compareKels(known, kel) === 'a-extends-b') {
    throw new ParleyError('KEL_ROLLBACK', `auth: ${did} sent an older KEL than one seen before`)
  }
  if (!listsPeer(state.services, o.remotePeerIdText)) throw peerIdMismatch(did)

  const transcript = authTranscript(peerRole, t)
  verifySignedBy(suite, state, LABELS.auth, transcript, fields.signature)

  const result: HandshakeResult = { did, keyState: state, kel, credentials: [], credentialTypes: [] }
  if (o.requireCredential) {
    if (fields.presentation === undefined) throw new ParleyError('AUTH_CREDENTIAL_REQUIRED', 'auth: a credential presentation is required')
    const vp = await verifyPresentation(fields.presentation, {
      suite,
      policy: o.trust,
      audience: o.identity.state.did,
      nonce: presentationNonce(suite, peerRole, t),
      now: o.clock(),
      kels: async (d) => (d === did ? kel : undefined),
      ...(o.resolver === undefined ? {} : { resolver: o.resolver }),
    })
    if (vp.holder !== did) throw new ParleyError('VC_SUBJECT_MISMATCH', 'auth: the presentation holder is not the peer')
    if (vp.credentials.length === 0) throw new ParleyError('AUTH_CREDENTIAL_REQUIRED', 'auth: the presentation holds no credential')
    result.credentials = vp.credentials
    result.credentialTypes = [...new Set(vp.credentials.flatMap((c) => c.types.filter((x) => o.trust.acceptedTypes.includes(x))))]
  } else if (fields.presentation !== undefined) {
    throw new ParleyError('AUTH_PROTOCOL', 'auth: a presentation nobody asked for')
  }

  if (group !== undefined) {
    if (fields.groupSignature === undefined) throw new ParleyError('AUTH_PROTOCOL', 'auth: the group signature is missing')
    try {
      verifySignedBy(suite, group, LABELS.groupProofGroup, membershipTranscript(group.did, did, suite.sha256(transcript)), fields.groupSignature)
    } catch (err) {
      if (isParleyError(err, 'KEL_SIGNATURE_INVALID') || isParleyError(err, 'KEL_ROTATED_KEY')) {
        throw new ParleyError('AUTH_GROUP_KEY_INVALID', 'auth: the group signature is not by the group\'s current control key', { cause: err })
      }
      throw err
    }
    result.group = group.did
  } else if (fields.groupSignature !== undefined) {
    throw new ParleyError('AUTH_PROTOCOL', 'auth: a group signature outside a group context')
  }
  return result
}

/** Our KEL, presentation (when asked), signature and group signature for `role`; sets our presentation hash in `t`. */
async function buildProof(o: HandshakeOptions, role: AuthRole, t: TranscriptInput, peerDid: string, asked: boolean): Promise<ProofFields> {
  const { suite, identity } = o
  const own = role === 'dialer' ? t.dialer : t.responder
  let presentation: Uint8Array | undefined
  if (asked && o.presentation !== undefined) {
    const vp = await o.presentation({ audience: peerDid, nonce: presentationNonce(suite, role, t), now: o.clock() })
    if (vp !== undefined) {
      presentation = new TextEncoder().encode(encodePresentationContainer(vp))
      if (presentation.length > AUTH_MAX_PRESENTATION_BYTES) {
        throw new ParleyError('LIMIT_EXCEEDED', `auth: our presentation exceeds ${AUTH_MAX_PRESENTATION_BYTES} bytes`)
      }
      own.presentationHash = suite.sha256(presentation)
    }
  }
  const transcript = authTranscript(role, t)
  const fields: ProofFields = { signature: suite.signAs(identity.secrets.signing, identity.state.signingKey, LABELS.auth, transcript) }
  const kel = encodeKel(identity.kel)
  if (kel.length <= AUTH_MAX_INLINE_KEL_BYTES) fields.kel = kel
  if (presentation !== undefined) fields.presentation = presentation
  if (o.group !== undefined) {
    const g = o.group
    const membership = membershipTranscript(g.state.did, identity.state.did, suite.sha256(transcript))
    fields.groupSignature = suite.signAs(g.secrets.signing, g.state.signingKey, LABELS.groupProofGroup, membership)
  }
  return fields
}

function checkGroup(o: HandshakeOptions, claimed: string | undefined): void {
  if (claimed !== o.group?.state.did) {
    throw new ParleyError('GROUP_NOT_MEMBER', claimed === undefined ? 'auth: this node only accepts connections in its group context' : 'auth: not a member of that group here')
  }
}

async function dialer(frames: FrameStream, o: HandshakeOptions): Promise<HandshakeResult> {
  const me = o.identity.state
  const group = o.group?.state.did
  const ours = o.challenges.issue(o.clock().getTime())
  try {
    await frames.write(
      encodeAuthMessage({ t: 'hello', ...EXPECTED, challenge: ours, did: me.did, ...(group === undefined ? {} : { group }), wantsCredential: o.requireCredential }),
      { signal: o.signal },
    )
    const reply = await receive(frames, ['reply'], o)
    o.challenges.redeem(ours, reply.echo, o.clock().getTime())
    checkGroup(o, reply.group)
    const t: TranscriptInput = {
      ...EXPECTED,
      dialer: { challenge: ours, peerId: o.localPeerId, did: me.did, wantsCredential: o.requireCredential },
      responder: { challenge: reply.challenge, peerId: o.remotePeerId, did: reply.did, wantsCredential: reply.wantsCredential },
    }
    if (group !== undefined) t.group = group
    if (reply.presentation !== undefined) t.responder.presentationHash = o.suite.sha256(reply.presentation)
    const result = await verifyPeer(o, 'responder', reply.did, reply, t)
    const proof = await buildProof(o, 'dialer', t, reply.did, reply.wantsCredential)
    o.onVerified?.(result)
    await frames.write(encodeAuthMessage({ t: 'proof', echo: reply.challenge, ...proof }), { signal: o.signal })
    await receive(frames, ['ok'], o)
    return result
  } finally {
    o.challenges.release(ours)
  }
}

async function responder(frames: FrameStream, o: HandshakeOptions): Promise<HandshakeResult> {
  const me = o.identity.state
  const hello = await receive(frames, ['hello'], o)
  checkGroup(o, hello.group)
  const ours = o.challenges.issue(o.clock().getTime())
  try {
    const t: TranscriptInput = {
      ...EXPECTED,
      dialer: { challenge: hello.challenge, peerId: o.remotePeerId, did: hello.did, wantsCredential: hello.wantsCredential },
      responder: { challenge: ours, peerId: o.localPeerId, did: me.did, wantsCredential: o.requireCredential },
    }
    if (hello.group !== undefined) t.group = hello.group
    const proof = await buildProof(o, 'responder', t, hello.did, hello.wantsCredential)
    await frames.write(
      encodeAuthMessage({
        t: 'reply',
        ...EXPECTED,
        challenge: ours,
        echo: hello.challenge,
        did: me.did,
        ...(hello.group === undefined ? {} : { group: hello.group }),
        wantsCredential: o.requireCredential,
        ...proof,
      }),
      { signal: o.signal },
    )
    const m = await receive(frames, ['proof'], o)
    o.challenges.redeem(ours, m.echo, o.clock().getTime())
    if (m.presentation !== undefined) t.dialer.presentationHash = o.suite.sha256(m.presentation)
    const result = await verifyPeer(o, 'dialer', hello.did, m, t)
    o.onVerified?.(result)
    await frames.write(encodeAuthMessage({ t: 'ok' }), { signal: o.signal })
    return result
  } finally {
    o.challenges.release(ours)
  }
}

/**
 * The typed reason of a failed handshake: timeouts (our deadline or a frame
 * read) are AUTH_TIMEOUT, a presentation for another challenge AUTH_REPLAY,
 * malformed bytes AUTH_PROTOCOL, anything that is not a ParleyError INTERNAL.
 */
export function authError(err: unknown, signal?: AbortSignal): ParleyError {
  if (isPeerRefusal(err)) return err as ParleyError
  if (err instanceof ParleyError) {
    if (err.code === 'NETWORK_TIMEOUT') return new ParleyError('AUTH_TIMEOUT', 'auth: the handshake timed out', { cause: err })
    if (err.code === 'VP_NONCE_MISMATCH') return new ParleyError('AUTH_REPLAY', 'auth: the presentation was made for another connection', { cause: err })
    if (DECODE_CODES.has(err.code)) return new ParleyError('AUTH_PROTOCOL', 'auth: malformed data', { cause: err })
    if (signal?.aborted === true && err.code === 'NETWORK_CLOSED') return new ParleyError('AUTH_TIMEOUT', 'auth: the handshake timed out', { cause: err })
    return err
  }
  if (signal?.aborted === true) return new ParleyError('AUTH_TIMEOUT', 'auth: the handshake timed out', { cause: err })
  return new ParleyError('INTERNAL', 'auth: internal error', { cause: err })
}

/**
 * Runs one handshake as `role` on `frames`. On our refusal the reason goes
 * to the peer in a `refuse` frame (best effort, within AUTH_CLOSE_GRACE_MS)
 * before the error is thrown; the peer's refusal is thrown as its code
 * (`isPeerRefusal` tells them apart). The caller closes the connection.
 *
 * @example
 * const result = await runHandshake('dialer', frameStream(stream, { maxBytes: AUTH_MAX_FRAME_BYTES, timeoutMs: 0 }), options)
 */
export async function runHandshake(role: AuthRole, frames: FrameStream, o: HandshakeOptions): Promise<HandshakeResult> {
  try {
    return role === 'dialer' ? await dialer(frames, o) : await responder(frames, o)
  } catch (err) {
    const error = authError(err, o.signal)
    if (!isPeerRefusal(error)) await sendRefusal(frames, error)
    throw error
  }
}

/** Writes a `refuse` frame for `error` (INTERNAL goes out without detail); never throws. */
export async function sendRefusal(frames: FrameStream, error: ParleyError): Promise<void> {
  const message = error.code === 'INTERNAL' ? 'internal error' : error.message
  try {
    await frames.write(encodeAuthMessage({ t: 'refuse', code: error.code, message }), { signal: AbortSignal.timeout(AUTH_CLOSE_GRACE_MS) })
  } catch {
    // the stream is gone: the connection close carries the refusal
  }
}
