/**
 * A small in-memory world for the SessionManager tests: parties (an
 * identity, real in-memory stores, a manager on the native suite), a shared
 * clock and key directory, and a network that queues every `Outgoing` so a
 * test can deliver, drop, duplicate, reorder or tamper with it. Reset
 * deposits land in a mailbox keyed by rendezvous id.
 */
import assert from 'node:assert/strict'
import { toHex } from '../../src/codec/index.js'
import { ParleyError, isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import { rotateIdentity } from '../../src/identity/index.js'
import type { Identity, KeyState } from '../../src/identity/index.js'
import { MemoryInviteStore } from '../../src/session/invite-store.js'
import { SessionManager } from '../../src/session/manager.js'
import type { Context, Outgoing, ReceiveResult, Received, SessionEvent } from '../../src/session/manager-types.js'
import type { IntroductionPolicy } from '../../src/session/introduction.js'
import { MemoryPrekeyStore, MemoryReplayCache, MemorySessionStore } from '../../src/session/stores/memory.js'
import { at, cloneSecrets, newIdentity, suite } from './fixtures.js'

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
export const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** A message on the wire. */
export interface Packet {
  from: string
  to: string
  bytes: Uint8Array
}

export interface PartyOptions {
  introductions?: IntroductionPolicy
  resetAfterDecryptFailures?: number
}

export class Party {
  id: Identity
  sessions = new MemorySessionStore()
  readonly prekeys = new MemoryPrekeyStore()
  readonly replay = new MemoryReplayCache()
  readonly invites = new MemoryInviteStore()
  readonly events: SessionEvent[] = []
  readonly messages: string[] = []
  manager: SessionManager
  readonly #net: Net
  readonly #opts: PartyOptions

  constructor(net: Net, name: string, opts: PartyOptions = {}) {
    this.#net = net
    this.#opts = opts
    this.id = newIdentity(name)
    net.directory.set(this.did, this.id.state)
    this.manager = this.#makeManager()
  }

  get did(): string {
    return this.id.state.did
  }

  #makeManager(): SessionManager {
    return new SessionManager({ ...this.context(), onEvent: (e) => this.events.push(e), ...this.#opts })
  }

  /** The options a manager (or a test reaching below it) runs on. */
  context(): Context {
    return {
      suite,
      identity: async () => ({ kel: this.id.kel, state: this.id.state, secrets: cloneSecrets(this.id.secrets) }),
      stores: { sessions: this.sessions, prekeys: this.prekeys, replay: this.replay, invites: this.invites },
      resolveIdentity: this.#net.resolve,
      now: this.#net.now,
      policy: this.#opts.introductions ?? { mode: 'contacts' },
      resetAfterDecryptFailures: this.#opts.resetAfterDecryptFailures ?? 5,
    }
  }

  /** Rotates our keys (new signing key and fresh agreement keys) and publishes the new state. */
  rotate(): void {
    this.id = rotateIdentity(suite, this.id.kel, cloneSecrets(this.id.secrets), { now: this.#net.now(), newAgreementKeys: 1 })
    this.#net.directory.set(this.did, this.id.state)
  }

  /** A restart over (possibly other) session records: a device restored from a backup. */
  restart(sessions?: MemorySessionStore): void {
    if (sessions !== undefined) this.sessions = sessions
    this.manager = this.#makeManager()
  }

  /** Every session record and the active pointer of each listed peer, as hex (for "nothing changed"). */
  async dump(peers: readonly string[]): Promise<string> {
    return dumpSessions(this.sessions, peers)
  }

  async active(peer: string): Promise<string | undefined> {
    const id = await this.sessions.active(peer)
    return id === undefined ? undefined : toHex(id)
  }
}

export async function dumpSessions(store: MemorySessionStore, peers: readonly string[]): Promise<string> {
  const out: string[] = []
  for (const peer of peers) {
    const active = await store.active(peer)
    out.push(`${peer} active=${active === undefined ? '-' : toHex(active)}`)
    const ids = (await store.list(peer)).map(toHex).sort()
    for (const id of ids) {
      const record = await store.load(peer, Uint8Array.from(Buffer.from(id, 'hex')))
      out.push(`${id}=${record === undefined ? '-' : toHex(record)}`)
    }
  }
  return out.join('\n')
}

/** A copy of a session store (records and active pointers of `peers`). */
export async function copySessions(store: MemorySessionStore, peers: readonly string[]): Promise<MemorySessionStore> {
  const copy = new MemorySessionStore()
  for (const peer of peers) {
    for (const id of await store.list(peer)) {
      const record = await store.load(peer, id)
      if (record !== undefined) await copy.store(peer, id, record)
    }
    const active = await store.active(peer)
    if (active !== undefined) await copy.activate(peer, active)
  }
  return copy
}

export class Net {
  clock = 100
  readonly directory = new Map<string, KeyState>()
  readonly parties = new Map<string, Party>()
  /** Messages in flight, oldest first. */
  queue: Packet[] = []
  /** Reset deposits by rendezvous id (hex). */
  readonly mailbox = new Map<string, Uint8Array[]>()
  readonly now = (): Date => at(this.clock)
  readonly resolve = async (did: string): Promise<KeyState> => {
    const state = this.directory.get(did)
    if (state === undefined) throw new ParleyError('DID_NOT_FOUND', 'test directory: unknown DID')
    return state
  }

  party(name: string, opts: PartyOptions = {}): Party {
    const p = new Party(this, name, opts)
    this.parties.set(p.did, p)
    return p
  }

  /** Queues what `from` produced. */
  post(from: Party, outgoing: readonly Outgoing[]): void {
    for (const o of outgoing) {
      if ('to' in o) this.queue.push({ from: from.did, to: o.to, bytes: o.bytes })
      else {
        const key = toHex(o.rendezvous)
        this.mailbox.set(key, [...(this.mailbox.get(key) ?? []), o.bytes])
      }
    }
  }

  /** Takes the in-flight packets matching `pick` (default: all) out of the queue. */
  take(pick: (p: Packet) => boolean = () => true): Packet[] {
    const taken = this.queue.filter(pick)
    this.queue = this.queue.filter((p) => !pick(p))
    return taken
  }

  /** Delivers one packet; what the receiver produces is queued. Records app messages on the receiver. */
  async deliver(p: Packet): Promise<ReceiveResult> {
    const to = this.parties.get(p.to)
    if (to === undefined) throw new Error('no such party')
    const result = await to.manager.receive(p.bytes, { from: p.from })
    for (const r of result.received) if (r.type === 'message') to.messages.push(text(r.data))
    this.post(to, result.outgoing)
    return result
  }

  /** Delivers everything in flight, and what that produces, until quiet (at most `rounds` passes). */
  async flush(rounds = 10): Promise<Received[]> {
    const all: Received[] = []
    for (let i = 0; i < rounds && this.queue.length > 0; i++) {
      for (const p of this.take()) all.push(...(await this.deliver(p)).received)
    }
    assert.equal(this.queue.length, 0, 'the network did not settle')
    return all
  }

  /** Takes every deposit left at `rendezvous` (hex). */
  deposits(rendezvousHex: string): Uint8Array[] {
    const list = this.mailbox.get(rendezvousHex) ?? []
    this.mailbox.delete(rendezvousHex)
    return list
  }

  /** Offers every deposit in the mailbox to `party` (those not for it are refused and put back). */
  async acceptDeposits(party: Party): Promise<void> {
    for (const [key, list] of [...this.mailbox]) {
      const keep: Uint8Array[] = []
      for (const bytes of list) {
        try {
          const r = await party.manager.acceptReset(Uint8Array.from(Buffer.from(key, 'hex')), bytes)
          this.post(party, r.outgoing)
        } catch (err) {
          if (!isParleyError(err, 'DECRYPT_FAILED')) throw err
          keep.push(bytes)
        }
      }
      if (keep.length === 0) this.mailbox.delete(key)
      else this.mailbox.set(key, keep)
    }
  }
}

/** Sends `message` from `a` to `b` and delivers it; returns what b received. */
export async function say(net: Net, a: Party, b: Party, message: string): Promise<void> {
  net.post(a, [await a.manager.send(b.did, utf8(message))])
  await net.flush()
  assert.equal(b.messages.at(-1), message)
}

/** Invite → connect → hello/ack: a and b end with one established session each way. */
export async function connectPair(net: Net, a: Party, b: Party): Promise<void> {
  const { full } = await b.manager.createInvite({ addresses: ['/dns4/b.example/tcp/443/wss'] })
  const started = await a.manager.connect(full)
  net.post(a, started.outgoing)
  await net.flush()
}

export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    if (isParleyError(err, code)) return true
    assert.fail(`expected ${code}, got ${err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)}`)
  })
}

export function eventsOf<T extends SessionEvent['type']>(party: Party, type: T): Array<Extract<SessionEvent, { type: T }>> {
  return party.events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type)
}
