/**
 * The address book: the peers this home knows, by DID, with an optional
 * alias (unique, compared case-insensitively after NFC), whether the user
 * verified them (out of band: a scanned invite, a compared safety number),
 * their newest KEL as seen, and the credential types they presented.
 *
 * Over the database, a contact row is found by HMAC(DID) and, when it has
 * an alias, HMAC(folded alias) (unique: two contacts cannot share one);
 * everything else is sealed. Times come from the database clock.
 *
 * @example
 * ```ts
 * await db.contacts.put({ did, alias: 'alice', verified: true, credentialTypes: [] })
 * const alice = await db.contacts.byAlias('Alice')
 * ```
 */
import {
  CONTACT_ALIAS_MAX_LENGTH,
  CONTACT_CREDENTIAL_TYPE_MAX_BYTES,
  CONTACT_MAX_CREDENTIAL_TYPES,
  CONTACTS_MAX,
  DB_CONTACT_CACHE_ENTRIES,
  DID_MAX_LENGTH,
  KEL_MAX_BYTES,
} from '../constants.js'
import { ParleyError } from '../errors.js'
import { asText, bytesEqual, getArray, getBool, getBytes, getText, getUint, optional, utf8Length } from '../codec/index.js'
import type { CborMap, CborValue } from '../codec/index.js'
import { blob, int, readPayload, sealPayload } from './context.js'
import type { DbContext, Row, SealedTable } from './context.js'
import type { LookupFn } from './keys.js'
import { checkPeerDid } from '../network/outbox.js'

/** One contact. Times are epoch milliseconds. */
export interface Contact {
  did: string
  /** A short unique name the user gave this contact. */
  alias?: string
  /** The user checked this contact's identity out of band. */
  verified: boolean
  /** The newest KEL of the contact this home verified (encoded). */
  kel?: Uint8Array
  /** Credential types the contact presented and this home accepted. */
  credentialTypes: string[]
  addedAt: number
  updatedAt: number
}

/** What a caller gives to `put`: the times are the store's. */
export type ContactInput = Omit<Contact, 'addedAt' | 'updatedAt'>

/** The order of `ContactStore.list`: by alias (case-folded), those without one last, by DID. */
export function compareContacts(a: Contact, b: Contact): number {
  const x = a.alias?.toLowerCase()
  const y = b.alias?.toLowerCase()
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0
  if (x !== undefined) return -1
  if (y !== undefined) return 1
  return a.did < b.did ? -1 : a.did > b.did ? 1 : 0
}

export interface ContactStore {
  /** Every contact, by alias (those without one last, by DID). */
  list(): Promise<Contact[]>
  get(did: string): Promise<Contact | undefined>
  /** The contact with this alias (case-insensitive, NFC). */
  byAlias(alias: string): Promise<Contact | undefined>
  /**
   * Adds a contact or replaces the one with this DID (its `addedAt` kept).
   * STORE_EXISTS when another contact has the alias; LIMIT_EXCEEDED past
   * CONTACTS_MAX contacts.
   */
  put(contact: ContactInput): Promise<Contact>
  /** Sets or (undefined) clears a contact's alias. STORE_NOT_FOUND, STORE_EXISTS. */
  setAlias(did: string, alias: string | undefined): Promise<Contact>
  /** Removes a contact; false when there was none. */
  delete(did: string): Promise<boolean>
}

const TABLE = 'contacts'
/** The statements of this store, built once (a template built per call costs a new string, and its hash, every time). */
const SQL = {
  selectByDid: `SELECT did, sealed FROM ${TABLE} WHERE did = ?`,
  aliasHolder: `SELECT did FROM ${TABLE} WHERE alias = ?`,
  count: `SELECT count(*) AS n FROM ${TABLE}`,
  upsert: `INSERT INTO ${TABLE} (did, alias, sealed) VALUES (?, ?, ?) ON CONFLICT (did) DO UPDATE SET alias = excluded.alias, sealed = excluded.sealed`,
  selectAll: `SELECT did, sealed FROM ${TABLE}`,
  selectByAlias: `SELECT did, sealed FROM ${TABLE} WHERE alias = ?`,
  deleteByDid: `DELETE FROM ${TABLE} WHERE did = ?`,
} as const
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** Checks an alias and returns it in NFC: 1..CONTACT_ALIAS_MAX_LENGTH characters, no control characters, no surrounding space, not a DID. */
export function normalizeAlias(op: string, alias: string): string {
  if (typeof alias !== 'string') throw new ParleyError('INVALID_ARGUMENT', `${op}: alias must be text`)
  const nfc = alias.normalize('NFC')
  const length = [...nfc].length
  if (length === 0 || length > CONTACT_ALIAS_MAX_LENGTH || CONTROL.test(nfc) || nfc.trim() !== nfc || nfc.toLowerCase().startsWith('did:')) {
    throw new ParleyError('INVALID_ARGUMENT', `${op}: alias must be 1..${CONTACT_ALIAS_MAX_LENGTH} characters, no control characters or surrounding spaces, and not a DID`)
  }
  return nfc
}

const didKey = (lookup: LookupFn, did: string): Uint8Array => lookup('contacts.did', did)
const aliasKey = (lookup: LookupFn, alias: string): Uint8Array => lookup('contacts.alias', alias.normalize('NFC').toLowerCase())

function readContact(m: CborMap): Contact {
  const contact: Contact = {
    did: getText(m, 'd', TABLE, DID_MAX_LENGTH),
    verified: getBool(m, 'v', TABLE),
    credentialTypes: getArray(m, 'c', TABLE, CONTACT_MAX_CREDENTIAL_TYPES).map((t) => asText(t, `${TABLE}.c`, CONTACT_CREDENTIAL_TYPE_MAX_BYTES)),
    addedAt: getUint(m, 'ta', TABLE),
    updatedAt: getUint(m, 'tu', TABLE),
  }
  const alias = optional(m, 'a', (mm, k) => getText(mm, k, TABLE, 4 * CONTACT_ALIAS_MAX_LENGTH))
  if (alias !== undefined) contact.alias = alias
  const kel = optional(m, 'k', (mm, k) => getBytes(mm, k, TABLE, { min: 1, max: KEL_MAX_BYTES }))
  if (kel !== undefined) contact.kel = kel
  return contact
}

function contactBody(c: Contact): { [key: string]: CborValue } {
  const body: { [key: string]: CborValue } = { d: c.did, v: c.verified, c: c.credentialTypes, ta: c.addedAt, tu: c.updatedAt }
  if (c.alias !== undefined) body['a'] = c.alias
  if (c.kel !== undefined) body['k'] = c.kel
  return body
}

export const CONTACT_TABLES: readonly SealedTable[] = [
  {
    name: TABLE,
    since: 1,
    key: ['did'],
    lookups: ['did', 'alias'],
    lookupValues: (plain, lookup) => {
      const c = readPayload(plain.slice(), TABLE, readContact)
      return [didKey(lookup, c.did), c.alias === undefined ? null : aliasKey(lookup, c.alias)]
    },
  },
]

function checkInput(op: string, c: ContactInput): ContactInput {
  if (c === null || typeof c !== 'object') throw new ParleyError('INVALID_ARGUMENT', `${op}: contact must be an object`)
  checkPeerDid(op, c.did, 'DID')
  if (typeof c.verified !== 'boolean') throw new ParleyError('INVALID_ARGUMENT', `${op}: verified must be a boolean`)
  if (c.kel !== undefined && (!(c.kel instanceof Uint8Array) || c.kel.length === 0 || c.kel.length > KEL_MAX_BYTES)) {
    throw new ParleyError('INVALID_ARGUMENT', `${op}: kel must be 1..${KEL_MAX_BYTES} bytes`)
  }
  if (!Array.isArray(c.credentialTypes) || c.credentialTypes.length > CONTACT_MAX_CREDENTIAL_TYPES) {
    throw new ParleyError('INVALID_ARGUMENT', `${op}: at most ${CONTACT_MAX_CREDENTIAL_TYPES} credential types`)
  }
  for (const t of c.credentialTypes) {
    if (typeof t !== 'string' || t.length === 0 || utf8Length(t) > CONTACT_CREDENTIAL_TYPE_MAX_BYTES || CONTROL.test(t)) {
      throw new ParleyError('INVALID_ARGUMENT', `${op}: a credential type must be 1..${CONTACT_CREDENTIAL_TYPE_MAX_BYTES} bytes of text`)
    }
  }
  const out: ContactInput = { did: c.did, verified: c.verified, credentialTypes: [...c.credentialTypes] }
  if (c.alias !== undefined) out.alias = normalizeAlias(op, c.alias)
  if (c.kel !== undefined) out.kel = c.kel.slice()
  return out
}

/** A copy the caller may change. */
function copyContact(c: Contact): Contact {
  const out: Contact = { ...c, credentialTypes: [...c.credentialTypes] }
  if (c.kel !== undefined) out.kel = c.kel.slice()
  return out
}

export class SqliteContactStore implements ContactStore {
  readonly #ctx: DbContext
  /**
   * Contacts read outside a transaction (committed), by DID, the last
   * DB_CONTACT_CACHE_ENTRIES: a send looks its contact up every time, and a
   * contact row holds a whole KEL. Every write drops the DID's entry first,
   * so an entry never outlives the row it was read from, and a write
   * rolled back only costs a read.
   */
  readonly #cache = new Map<string, Contact>()

  constructor(ctx: DbContext) {
    this.#ctx = ctx
  }

  #open(row: Row): Contact {
    const key = blob(row['did'], 'contacts.did')
    return readPayload(this.#ctx.open(TABLE, [key], blob(row['sealed'], 'contacts.sealed')), TABLE, readContact)
  }

  #get(did: string): Contact | undefined {
    const row = this.#ctx.stmt(SQL.selectByDid).get(didKey(this.#ctx.lookup, did)) as Row | undefined
    if (row === undefined) return undefined
    const c = this.#open(row)
    if (c.did !== did) throw new ParleyError('STORE_CORRUPT', 'database: a contact row answers for another DID')
    return c
  }

  /** Writes `c` (insert or replace); the alias must be free or already this contact's. */
  #write(op: string, c: Contact, existed: boolean): Contact {
    this.#cache.delete(c.did)
    const key = didKey(this.#ctx.lookup, c.did)
    const alias = c.alias === undefined ? null : aliasKey(this.#ctx.lookup, c.alias)
    if (alias !== null) {
      const holder = this.#ctx.stmt(SQL.aliasHolder).get(alias) as Row | undefined
      if (holder !== undefined && !bytesEqual(blob(holder['did'], 'contacts.did'), key)) {
        throw new ParleyError('STORE_EXISTS', `${op}: another contact has this alias`)
      }
    }
    if (!existed) {
      const n = int((this.#ctx.stmt(SQL.count).get() as Row)['n'], 'count')
      if (n >= CONTACTS_MAX) throw new ParleyError('LIMIT_EXCEEDED', `${op}: at most ${CONTACTS_MAX} contacts`)
    }
    const sealed = sealPayload(this.#ctx, TABLE, [key], contactBody(c))
    this.#ctx
      .stmt(SQL.upsert)
      .run(key, alias, sealed)
    return c
  }

  list(): Promise<Contact[]> {
    return this.#ctx.run('ContactStore.list', () => {
      const all = (this.#ctx.stmt(SQL.selectAll).all() as Row[]).map((row) => this.#open(row))
      return all.sort(compareContacts)
    })
  }

  get(did: string): Promise<Contact | undefined> {
    const op = 'ContactStore.get'
    return this.#ctx.run(op, () => {
      checkPeerDid(op, did, 'DID')
      const cached = this.#cache.get(did)
      if (cached !== undefined) return copyContact(cached)
      const c = this.#get(did)
      if (c !== undefined && !this.#ctx.inTransaction()) {
        if (this.#cache.size >= DB_CONTACT_CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string)
        this.#cache.set(did, copyContact(c))
      }
      return c
    })
  }

  byAlias(alias: string): Promise<Contact | undefined> {
    const op = 'ContactStore.byAlias'
    return this.#ctx.run(op, () => {
      const nfc = normalizeAlias(op, alias)
      const row = this.#ctx.stmt(SQL.selectByAlias).get(aliasKey(this.#ctx.lookup, nfc)) as Row | undefined
      if (row === undefined) return undefined
      const c = this.#open(row)
      if (c.alias?.toLowerCase() !== nfc.toLowerCase()) throw new ParleyError('STORE_CORRUPT', 'database: a contact row answers for another alias')
      return c
    })
  }

  put(contact: ContactInput): Promise<Contact> {
    const op = 'ContactStore.put'
    return this.#ctx.run(op, () => {
      const input = checkInput(op, contact)
      const previous = this.#get(input.did)
      const now = this.#ctx.now().getTime()
      return this.#write(op, { ...input, addedAt: previous?.addedAt ?? now, updatedAt: now }, previous !== undefined)
    })
  }

  setAlias(did: string, alias: string | undefined): Promise<Contact> {
    const op = 'ContactStore.setAlias'
    return this.#ctx.run(op, () => {
      checkPeerDid(op, did, 'DID')
      const normalized = alias === undefined ? undefined : normalizeAlias(op, alias)
      const previous = this.#get(did)
      if (previous === undefined) throw new ParleyError('STORE_NOT_FOUND', `${op}: no such contact`)
      const next: Contact = { ...previous, updatedAt: this.#ctx.now().getTime() }
      if (normalized === undefined) delete next.alias
      else next.alias = normalized
      return this.#write(op, next, true)
    })
  }

  delete(did: string): Promise<boolean> {
    const op = 'ContactStore.delete'
    return this.#ctx.run(op, () => {
      checkPeerDid(op, did, 'DID')
      this.#cache.delete(did)
      return Number(this.#ctx.stmt(SQL.deleteByDid).run(didKey(this.#ctx.lookup, did)).changes) > 0
    })
  }
}
