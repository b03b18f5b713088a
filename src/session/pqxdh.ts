/**
 * PQXDH key agreement (Signal's PQXDH specification, §3.3 "Sending the initial
 * message" and §3.4 "Receiving the initial message") on the parley-1 suite,
 * with authentication that holds against a quantum adversary in both
 * directions (docs/pqxdh.md):
 *
 * - DH1 = X25519(EK_A, SPK_B), DH2 = X25519(EK_A, OPK_B) when a one-time
 *   prekey is published: forward secrecy against a classical adversary.
 * - KEM1 = ML-KEM-768 to PQOPK_B, else to the last-resort PQSPK_B: forward
 *   secrecy against a quantum one (harvest now, decrypt later).
 * - KEM2 = hybrid KEM to Bob's identity agreement key (his KEL's
 *   agreementKeys[0]): only Bob can derive SK, so Bob is authenticated
 *   against a quantum adversary; PQXDH's DH(IK_A, SPK_B) and DH(EK_A, IK_B)
 *   have no place here (our identity keys are signing and KEM keys).
 * - Alice authenticates by a hybrid signature with her current key over
 *   the header, which names both DIDs, both key generations, Bob's
 *   agreement key, EK_A, every prekey id and both ciphertexts: a first
 *   message cannot be re-addressed or replayed to another party.
 *
 * Key agreement returns `{ firstMessage, secret }` / `{ secret, theirs }`;
 * the ratchet sees only `secret`: SK, the session id, the associated data and
 * SPK_B. The one-time PQ prekey's key is not handed on (the ratchet's first
 * KEM step is Bob's first reply, to an offer of Alice's: docs/ratchet.md). The responder verifies everything before
 * it touches a store and consumes the one-time prekeys and the replay id
 * last (after the optional `confirm` callback, in which the session layer
 * decrypts the first ratchet message), so a refused or undecryptable first
 * message consumes nothing.
 */
import { FIRST_MESSAGE_MAX_AGE_SECONDS, LABELS, SESSION_CLOCK_SKEW_SECONDS, X25519_KEY_LENGTH } from '../constants.js'
import { bytesEqual } from '../codec/index.js'
import type { Suite } from '../crypto/index.js'
import type { SecretKeyHandle } from '../crypto/types.js'
import { ParleyError } from '../errors.js'
import { verifySignedBy } from '../identity/index.js'
import type { KeyState } from '../identity/index.js'
import { verifyBundle } from './bundle.js'
import type { PrekeyBundle } from './bundle.js'
import { decodeHeader, encodeHeader, encodeHeaderTbs } from './header.js'
import type { PqxdhHeader, PqxdhHeaderFields } from './header.js'
import { seconds } from './prekeys.js'
import type { OwnIdentity } from './prekeys.js'
import { loadResponderPrekeys, wipeResponderPrekeys } from './responder-prekeys.js'
import type { PrekeyStore, ReplayCache } from './stores/types.js'
import { agreementKeyId, deriveSessionKeys, transcriptHash } from './transcript.js'
import type { SessionKeys } from './transcript.js'
import { assertX25519Public, x25519 } from './x25519.js'
import type { X25519KeyPair } from './x25519.js'

/** What the initiator hands `initInitiator` of the ratchet. Secret: wipe `sharedSecret` after use. */
export interface InitiatorSecret extends SessionKeys {
  /** SPK_B (raw X25519): the responder's first ratchet key. */
  theirRatchetKey: Uint8Array
}

/** What the responder hands `initResponder` of the ratchet. Secret: wipe after use. */
export interface ResponderSecret extends SessionKeys {
  /**
   * The signed prekey pair SPK_B (raw X25519), with the backend handle DH1
   * was computed with: the ratchet takes it over instead of importing the
   * same secret again.
   */
  ourRatchetKey: X25519KeyPair & { handle?: SecretKeyHandle }
}

/** X25519 with one of our key handles (EK_A, SPK_B), after the canonical check of the peer's key (x25519.ts). */
function agree(suite: Suite, ek: SecretKeyHandle, publicKey: Uint8Array, what: string): Uint8Array {
  assertX25519Public(publicKey, what)
  return suite.backend.x25519(ek, publicKey)
}

export interface InitiateOptions {
  ours: OwnIdentity
  /** The responder's verified key state (`verifyKel`). */
  theirs: KeyState
  /** The responder's bundle (object or bytes); verified here with `verifyBundle`. */
  bundle: PrekeyBundle | Uint8Array
  now: Date
}

/**
 * Alice's side: verifies Bob's bundle against his key state, runs the key
 * agreement and signs the header. `firstMessage` is the encoded PQXDH
 * header; the session layer frames it with the first ratchet message
 * (first-message.ts). Randomness comes from the suite. Refusals: those of
 * `verifyBundle` (KEL_ROTATED_KEY for a bundle signed by a rotated-out key),
 * X25519_ZERO_SHARED for a low-order prekey, KEY_INVALID for an invalid
 * ML-KEM or agreement key, INVALID_ARGUMENT for a session with ourselves or
 * secrets that are not our current keys.
 *
 * @example
 * const { firstMessage, secret } = initiate(suite, { ours: alice, theirs: bobState, bundle, now: new Date() })
 * const state = initInitiator(suite, secret) // the ratchet
 */
export function initiate(suite: Suite, opts: InitiateOptions): { firstMessage: Uint8Array; secret: InitiatorSecret } {
  const { ours, theirs, now } = opts
  if (theirs.did === ours.state.did) throw new ParleyError('INVALID_ARGUMENT', 'pqxdh: a session with ourselves')
  const bundle = verifyBundle(suite, opts.bundle, theirs, now)
  const agreementKey = theirs.agreementKeys[0] as Uint8Array
  const pqKey = bundle.oneTimePqPrekey ?? bundle.lastResortPqPrekey
  const ekSecret = suite.randomBytes(X25519_KEY_LENGTH)
  const secrets: Array<Uint8Array | undefined> = [ekSecret]
  try {
    // EK_A is imported once, for its public key and both DHs.
    const ek = suite.backend.importSecretKey('x25519', ekSecret)
    const ephemeralKey = suite.backend.x25519PublicKey(ek)
    const dh1 = agree(suite, ek, bundle.signedPrekey.publicKey, 'pqxdh: signed prekey')
    secrets.push(dh1)
    const dh2 = bundle.oneTimePrekey === undefined ? undefined : agree(suite, ek, bundle.oneTimePrekey.publicKey, 'pqxdh: one-time prekey')
    secrets.push(dh2)
    const kem1 = suite.backend.mlKem768Encapsulate(pqKey.publicKey)
    secrets.push(kem1.sharedSecret)
    const kem2 = suite.encapsulate(agreementKey)
    secrets.push(kem2.sharedSecret)
    const fields: PqxdhHeaderFields = {
      from: { did: ours.state.did, keySequence: ours.state.keySequence },
      to: { did: theirs.did, keySequence: theirs.keySequence, agreementKeyId: agreementKeyId(suite, agreementKey) },
      ephemeralKey,
      signedPrekeyId: bundle.signedPrekey.id,
      pqPrekey: { id: pqKey.id, oneTime: bundle.oneTimePqPrekey !== undefined },
      pqCiphertext: kem1.ciphertext,
      identityCiphertext: kem2.ciphertext,
      created: new Date(seconds(now) * 1000),
    }
    if (bundle.oneTimePrekey !== undefined) fields.oneTimePrekeyId = bundle.oneTimePrekey.id
    const tbs = encodeHeaderTbs(fields)
    // Signing as our state's current key also refuses secrets that are not it (INVALID_ARGUMENT).
    const signature = suite.signAs(ours.secrets.signing, ours.state.signingKey, LABELS.pqxdhInitiator, tbs)
    const th = transcriptHash(suite, {
      tbs,
      initiatorSigningKey: ours.state.signingKey,
      responderSigningKey: theirs.signingKey,
      responderAgreementKey: agreementKey,
      signedPrekey: bundle.signedPrekey.publicKey,
      ...(bundle.oneTimePrekey === undefined ? {} : { oneTimePrekey: bundle.oneTimePrekey.publicKey }),
      pqPrekey: pqKey.publicKey,
    })
    const keys = deriveSessionKeys(suite, { dh1, ...(dh2 === undefined ? {} : { dh2 }), kem1: kem1.sharedSecret, kem2: kem2.sharedSecret, transcriptHash: th })
    const secret: InitiatorSecret = { ...keys, theirRatchetKey: bundle.signedPrekey.publicKey.slice() }
    return { firstMessage: encodeHeader({ ...fields, signature }), secret }
  } finally {
    for (const s of secrets) s?.fill(0)
  }
}

export interface RespondOptions {
  ours: OwnIdentity
  prekeys: PrekeyStore
  replay: ReplayCache
  /**
   * The initiator's verified key state, at least as new as `keySequence`
   * (fetch and verify its KEL; `verifyKel` with the seen record). It may
   * throw: the error propagates and nothing is consumed.
   */
  resolveIdentity: (did: string, keySequence: number) => Promise<KeyState>
  /** The encoded PQXDH header (`decodeFirstMessage(...).header`). */
  message: Uint8Array
  now: Date
  /**
   * Runs after every check and the derivation, before anything is
   * consumed: the session layer decrypts the first ratchet message here (on
   * a copy). If it throws, the error propagates, the secret is wiped and
   * the stores are untouched. If the commit after it fails (a concurrent
   * response won: PREKEY_USED / SESSION_REPLAY), discard what it built.
   */
  confirm?: (secret: ResponderSecret, theirs: KeyState) => Promise<void> | void
}

/** Our agreement secret at `index` (INVALID_ARGUMENT when our secrets do not match our key state). */
function agreementSecret(ours: OwnIdentity, index: number): Uint8Array {
  const secret = ours.secrets.agreement[index]
  if (ours.secrets.agreement.length !== ours.state.agreementKeys.length || secret === undefined) {
    throw new ParleyError('INVALID_ARGUMENT', 'session: our agreement secrets do not match our key state')
  }
  return secret
}

/** The agreement key the header names among ours: its index, else SESSION_WRONG_RECIPIENT. */
function checkAddressing(suite: Suite, header: PqxdhHeader, ours: OwnIdentity): number {
  const me = ours.state
  if (header.from.did === me.did) throw new ParleyError('SESSION_WRONG_RECIPIENT', 'pqxdh: our own first message reflected back')
  if (header.to.did !== me.did) throw new ParleyError('SESSION_WRONG_RECIPIENT', 'pqxdh: first message for another DID')
  if (header.to.keySequence !== me.keySequence) throw new ParleyError('SESSION_WRONG_RECIPIENT', 'pqxdh: first message for another key generation of ours')
  const index = me.agreementKeys.findIndex((k) => bytesEqual(agreementKeyId(suite, k), header.to.agreementKeyId))
  if (index < 0) throw new ParleyError('SESSION_WRONG_RECIPIENT', 'pqxdh: first message for an agreement key that is not ours')
  return index
}

/** Refuses a header dated outside the replay window (its replay-cache entry would already be gone). */
function checkFreshness(header: PqxdhHeader, now: Date): Date {
  const age = seconds(now) - seconds(header.created)
  if (age < -SESSION_CLOCK_SKEW_SECONDS) throw new ParleyError('SESSION_REPLAY', 'pqxdh: first message dated in the future')
  if (age >= FIRST_MESSAGE_MAX_AGE_SECONDS + SESSION_CLOCK_SKEW_SECONDS) throw new ParleyError('SESSION_REPLAY', 'pqxdh: first message older than the replay window')
  return new Date((seconds(header.created) + FIRST_MESSAGE_MAX_AGE_SECONDS + SESSION_CLOCK_SKEW_SECONDS) * 1000)
}

/** Alice's key state, and her signature on the header by its current key (KEL_ROTATED_KEY / KEL_SIGNATURE_INVALID). */
async function authenticate(suite: Suite, header: PqxdhHeader, tbs: Uint8Array, resolve: RespondOptions['resolveIdentity']): Promise<KeyState> {
  const theirs = await resolve(header.from.did, header.from.keySequence)
  if (theirs.did !== header.from.did) throw new ParleyError('KEL_ID_MISMATCH', 'pqxdh: the resolver returned another DID')
  verifySignedBy(suite, theirs, LABELS.pqxdhInitiator, tbs, header.signature)
  if (theirs.keySequence !== header.from.keySequence) {
    throw new ParleyError('KEL_SIGNATURE_INVALID', 'pqxdh: the header names another key generation than the key that signed it')
  }
  return theirs
}

/**
 * Bob's side (PQXDH §3.4): checks the header, derives the secret, then
 * consumes. Refusals, in the order they are checked: the decoding ones
 * (SESSION_VERSION_UNSUPPORTED, SESSION_DOWNGRADE for a missing KEM part,
 * KEY_INVALID for a non-canonical EK_A, DECODE_*); SESSION_WRONG_RECIPIENT
 * (another DID, key generation or agreement key; our own message
 * reflected); SESSION_REPLAY outside the replay window; KEL_ROTATED_KEY /
 * KEL_SIGNATURE_INVALID for Alice's signature; PREKEY_UNKNOWN for an
 * unknown signed or one-time prekey, SESSION_DOWNGRADE for a PQ prekey id
 * that is not ours, PREKEY_USED for a one-time prekey already used;
 * X25519_ZERO_SHARED for a low-order EK_A, KEM_FAILED for a malformed
 * ciphertext, INVALID_ARGUMENT when our agreement secret is not our key
 * state's (found while decapsulating, before anything is consumed); then
 * the commit: SESSION_REPLAY for a first message seen
 * before (PREKEY_USED when it used a one-time prekey), PREKEY_USED when a
 * concurrent response consumed a one-time prekey first.
 *
 * @example
 * const { secret, theirs } = await respond(suite, { ours: bob, prekeys, replay, resolveIdentity, message: header, now: new Date(),
 *   confirm: async (s) => { first = ratchetDecrypt(suite, initResponder(suite, s), ratchetMessage) } })
 */
export async function respond(suite: Suite, opts: RespondOptions): Promise<{ secret: ResponderSecret; theirs: KeyState }> {
  const { ours, prekeys, replay, now } = opts
  const { header, tbs } = decodeHeader(opts.message)
  const agreementIndex = checkAddressing(suite, header, ours)
  const replayExpiresAt = checkFreshness(header, now)
  const theirs = await authenticate(suite, header, tbs, opts.resolveIdentity)
  const loaded = await loadResponderPrekeys(prekeys, header, now)
  const scratch: Array<Uint8Array | undefined> = []
  let secret: ResponderSecret | undefined
  try {
    // SPK_B is imported once: for DH1, and as the ratchet's first sending key.
    const spk = suite.backend.importSecretKey('x25519', loaded.signed.secret)
    const dh1 = agree(suite, spk, header.ephemeralKey, 'pqxdh: ephemeral key')
    scratch.push(dh1)
    const dh2 = loaded.oneTime === undefined ? undefined : x25519(suite, loaded.oneTime.secret, header.ephemeralKey, 'pqxdh: ephemeral key')
    scratch.push(dh2)
    const kem1 = suite.backend.mlKem768Decapsulate(loaded.pq.secret, header.pqCiphertext)
    scratch.push(kem1)
    // Decapsulating as our state's agreement key also refuses a secret that is not it (INVALID_ARGUMENT).
    const kem2 = suite.decapsulateAs(agreementSecret(ours, agreementIndex), ours.state.agreementKeys[agreementIndex] as Uint8Array, header.identityCiphertext)
    scratch.push(kem2)
    const th = transcriptHash(suite, {
      tbs,
      initiatorSigningKey: theirs.signingKey,
      responderSigningKey: ours.state.signingKey,
      responderAgreementKey: ours.state.agreementKeys[agreementIndex] as Uint8Array,
      signedPrekey: loaded.signed.publicKey,
      ...(loaded.oneTime === undefined ? {} : { oneTimePrekey: loaded.oneTime.publicKey }),
      pqPrekey: loaded.pq.publicKey,
    })
    const keys = deriveSessionKeys(suite, { dh1, ...(dh2 === undefined ? {} : { dh2 }), kem1, kem2, transcriptHash: th })
    secret = { ...keys, ourRatchetKey: { secretKey: loaded.signed.secret.slice(), publicKey: loaded.signed.publicKey.slice(), handle: spk } }
    if (opts.confirm !== undefined) await opts.confirm(secret, theirs)
    await commit(prekeys, replay, header, keys.sessionId, replayExpiresAt, now)
    return { secret, theirs }
  } catch (err) {
    wipeResponderSecret(secret)
    throw err
  } finally {
    for (const s of scratch) s?.fill(0)
    wipeResponderPrekeys(loaded)
  }
}

/**
 * The only store writes, last and each atomic: the replay id first (a
 * replayed message then fails before any prekey is touched), then the
 * one-time PQ prekey, then the one-time X25519 prekey.
 */
async function commit(prekeys: PrekeyStore, replay: ReplayCache, header: PqxdhHeader, sessionId: Uint8Array, expiresAt: Date, now: Date): Promise<void> {
  const usesOneTime = header.oneTimePrekeyId !== undefined || header.pqPrekey.oneTime
  if (!(await replay.checkAndInsert(sessionId, expiresAt, now))) {
    throw new ParleyError(usesOneTime ? 'PREKEY_USED' : 'SESSION_REPLAY', 'pqxdh: this first message was answered before')
  }
  if (header.pqPrekey.oneTime) await take(prekeys, 'ml-kem', header.pqPrekey.id)
  if (header.oneTimePrekeyId !== undefined) await take(prekeys, 'x25519', header.oneTimePrekeyId)
}

async function take(prekeys: PrekeyStore, kind: 'x25519' | 'ml-kem', id: number): Promise<void> {
  const taken = await prekeys.takeOneTime(kind, id)
  if (taken.status !== 'available') throw new ParleyError('PREKEY_USED', `pqxdh: one-time ${kind} prekey #${id} was used concurrently`)
  taken.record.fill(0)
}

/** Overwrites the secrets of a responder secret (the session layer calls it once the ratchet holds them). */
export function wipeResponderSecret(secret: ResponderSecret | undefined): void {
  if (secret === undefined) return
  secret.sharedSecret.fill(0)
  secret.ourRatchetKey.secretKey.fill(0)
  delete secret.ourRatchetKey.handle
}

/** Overwrites the shared secret of an initiator secret. */
export function wipeInitiatorSecret(secret: InitiatorSecret | undefined): void {
  secret?.sharedSecret.fill(0)
}
