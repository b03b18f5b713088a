/**
 * ReplayCache (src/session/stores/types.ts) over the database: first-message
 * ids by HMAC, each with its expiry (plain: pruning compares it). The
 * payload only holds the id itself, so rotation can recompute the HMAC.
 */
import { REPLAY_ID_MAX_LENGTH, REPLAY_ID_MIN_LENGTH } from '../constants.js'
import { ParleyError } from '../errors.js'
import { getBytes } from '../codec/index.js'
import { checkReplayId, checkTime } from '../session/stores/checks.js'
import type { ReplayCache } from '../session/stores/types.js'
import { int, readPayload, sealPayload } from './context.js'
import type { DbContext, Row, SealedTable } from './context.js'

const TABLE = 'replay'

export const REPLAY_TABLES: readonly SealedTable[] = [
  {
    name: TABLE,
    since: 1,
    key: ['id'],
    lookups: ['id'],
    lookupValues: (plain, lookup) => [
      lookup('replay.id', readPayload(plain.slice(), TABLE, (m) => getBytes(m, 'i', TABLE, { min: REPLAY_ID_MIN_LENGTH, max: REPLAY_ID_MAX_LENGTH }))),
    ],
  },
]

export class SqliteReplayCache implements ReplayCache {
  readonly #ctx: DbContext

  constructor(ctx: DbContext) {
    this.#ctx = ctx
  }

  checkAndInsert(id: Uint8Array, expiresAt: Date, now: Date): Promise<boolean> {
    const op = 'ReplayCache.checkAndInsert'
    return this.#ctx.run(op, () => {
      checkReplayId(op, id)
      const expiry = checkTime(op, expiresAt, 'expiresAt')
      const at = checkTime(op, now)
      if (expiry <= at) throw new ParleyError('INVALID_ARGUMENT', `${op}: expiresAt must be after now`)
      const key = this.#ctx.lookup('replay.id', id)
      const row = this.#ctx.stmt(`SELECT expires_at FROM ${TABLE} WHERE id = ?`).get(key) as Row | undefined
      if (row !== undefined && int(row['expires_at'], 'replay.expires_at') > at) return false
      const sealed = sealPayload(this.#ctx, TABLE, [key], { i: id })
      this.#ctx
        .stmt(`INSERT INTO ${TABLE} (id, expires_at, sealed) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, sealed = excluded.sealed`)
        .run(key, expiry, sealed)
      return true
    })
  }

  prune(now: Date): Promise<number> {
    const op = 'ReplayCache.prune'
    return this.#ctx.run(op, () => {
      const at = checkTime(op, now)
      return Number(this.#ctx.stmt(`DELETE FROM ${TABLE} WHERE expires_at <= ?`).run(at).changes)
    })
  }
}
