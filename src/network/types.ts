/**
 * What the /parley/* protocols share: the outcome of connection
 * authentication and the gate every protocol handler asks before it serves
 * a stream (DESIGN §5: until authentication passes, no other Parley
 * protocol runs on that connection).
 */
import type { Connection, PeerId } from '@libp2p/interface'
import type { KeyState } from '../identity/index.js'

/** A connection's peer after /parley/auth/1.0.0 passed. */
export interface AuthenticatedPeer {
  /** The peer's DID. */
  readonly did: string
  /** The libp2p peer id the DID lists (checked during authentication). */
  readonly peerId: PeerId
  /** The peer's verified current key state (from its KEL). */
  readonly keyState: KeyState
  /** Credential types the peer presented and our trust policy accepted (empty when none are required). */
  readonly credentialTypes: readonly string[]
  /** The group DID, when the connection was authenticated in a group context. */
  readonly group?: string
  /** When authentication completed. */
  readonly at: Date
}

/**
 * The per-connection authentication state. Protocol handlers call
 * `require(connection)` first and close the stream on refusal
 * (PEER_NOT_AUTHENTICATED); dialers call `authenticate(connection)` before
 * opening a protocol stream.
 */
export interface ConnectionGate {
  /** The authenticated peer of `connection`, or `undefined` when it has not (yet) passed. */
  peerOf(connection: Connection): AuthenticatedPeer | undefined
  /** Like `peerOf`, but throws PEER_NOT_AUTHENTICATED. */
  require(connection: Connection): AuthenticatedPeer
  /**
   * Runs (or joins a running) authentication on `connection` as the
   * dialer, and resolves with the peer; rejects with the typed refusal.
   */
  authenticate(connection: Connection, options?: { signal?: AbortSignal }): Promise<AuthenticatedPeer>
}
