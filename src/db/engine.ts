/**
 * The open database as the stores see it (DbContext): one SQLite connection,
 * its cached statements, the current keys, and the gate that makes
 * transactions work with async callers.
 *
 * node:sqlite is synchronous, so a store method (one synchronous body) is
 * atomic on the event loop by itself. A transaction is not: its callback
 * awaits between statements, and without a gate any other caller's
 * statements would land inside it (committed or rolled back with it). So
 * while a transaction (or a rekey, or close) holds the gate, calls from
 * outside it wait, and calls from inside it — recognised through
 * AsyncLocalStorage, which follows the callback's awaits — run at once.
 * Nested transactions become savepoints.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { ParleyError } from '../errors.js'
import type { DbContext } from './context.js'
import type { DbKeys, KeyValue, LookupFn } from './keys.js'
import { resealAll, writeKeyCheck } from './schema.js'
import { storeError } from './sqlite.js'

interface Scope {
  owner: object
  depth: number
}

export class Engine implements DbContext {
  readonly #db: DatabaseSync
  readonly #stmts = new Map<string, StatementSync>()
  readonly #clock: () => Date
  readonly #version: number
  readonly #als = new AsyncLocalStorage<Scope>()
  #keys: DbKeys
  #owner: object | undefined
  #depth = 0
  #waiters: (() => void)[] = []
  #savepoints = 0
  #closed = false
  readonly #forgetListeners: (() => void)[] = []

  constructor(db: DatabaseSync, keys: DbKeys, version: number, clock: () => Date) {
    this.#db = db
    this.#keys = keys
    this.#version = version
    this.#clock = clock
  }

  /** The schema version rows are sealed under. */
  get version(): number {
    return this.#version
  }

  get closed(): boolean {
    return this.#closed
  }

  readonly lookup: LookupFn = (domain, ...parts) => this.#keys.lookup(domain, ...parts)

  seal(table: string, key: readonly KeyValue[], plain: Uint8Array): Uint8Array {
    return this.#keys.seal(table, key, this.#version, plain)
  }

  open(table: string, key: readonly KeyValue[], sealed: Uint8Array): Uint8Array {
    return this.#keys.open(table, key, this.#version, sealed)
  }

  now(): Date {
    const now = this.#clock()
    if (!(now instanceof Date) || !Number.isSafeInteger(now.getTime()) || now.getTime() < 0) throw new ParleyError('INTERNAL', 'database: the clock gave an invalid date')
    return now
  }

  stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql)
    if (s === undefined) {
      s = this.#db.prepare(sql)
      this.#stmts.set(sql, s)
    }
    return s
  }

  atomic<T>(fn: () => T): T {
    const name = `op${++this.#savepoints}`
    this.#db.exec(`SAVEPOINT ${name}`)
    try {
      const result = fn()
      this.#db.exec(`RELEASE ${name}`)
      return result
    } catch (err) {
      this.#db.exec(`ROLLBACK TO ${name}`)
      this.#db.exec(`RELEASE ${name}`)
      this.#forget()
      throw err
    }
  }

  inTransaction(): boolean {
    return this.#db.isTransaction
  }

  onForget(listener: () => void): void {
    this.#forgetListeners.push(listener)
  }

  /** Tells the stores to forget what they keep in memory (a rollback, or close). */
  #forget(): void {
    for (const listener of this.#forgetListeners) listener()
  }

  async run<T>(op: string, fn: () => T): Promise<T> {
    // Inline, so the check and `fn` run in the same turn: no transaction can start in between.
    while (this.#owner !== undefined && this.#inside() === undefined) await this.#gateFreed()
    this.#checkOpen(op)
    try {
      return fn()
    } catch (err) {
      throw storeError(err, op)
    }
  }

  /** Holds the gate while `fn` runs: callers from outside wait. Not from inside a transaction (it would wait on itself). */
  async exclusive<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.#inside() !== undefined) throw new ParleyError('INVALID_ARGUMENT', `${op}: not possible inside a transaction`)
    const owner = {}
    await this.#acquire(owner)
    try {
      this.#checkOpen(op)
      return await this.#als.run({ owner, depth: 0 }, fn)
    } finally {
      this.#release()
    }
  }

  /** Frees the gate and wakes whoever waits for it. */
  #release(): void {
    this.#owner = undefined
    this.#depth = 0
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  /** See ParleyDatabase.transaction. */
  async transaction<T>(fn: () => T | Promise<T>): Promise<T> {
    const scope = this.#inside()
    if (scope !== undefined) return this.#nested(scope, fn)
    return this.exclusive('transaction', async () => {
      this.#exec('BEGIN IMMEDIATE', 'transaction')
      let result: T
      try {
        result = await fn()
      } catch (err) {
        this.#rollback()
        throw err
      }
      try {
        this.#db.exec('COMMIT')
      } catch (err) {
        this.#rollback()
        throw storeError(err, 'transaction commit')
      }
      return result
    })
  }

  async #nested<T>(scope: Scope, fn: () => T | Promise<T>): Promise<T> {
    if (scope.depth !== this.#depth) throw new ParleyError('INVALID_ARGUMENT', 'database: nested transactions of one transaction must run one after another')
    const name = `tx${++this.#savepoints}`
    this.#exec(`SAVEPOINT ${name}`, 'transaction')
    this.#depth++
    try {
      const result = await this.#als.run({ owner: scope.owner, depth: this.#depth }, fn)
      this.#exec(`RELEASE ${name}`, 'transaction')
      return result
    } catch (err) {
      this.#forget()
      this.#exec(`ROLLBACK TO ${name}`, 'transaction')
      this.#exec(`RELEASE ${name}`, 'transaction')
      throw err
    } finally {
      this.#depth--
    }
  }

  /**
   * Re-seals every row under `keys` and records their key check, in one
   * transaction; then the new keys are the engine's and the WAL is truncated
   * (no old ciphertext left in it). Only from inside `exclusive`.
   */
  resealUnder(keys: DbKeys, onRow?: () => void): number {
    if (this.#inside() === undefined) throw new ParleyError('INTERNAL', 'database: re-sealing outside the gate')
    let count: number
    this.#exec('BEGIN IMMEDIATE', 'rekey')
    try {
      count = resealAll(this.#db, { keys: this.#keys, version: this.#version }, { keys, version: this.#version }, onRow)
      writeKeyCheck(this.#db, keys)
      this.#db.exec('COMMIT')
    } catch (err) {
      this.#rollback()
      throw storeError(err, 'rekey')
    }
    const old = this.#keys
    this.#keys = keys
    old.wipe()
    this.#exec('PRAGMA wal_checkpoint(TRUNCATE)', 'rekey')
    return count
  }

  /** Runs SQLite's quick integrity check: STORE_CORRUPT unless it reports ok. */
  quickCheck(): void {
    const rows = this.#db.prepare('PRAGMA quick_check').all() as Record<string, unknown>[]
    if (rows.length !== 1 || rows[0]?.['quick_check'] !== 'ok') throw new ParleyError('STORE_CORRUPT', 'database: the integrity check failed')
  }

  /** Closes the connection (waits for a running transaction) and forgets the keys. */
  async close(): Promise<void> {
    if (this.#closed) return
    await this.exclusive('close', async () => {
      this.#closed = true
      this.#stmts.clear()
      this.#forget()
      try {
        this.#db.close()
      } catch (err) {
        throw storeError(err, 'close')
      } finally {
        this.#keys.wipe()
      }
    })
  }

  #inside(): Scope | undefined {
    const scope = this.#als.getStore()
    return scope !== undefined && scope.owner === this.#owner ? scope : undefined
  }

  /** Waits for the gate and takes it for `owner` in the same turn the wait ends (no other waiter can slip in between). */
  async #acquire(owner: object): Promise<void> {
    while (this.#owner !== undefined) await this.#gateFreed()
    this.#owner = owner
  }

  #gateFreed(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  #checkOpen(op: string): void {
    if (this.#closed) throw new ParleyError('STORE_CLOSED', `${op}: the database is closed`)
  }

  #exec(sql: string, what: string): void {
    try {
      this.#db.exec(sql)
    } catch (err) {
      throw storeError(err, what)
    }
  }

  #rollback(): void {
    this.#forget()
    if (!this.#db.isTransaction) return
    try {
      this.#db.exec('ROLLBACK')
    } catch {
      // SQLite rolled back already (an I/O error ends the transaction); the original failure is what matters
    }
  }
}
