/**
 * The inviter's record of the invites it issued: a token is redeemed at
 * most once (atomically) and only before it expires. A narrow async
 * interface over opaque records, so the SQLite store of the agent (a later
 * issue) passes the same compliance suite as the in-memory one here.
 */
import { ParleyError } from '../errors.js'
import { toHex } from '../base64url.js'

/** What the inviter keeps about one issued invite. */
export interface IssuedInvite {
  /** Opaque to the store: the session layer's versioned record (purpose, rendezvous ids, bundle ids…). */
  record: Uint8Array
  expiresAt: Date
}

export interface InviteStore {
  /** Records an issued invite under its token; a token is issued once (STORE_EXISTS otherwise). */
  issue(token: Uint8Array, invite: IssuedInvite): Promise<void>
  /**
   * Redeems `token` at `now`: returns the record and forgets the token, at
   * most once across concurrent callers. INVITE_USED for a redeemed token,
   * INVITE_EXPIRED for an expired one, INVITE_INVALID for one never issued.
   */
  redeem(token: Uint8Array, now: Date): Promise<Uint8Array>
  /** Withdraws an unredeemed invite (no error if absent). */
  revoke(token: Uint8Array): Promise<void>
  /** Drops expired invites; returns how many. */
  prune(now: Date): Promise<number>
}

/** Upper bound on remembered redeemed tokens (older ones are forgotten FIFO; they are expired by then). */
const REDEEMED_MEMORY = 65_536

/** In-memory InviteStore (tests, ephemeral agents). */
export class MemoryInviteStore implements InviteStore {
  readonly #issued = new Map<string, IssuedInvite>()
  readonly #redeemed = new Map<string, number>()

  async issue(token: Uint8Array, invite: IssuedInvite): Promise<void> {
    const key = toHex(token)
    if (this.#issued.has(key) || this.#redeemed.has(key)) throw new ParleyError('STORE_EXISTS', 'invite token issued already')
    this.#issued.set(key, { record: invite.record.slice(), expiresAt: new Date(invite.expiresAt.getTime()) })
  }

  async redeem(token: Uint8Array, now: Date): Promise<Uint8Array> {
    const key = toHex(token)
    const invite = this.#issued.get(key)
    if (invite === undefined) {
      if (this.#redeemed.has(key)) throw new ParleyError('INVITE_USED', 'invite: used already')
      throw new ParleyError('INVITE_INVALID', 'invite: not issued here')
    }
    if (now.getTime() >= invite.expiresAt.getTime()) {
      this.#issued.delete(key)
      throw new ParleyError('INVITE_EXPIRED', 'invite: expired')
    }
    // Synchronous from lookup to delete: no other redeem can interleave.
    this.#issued.delete(key)
    this.#redeemed.set(key, invite.expiresAt.getTime())
    if (this.#redeemed.size > REDEEMED_MEMORY) {
      const oldest = this.#redeemed.keys().next().value
      if (oldest !== undefined) this.#redeemed.delete(oldest)
    }
    return invite.record.slice()
  }

  async revoke(token: Uint8Array): Promise<void> {
    this.#issued.delete(toHex(token))
  }

  async prune(now: Date): Promise<number> {
    let n = 0
    for (const [key, invite] of this.#issued) {
      if (now.getTime() >= invite.expiresAt.getTime()) {
        this.#issued.delete(key)
        n++
      }
    }
    for (const [key, exp] of this.#redeemed) if (now.getTime() >= exp) this.#redeemed.delete(key)
    return n
  }
}
