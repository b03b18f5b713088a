/**
 * PrekeyStore (src/session/stores/types.ts) over the database. Prekey ids
 * and kinds are public (they are published in bundles), so they are plain
 * columns a query can order by; each prekey's record (its secret key) is
 * sealed with the row's (kind, id) as associated data. The id counters are
 * plain too: they say how many prekeys were ever made, nothing else.
 *
 * Every method is one synchronous step of the database (DbContext.run), so
 * concurrent `takeOneTime`/`publishOneTime`/`allocateIds` calls can never
 * both win; multi-row writes run in a savepoint (all or nothing).
 */
import { PREKEY_MAX_ID, PREKEY_RECORD_MAX_BYTES, SIGNED_PREKEY_GRACE_SECONDS } from '../constants.js'
import { ParleyError } from '../errors.js'
import { getBytes } from '../codec/index.js'
import { checkCount, checkFamily, checkId, checkKind, checkPrekey, checkTime } from '../session/stores/checks.js'
import type { OneTimeLookup, PrekeyFamily, PrekeyKind, PrekeyStore, StoredPrekey } from '../session/stores/types.js'
import { blob, int, readPayload, sealPayload } from './context.js'
import type { DbContext, Row, SealedTable } from './context.js'

const GRACE_MS = SIGNED_PREKEY_GRACE_SECONDS * 1000
const SIGNED = 'signed_prekeys'
const ONE_TIME = 'one_time_prekeys'

/** The two prekey tables: keyed by (kind, id), nothing to recompute on rotation. */
export const PREKEY_TABLES: readonly SealedTable[] = [SIGNED, ONE_TIME].map((name) => ({
  name,
  since: 1,
  key: ['kind', 'id'],
  lookups: [],
  lookupValues: () => [],
}))

export class SqlitePrekeyStore implements PrekeyStore {
  readonly #ctx: DbContext

  constructor(ctx: DbContext) {
    this.#ctx = ctx
  }

  #next(family: PrekeyFamily, kind: PrekeyKind): number {
    const row = this.#ctx.stmt('SELECT next FROM prekey_ids WHERE family = ? AND kind = ?').get(family, kind) as Row | undefined
    return row === undefined ? 0 : int(row['next'], 'prekey_ids.next')
  }

  #seal(table: string, kind: PrekeyKind, id: number, record: Uint8Array): Uint8Array {
    return sealPayload(this.#ctx, table, [kind, id], { r: record })
  }

  #open(table: string, kind: PrekeyKind, id: number, sealed: unknown): Uint8Array {
    const plain = this.#ctx.open(table, [kind, id], blob(sealed, `${table}.sealed`))
    return readPayload(plain, table, (m) => getBytes(m, 'r', table, { min: 1, max: PREKEY_RECORD_MAX_BYTES }))
  }

  allocateIds(family: PrekeyFamily, kind: PrekeyKind, count: number): Promise<number[]> {
    const op = 'PrekeyStore.allocateIds'
    return this.#ctx.run(op, () => {
      checkFamily(op, family)
      checkKind(op, kind)
      checkCount(op, count)
      const first = this.#next(family, kind)
      if (first + count - 1 > PREKEY_MAX_ID) throw new ParleyError('PREKEY_EXHAUSTED', `${op}: no ${family} ${kind} prekey ids left`)
      this.#ctx
        .stmt('INSERT INTO prekey_ids (family, kind, next) VALUES (?, ?, ?) ON CONFLICT (family, kind) DO UPDATE SET next = excluded.next')
        .run(family, kind, first + count)
      return Array.from({ length: count }, (_, i) => first + i)
    })
  }

  rotateSigned(kind: PrekeyKind, prekey: StoredPrekey, now: Date): Promise<void> {
    const op = 'PrekeyStore.rotateSigned'
    return this.#ctx.run(op, () => {
      checkKind(op, kind)
      checkPrekey(op, prekey)
      const at = checkTime(op, now)
      if (prekey.id >= this.#next('signed', kind)) throw new ParleyError('INVALID_ARGUMENT', `${op}: id was not allocated`)
      if (this.#ctx.stmt(`SELECT 1 FROM ${SIGNED} WHERE kind = ? AND id = ?`).get(kind, prekey.id) !== undefined) {
        throw new ParleyError('STORE_EXISTS', `${op}: id already stored`)
      }
      const sealed = this.#seal(SIGNED, kind, prekey.id, prekey.record)
      this.#ctx.atomic(() => {
        this.#ctx.stmt(`UPDATE ${SIGNED} SET retired_at = ? WHERE kind = ? AND retired_at IS NULL`).run(at, kind)
        this.#ctx.stmt(`INSERT INTO ${SIGNED} (kind, id, retired_at, sealed) VALUES (?, ?, NULL, ?)`).run(kind, prekey.id, sealed)
      })
    })
  }

  currentSigned(kind: PrekeyKind): Promise<StoredPrekey | undefined> {
    const op = 'PrekeyStore.currentSigned'
    return this.#ctx.run(op, () => {
      checkKind(op, kind)
      const row = this.#ctx.stmt(`SELECT id, sealed FROM ${SIGNED} WHERE kind = ? AND retired_at IS NULL`).get(kind) as Row | undefined
      if (row === undefined) return undefined
      const id = int(row['id'], `${SIGNED}.id`)
      return { id, record: this.#open(SIGNED, kind, id, row['sealed']) }
    })
  }

  loadSigned(kind: PrekeyKind, id: number, now: Date): Promise<Uint8Array | undefined> {
    const op = 'PrekeyStore.loadSigned'
    return this.#ctx.run(op, () => {
      checkKind(op, kind)
      checkId(op, id)
      const at = checkTime(op, now)
      const row = this.#ctx.stmt(`SELECT retired_at, sealed FROM ${SIGNED} WHERE kind = ? AND id = ?`).get(kind, id) as Row | undefined
      if (row === undefined) return undefined
      const retiredAt = row['retired_at']
      if (retiredAt !== null && at >= int(retiredAt, `${SIGNED}.retired_at`) + GRACE_MS) return undefined
      return this.#open(SIGNED, kind, id, row['sealed'])
    })
  }

  pruneSigned(now: Date): Promise<number> {
    const op = 'PrekeyStore.pruneSigned'
    return this.#ctx.run(op, () => {
      const at = checkTime(op, now)
      const result = this.#ctx.stmt(`DELETE FROM ${SIGNED} WHERE retired_at IS NOT NULL AND retired_at <= ?`).run(at - GRACE_MS)
      return Number(result.changes)
    })
  }

  addOneTime(kind: PrekeyKind, prekeys: readonly StoredPrekey[]): Promise<void> {
    const op = 'PrekeyStore.addOneTime'
    return this.#ctx.run(op, () => {
      checkKind(op, kind)
      if (!Array.isArray(prekeys)) throw new ParleyError('INVALID_ARGUMENT', `${op}: prekeys must be an array`)
      checkCount(op, prekeys.length)
      const next = this.#next('one-time', kind)
      const held = this.#ctx.stmt(`SELECT 1 FROM ${ONE_TIME} WHERE kind = ? AND id = ?`)
      const seen = new Set<number>()
      for (const p of prekeys) {
        checkPrekey(op, p)
        if (p.id >= next) throw new ParleyError('INVALID_ARGUMENT', `${op}: id ${p.id} was not allocated`)
        if (seen.has(p.id) || held.get(kind, p.id) !== undefined) throw new ParleyError('STORE_EXISTS', `${op}: id ${p.id} already stored`)
        seen.add(p.id)
      }
      const rows = prekeys.map((p) => ({ id: p.id, sealed: this.#seal(ONE_TIME, kind, p.id, p.record) }))
      const insert = this.#ctx.stmt(`INSERT INTO ${ONE_TIME} (kind, id, published, sealed) VALUES (?, ?, 0, ?)`)
      this.#ctx.atomic(() => {
        for (const r of rows) insert.run(kind, r.id, r.sealed)
      })
    })
  }

  countUnpublished(kind: PrekeyKind): Promise<number> {
    const op = 'PrekeyStore.countUnpublished'
    return this.#ctx.run(op, () => {
      checkKind(op, kind)
      const row = this.#ctx.stmt(`SELECT count(*) AS n FROM ${ONE_TIME} WHERE kind = ? AND published = 0`).get(kind) as Row
      return int(row['n'], 'count')
    })
  }

  publishOneTime(kind: PrekeyKind): Promise<StoredPrekey | undefined> {
    const op = 'PrekeyStore.publishOneTime'
    return this.#ctx.run(op, () => {
      checkKind(op, kind)
      const row = this.#ctx.stmt(`SELECT id, sealed FROM ${ONE_TIME} WHERE kind = ? AND published = 0 ORDER BY id LIMIT 1`).get(kind) as Row | undefined
      if (row === undefined) return undefined
      const id = int(row['id'], `${ONE_TIME}.id`)
      const record = this.#open(ONE_TIME, kind, id, row['sealed'])
      this.#ctx.stmt(`UPDATE ${ONE_TIME} SET published = 1 WHERE kind = ? AND id = ?`).run(kind, id)
      return { id, record }
    })
  }

  #lookup(op: string, kind: PrekeyKind, id: number, take: boolean): OneTimeLookup {
    checkKind(op, kind)
    checkId(op, id)
    const row = this.#ctx.stmt(`SELECT sealed FROM ${ONE_TIME} WHERE kind = ? AND id = ?`).get(kind, id) as Row | undefined
    if (row !== undefined) {
      const record = this.#open(ONE_TIME, kind, id, row['sealed'])
      if (take) this.#ctx.stmt(`DELETE FROM ${ONE_TIME} WHERE kind = ? AND id = ?`).run(kind, id)
      return { status: 'available', record }
    }
    return id < this.#next('one-time', kind) ? { status: 'used' } : { status: 'unknown' }
  }

  peekOneTime(kind: PrekeyKind, id: number): Promise<OneTimeLookup> {
    const op = 'PrekeyStore.peekOneTime'
    return this.#ctx.run(op, () => this.#lookup(op, kind, id, false))
  }

  takeOneTime(kind: PrekeyKind, id: number): Promise<OneTimeLookup> {
    const op = 'PrekeyStore.takeOneTime'
    return this.#ctx.run(op, () => this.#lookup(op, kind, id, true))
  }
}
