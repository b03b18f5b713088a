/**
 * The daemon's side of the local RPC (rpc.ts): a Unix domain socket in the
 * home (`daemon.sock`, 0600 inside the 0700 home) on which the running agent
 * answers the commands of other `parley` processes of the same user.
 *
 * The socket is created under a 0177 umask, so it is 0600 from its first
 * instant (and checked after). A socket file left by a daemon that died is
 * detected — nothing answers on it — and replaced; one that answers means
 * another daemon runs (DAEMON_RUNNING). The daemon holds the home's
 * single-writer lock through its agent, so a second daemon normally stops
 * at STORE_LOCKED before it gets here.
 *
 * Each connection: lines are bounded (RPC_TOO_LARGE closes the connection,
 * since the framing can no longer be trusted), requests are decoded
 * strictly and dispatched concurrently up to DAEMON_RPC_MAX_IN_FLIGHT, and
 * answered by id; a `subscribe` forwards agent events on the connection
 * until it closes. A client that stops reading is disconnected once its
 * backlog passes DAEMON_RPC_MAX_BACKLOG_BYTES. Failures are answered as
 * `{code, message}`; an unexpected exception becomes INTERNAL (its detail
 * goes to the `log` hook, never to the client).
 */
import { createServer, createConnection } from 'node:net'
import type { Server, Socket } from 'node:net'
import { chmod, lstat, unlink } from 'node:fs/promises'
import { dirname, isAbsolute } from 'node:path'
import type { Agent, AgentEventName } from '../../agent/types.js'
import type { JsonObject } from '../../codec/json.js'
import {
  DAEMON_CONNECT_TIMEOUT_MS,
  DAEMON_MAX_CLIENTS,
  DAEMON_RPC_MAX_BACKLOG_BYTES,
  DAEMON_RPC_MAX_IN_FLIGHT,
  DAEMON_RPC_MAX_LINE_BYTES,
  DAEMON_SOCKET_MODE,
  DAEMON_SOCKET_PATH_MAX_BYTES,
} from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { ensurePrivateDir } from '../../storage/files.js'
import {
  LineDecoder,
  RPC_VERSION,
  RequestError,
  decodeRequest,
  encodeLine,
  eventsParam,
  expectParams,
  optionalBoolParam,
  optionalDateParam,
  optionalIntParam,
  optionalTextParam,
  textParam,
} from './rpc.js'
import type { RpcId, RpcMethod } from './rpc.js'

export interface DaemonServerOptions {
  /** Where the socket is made (`home/daemon.sock`). */
  socketPath: string
  agent: Agent
  /** Line limit (default DAEMON_RPC_MAX_LINE_BYTES; tests lower it). */
  maxLineBytes?: number
  /** Clients at once (default DAEMON_MAX_CLIENTS). */
  maxClients?: number
  /** Where unexpected failures are reported (never secrets: the error only). */
  log?: (message: string, err?: unknown) => void
}

export interface DaemonServer {
  readonly socketPath: string
  /** Connected clients right now. */
  clients(): number
  /** Stops accepting, disconnects every client, removes the socket file. */
  close(): Promise<void>
}

type MethodFn = (agent: Agent, params: JsonObject) => Promise<unknown>

/** One entry per RPC method: checks the params, calls the agent. */
const METHODS: Record<Exclude<RpcMethod, 'subscribe'>, MethodFn> = {
  hello: async (agent, p) => {
    expectParams(p, [])
    return { did: agent.did, pid: process.pid, version: RPC_VERSION }
  },
  createInvite: async (agent, p) => {
    expectParams(p, ['compact', 'lifetimeSeconds'])
    const compact = optionalBoolParam(p, 'compact')
    const lifetimeSeconds = optionalIntParam(p, 'lifetimeSeconds')
    return agent.createInvite({ ...(compact !== undefined ? { compact } : {}), ...(lifetimeSeconds !== undefined ? { lifetimeSeconds } : {}) })
  },
  acceptInvite: async (agent, p) => {
    expectParams(p, ['invite'])
    return agent.acceptInvite(textParam(p, 'invite'))
  },
  contacts: async (agent, p) => {
    expectParams(p, [])
    return agent.contacts()
  },
  contact: async (agent, p) => {
    expectParams(p, ['contact'])
    return agent.contact(textParam(p, 'contact'))
  },
  setAlias: async (agent, p) => {
    expectParams(p, ['contact', 'alias'])
    return agent.setAlias(textParam(p, 'contact'), textParam(p, 'alias'))
  },
  send: async (agent, p) => {
    expectParams(p, ['contact', 'text', 'wait', 'timeoutMs'])
    const wait = optionalBoolParam(p, 'wait')
    const timeoutMs = optionalIntParam(p, 'timeoutMs')
    return agent.send(textParam(p, 'contact'), textParam(p, 'text'), {
      ...(wait !== undefined ? { wait } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    })
  },
  sendFile: async (agent, p) => {
    expectParams(p, ['contact', 'path', 'wait'])
    const path = textParam(p, 'path')
    // The daemon's working directory is not the client's: the client resolves paths.
    if (!isAbsolute(path)) throw new ParleyError('INVALID_ARGUMENT', 'rpc: sendFile needs an absolute path')
    const wait = optionalBoolParam(p, 'wait')
    return agent.sendFile(textParam(p, 'contact'), path, wait !== undefined ? { wait } : {})
  },
  introduce: async (agent, p) => {
    expectParams(p, ['a', 'b'])
    await agent.introduce(textParam(p, 'a'), textParam(p, 'b'))
    return {}
  },
  history: async (agent, p) => {
    expectParams(p, ['peer', 'limit', 'before'])
    const peer = optionalTextParam(p, 'peer')
    const limit = optionalIntParam(p, 'limit')
    const before = optionalDateParam(p, 'before')
    return agent.history({
      ...(peer !== undefined ? { peer } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(before !== undefined ? { before } : {}),
    })
  },
  status: async (agent, p) => {
    expectParams(p, [])
    return agent.status()
  },
  rotateKeys: async (agent, p) => {
    expectParams(p, [])
    await agent.rotateKeys()
    return {}
  },
}

/**
 * Prepares `path` for a new socket: nothing there, or a stale socket that
 * nobody answers on (removed). DAEMON_RUNNING when a daemon answers;
 * IO_FAILED when something other than a socket is in the way.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  let st
  try {
    st = await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new ParleyError('IO_FAILED', `cannot inspect ${path}`, { cause: err })
  }
  if (!st.isSocket()) throw new ParleyError('IO_FAILED', `${path} exists and is not a socket; remove it`)
  if (await answers(path)) throw new ParleyError('DAEMON_RUNNING', 'a daemon already runs on this home')
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new ParleyError('IO_FAILED', `cannot remove the stale socket ${path}`, { cause: err })
  })
}

/** True when something accepts connections on the socket `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ path })
    const timer = setTimeout(() => done(true), DAEMON_CONNECT_TIMEOUT_MS) // it exists and does not refuse: assume alive
    function done(alive: boolean): void {
      clearTimeout(timer)
      socket.destroy()
      resolve(alive)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Listens on `path` with the socket created 0600 (umask), then checks the
 * mode. A file another thread creates in that same instant can only come
 * out stricter than asked, never looser.
 */
async function listenPrivate(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(new ParleyError('IO_FAILED', `cannot listen on ${path}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err }))
    server.once('error', onError)
    // bind(2) runs synchronously inside listen(); the umask is restored before any other code runs.
    const previous = process.umask(0o777 & ~DAEMON_SOCKET_MODE)
    try {
      server.listen({ path, readableAll: false, writableAll: false }, () => {
        server.off('error', onError)
        resolve()
      })
    } finally {
      process.umask(previous)
    }
  })
  const st = await lstat(path)
  if ((st.mode & 0o777) !== DAEMON_SOCKET_MODE) await chmod(path, DAEMON_SOCKET_MODE) // only if a platform ignored the umask; the 0700 home covers the gap
}

/**
 * Starts answering on `socketPath` for `agent`.
 *
 * @example
 * const server = await startDaemonServer({ socketPath: join(home, DAEMON_SOCKET_NAME), agent })
 * // … until stopped:
 * await server.close()
 */
export async function startDaemonServer(options: DaemonServerOptions): Promise<DaemonServer> {
  const { socketPath, agent } = options
  const maxLine = options.maxLineBytes ?? DAEMON_RPC_MAX_LINE_BYTES
  const maxClients = options.maxClients ?? DAEMON_MAX_CLIENTS
  const log = options.log ?? (() => undefined)
  if (Buffer.byteLength(socketPath) > DAEMON_SOCKET_PATH_MAX_BYTES) {
    throw new ParleyError('IO_FAILED', `the socket path ${socketPath} is longer than ${DAEMON_SOCKET_PATH_MAX_BYTES} bytes, the most a Unix socket takes: use a home with a shorter path`)
  }
  await ensurePrivateDir(dirname(socketPath))
  await clearStaleSocket(socketPath)

  const sockets = new Set<Socket>()
  const refused = new Set<Socket>()
  const server = createServer((socket) => {
    if (sockets.size >= maxClients) {
      refused.add(socket)
      socket.on('close', () => refused.delete(socket))
      socket.on('error', () => socket.destroy())
      socket.resume() // read (and drop) whatever it sends, so its hang-up is seen
      socket.end(encodeLine({ id: null, error: { code: 'RPC_BUSY', message: `the daemon serves at most ${maxClients} clients` } }), () => socket.destroy())
      return
    }
    sockets.add(socket)
    serveConnection(socket, agent, maxLine, log, () => sockets.delete(socket))
  })
  await listenPrivate(server, socketPath)
  let closed: Promise<void> | undefined
  return {
    socketPath,
    clients: () => sockets.size,
    close() {
      closed ??= (async () => {
        const done = new Promise<void>((resolve) => server.close(() => resolve()))
        for (const s of [...sockets, ...refused]) s.destroy()
        await done
        await unlink(socketPath).catch(() => undefined)
      })()
      return closed
    },
  }
}

function serveConnection(socket: Socket, agent: Agent, maxLine: number, log: DaemonServerOptions['log'] & {}, onClose: () => void): void {
  const decoder = new LineDecoder(maxLine)
  const unsubscribers = new Map<AgentEventName, () => void>()
  let inFlight = 0
  let open = true

  const close = (): void => {
    if (!open) return
    open = false
    for (const off of unsubscribers.values()) off()
    unsubscribers.clear()
    onClose()
  }
  socket.on('close', close)
  socket.on('error', () => socket.destroy())

  const write = (value: unknown): void => {
    if (!open || socket.destroyed) return
    socket.write(encodeLine(value, maxLine))
    if (socket.writableLength > DAEMON_RPC_MAX_BACKLOG_BYTES) {
      log('daemon: a client stopped reading; disconnected')
      socket.destroy()
    }
  }
  const answer = (id: RpcId | null, result: unknown): void => {
    try {
      write({ id, result })
    } catch (err) {
      // Only RPC_TOO_LARGE can get here: the result does not fit one line.
      write({ id, error: toWireError(err, log) })
    }
  }
  const fail = (id: RpcId | null, err: unknown): void => write({ id, error: toWireError(err, log) })

  const handle = (line: string): void => {
    let request
    try {
      request = decodeRequest(line, maxLine)
    } catch (err) {
      fail(err instanceof RequestError ? err.requestId : null, err)
      return
    }
    const { id, method, params } = request
    if (method === 'subscribe') {
      try {
        expectParams(params, ['events'])
        for (const event of eventsParam(params)) {
          if (unsubscribers.has(event)) continue
          unsubscribers.set(
            event,
            agent.on(event, (data) => {
              try {
                write({ event, data })
              } catch (err) {
                log(`daemon: an event "${event}" could not be sent`, err)
              }
            }),
          )
        }
        answer(id, { events: [...unsubscribers.keys()] })
      } catch (err) {
        fail(id, err)
      }
      return
    }
    if (inFlight >= DAEMON_RPC_MAX_IN_FLIGHT) {
      fail(id, new ParleyError('RPC_BUSY', `at most ${DAEMON_RPC_MAX_IN_FLIGHT} requests at once per client`))
      return
    }
    inFlight++
    METHODS[method](agent, params).then(
      (result) => answer(id, result ?? {}),
      (err: unknown) => fail(id, err),
    ).finally(() => {
      inFlight--
    })
  }

  socket.on('data', (chunk: Buffer) => {
    if (!open) return
    let lines: string[]
    try {
      lines = decoder.push(chunk)
    } catch (err) {
      // The framing is lost (a line too long, or not UTF-8): say why, then hang up.
      if (open) socket.end(encodeLine({ id: null, error: toWireError(err, log) }))
      close()
      return
    }
    for (const line of lines) handle(line)
  })
}

function toWireError(err: unknown, log: (message: string, err?: unknown) => void): { code: string; message: string } {
  if (err instanceof ParleyError) return err.toJSON()
  log('daemon: unexpected failure', err)
  return { code: 'INTERNAL', message: 'the daemon failed unexpectedly (see its log)' }
}
