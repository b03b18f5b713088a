/**
 * InviteStore (src/session/invite-store.ts) over the database (schema v2).
 * An invite row is found by HMAC(token) and is `issued` until it is
 * redeemed, then `redeemed` (its record dropped, the token kept until the
 * invite's expiry so a second redemption is INVITE_USED, not INVITE_INVALID).
 * Redemption is one synchronous step: of concurrent callers, one wins.
 */
import { DB_INVITE_TOKEN_MAX_LENGTH, ISSUED_INVITE_RECORD_MAX_BYTES } from '../constants.js'
import { ParleyError } from '../errors.js'
import { getBytes, optional } from '../codec/index.js'
import { checkTime } from '../session/stores/checks.js'
import type { InviteStore, IssuedInvite } from '../session/invite-store.js'
import { blob, int, readPayload, sealPayload } from './context.js'
import type { DbContext, Row, SealedTable } from './context.js'

const TABLE = 'invites'

function checkToken(op: string, token: Uint8Array): void {
  if (!(token instanceof Uint8Array) || token.length === 0 || token.length > DB_INVITE_TOKEN_MAX_LENGTH) {
    throw new ParleyError('INVALID_ARGUMENT', `${op}: token must be 1..${DB_INVITE_TOKEN_MAX_LENGTH} bytes`)
  }
}

export const INVITE_TABLES: readonly SealedTable[] = [
  {
    name: TABLE,
    since: 2,
    key: ['token'],
    lookups: ['token'],
    lookupValues: (plain, lookup) => [
      lookup('invites.token', readPayload(plain.slice(), TABLE, (m) => getBytes(m, 't', TABLE, { min: 1, max: DB_INVITE_TOKEN_MAX_LENGTH }))),
    ],
  },
]

export class SqliteInviteStore implements InviteStore {
  readonly #ctx: DbContext

  constructor(ctx: DbContext) {
    this.#ctx = ctx
  }

  issue(token: Uint8Array, invite: IssuedInvite): Promise<void> {
    const op = 'InviteStore.issue'
    return this.#ctx.run(op, () => {
      checkToken(op, token)
      if (invite === null || typeof invite !== 'object' || !(invite.record instanceof Uint8Array) || invite.record.length > ISSUED_INVITE_RECORD_MAX_BYTES) {
        throw new ParleyError('INVALID_ARGUMENT', `${op}: the record must be at most ${ISSUED_INVITE_RECORD_MAX_BYTES} bytes`)
      }
      const expiresAt = checkTime(op, invite.expiresAt, 'expiresAt')
      const key = this.#ctx.lookup('invites.token', token)
      if (this.#ctx.stmt(`SELECT 1 FROM ${TABLE} WHERE token = ?`).get(key) !== undefined) {
        throw new ParleyError('STORE_EXISTS', 'invite token issued already')
      }
      const sealed = sealPayload(this.#ctx, TABLE, [key], { t: token, r: invite.record })
      this.#ctx.stmt(`INSERT INTO ${TABLE} (token, state, expires_at, sealed) VALUES (?, 'issued', ?, ?)`).run(key, expiresAt, sealed)
    })
  }

  redeem(token: Uint8Array, now: Date): Promise<Uint8Array> {
    const op = 'InviteStore.redeem'
    return this.#ctx.run(op, () => {
      const at = checkTime(op, now)
      if (!(token instanceof Uint8Array) || token.length === 0 || token.length > DB_INVITE_TOKEN_MAX_LENGTH) {
        throw new ParleyError('INVITE_INVALID', 'invite: not issued here')
      }
      const key = this.#ctx.lookup('invites.token', token)
      const row = this.#ctx.stmt(`SELECT state, expires_at, sealed FROM ${TABLE} WHERE token = ?`).get(key) as Row | undefined
      if (row === undefined) throw new ParleyError('INVITE_INVALID', 'invite: not issued here')
      if (row['state'] === 'redeemed') throw new ParleyError('INVITE_USED', 'invite: used already')
      if (at >= int(row['expires_at'], 'invites.expires_at')) {
        this.#ctx.stmt(`DELETE FROM ${TABLE} WHERE token = ?`).run(key)
        throw new ParleyError('INVITE_EXPIRED', 'invite: expired')
      }
      const plain = this.#ctx.open(TABLE, [key], blob(row['sealed'], 'invites.sealed'))
      const record = readPayload(plain, TABLE, (m) => optional(m, 'r', (mm, k) => getBytes(mm, k, TABLE, { max: ISSUED_INVITE_RECORD_MAX_BYTES })))
      if (record === undefined) throw new ParleyError('STORE_CORRUPT', 'database: an issued invite row has no record')
      const sealed = sealPayload(this.#ctx, TABLE, [key], { t: token })
      this.#ctx.stmt(`UPDATE ${TABLE} SET state = 'redeemed', sealed = ? WHERE token = ?`).run(sealed, key)
      return record
    })
  }

  revoke(token: Uint8Array): Promise<void> {
    const op = 'InviteStore.revoke'
    return this.#ctx.run(op, () => {
      checkToken(op, token)
      this.#ctx.stmt(`DELETE FROM ${TABLE} WHERE token = ? AND state = 'issued'`).run(this.#ctx.lookup('invites.token', token))
    })
  }

  prune(now: Date): Promise<number> {
    const op = 'InviteStore.prune'
    return this.#ctx.run(op, () => {
      const at = checkTime(op, now)
      return this.#ctx.atomic(() => {
        const issued = this.#ctx.stmt(`DELETE FROM ${TABLE} WHERE state = 'issued' AND expires_at <= ?`).run(at).changes
        this.#ctx.stmt(`DELETE FROM ${TABLE} WHERE state = 'redeemed' AND expires_at <= ?`).run(at)
        return Number(issued)
      })
    })
  }
}
