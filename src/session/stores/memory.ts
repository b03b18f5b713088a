/**
 * In-memory implementations of the session stores (stores/types.ts): for
 * tests, ephemeral agents and as the reference the compliance suites are
 * written against. Every method body runs synchronously after its argument
 * checks, so each call is one atomic step on the event loop: two concurrent
 * `takeOneTime` calls for one id cannot both win. Records are copied in and
 * out, so neither the caller nor the store can change the other's bytes.
 *
 * @example
 * ```ts
 * const prekeys = new MemoryPrekeyStore()
 * const sessions = new MemorySessionStore()
 * const replay = new MemoryReplayCache()
 * ```
 */
import { PREKEY_MAX_ID, SIGNED_PREKEY_GRACE_SECONDS } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import {
  checkCount,
  checkFamily,
  checkId,
  checkKind,
  checkPeer,
  checkPrekey,
  checkReplayId,
  checkSessionId,
  checkSessionRecord,
  checkTime,
  keyOf,
} from './checks.js'
import type { OneTimeLookup, PrekeyFamily, PrekeyKind, PrekeyStore, ReplayCache, SessionStore, StoredPrekey } from './types.js'

const GRACE_MS = SIGNED_PREKEY_GRACE_SECONDS * 1000

interface OneTimeEntry {
  record: Uint8Array
  published: boolean
}

interface SignedSlot {
  current?: StoredPrekey
  /** Retired prekeys by id, with the time (ms) they were retired. */
  retired: Map<number, { record: Uint8Array; retiredAt: number }>
}

export interface MemoryPrekeyStoreOptions {
  /** First id `allocateIds` hands out (default 0). Tests use it to reach PREKEY_MAX_ID. */
  firstId?: number
}

export class MemoryPrekeyStore implements PrekeyStore {
  readonly #next = new Map<string, number>()
  readonly #signed = new Map<PrekeyKind, SignedSlot>([
    ['x25519', { retired: new Map() }],
    ['ml-kem', { retired: new Map() }],
  ])
  readonly #oneTime = new Map<PrekeyKind, Map<number, OneTimeEntry>>([
    ['x25519', new Map()],
    ['ml-kem', new Map()],
  ])
  readonly #firstId: number

  constructor(opts: MemoryPrekeyStoreOptions = {}) {
    this.#firstId = opts.firstId ?? 0
    checkId('MemoryPrekeyStore', this.#firstId)
  }

  #nextId(family: PrekeyFamily, kind: PrekeyKind): number {
    return this.#next.get(`${family}/${kind}`) ?? this.#firstId
  }

  async allocateIds(family: PrekeyFamily, kind: PrekeyKind, count: number): Promise<number[]> {
    const op = 'PrekeyStore.allocateIds'
    checkFamily(op, family)
    checkKind(op, kind)
    checkCount(op, count)
    const first = this.#nextId(family, kind)
    if (first + count - 1 > PREKEY_MAX_ID) throw new ParleyError('PREKEY_EXHAUSTED', `${op}: no ${family} ${kind} prekey ids left`)
    this.#next.set(`${family}/${kind}`, first + count)
    return Array.from({ length: count }, (_, i) => first + i)
  }

  async rotateSigned(kind: PrekeyKind, prekey: StoredPrekey, now: Date): Promise<void> {
    const op = 'PrekeyStore.rotateSigned'
    checkKind(op, kind)
    checkPrekey(op, prekey)
    const at = checkTime(op, now)
    if (prekey.id >= this.#nextId('signed', kind)) throw new ParleyError('INVALID_ARGUMENT', `${op}: id was not allocated`)
    const slot = this.#signed.get(kind) as SignedSlot
    if (slot.current?.id === prekey.id || slot.retired.has(prekey.id)) throw new ParleyError('STORE_EXISTS', `${op}: id already stored`)
    if (slot.current !== undefined) slot.retired.set(slot.current.id, { record: slot.current.record, retiredAt: at })
    slot.current = { id: prekey.id, record: prekey.record.slice() }
  }

  async currentSigned(kind: PrekeyKind): Promise<StoredPrekey | undefined> {
    checkKind('PrekeyStore.currentSigned', kind)
    const current = (this.#signed.get(kind) as SignedSlot).current
    return current === undefined ? undefined : { id: current.id, record: current.record.slice() }
  }

  async loadSigned(kind: PrekeyKind, id: number, now: Date): Promise<Uint8Array | undefined> {
    const op = 'PrekeyStore.loadSigned'
    checkKind(op, kind)
    checkId(op, id)
    const at = checkTime(op, now)
    const slot = this.#signed.get(kind) as SignedSlot
    if (slot.current?.id === id) return slot.current.record.slice()
    const retired = slot.retired.get(id)
    return retired !== undefined && at < retired.retiredAt + GRACE_MS ? retired.record.slice() : undefined
  }

  async pruneSigned(now: Date): Promise<number> {
    const at = checkTime('PrekeyStore.pruneSigned', now)
    let pruned = 0
    for (const slot of this.#signed.values()) {
      for (const [id, r] of slot.retired) {
        if (r.retiredAt + GRACE_MS <= at) {
          r.record.fill(0)
          slot.retired.delete(id)
          pruned++
        }
      }
    }
    return pruned
  }

  async addOneTime(kind: PrekeyKind, prekeys: readonly StoredPrekey[]): Promise<void> {
    const op = 'PrekeyStore.addOneTime'
    checkKind(op, kind)
    if (!Array.isArray(prekeys)) throw new ParleyError('INVALID_ARGUMENT', `${op}: prekeys must be an array`)
    checkCount(op, prekeys.length)
    const held = this.#oneTime.get(kind) as Map<number, OneTimeEntry>
    const next = this.#nextId('one-time', kind)
    const seen = new Set<number>()
    for (const p of prekeys) {
      checkPrekey(op, p)
      if (p.id >= next) throw new ParleyError('INVALID_ARGUMENT', `${op}: id ${p.id} was not allocated`)
      if (held.has(p.id) || seen.has(p.id)) throw new ParleyError('STORE_EXISTS', `${op}: id ${p.id} already stored`)
      seen.add(p.id)
    }
    for (const p of prekeys) held.set(p.id, { record: p.record.slice(), published: false })
  }

  async countUnpublished(kind: PrekeyKind): Promise<number> {
    checkKind('PrekeyStore.countUnpublished', kind)
    let n = 0
    for (const v of (this.#oneTime.get(kind) as Map<number, OneTimeEntry>).values()) if (!v.published) n++
    return n
  }

  async publishOneTime(kind: PrekeyKind): Promise<StoredPrekey | undefined> {
    checkKind('PrekeyStore.publishOneTime', kind)
    let best: { id: number; entry: OneTimeEntry } | undefined
    for (const [id, entry] of this.#oneTime.get(kind) as Map<number, OneTimeEntry>) {
      if (!entry.published && (best === undefined || id < best.id)) best = { id, entry }
    }
    if (best === undefined) return undefined
    best.entry.published = true
    return { id: best.id, record: best.entry.record.slice() }
  }

  #lookup(op: string, kind: PrekeyKind, id: number, take: boolean): OneTimeLookup {
    checkKind(op, kind)
    checkId(op, id)
    const held = this.#oneTime.get(kind) as Map<number, OneTimeEntry>
    const entry = held.get(id)
    if (entry !== undefined) {
      if (!take) return { status: 'available', record: entry.record.slice() }
      held.delete(id)
      return { status: 'available', record: entry.record }
    }
    return id < this.#nextId('one-time', kind) ? { status: 'used' } : { status: 'unknown' }
  }

  async peekOneTime(kind: PrekeyKind, id: number): Promise<OneTimeLookup> {
    return this.#lookup('PrekeyStore.peekOneTime', kind, id, false)
  }

  async takeOneTime(kind: PrekeyKind, id: number): Promise<OneTimeLookup> {
    return this.#lookup('PrekeyStore.takeOneTime', kind, id, true)
  }
}

interface PeerSessions {
  sessions: Map<string, { id: Uint8Array; record: Uint8Array }>
  active?: string
}

export class MemorySessionStore implements SessionStore {
  readonly #peers = new Map<string, PeerSessions>()

  async load(peerDid: string, sessionId: Uint8Array): Promise<Uint8Array | undefined> {
    checkPeer('SessionStore.load', peerDid)
    checkSessionId('SessionStore.load', sessionId)
    return this.#peers.get(peerDid)?.sessions.get(keyOf(sessionId))?.record.slice()
  }

  async store(peerDid: string, sessionId: Uint8Array, record: Uint8Array, opts: { activate?: boolean } = {}): Promise<void> {
    const op = 'SessionStore.store'
    checkPeer(op, peerDid)
    checkSessionId(op, sessionId)
    checkSessionRecord(op, record)
    let peer = this.#peers.get(peerDid)
    if (peer === undefined) {
      peer = { sessions: new Map() }
      this.#peers.set(peerDid, peer)
    }
    const key = keyOf(sessionId)
    peer.sessions.set(key, { id: sessionId.slice(), record: record.slice() })
    if (opts.activate === true) peer.active = key
  }

  async delete(peerDid: string, sessionId: Uint8Array): Promise<boolean> {
    checkPeer('SessionStore.delete', peerDid)
    checkSessionId('SessionStore.delete', sessionId)
    const peer = this.#peers.get(peerDid)
    const key = keyOf(sessionId)
    if (peer === undefined || !peer.sessions.delete(key)) return false
    if (peer.active === key) delete peer.active
    if (peer.sessions.size === 0) this.#peers.delete(peerDid)
    return true
  }

  async list(peerDid: string): Promise<Uint8Array[]> {
    checkPeer('SessionStore.list', peerDid)
    return [...(this.#peers.get(peerDid)?.sessions.values() ?? [])].map((s) => s.id.slice())
  }

  async active(peerDid: string): Promise<Uint8Array | undefined> {
    checkPeer('SessionStore.active', peerDid)
    const peer = this.#peers.get(peerDid)
    return peer?.active === undefined ? undefined : peer.sessions.get(peer.active)?.id.slice()
  }

  async activate(peerDid: string, sessionId: Uint8Array): Promise<void> {
    const op = 'SessionStore.activate'
    checkPeer(op, peerDid)
    checkSessionId(op, sessionId)
    const peer = this.#peers.get(peerDid)
    const key = keyOf(sessionId)
    if (peer === undefined || !peer.sessions.has(key)) throw new ParleyError('STORE_NOT_FOUND', `${op}: no such session`)
    peer.active = key
  }
}

export class MemoryReplayCache implements ReplayCache {
  /** Expiry (ms) by hex id. */
  readonly #entries = new Map<string, number>()

  async checkAndInsert(id: Uint8Array, expiresAt: Date, now: Date): Promise<boolean> {
    const op = 'ReplayCache.checkAndInsert'
    checkReplayId(op, id)
    const expiry = checkTime(op, expiresAt, 'expiresAt')
    const at = checkTime(op, now)
    if (expiry <= at) throw new ParleyError('INVALID_ARGUMENT', `${op}: expiresAt must be after now`)
    const key = keyOf(id)
    const held = this.#entries.get(key)
    if (held !== undefined && held > at) return false
    this.#entries.set(key, expiry)
    return true
  }

  async prune(now: Date): Promise<number> {
    const at = checkTime('ReplayCache.prune', now)
    let pruned = 0
    for (const [key, expiry] of this.#entries) {
      if (expiry <= at) {
        this.#entries.delete(key)
        pruned++
      }
    }
    return pruned
  }
}
