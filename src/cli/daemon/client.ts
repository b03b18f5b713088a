/**
 * The command's side of the local RPC (rpc.ts): connects to the home's
 * daemon socket and offers the running agent as an `Agent` (RemoteAgent),
 * so a command is written once and runs the same against the daemon or
 * against an agent it started in-process.
 *
 * `connectDaemon` answers `undefined` when no daemon runs (no socket file,
 * or a stale one nobody listens on): the caller then runs the agent itself.
 * Responses are matched by id; events arrive on the same connection after
 * a `subscribe`, which the server registers before it reads the next line,
 * so a request sent after `on()` never misses an event it causes. When the
 * connection ends, every pending call fails with RPC_CLOSED and `lost`
 * aborts. `stop()` of a RemoteAgent only hangs up; it never stops the daemon.
 */
import { createConnection } from 'node:net'
import type { Socket } from 'node:net'
import { resolve as resolvePath } from 'node:path'
import type { Agent, AgentEventName, AgentEvents, AgentStatus, Contact, HistoryMessage, SendResult } from '../../agent/types.js'
import { DAEMON_CONNECT_TIMEOUT_MS, DAEMON_RPC_MAX_LINE_BYTES, DAEMON_SOCKET_PATH_MAX_BYTES } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import {
  LineDecoder,
  decodeServerMessage,
  encodeLine,
  reviveContact,
  reviveEvent,
  reviveHello,
  reviveInvite,
  reviveMessage,
  reviveSendFileResult,
  reviveSendResult,
  reviveStatus,
} from './rpc.js'
import type { HelloResult, RpcMethod } from './rpc.js'

interface Pending {
  resolve(value: unknown): void
  reject(err: ParleyError): void
}

/** A connection to a daemon. */
export class DaemonClient {
  readonly #socket: Socket
  readonly #decoder: LineDecoder
  readonly #pending = new Map<number, Pending>()
  readonly #lost = new AbortController()
  #nextId = 1
  #onEvent: (event: AgentEventName, data: unknown) => void = () => undefined

  constructor(socket: Socket, maxLineBytes: number = DAEMON_RPC_MAX_LINE_BYTES) {
    this.#socket = socket
    this.#decoder = new LineDecoder(maxLineBytes)
    socket.on('data', (chunk: Buffer) => this.#receive(chunk))
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.#end(new ParleyError('RPC_CLOSED', 'the connection to the daemon was closed (did it stop?)')))
  }

  /** Aborted (reason: a ParleyError) when the connection ends. */
  get lost(): AbortSignal {
    return this.#lost.signal
  }

  /** Where events go (one listener: the RemoteAgent). */
  onEvent(listener: (event: AgentEventName, data: unknown) => void): void {
    this.#onEvent = listener
  }

  /** Calls `method`; resolves with the raw JSON result, rejects with the daemon's ParleyError or RPC_CLOSED. */
  call(method: RpcMethod, params: Record<string, unknown> = {}): Promise<unknown> {
    if (this.#lost.signal.aborted) return Promise.reject(this.#lost.signal.reason as ParleyError)
    const id = this.#nextId++
    let line: string
    try {
      line = encodeLine({ id, method, params })
    } catch (err) {
      return Promise.reject(err as ParleyError)
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#socket.write(line)
    })
  }

  /** Hangs up. */
  close(): void {
    this.#socket.end()
    this.#socket.destroy()
  }

  #receive(chunk: Buffer): void {
    let lines: string[]
    try {
      lines = this.#decoder.push(chunk)
    } catch (err) {
      this.#end(err as ParleyError)
      this.#socket.destroy()
      return
    }
    for (const line of lines) {
      let message
      try {
        message = decodeServerMessage(line, this.#decoder.maxBytes)
      } catch (err) {
        this.#end(err as ParleyError)
        this.#socket.destroy()
        return
      }
      if (message.kind === 'event') {
        this.#onEvent(message.event, message.data)
        continue
      }
      if (message.id === null) {
        // A connection-level refusal (RPC_BUSY, RPC_TOO_LARGE): every call fails with it.
        if (message.kind === 'error') this.#end(message.error)
        continue
      }
      const pending = typeof message.id === 'number' ? this.#pending.get(message.id) : undefined
      if (pending === undefined) continue
      this.#pending.delete(message.id as number)
      if (message.kind === 'error') pending.reject(message.error)
      else pending.resolve(message.result)
    }
  }

  #end(reason: ParleyError): void {
    if (!this.#lost.signal.aborted) this.#lost.abort(reason)
    const error = this.#lost.signal.reason as ParleyError
    for (const p of this.#pending.values()) p.reject(error)
    this.#pending.clear()
  }
}

/** Opens the socket; undefined when no daemon listens there. */
function openSocket(path: string, timeoutMs: number): Promise<Socket | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new ParleyError('RPC_CLOSED', 'the daemon does not answer on its socket'))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      socket.destroy()
      // No file, a stale file nobody listens on, or a non-socket: no daemon.
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') resolve(undefined)
      else reject(new ParleyError('IO_FAILED', `cannot connect to the daemon's socket ${path} (${err.code ?? err.message})`, { cause: err }))
    })
  })
}

export interface ConnectOptions {
  timeoutMs?: number
  /** Resolves relative file paths (the daemon's working directory is not ours). */
  cwd?: () => string
  maxLineBytes?: number
}

/**
 * The home's daemon as an Agent, or undefined when none runs.
 *
 * @example
 * const remote = await connectDaemon(join(home, DAEMON_SOCKET_NAME))
 * if (remote) try { await remote.send('alice', 'hi', { wait: true }) } finally { await remote.stop() }
 */
export async function connectDaemon(socketPath: string, options: ConnectOptions = {}): Promise<RemoteAgent | undefined> {
  const timeoutMs = options.timeoutMs ?? DAEMON_CONNECT_TIMEOUT_MS
  if (Buffer.byteLength(socketPath) > DAEMON_SOCKET_PATH_MAX_BYTES) return undefined // no daemon can listen there
  const socket = await openSocket(socketPath, timeoutMs)
  if (socket === undefined) return undefined
  const client = new DaemonClient(socket, options.maxLineBytes)
  let timer: NodeJS.Timeout | undefined
  try {
    const hello = reviveHello(
      await Promise.race([
        client.call('hello'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new ParleyError('RPC_CLOSED', 'the daemon does not answer on its socket')), timeoutMs)
        }),
      ]),
    )
    return new RemoteAgent(client, hello, options.cwd ?? (() => process.cwd()))
  } catch (err) {
    client.close()
    throw err
  } finally {
    clearTimeout(timer)
  }
}

type Listener = (value: never) => void

/** The daemon's agent, over the socket. */
export class RemoteAgent implements Agent {
  readonly did: string
  readonly daemonPid: number
  readonly #client: DaemonClient
  readonly #cwd: () => string
  readonly #listeners = new Map<AgentEventName, Set<Listener>>()
  readonly #subscribing: Promise<unknown>[] = []

  constructor(client: DaemonClient, hello: HelloResult, cwd: () => string) {
    this.#client = client
    this.did = hello.did
    this.daemonPid = hello.pid
    this.#cwd = cwd
    client.onEvent((event, data) => this.#emit(event, data))
  }

  /** Aborted when the daemon connection ends (reason: RPC_CLOSED or the refusal that ended it). */
  get lost(): AbortSignal {
    return this.#client.lost
  }

  async start(): Promise<void> {
    // The daemon runs already.
  }

  /** Hangs up; the daemon keeps running. */
  async stop(): Promise<void> {
    this.#client.close()
  }

  async createInvite(opts: { compact?: boolean; lifetimeSeconds?: number } = {}): Promise<{ invite: string; expiresAt: Date }> {
    return reviveInvite(await this.#client.call('createInvite', { ...opts }))
  }

  async acceptInvite(invite: string): Promise<Contact> {
    return reviveContact(await this.#client.call('acceptInvite', { invite }))
  }

  async contacts(): Promise<Contact[]> {
    const list = await this.#client.call('contacts')
    if (!Array.isArray(list)) throw new ParleyError('RPC_MALFORMED', 'rpc: the daemon sent a malformed contact list')
    return list.map(reviveContact)
  }

  async contact(contact: string): Promise<Contact> {
    return reviveContact(await this.#client.call('contact', { contact }))
  }

  async setAlias(contact: string, alias: string): Promise<Contact> {
    return reviveContact(await this.#client.call('setAlias', { contact, alias }))
  }

  async send(contact: string, text: string, opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<SendResult> {
    return reviveSendResult(await this.#client.call('send', { contact, text, ...opts }))
  }

  async sendFile(contact: string, path: string, opts: { wait?: boolean } = {}): Promise<SendResult & { transferId: string }> {
    return reviveSendFileResult(await this.#client.call('sendFile', { contact, path: resolvePath(this.#cwd(), path), ...opts }))
  }

  async introduce(a: string, b: string): Promise<void> {
    await this.#client.call('introduce', { a, b })
  }

  async history(opts: { peer?: string; limit?: number; before?: Date } = {}): Promise<HistoryMessage[]> {
    const list = await this.#client.call('history', {
      ...(opts.peer !== undefined ? { peer: opts.peer } : {}),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(opts.before !== undefined ? { before: opts.before.toISOString() } : {}),
    })
    if (!Array.isArray(list)) throw new ParleyError('RPC_MALFORMED', 'rpc: the daemon sent a malformed history')
    return list.map(reviveMessage)
  }

  async status(): Promise<AgentStatus> {
    return reviveStatus(await this.#client.call('status'))
  }

  async rotateKeys(): Promise<void> {
    await this.#client.call('rotateKeys')
  }

  on<E extends AgentEventName>(event: E, listener: (value: AgentEvents[E]) => void): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(event, set)
      const subscribing = this.#client.call('subscribe', { events: [event] })
      subscribing.catch(() => undefined) // a lost connection shows in `lost`
      this.#subscribing.push(subscribing)
    }
    set.add(listener as Listener)
    return () => {
      set.delete(listener as Listener)
    }
  }

  /** Resolves once the daemon confirmed every subscription asked for so far. */
  async subscribed(): Promise<void> {
    await Promise.all(this.#subscribing)
  }

  #emit(event: AgentEventName, data: unknown): void {
    const set = this.#listeners.get(event)
    if (set === undefined || set.size === 0) return
    let value: unknown
    try {
      value = reviveEvent(event, data)
    } catch {
      return // a malformed event is dropped; requests still get their typed errors
    }
    for (const listener of [...set]) (listener as (v: unknown) => void)(value)
  }
}
