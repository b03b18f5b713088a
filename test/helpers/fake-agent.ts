/**
 * An in-memory `Agent` (src/agent/types.ts) for the CLI tests, until the
 * real agent lands: a `FakeWorld` holds every home's state (identity,
 * contacts, history, issued invites, outbox) across agent instances, and
 * links the agents running at once, so two homes can invite, accept and
 * message each other in-process. It keeps the contract's observable rules:
 * one agent per home at a time (STORE_LOCKED 'home in use'), the passphrase
 * of the home (PASSPHRASE_WRONG), single-use invites (INVITE_USED), unknown
 * contacts (STORE_NOT_FOUND), unique aliases (STORE_EXISTS), delivery when
 * the peer runs and queueing otherwise (flushed when it starts), events for
 * received messages, receipts, file progress and verified contacts.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type {
  Agent,
  AgentEventName,
  AgentEvents,
  AgentOptions,
  AgentStatus,
  Contact,
  HistoryMessage,
  SendResult,
} from '../../src/agent/types.js'
import { ParleyError } from '../../src/errors.js'
import { normalizeAlias } from '../../src/db/index.js'
import { main } from '../../src/cli/main.js'
import type { CliIo } from '../../src/cli/io.js'
import { defaultSuite } from '../../src/crypto/index.js'
import { tempDir } from './tmp.js'

interface HomeState {
  did: string
  passphrase: string
  running: FakeAgent | undefined
  contacts: Map<string, Contact>
  history: HistoryMessage[]
  invites: Map<string, Date>
  outbox: HistoryMessage[]
}

let counter = 0

export class FakeWorld {
  readonly homes = new Map<string, HomeState>()
  /** Agents with a network, by DID. */
  readonly online = new Map<string, FakeAgent>()
  /** Every agent made (tests look at options). */
  readonly made: AgentOptions[] = []

  /** The factory to pass as `io.createAgent`. */
  readonly createAgent = async (options: AgentOptions): Promise<Agent> => {
    this.made.push(options)
    let home = this.homes.get(options.home)
    if (home === undefined) {
      home = { did: `did:parley:fake${++counter}${randomBytes(4).toString('hex')}`, passphrase: options.passphrase, running: undefined, contacts: new Map(), history: [], invites: new Map(), outbox: [] }
      this.homes.set(options.home, home)
    }
    if (home.passphrase !== options.passphrase) throw new ParleyError('PASSPHRASE_WRONG', 'wrong passphrase')
    if (home.running !== undefined) throw new ParleyError('STORE_LOCKED', 'home in use')
    const agent = new FakeAgent(this, home, options)
    home.running = agent
    return agent
  }

  /** The DID a home has (made on first use). */
  didOf(homeDir: string): string | undefined {
    return this.homes.get(homeDir)?.did
  }
}

function nowOf(options: AgentOptions): Date {
  return options.now?.() ?? new Date()
}

export class FakeAgent implements Agent {
  readonly did: string
  readonly #world: FakeWorld
  readonly #home: HomeState
  readonly #options: AgentOptions
  readonly #events = new EventEmitter()
  #started = false
  #stopped = false

  constructor(world: FakeWorld, home: HomeState, options: AgentOptions) {
    this.#world = world
    this.#home = home
    this.#options = options
    this.did = home.did
  }

  get networked(): boolean {
    return this.#started && !this.#stopped && this.#options.network !== false
  }

  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    if (this.#options.network === false) return
    this.#world.online.set(this.did, this)
    // Whoever has mail for us delivers it now; we deliver ours to whoever runs.
    for (const other of this.#world.online.values()) other.flush()
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    if (this.#world.online.get(this.did) === this) this.#world.online.delete(this.did)
    this.#home.running = undefined
    this.#events.removeAllListeners()
  }

  #live(): void {
    if (this.#stopped) throw new ParleyError('STORE_CLOSED', 'the agent is stopped')
  }

  async createInvite(opts: { compact?: boolean; lifetimeSeconds?: number } = {}): Promise<{ invite: string; expiresAt: Date }> {
    this.#live()
    const token = randomBytes(8).toString('hex')
    const expiresAt = new Date(nowOf(this.#options).getTime() + (opts.lifetimeSeconds ?? 7 * 24 * 3600) * 1000)
    this.#home.invites.set(token, expiresAt)
    const invite = opts.compact === true ? `parley:fake?d=${encodeURIComponent(this.did)}&t=${token}` : Buffer.from(JSON.stringify({ d: this.did, t: token, full: true })).toString('base64url')
    return { invite, expiresAt }
  }

  async acceptInvite(invite: string): Promise<Contact> {
    this.#live()
    let did: string | undefined
    let token: string | undefined
    const m = /^parley:fake\?d=([^&]+)&t=([0-9a-f]+)$/.exec(invite)
    if (m !== null) {
      did = decodeURIComponent(m[1] as string)
      token = m[2]
    } else {
      try {
        const o = JSON.parse(Buffer.from(invite, 'base64url').toString('utf8')) as { d?: unknown; t?: unknown }
        if (typeof o.d === 'string' && typeof o.t === 'string') [did, token] = [o.d, o.t]
      } catch {
        // not an invite
      }
    }
    if (did === undefined || token === undefined) throw new ParleyError('INVITE_INVALID', 'not an invite')
    if (!this.networked) throw new ParleyError('MSG_PEER_UNREACHABLE', 'offline')
    const inviter = this.#world.online.get(did)
    if (inviter === undefined) throw new ParleyError('MSG_PEER_UNREACHABLE', 'the inviter is not reachable')
    inviter.redeem(token)
    const now = nowOf(this.#options)
    const mine = this.#addContact(did, now)
    inviter.addVerifiedContact(this.did, now)
    return { ...mine, connected: true }
  }

  /** Inviter side: single use. */
  redeem(token: string): void {
    const expiresAt = this.#home.invites.get(token)
    if (expiresAt === undefined) throw new ParleyError('INVITE_USED', 'the invite was used or never issued')
    this.#home.invites.delete(token)
    if (expiresAt.getTime() < nowOf(this.#options).getTime()) throw new ParleyError('INVITE_EXPIRED', 'the invite expired')
  }

  addVerifiedContact(did: string, now: Date): void {
    const c = this.#addContact(did, now)
    this.#emit('contact.verified', { ...c, connected: true })
  }

  #addContact(did: string, now: Date): Contact {
    const existing = this.#home.contacts.get(did)
    const c: Contact = existing ?? { did, verified: true, credentialTypes: [], connected: false, addedAt: now }
    this.#home.contacts.set(did, c)
    return { ...c }
  }

  #resolve(contact: string): Contact {
    const byDid = this.#home.contacts.get(contact)
    if (byDid !== undefined) return byDid
    const folded = contact.normalize('NFC').toLowerCase()
    for (const c of this.#home.contacts.values()) if (c.alias !== undefined && c.alias.toLowerCase() === folded) return c
    throw new ParleyError('STORE_NOT_FOUND', `no contact "${contact}"`)
  }

  #view(c: Contact): Contact {
    return { ...c, connected: this.networked && this.#world.online.has(c.did) }
  }

  async contacts(): Promise<Contact[]> {
    this.#live()
    return [...this.#home.contacts.values()].map((c) => this.#view(c))
  }

  async contact(contact: string): Promise<Contact> {
    this.#live()
    return this.#view(this.#resolve(contact))
  }

  async setAlias(contact: string, alias: string): Promise<Contact> {
    this.#live()
    const c = this.#resolve(contact)
    const name = normalizeAlias('setAlias', alias)
    for (const other of this.#home.contacts.values()) {
      if (other.did !== c.did && other.alias?.toLowerCase() === name.toLowerCase()) throw new ParleyError('STORE_EXISTS', 'another contact has this alias')
    }
    c.alias = name
    return this.#view(c)
  }

  async send(contact: string, text: string, _opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<SendResult> {
    this.#live()
    if (text === '') throw new ParleyError('INVALID_ARGUMENT', 'empty message')
    const c = this.#resolve(contact)
    const m: HistoryMessage = { id: randomBytes(8).toString('hex'), peer: c.did, direction: 'out', from: this.did, text, at: nowOf(this.#options), state: 'queued' }
    this.#home.history.push(m)
    this.#home.outbox.push(m)
    this.flush()
    return { id: m.id, state: m.state ?? 'queued' }
  }

  async sendFile(contact: string, path: string, _opts: { wait?: boolean } = {}): Promise<SendResult & { transferId: string }> {
    this.#live()
    const c = this.#resolve(contact)
    let size: number
    try {
      size = (await stat(path)).size
    } catch (err) {
      throw new ParleyError('STORE_NOT_FOUND', `no such file: ${path}`, { cause: err })
    }
    const transferId = randomBytes(8).toString('hex')
    const name = basename(path)
    const m: HistoryMessage = {
      id: randomBytes(8).toString('hex'),
      peer: c.did,
      direction: 'out',
      from: this.did,
      file: { transferId, name, size, sha256: '00'.repeat(32), state: 'offered' },
      at: nowOf(this.#options),
      state: 'queued',
    }
    this.#home.history.push(m)
    const peer = this.networked ? this.#world.online.get(c.did) : undefined
    if (peer !== undefined) {
      for (const bytes of [0, Math.floor(size / 2), size]) this.#emit('file.progress', { transferId, peer: c.did, name, bytes, total: size, direction: 'out' })
      peer.receive({ ...m, direction: 'in', peer: this.did, file: { ...(m.file as NonNullable<HistoryMessage['file']>), state: 'done', path: `/downloads/${name}` } })
      m.state = 'delivered'
      if (m.file !== undefined) m.file.state = 'done'
      this.#emit('file.done', { transferId, peer: c.did, name, direction: 'out' })
    } else {
      this.#home.outbox.push(m)
    }
    return { id: m.id, state: m.state ?? 'queued', transferId }
  }

  /** Delivers the outbox to the peers that run now. */
  flush(): void {
    if (!this.networked) return
    const left: HistoryMessage[] = []
    for (const m of this.#home.outbox) {
      const peer = this.#world.online.get(m.peer)
      if (peer === undefined) {
        left.push(m)
        continue
      }
      peer.receive({ ...m, direction: 'in', peer: this.did, state: undefined } as HistoryMessage)
      m.state = 'delivered'
      this.#emit('delivery', { id: m.id, to: m.peer, state: 'delivered' })
    }
    this.#home.outbox = left
  }

  receive(m: HistoryMessage): void {
    const copy: HistoryMessage = { ...m }
    delete copy.state
    if (!this.#home.contacts.has(copy.peer)) this.#addContact(copy.peer, copy.at)
    this.#home.history.push(copy)
    this.#emit('message', copy)
  }

  async introduce(a: string, b: string): Promise<void> {
    this.#live()
    this.#resolve(a)
    this.#resolve(b)
  }

  async history(opts: { peer?: string; limit?: number; before?: Date } = {}): Promise<HistoryMessage[]> {
    this.#live()
    let list = [...this.#home.history]
    if (opts.peer !== undefined) list = list.filter((m) => m.peer === opts.peer)
    if (opts.before !== undefined) list = list.filter((m) => m.at.getTime() < (opts.before as Date).getTime())
    // As the agent: the newest `limit` messages, oldest first (ties in the order they happened).
    return list.slice(-(opts.limit ?? 50)).map((m) => ({ ...m }))
  }

  async status(): Promise<AgentStatus> {
    this.#live()
    const networked = this.networked
    const net = this.#options.network
    return {
      did: this.did,
      peerId: networked ? `12D3KooFake${this.did.slice(-8)}` : null,
      addresses: networked ? (net !== false && net?.listen !== undefined ? net.listen : ['/ip4/127.0.0.1/tcp/4001']) : [],
      reachability: 'unknown',
      relays: networked && net !== false ? (net?.relays ?? []) : [],
      connectedContacts: networked ? [...this.#home.contacts.keys()].filter((d) => this.#world.online.has(d)) : [],
      sessions: this.#home.contacts.size,
    }
  }

  async rotateKeys(): Promise<void> {
    this.#live()
  }

  on<E extends AgentEventName>(event: E, listener: (value: AgentEvents[E]) => void): () => void {
    this.#events.on(event, listener as (v: unknown) => void)
    return () => {
      this.#events.off(event, listener as (v: unknown) => void)
    }
  }

  /** Emits an agent event (tests use it to push events through a daemon). */
  emitForTest<E extends AgentEventName>(event: E, value: AgentEvents[E]): void {
    this.#emit(event, value)
  }

  #emit<E extends AgentEventName>(event: E, value: AgentEvents[E]): void {
    // EventEmitter throws an 'error' nobody listens to; an agent only reports it.
    if (event === 'error' && this.#events.listenerCount('error') === 0) return
    this.#events.emit(event, value)
  }
}

// ---------------------------------------------------------------------------
// The CLI over a FakeWorld
// ---------------------------------------------------------------------------

export interface FakeCliResult {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as one JSON document, when it is one. */
  json: any
  /** stdout parsed as JSON lines. */
  lines: any[]
}

export interface FakeCli {
  home: string
  env: Record<string, string | undefined>
  world: FakeWorld
  /** Extra IO members (terminal, progress, …) for the next runs. */
  io: Partial<CliIo>
  run(...args: string[]): Promise<FakeCliResult>
  /** Runs until `stop` aborts (daemon, serve, inbox --follow); `output()` shows what it printed so far. */
  start(...args: string[]): RunningCli
}

export interface RunningCli {
  output(): { stdout: string; stderr: string }
  /** Resolves when stdout matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
  stop(): Promise<FakeCliResult>
  done: Promise<FakeCliResult>
}

function parse(stdout: string): { json: any; lines: any[] } {
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {
    json = undefined
  }
  const lines: unknown[] = []
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue
    try {
      lines.push(JSON.parse(line))
    } catch {
      // a human line
    }
  }
  return { json, lines }
}

/** A CLI on a fresh home whose agent is made by `world`. */
export async function fakeCli(world: FakeWorld, passphrase = 'correct horse battery staple'): Promise<FakeCli> {
  const home = await tempDir()
  const cli: FakeCli = {
    home,
    env: { PARLEY_HOME: home, PARLEY_PASSPHRASE: passphrase },
    world,
    io: {},
    async run(...args: string[]) {
      return cli.start(...args).done
    },
    start(...args: string[]) {
      let stdout = ''
      let stderr = ''
      const stop = new AbortController()
      const io: CliIo = {
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        env: cli.env,
        now: () => new Date(),
        suite: defaultSuite,
        createAgent: world.createAgent,
        stopSignal: () => stop.signal,
        cwd: () => process.cwd(),
        ...cli.io,
      }
      const done = main(['node', 'parley', ...args], io).then((code) => ({ code, stdout, stderr, ...parse(stdout) }))
      return {
        output: () => ({ stdout, stderr }),
        async waitFor(pattern, timeoutMs = 10_000) {
          const until = Date.now() + timeoutMs
          let finished = false
          void done.then(() => (finished = true))
          while (!pattern.test(stdout)) {
            if (finished) throw new Error(`the command ended before printing ${pattern}: ${stdout} ${stderr}`)
            if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}: ${stdout} ${stderr}`)
            await new Promise((r) => setTimeout(r, 10))
          }
        },
        async stop() {
          stop.abort()
          return done
        },
        done,
      }
    },
  }
  return cli
}
