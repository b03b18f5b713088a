/**
 * SessionStore (src/session/stores/types.ts) over the database. A session
 * row is found by HMAC(peer DID) and HMAC(peer DID, session id); its
 * payload holds the DID, the id and the record, and a row whose payload
 * names another peer or session than the one asked for is STORE_CORRUPT
 * (a lookup column was swapped). The active pointer is a row of its own,
 * found by HMAC(peer DID), whose sealed payload names the session.
 */
import { DB_ACTIVE_SESSION_CACHE_ENTRIES, DB_SESSION_CACHE_ENTRIES, SESSION_ID_LENGTH, SESSION_RECORD_MAX_BYTES, DID_MAX_LENGTH } from '../constants.js'
import { ParleyError } from '../errors.js'
import { bytesEqual, getBytes, getText, toHex } from '../codec/index.js'
import type { CborMap } from '../codec/index.js'
import { checkPeer, checkSessionId, checkSessionRecord } from '../session/stores/checks.js'
import type { SessionStore } from '../session/stores/types.js'
import { blob, readPayload, sealPayload } from './context.js'
import type { DbContext, Row, SealedTable } from './context.js'
import type { LookupFn } from './keys.js'

const SESSIONS = 'sessions'
const ACTIVE = 'active_sessions'
/** The statements of this store, built once (a template built per call costs a new string, and its hash, every time). */
const SQL = {
  selectActive: `SELECT sealed FROM ${ACTIVE} WHERE peer = ?`,
  upsertActive: `INSERT INTO ${ACTIVE} (peer, sealed) VALUES (?, ?) ON CONFLICT (peer) DO UPDATE SET sealed = excluded.sealed`,
  selectSession: `SELECT sealed FROM ${SESSIONS} WHERE peer = ? AND sid = ?`,
  upsertSession: `INSERT INTO ${SESSIONS} (peer, sid, sealed) VALUES (?, ?, ?) ON CONFLICT (peer, sid) DO UPDATE SET sealed = excluded.sealed`,
  deleteSession: `DELETE FROM ${SESSIONS} WHERE peer = ? AND sid = ?`,
  deleteActive: `DELETE FROM ${ACTIVE} WHERE peer = ?`,
  listSessions: `SELECT sid, sealed FROM ${SESSIONS} WHERE peer = ?`,
  sessionExists: `SELECT 1 FROM ${SESSIONS} WHERE peer = ? AND sid = ?`,
} as const

/** The record cache's name of a session: the id (fixed length, hex) first, so no two sessions share one. */
const recordName = (peer: string, sid: Uint8Array): string => `${toHex(sid)} ${peer}`
const peerKey = (lookup: LookupFn, peer: string): Uint8Array => lookup('sessions.peer', peer)
const sessionKey = (lookup: LookupFn, peer: string, sid: Uint8Array): Uint8Array => lookup('sessions.sid', peer, sid)
const activeKey = (lookup: LookupFn, peer: string): Uint8Array => lookup('active_sessions.peer', peer)

interface SessionPayload {
  peer: string
  sid: Uint8Array
}

function readRef(m: CborMap, what: string): SessionPayload {
  return { peer: getText(m, 'p', what, DID_MAX_LENGTH), sid: getBytes(m, 's', what, { length: SESSION_ID_LENGTH }) }
}

export const SESSION_TABLES: readonly SealedTable[] = [
  {
    name: SESSIONS,
    since: 1,
    key: ['peer', 'sid'],
    lookups: ['peer', 'sid'],
    lookupValues: (plain, lookup) => {
      const { peer, sid } = readPayload(plain.slice(), SESSIONS, (m) => readRef(m, SESSIONS))
      return [peerKey(lookup, peer), sessionKey(lookup, peer, sid)]
    },
  },
  {
    name: ACTIVE,
    since: 1,
    key: ['peer'],
    lookups: ['peer'],
    lookupValues: (plain, lookup) => [activeKey(lookup, readPayload(plain.slice(), ACTIVE, (m) => readRef(m, ACTIVE)).peer)],
  },
]

export class SqliteSessionStore implements SessionStore {
  readonly #ctx: DbContext
  /**
   * The active session id of the last DB_ACTIVE_SESSION_CACHE_ENTRIES peers
   * asked for (every message reads it; it changes at a session's start):
   * written through, forgotten at any rollback.
   */
  readonly #active = new Map<string, Uint8Array>()
  /**
   * The records of the last DB_SESSION_CACHE_ENTRIES sessions loaded or
   * stored, as committed or about to be (written through; every message
   * loads its session and stores it back): a load takes a copy instead of
   * reading and opening the row. A record replaced, deleted or forgotten
   * (at a rollback, at close) is wiped. It holds no more than the process
   * holds already: the seal key that opens every row is in memory too.
   */
  readonly #records = new Map<string, Uint8Array>()

  constructor(ctx: DbContext) {
    this.#ctx = ctx
    ctx.onForget(() => {
      this.#active.clear()
      for (const record of this.#records.values()) record.fill(0)
      this.#records.clear()
    })
  }

  #keep(name: string, record: Uint8Array): void {
    this.#drop(name)
    if (this.#records.size >= DB_SESSION_CACHE_ENTRIES) this.#drop(this.#records.keys().next().value as string)
    this.#records.set(name, record.slice())
  }

  #drop(name: string): void {
    this.#records.get(name)?.fill(0)
    this.#records.delete(name)
  }

  #remember(peerDid: string, sessionId: Uint8Array): void {
    this.#active.delete(peerDid)
    if (this.#active.size >= DB_ACTIVE_SESSION_CACHE_ENTRIES) this.#active.delete(this.#active.keys().next().value as string)
    this.#active.set(peerDid, sessionId.slice())
  }

  /** Opens a session row and checks it is the one asked for. */
  #openSession(peer: Uint8Array, sid: Uint8Array, sealed: unknown, expect: { peer: string; sid?: Uint8Array }): SessionPayload & { record: Uint8Array } {
    const plain = this.#ctx.open(SESSIONS, [peer, sid], blob(sealed, 'sessions.sealed'))
    const got = readPayload(plain, SESSIONS, (m) => ({ ...readRef(m, SESSIONS), record: getBytes(m, 'r', SESSIONS, { min: 1, max: SESSION_RECORD_MAX_BYTES }) }))
    if (got.peer !== expect.peer || (expect.sid !== undefined && !bytesEqual(got.sid, expect.sid))) {
      got.record.fill(0)
      throw new ParleyError('STORE_CORRUPT', 'database: a session row answers for another session')
    }
    return got
  }

  #activeId(peerDid: string): Uint8Array | undefined {
    const cached = this.#active.get(peerDid)
    if (cached !== undefined) return cached.slice()
    const key = activeKey(this.#ctx.lookup, peerDid)
    const row = this.#ctx.stmt(SQL.selectActive).get(key) as Row | undefined
    if (row === undefined) return undefined
    const ref = readPayload(this.#ctx.open(ACTIVE, [key], blob(row['sealed'], 'active_sessions.sealed')), ACTIVE, (m) => readRef(m, ACTIVE))
    if (ref.peer !== peerDid) throw new ParleyError('STORE_CORRUPT', 'database: an active-session row answers for another peer')
    this.#remember(peerDid, ref.sid)
    return ref.sid
  }

  #setActive(peerDid: string, sessionId: Uint8Array): void {
    const key = activeKey(this.#ctx.lookup, peerDid)
    const sealed = sealPayload(this.#ctx, ACTIVE, [key], { p: peerDid, s: sessionId })
    this.#active.delete(peerDid)
    this.#ctx.stmt(SQL.upsertActive).run(key, sealed)
    this.#remember(peerDid, sessionId)
  }

  load(peerDid: string, sessionId: Uint8Array): Promise<Uint8Array | undefined> {
    const op = 'SessionStore.load'
    return this.#ctx.run(op, () => {
      checkPeer(op, peerDid)
      checkSessionId(op, sessionId)
      const name = recordName(peerDid, sessionId)
      const kept = this.#records.get(name)
      if (kept !== undefined) return kept.slice()
      const peer = peerKey(this.#ctx.lookup, peerDid)
      const sid = sessionKey(this.#ctx.lookup, peerDid, sessionId)
      const row = this.#ctx.stmt(SQL.selectSession).get(peer, sid) as Row | undefined
      if (row === undefined) return undefined
      const { record } = this.#openSession(peer, sid, row['sealed'], { peer: peerDid, sid: sessionId })
      this.#keep(name, record)
      return record
    })
  }

  store(peerDid: string, sessionId: Uint8Array, record: Uint8Array, opts: { activate?: boolean } = {}): Promise<void> {
    const op = 'SessionStore.store'
    return this.#ctx.run(op, () => {
      checkPeer(op, peerDid)
      checkSessionId(op, sessionId)
      checkSessionRecord(op, record)
      const peer = peerKey(this.#ctx.lookup, peerDid)
      const sid = sessionKey(this.#ctx.lookup, peerDid, sessionId)
      const sealed = sealPayload(this.#ctx, SESSIONS, [peer, sid], { p: peerDid, s: sessionId, r: record })
      const write = (): void => {
        this.#ctx
          .stmt(SQL.upsertSession)
          .run(peer, sid, sealed)
      }
      const name = recordName(peerDid, sessionId)
      this.#drop(name)
      // One statement is atomic by itself; with the active pointer, both or neither.
      if (opts.activate !== true) write()
      else
        this.#ctx.atomic(() => {
          write()
          this.#setActive(peerDid, sessionId)
        })
      this.#keep(name, record)
    })
  }

  delete(peerDid: string, sessionId: Uint8Array): Promise<boolean> {
    const op = 'SessionStore.delete'
    return this.#ctx.run(op, () => {
      checkPeer(op, peerDid)
      checkSessionId(op, sessionId)
      const peer = peerKey(this.#ctx.lookup, peerDid)
      const sid = sessionKey(this.#ctx.lookup, peerDid, sessionId)
      this.#drop(recordName(peerDid, sessionId))
      return this.#ctx.atomic(() => {
        const removed = this.#ctx.stmt(SQL.deleteSession).run(peer, sid).changes
        if (Number(removed) === 0) return false
        const active = this.#activeId(peerDid)
        if (active !== undefined && bytesEqual(active, sessionId)) {
          this.#active.delete(peerDid)
          this.#ctx.stmt(SQL.deleteActive).run(activeKey(this.#ctx.lookup, peerDid))
        }
        return true
      })
    })
  }

  list(peerDid: string): Promise<Uint8Array[]> {
    const op = 'SessionStore.list'
    return this.#ctx.run(op, () => {
      checkPeer(op, peerDid)
      const peer = peerKey(this.#ctx.lookup, peerDid)
      const rows = this.#ctx.stmt(SQL.listSessions).all(peer) as Row[]
      return rows.map((row) => {
        const got = this.#openSession(peer, blob(row['sid'], 'sessions.sid'), row['sealed'], { peer: peerDid })
        got.record.fill(0)
        return got.sid
      })
    })
  }

  active(peerDid: string): Promise<Uint8Array | undefined> {
    const op = 'SessionStore.active'
    return this.#ctx.run(op, () => {
      checkPeer(op, peerDid)
      return this.#activeId(peerDid)
    })
  }

  activate(peerDid: string, sessionId: Uint8Array): Promise<void> {
    const op = 'SessionStore.activate'
    return this.#ctx.run(op, () => {
      checkPeer(op, peerDid)
      checkSessionId(op, sessionId)
      const peer = peerKey(this.#ctx.lookup, peerDid)
      const sid = sessionKey(this.#ctx.lookup, peerDid, sessionId)
      if (this.#ctx.stmt(SQL.sessionExists).get(peer, sid) === undefined) {
        throw new ParleyError('STORE_NOT_FOUND', `${op}: no such session`)
      }
      this.#setActive(peerDid, sessionId)
    })
  }
}
