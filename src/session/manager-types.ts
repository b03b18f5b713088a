/**
 * The types the SessionManager speaks (docs/sessions.md "API"): its options
 * and the stores it runs on, what it hands the transport (`Outgoing`), what
 * it hands the application (`Received`: messages and `SessionEvent`s), and
 * the internal context its parts share. No logic here.
 */
import type { Suite } from '../crypto/index.js'
import type { ErrorCode } from '../errors.js'
import type { IdentitySecrets, Kel, KeyState } from '../identity/index.js'
import type { IntroductionPolicy } from './introduction.js'
import type { InviteStore } from './invite-store.js'
import type { ResetCode } from './reset-reason.js'
import type { SessionOrigin } from './session-record.js'
import type { PrekeyStore, ReplayCache, SessionStore } from './stores/types.js'

/** Our own identity: the KEL (invites carry it), its verified state and the current secrets. */
export interface LocalIdentity {
  kel: Kel
  state: KeyState
  /** Handed over: the manager wipes them when the call is done, so return a fresh copy each time. */
  secrets: IdentitySecrets
}

export interface SessionStores {
  sessions: SessionStore
  prekeys: PrekeyStore
  replay: ReplayCache
  invites: InviteStore
}

export interface SessionManagerOptions {
  suite: Suite
  /** Our identity, read at every operation (so a key rotation takes effect at once). */
  identity: () => Promise<LocalIdentity>
  stores: SessionStores
  /**
   * A peer's verified key state (its KEL fetched and checked with
   * `verifyKel` against the seen record), at least as new as `keySequence`
   * when given; the current one otherwise. May throw: the error propagates.
   */
  resolveIdentity: (did: string, keySequence?: number) => Promise<KeyState>
  now: () => Date
  /** Who may introduce us to others (default `{ mode: 'contacts' }`). */
  introductions?: IntroductionPolicy
  /** Consecutive DECRYPT_FAILED in a peer's active session before a reset is proposed (default SESSION_RESET_DECRYPT_FAILURES; 0: never). */
  resetAfterDecryptFailures?: number
  /** Called with every event, after the state it reports is committed. Must not call back into the manager synchronously. */
  onEvent?: (event: SessionEvent) => void
}

/** Bytes for the transport: to a peer (live or its mailbox), or to a rendezvous (a reset deposit). */
export type Outgoing = { to: string; bytes: Uint8Array } | { rendezvous: Uint8Array; bytes: Uint8Array }

/** What happened to a session, in words a person can be shown (`message`). */
export type SessionEvent =
  | { type: 'session-established'; peer: string; sessionId: Uint8Array; origin: SessionOrigin; active: boolean }
  | { type: 'session-reset'; peer: string; sessionId: Uint8Array; reason: ResetCode; by: 'me' | 'peer'; message: string }
  | { type: 'reset-proposed'; peer: string; reason: ResetCode; message: string; cause?: ErrorCode }
  | { type: 'reset-notice'; peer: string; reason: ResetCode; message: string }
  | { type: 'reset-superseded'; peer: string; message: string }
  | {
      type: 'introduction'
      status: 'requested' | 'offered' | 'relayed' | 'started' | 'skipped' | 'refused' | 'invalid'
      introducer: string
      peer: string
      code?: ErrorCode
      message: string
      /** On 'started': the introduced peer's KEL from its signed invite (verified), so the transport can find it. */
      kel?: Uint8Array
    }

/** An application message that decrypted and was committed. */
export interface AppMessage {
  type: 'message'
  peer: string
  sessionId: Uint8Array
  data: Uint8Array
}

export type Received = AppMessage | SessionEvent

export interface ReceiveResult {
  /** Application messages and events, in order. */
  received: Received[]
  /** Replies to send (a responder's hello, introduction steps, a reset deposit). */
  outgoing: Outgoing[]
}

export interface StartResult {
  peer: string
  sessionId: Uint8Array
  /** The first message (`{ to: peer }`); it stays attached to every message until the peer answers. */
  outgoing: Outgoing[]
  /** From a full invite: where the inviter said it can be reached, and the rendezvous for a first message left at its mailbox. */
  addresses?: string[]
  rendezvous?: Uint8Array
}

/** What `createInvite` returns: both forms share one single-use token. */
export interface CreatedInvite {
  /** The signed full invite (a file or a message). */
  full: Uint8Array
  /** The `parley:` URI for a QR code; the initiator fetches `kel` and `bundle` and checks them against it. */
  compact: string
  token: Uint8Array
  /** What to serve to a holder of the compact form. */
  kel: Uint8Array
  bundle: Uint8Array
  expiresAt: Date
}

/** What `reset` returns: the sealed deposit for the peer's reset rendezvous, and a notice in the old session. */
export interface ResetProposal {
  rendezvous: Uint8Array
  bytes: Uint8Array
  /** A `reset` notice inside the old session (a live peer learns at once; a broken session may not decrypt it). */
  notice?: Outgoing
}

export type AcceptResetResult =
  | { status: 'accepted'; peer: string; sessionId: Uint8Array; outgoing: Outgoing[] }
  /** Both sides reset at once and ours wins the tie-break: theirs is dropped, they will take ours. */
  | { status: 'superseded'; peer: string; outgoing: Outgoing[] }
  /** This deposit was accepted before (its session is still being established). */
  | { status: 'duplicate'; peer: string; outgoing: Outgoing[] }

/** The manager's parts share this (one per manager). */
export interface Context {
  suite: Suite
  identity: () => Promise<LocalIdentity>
  stores: SessionStores
  resolveIdentity: (did: string, keySequence?: number) => Promise<KeyState>
  now: () => Date
  policy: IntroductionPolicy
  resetAfterDecryptFailures: number
}

/** What one call produced, gathered as it goes. */
export interface Effects {
  received: Received[]
  outgoing: Outgoing[]
}
