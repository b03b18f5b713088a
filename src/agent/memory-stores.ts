/**
 * The agent's storage (AgentStorage): the store set an agent runs on, and
 * its in-memory variant, `storage: 'memory'` in AgentOptions. The encrypted
 * database (src/db, ParleyDatabase) is the default and the one a person
 * uses; the memory variant exists so the product benchmark can tell what
 * the encrypted, fsynced store costs, and for ephemeral agents. It holds
 * sessions, prekeys, the replay cache, invites, the outbox, the dedupe
 * records, contacts and history in this process only: nothing survives a
 * restart, and a transaction does not roll back (each store call is one
 * atomic step on the event loop, as in the other Memory* stores). The
 * identity still comes from the home's key file, unlocked with the
 * passphrase, and the home's single-writer lock is held while it is open,
 * exactly as with the database.
 *
 * MemoryContactStore and MemoryMessageHistory implement the ContactStore and
 * MessageHistory contracts of src/db/contacts.ts and src/db/history.ts and
 * refuse exactly the calls the SQLite stores refuse (same checks, same
 * codes); test/agent/memory-stores.test.ts runs both side by side.
 *
 * @example
 * ```ts
 * const storage = await openMemoryStorage({ home: '/home/me/.parley', suite, passphrase })
 * try {
 *   await storage.contacts.put({ did, verified: true, credentialTypes: [] })
 * } finally {
 *   await storage.close()
 * }
 * ```
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import {
  CONTACT_CREDENTIAL_TYPE_MAX_BYTES,
  CONTACT_MAX_CREDENTIAL_TYPES,
  CONTACTS_MAX,
  HISTORY_PAGE_DEFAULT,
  HISTORY_PAGE_MAX,
  KEL_MAX_BYTES,
} from '../constants.js'
import type { Suite } from '../crypto/index.js'
import { utf8Length } from '../codec/index.js'
import { ParleyError } from '../errors.js'
import { checkHistoryInput, checkHistoryRef as checkRef, checkHistoryState as checkState, compareContacts, normalizeAlias, storedHistoryEntry } from '../db/index.js'
import type { Contact, ContactInput, ContactStore, HistoryCursor, HistoryEntry, HistoryInput, HistoryState, MessageHistory, MessageRef } from '../db/index.js'
import { checkPeerDid, MemoryInboundDedupeStore, MemoryOutboxStore } from '../network/outbox.js'
import type { InboundDedupeStore, OutboxStore } from '../network/outbox-types.js'
import { MemoryInviteStore } from '../session/invite-store.js'
import type { InviteStore } from '../session/invite-store.js'
import { MemoryPrekeyStore, MemoryReplayCache, MemorySessionStore } from '../session/stores/index.js'
import type { PrekeyStore, ReplayCache, SessionStore } from '../session/stores/index.js'
import { Home } from '../storage/home.js'
import type { FileLock } from '../storage/files.js'
import type { Keystore } from '../storage/keystore.js'

/** The stores an agent runs on: the encrypted database (ParleyDatabase) or MemoryStorage. */
export interface AgentStorage {
  readonly sessions: SessionStore
  readonly prekeys: PrekeyStore
  readonly replay: ReplayCache
  readonly invites: InviteStore
  readonly outbox: OutboxStore
  readonly dedupe: InboundDedupeStore
  readonly contacts: ContactStore
  readonly history: MessageHistory
  /** The unlocked key file (identity secrets, the libp2p key). */
  readonly keystore: Keystore | undefined
  /** Runs `fn` so that its store calls commit together (the database), or one after another (memory: no rollback). */
  transaction<T>(fn: () => T | Promise<T>): Promise<T>
  close(): Promise<void>
}

/**
 * `storage` with its transactions started one at a time, in call order; a
 * transaction started from inside one of them is nested as before. A
 * workaround: the database engine (src/db/engine.ts) wakes every waiter of
 * its transaction gate at once, and two of them can pass it together (the
 * second BEGIN fails: "cannot start a transaction within a transaction"),
 * so the agent, which runs several kinds of transactions concurrently
 * (sends, acks, inbound messages), never lets two wait there.
 */
export function serialTransactions(storage: AgentStorage): AgentStorage {
  const scopes = new AsyncLocalStorage<{ open: boolean }>()
  let tail: Promise<unknown> = Promise.resolve()
  return {
    get sessions() {
      return storage.sessions
    },
    get prekeys() {
      return storage.prekeys
    },
    get replay() {
      return storage.replay
    },
    get invites() {
      return storage.invites
    },
    get outbox() {
      return storage.outbox
    },
    get dedupe() {
      return storage.dedupe
    },
    get contacts() {
      return storage.contacts
    },
    get history() {
      return storage.history
    },
    get keystore() {
      return storage.keystore
    },
    transaction<T>(fn: () => T | Promise<T>): Promise<T> {
      if (scopes.getStore()?.open === true) return storage.transaction(fn)
      const run = tail.then(() => {
        const scope = { open: true }
        return scopes.run(scope, () => storage.transaction(fn)).finally(() => {
          scope.open = false
        })
      })
      tail = run.catch(() => undefined)
      return run
    },
    close: () => storage.close(),
  }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

function invalid(op: string, message: string): never {
  throw new ParleyError('INVALID_ARGUMENT', `${op}: ${message}`)
}

/** The checks of SqliteContactStore.put, in the same order with the same codes. */
function checkContact(op: string, c: ContactInput): ContactInput {
  if (c === null || typeof c !== 'object') invalid(op, 'contact must be an object')
  checkPeerDid(op, c.did, 'DID')
  if (typeof c.verified !== 'boolean') invalid(op, 'verified must be a boolean')
  if (c.kel !== undefined && (!(c.kel instanceof Uint8Array) || c.kel.length === 0 || c.kel.length > KEL_MAX_BYTES)) invalid(op, `kel must be 1..${KEL_MAX_BYTES} bytes`)
  if (!Array.isArray(c.credentialTypes) || c.credentialTypes.length > CONTACT_MAX_CREDENTIAL_TYPES) invalid(op, `at most ${CONTACT_MAX_CREDENTIAL_TYPES} credential types`)
  for (const t of c.credentialTypes) {
    if (typeof t !== 'string' || t.length === 0 || utf8Length(t) > CONTACT_CREDENTIAL_TYPE_MAX_BYTES || CONTROL.test(t)) {
      invalid(op, `a credential type must be 1..${CONTACT_CREDENTIAL_TYPE_MAX_BYTES} bytes of text`)
    }
  }
  const out: ContactInput = { did: c.did, verified: c.verified, credentialTypes: [...c.credentialTypes] }
  if (c.alias !== undefined) out.alias = normalizeAlias(op, c.alias)
  if (c.kel !== undefined) out.kel = c.kel.slice()
  return out
}

function copyContact(c: Contact): Contact {
  const out: Contact = { did: c.did, verified: c.verified, credentialTypes: [...c.credentialTypes], addedAt: c.addedAt, updatedAt: c.updatedAt }
  if (c.alias !== undefined) out.alias = c.alias
  if (c.kel !== undefined) out.kel = c.kel.slice()
  return out
}

const foldAlias = (alias: string): string => alias.normalize('NFC').toLowerCase()

/** Contacts in memory (ContactStore of src/db/contacts.ts). */
export class MemoryContactStore implements ContactStore {
  readonly #byDid = new Map<string, Contact>()
  readonly #clock: () => Date

  constructor(opts: { clock?: () => Date } = {}) {
    this.#clock = opts.clock ?? (() => new Date())
  }

  #now(): number {
    const now = this.#clock()
    if (!(now instanceof Date) || !Number.isSafeInteger(now.getTime()) || now.getTime() < 0) throw new ParleyError('INTERNAL', 'contacts: the clock gave an invalid date')
    return now.getTime()
  }

  #aliasHolder(alias: string): Contact | undefined {
    const folded = foldAlias(alias)
    for (const c of this.#byDid.values()) if (c.alias !== undefined && foldAlias(c.alias) === folded) return c
    return undefined
  }

  #write(op: string, c: Contact, existed: boolean): Contact {
    if (c.alias !== undefined) {
      const holder = this.#aliasHolder(c.alias)
      if (holder !== undefined && holder.did !== c.did) throw new ParleyError('STORE_EXISTS', `${op}: another contact has this alias`)
    }
    if (!existed && this.#byDid.size >= CONTACTS_MAX) throw new ParleyError('LIMIT_EXCEEDED', `${op}: at most ${CONTACTS_MAX} contacts`)
    this.#byDid.set(c.did, copyContact(c))
    return copyContact(c)
  }

  async list(): Promise<Contact[]> {
    return [...this.#byDid.values()].map(copyContact).sort(compareContacts)
  }

  async get(did: string): Promise<Contact | undefined> {
    checkPeerDid('ContactStore.get', did, 'DID')
    const c = this.#byDid.get(did)
    return c === undefined ? undefined : copyContact(c)
  }

  async byAlias(alias: string): Promise<Contact | undefined> {
    const c = this.#aliasHolder(normalizeAlias('ContactStore.byAlias', alias))
    return c === undefined ? undefined : copyContact(c)
  }

  async put(contact: ContactInput): Promise<Contact> {
    const op = 'ContactStore.put'
    const input = checkContact(op, contact)
    const previous = this.#byDid.get(input.did)
    const now = this.#now()
    return this.#write(op, { ...input, addedAt: previous?.addedAt ?? now, updatedAt: now }, previous !== undefined)
  }

  async setAlias(did: string, alias: string | undefined): Promise<Contact> {
    const op = 'ContactStore.setAlias'
    checkPeerDid(op, did, 'DID')
    const normalized = alias === undefined ? undefined : normalizeAlias(op, alias)
    const previous = this.#byDid.get(did)
    if (previous === undefined) throw new ParleyError('STORE_NOT_FOUND', `${op}: no such contact`)
    const next: Contact = { ...copyContact(previous), updatedAt: this.#now() }
    if (normalized === undefined) delete next.alias
    else next.alias = normalized
    return this.#write(op, next, true)
  }

  async delete(did: string): Promise<boolean> {
    checkPeerDid('ContactStore.delete', did, 'DID')
    return this.#byDid.delete(did)
  }
}


/** Ids have a fixed length and directions are fixed words, so the key is unambiguous whatever the peer holds. */
const refKey = (r: MessageRef): string => `${r.direction}\n${r.id}\n${r.peer}`

const copyEntry = (e: HistoryEntry): HistoryEntry => ({ ...e, body: e.body.slice() })

/** Newest first: timestamp, then insertion sequence. */
const newestFirst = (a: HistoryEntry, b: HistoryEntry): number => b.timestamp - a.timestamp || b.seq - a.seq

/** Message history in memory (MessageHistory of src/db/history.ts). */
export class MemoryMessageHistory implements MessageHistory {
  readonly #byRef = new Map<string, HistoryEntry>()
  /** Each peer's entries, in insertion order. */
  readonly #byPeer = new Map<string, HistoryEntry[]>()
  #seq = 0

  async append(entry: HistoryInput): Promise<HistoryEntry> {
    const op = 'MessageHistory.append'
    checkHistoryInput(op, entry)
    const key = refKey(entry)
    if (this.#byRef.has(key)) throw new ParleyError('STORE_EXISTS', `${op}: message stored already`)
    const stored = storedHistoryEntry(entry, ++this.#seq)
    this.#byRef.set(key, stored)
    let list = this.#byPeer.get(entry.peer)
    if (list === undefined) this.#byPeer.set(entry.peer, (list = []))
    list.push(stored)
    return copyEntry(stored)
  }

  async get(ref: MessageRef): Promise<HistoryEntry | undefined> {
    checkRef('MessageHistory.get', ref)
    const e = this.#byRef.get(refKey(ref))
    return e === undefined ? undefined : copyEntry(e)
  }

  async list(peer: string, opts: { before?: HistoryCursor; limit?: number } = {}): Promise<HistoryEntry[]> {
    const op = 'MessageHistory.list'
    checkPeerDid(op, peer, 'peer')
    const limit = opts.limit ?? HISTORY_PAGE_DEFAULT
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > HISTORY_PAGE_MAX) invalid(op, `limit must be 1..${HISTORY_PAGE_MAX}`)
    const before = opts.before
    if (before !== undefined && (!Number.isSafeInteger(before.timestamp) || !Number.isSafeInteger(before.seq))) invalid(op, 'before must be { timestamp, seq } of an entry')
    const older = (e: HistoryEntry): boolean => before === undefined || e.timestamp < before.timestamp || (e.timestamp === before.timestamp && e.seq < before.seq)
    return (this.#byPeer.get(peer) ?? []).filter(older).sort(newestFirst).slice(0, limit).map(copyEntry)
  }

  async updateState(ref: MessageRef, state: HistoryState): Promise<void> {
    const op = 'MessageHistory.updateState'
    checkRef(op, ref)
    checkState(op, state)
    const e = this.#byRef.get(refKey(ref))
    if (e === undefined) throw new ParleyError('STORE_NOT_FOUND', `${op}: no such message`)
    e.state = state
  }

  async delete(ref: MessageRef): Promise<boolean> {
    checkRef('MessageHistory.delete', ref)
    const key = refKey(ref)
    const e = this.#byRef.get(key)
    if (e === undefined) return false
    this.#byRef.delete(key)
    const list = this.#byPeer.get(ref.peer) ?? []
    const i = list.indexOf(e)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.#byPeer.delete(ref.peer)
    return true
  }
}

/** Every store in memory; the key file and the home lock from the home. See the file comment. */
export class MemoryStorage implements AgentStorage {
  readonly sessions = new MemorySessionStore()
  readonly prekeys = new MemoryPrekeyStore()
  readonly replay = new MemoryReplayCache()
  readonly invites = new MemoryInviteStore()
  readonly outbox = new MemoryOutboxStore()
  readonly dedupe = new MemoryInboundDedupeStore()
  readonly contacts: MemoryContactStore
  readonly history = new MemoryMessageHistory()
  readonly #keystore: Keystore
  readonly #lock: FileLock
  #closed = false

  /** @internal Use openMemoryStorage. */
  constructor(keystore: Keystore, lock: FileLock, clock: () => Date) {
    this.#keystore = keystore
    this.#lock = lock
    this.contacts = new MemoryContactStore({ clock })
  }

  get keystore(): Keystore | undefined {
    return this.#closed ? undefined : this.#keystore
  }

  /** No rollback: the calls run one after another, each atomic by itself. */
  async transaction<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.#closed) throw new ParleyError('STORE_CLOSED', 'transaction: the storage is closed')
    return fn()
  }

  /** Forgets the key file's keys and releases the home lock (the stores' contents are dropped with the object). */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      this.#keystore.close()
    } finally {
      await this.#lock.release()
    }
  }
}

export interface OpenMemoryStorageOptions {
  home: string | Home
  suite: Suite
  /** Unlocks the home's key file (PASSPHRASE_WRONG otherwise). */
  passphrase: string
  /** The contacts' clock. Default: the system clock. */
  clock?: () => Date
}

/** Takes the home's lock (STORE_LOCKED: home in use) and unlocks its key file; every store starts empty. */
export async function openMemoryStorage(opts: OpenMemoryStorageOptions): Promise<MemoryStorage> {
  const home = typeof opts.home === 'string' ? new Home(opts.home, opts.suite) : opts.home
  const lock = await home.lock()
  try {
    const keystore = await home.openKeystore(opts.passphrase)
    return new MemoryStorage(keystore, lock, opts.clock ?? (() => new Date()))
  } catch (err) {
    await lock.release()
    throw err
  }
}
