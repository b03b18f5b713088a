/**
 * The session layer of Parley (DESIGN.md §6): prekeys and bundles, PQXDH
 * first contact, the first-message framing, and the stores the layer keeps
 * its state in (docs/pqxdh.md); the SessionManager that turns invites,
 * bundles and the ratchet into sessions between DIDs, with resets and
 * introductions (docs/sessions.md). The double ratchet lives in ./ratchet/.
 * Pure: no I/O, time passed as `now`, randomness from the suite, state in
 * and out through the store interfaces.
 *
 * @example
 * ```ts
 * import { createBundle, initiate, respond, MemoryPrekeyStore, MemoryReplayCache } from './session/index.js'
 * const bundle = await createBundle(suite, { ours: bob, prekeys, now })
 * const { firstMessage, secret } = initiate(suite, { ours: alice, theirs: bobState, bundle, now })
 * const answer = await respond(suite, { ours: bob, prekeys, replay, resolveIdentity, message: firstMessage, now })
 * ```
 */
export { PREKEY_BUNDLE_KIND, PREKEY_BUNDLE_TBS_KIND, createBundle, decodeBundle, encodeBundle, encodeBundleTbs, signBundle, verifyBundle } from './bundle.js'
export type { OneTimePrekeyPublic, PrekeyBundle, PrekeyBundleFields, SignedPrekeyPublic } from './bundle.js'
export { SESSION_WIRE_VERSION } from './envelope.js'
export { FIRST_MESSAGE_KIND, decodeFirstMessage, encodeFirstMessage } from './first-message.js'
export type { FirstMessage } from './first-message.js'
export { PQXDH_HEADER_KIND, PQXDH_HEADER_TBS_KIND, decodeHeader, encodeHeader, encodeHeaderTbs } from './header.js'
export type { PqxdhHeader, PqxdhHeaderFields } from './header.js'
export {
  PREKEY_RECORD_KIND,
  decodePrekeyRecord,
  encodePrekeyRecord,
  generatePrekey,
  maintainPrekeys,
  replenishOneTimePrekeys,
  rotateSignedPrekey,
} from './prekeys.js'
export type { OwnIdentity, PrekeyMaintenance, PrekeyRecord } from './prekeys.js'
export { initiate, respond, wipeInitiatorSecret, wipeResponderSecret } from './pqxdh.js'
export type { InitiateOptions, InitiatorSecret, RespondOptions, ResponderSecret } from './pqxdh.js'
export { PQXDH_TRANSCRIPT_KIND, agreementKeyId, deriveSessionKeys, transcriptHash } from './transcript.js'
export type { KdfInput, SessionKeys, TranscriptInput } from './transcript.js'
export { MemoryPrekeyStore, MemoryReplayCache, MemorySessionStore } from './stores/index.js'
export type { OneTimeLookup, PrekeyFamily, PrekeyKind, PrekeyStore, ReplayCache, SessionStore, StoredPrekey } from './stores/index.js'
export { assertX25519Public, isCanonicalX25519 } from './x25519.js'
export type { X25519KeyPair } from './x25519.js'
export { SessionManager } from './manager.js'
export type {
  AcceptResetResult,
  AppMessage,
  CreatedInvite,
  LocalIdentity,
  Outgoing,
  ReceiveResult,
  Received,
  ResetProposal,
  SessionEvent,
  SessionManagerOptions,
  SessionStores,
  StartResult,
} from './manager-types.js'
export type { SessionSummary } from './session-summary.js'
export { SESSION_MESSAGE_KIND, SESSION_MESSAGE_MAX_BYTES, decodeSessionMessage, encodeSessionMessage } from './session-message.js'
export type { SessionMessage } from './session-message.js'
export { SESSION_APP_MAX_BYTES, SESSION_PAYLOAD_KIND, decodeFrame, encodeFrame } from './control.js'
export type { Frame, Hello, Payload } from './control.js'
export { SESSION_RECORD_KIND, decodeSessionRecord, encodeSessionRecord } from './session-record.js'
export type { SessionOrigin, SessionRecord, SessionRole } from './session-record.js'
export { RESET_CODES, resetSentence } from './reset-reason.js'
export type { ResetCode, ResetReason } from './reset-reason.js'
export { RESET_DEPOSIT_KIND, openReset, resetWinner, sealReset } from './reset.js'
export { DEFAULT_INTRODUCTION_POLICY, acceptsIntroductionFrom, checkIntroductionInvite } from './introduction.js'
export type { IntroductionPolicy } from './introduction.js'
export { MemoryInviteStore } from './invite-store.js'
export type { InviteStore, IssuedInvite } from './invite-store.js'
