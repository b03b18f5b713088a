/**
 * The daemon's local RPC: JSON lines over the home's Unix socket.
 *
 *   client → daemon   {"id": 7, "method": "send", "params": {"contact": "alice", "text": "hi"}}
 *   daemon → client   {"id": 7, "result": {"id": "…", "state": "delivered"}}
 *                     {"id": 7, "error": {"code": "STORE_NOT_FOUND", "message": "…"}}
 *                     {"event": "message", "data": {…}}        (after a `subscribe`)
 *
 * Methods mirror the `Agent` interface (src/agent/types.ts) one to one, plus
 * `hello` (who is there) and `subscribe` (agent events on this connection).
 * Dates travel as ISO 8601 text and errors as `{code, message}`; this file
 * owns that mapping both ways. Every line is bounded before it is kept
 * whole (DAEMON_RPC_MAX_LINE_BYTES), parsed strictly (no duplicate members,
 * bounded depth) and checked member by member; a bad line is a typed error
 * (RPC_TOO_LARGE, RPC_MALFORMED), never an exception escaping the socket.
 */
import type { AgentEventName, AgentEvents, AgentStatus, ConnectionInfo, Contact, FileInfo, HistoryMessage, MessageState, SendResult } from '../../agent/types.js'
import { isJsonObject, parseStrictJson } from '../../codec/json.js'
import type { JsonObject } from '../../codec/json.js'
import { DAEMON_RPC_MAX_ID_LENGTH, DAEMON_RPC_MAX_JSON_DEPTH, DAEMON_RPC_MAX_LINE_BYTES } from '../../constants.js'
import { ErrorCodes, ParleyError } from '../../errors.js'
import type { ErrorCode } from '../../errors.js'

/** Version of this RPC, told by `hello`. */
export const RPC_VERSION = 1

/** Every method a daemon answers. */
export const RPC_METHODS = [
  'hello',
  'subscribe',
  'createInvite',
  'acceptInvite',
  'contacts',
  'contact',
  'setAlias',
  'send',
  'sendFile',
  'introduce',
  'history',
  'status',
  'rotateKeys',
] as const
export type RpcMethod = (typeof RPC_METHODS)[number]

/** Every agent event a client may subscribe to. */
export const RPC_EVENTS: readonly AgentEventName[] = [
  'message',
  'delivery',
  'file.progress',
  'file.done',
  'contact.verified',
  'contact.refused',
  'session.reset',
  'error',
]

export type RpcId = number | string

export interface RpcRequest {
  id: RpcId
  method: RpcMethod
  params: JsonObject
}

/** What `hello` answers. */
export interface HelloResult {
  did: string
  pid: number
  version: number
}

/** A line from the daemon: a response to a request, or an event. */
export type ServerMessage =
  | { kind: 'result'; id: RpcId; result: unknown }
  | { kind: 'error'; id: RpcId | null; error: ParleyError }
  | { kind: 'event'; event: AgentEventName; data: unknown }

// ---------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------

const NEWLINE = 0x0a

/**
 * Splits a byte stream into lines, refusing (RPC_TOO_LARGE) as soon as more
 * than `maxBytes` arrive without a newline: nothing longer is ever kept.
 */
export class LineDecoder {
  readonly maxBytes: number
  #parts: Buffer[] = []
  #pending = 0
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true })

  constructor(maxBytes: number = DAEMON_RPC_MAX_LINE_BYTES) {
    this.maxBytes = maxBytes
  }

  /** The complete lines in `chunk` (and before it), as text. RPC_TOO_LARGE, RPC_MALFORMED (not UTF-8). */
  push(chunk: Buffer): string[] {
    const lines: string[] = []
    let start = 0
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start)
      const end = nl === -1 ? chunk.length : nl
      if (this.#pending + (end - start) > this.maxBytes) {
        this.#parts = []
        this.#pending = 0
        throw new ParleyError('RPC_TOO_LARGE', `rpc: a line is longer than ${this.maxBytes} bytes`)
      }
      if (nl === -1) {
        if (end > start) {
          this.#parts.push(chunk.subarray(start, end))
          this.#pending += end - start
        }
        return lines
      }
      this.#parts.push(chunk.subarray(start, end))
      const line = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts)
      this.#parts = []
      this.#pending = 0
      start = nl + 1
      let text: string
      try {
        text = this.#utf8.decode(line)
      } catch (err) {
        throw new ParleyError('RPC_MALFORMED', 'rpc: a line is not UTF-8', { cause: err })
      }
      if (text.trim() !== '') lines.push(text)
    }
  }

  /** Bytes held of an unfinished line. */
  get pending(): number {
    return this.#pending
  }
}

/** `value` as one JSON line; RPC_TOO_LARGE when it would be longer than `maxBytes`. */
export function encodeLine(value: unknown, maxBytes: number = DAEMON_RPC_MAX_LINE_BYTES): string {
  const text = JSON.stringify(value)
  // Length in UTF-16 units is at most the UTF-8 byte length; compute the real one only when close.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes)) {
    throw new ParleyError('RPC_TOO_LARGE', `rpc: a message would be longer than ${maxBytes} bytes`)
  }
  return text + '\n'
}

function parseLine(line: string, maxBytes: number): JsonObject {
  return parseStrictJson(line, { maxLength: maxBytes, maxDepth: DAEMON_RPC_MAX_JSON_DEPTH, code: 'RPC_MALFORMED', what: 'rpc line' })
}

function isRpcId(v: unknown): v is RpcId {
  return (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'string' && v.length > 0 && v.length <= DAEMON_RPC_MAX_ID_LENGTH)
}

/** A request could not be decoded; `id` is set when the line named a valid one (the error answers it). */
export class RequestError extends ParleyError {
  readonly requestId: RpcId | null
  constructor(requestId: RpcId | null, code: ErrorCode, message: string) {
    super(code, message)
    this.requestId = requestId
  }
}

/** Decodes one request line (server side). Throws RequestError. */
export function decodeRequest(line: string, maxBytes: number = DAEMON_RPC_MAX_LINE_BYTES): RpcRequest {
  let obj: JsonObject
  try {
    obj = parseLine(line, maxBytes)
  } catch (err) {
    throw new RequestError(null, 'RPC_MALFORMED', err instanceof ParleyError ? err.message : 'rpc: malformed line')
  }
  const id = obj['id']
  if (!isRpcId(id)) throw new RequestError(null, 'RPC_MALFORMED', 'rpc: a request needs an id (a non-negative integer or a short string)')
  for (const key of Object.keys(obj)) {
    if (key !== 'id' && key !== 'method' && key !== 'params') throw new RequestError(id, 'RPC_MALFORMED', `rpc: unknown member "${key}"`)
  }
  const method = obj['method']
  if (typeof method !== 'string') throw new RequestError(id, 'RPC_MALFORMED', 'rpc: a request needs a method')
  if (!(RPC_METHODS as readonly string[]).includes(method)) {
    throw new RequestError(id, 'RPC_UNKNOWN_METHOD', `rpc: no method "${method.slice(0, 64)}"`)
  }
  const params = obj['params'] ?? {}
  if (!isJsonObject(params)) throw new RequestError(id, 'RPC_MALFORMED', 'rpc: params must be an object')
  return { id, method: method as RpcMethod, params }
}

/** Decodes one line from the daemon (client side). RPC_MALFORMED. */
export function decodeServerMessage(line: string, maxBytes: number = DAEMON_RPC_MAX_LINE_BYTES): ServerMessage {
  const obj = parseLine(line, maxBytes)
  if (typeof obj['event'] === 'string') {
    const event = obj['event']
    if (!(RPC_EVENTS as readonly string[]).includes(event)) throw new ParleyError('RPC_MALFORMED', `rpc: unknown event "${event.slice(0, 64)}"`)
    return { kind: 'event', event: event as AgentEventName, data: obj['data'] ?? null }
  }
  const id = obj['id']
  if (id !== null && !isRpcId(id)) throw new ParleyError('RPC_MALFORMED', 'rpc: a response without a valid id')
  if (obj['error'] !== undefined) return { kind: 'error', id, error: reviveError(obj['error']) }
  if (id === null || !Object.hasOwn(obj, 'result')) throw new ParleyError('RPC_MALFORMED', 'rpc: a response needs a result or an error')
  return { kind: 'result', id, result: obj['result'] }
}

// ---------------------------------------------------------------------------
// Params (server side): each check names the member, RPC_MALFORMED otherwise
// ---------------------------------------------------------------------------

function badParam(name: string, what: string): ParleyError {
  return new ParleyError('RPC_MALFORMED', `rpc: param "${name}" must be ${what}`)
}

/** Refuses members other than `allowed`. */
export function expectParams(params: JsonObject, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) if (!allowed.includes(key)) throw new ParleyError('RPC_MALFORMED', `rpc: unknown param "${key.slice(0, 64)}"`)
}

export function textParam(params: JsonObject, name: string): string {
  const v = params[name]
  if (typeof v !== 'string') throw badParam(name, 'text')
  return v
}

export function optionalTextParam(params: JsonObject, name: string): string | undefined {
  return params[name] === undefined ? undefined : textParam(params, name)
}

export function optionalBoolParam(params: JsonObject, name: string): boolean | undefined {
  const v = params[name]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') throw badParam(name, 'a boolean')
  return v
}

export function optionalIntParam(params: JsonObject, name: string): number | undefined {
  const v = params[name]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badParam(name, 'a non-negative integer')
  return v
}

export function optionalDateParam(params: JsonObject, name: string): Date | undefined {
  const v = optionalTextParam(params, name)
  if (v === undefined) return undefined
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) throw badParam(name, 'an ISO 8601 date')
  return d
}

/** The event names of a `subscribe`. */
export function eventsParam(params: JsonObject): AgentEventName[] {
  const v = params['events']
  if (!Array.isArray(v) || v.length === 0 || v.length > RPC_EVENTS.length) throw badParam('events', 'a list of event names')
  const out: AgentEventName[] = []
  for (const e of v) {
    if (typeof e !== 'string' || !(RPC_EVENTS as readonly string[]).includes(e)) throw badParam('events', 'a list of event names')
    if (!out.includes(e as AgentEventName)) out.push(e as AgentEventName)
  }
  return out
}

// ---------------------------------------------------------------------------
// Values (client side): JSON back to the Agent types
// ---------------------------------------------------------------------------

function malformed(what: string): ParleyError {
  return new ParleyError('RPC_MALFORMED', `rpc: the daemon sent a malformed ${what}`)
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (!isJsonObject(v)) throw malformed(what)
  return v
}

function text(o: Record<string, unknown>, key: string, what: string): string {
  const v = o[key]
  if (typeof v !== 'string') throw malformed(what)
  return v
}

function optionalText(o: Record<string, unknown>, key: string, what: string): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : text(o, key, what)
}

function count(o: Record<string, unknown>, key: string, what: string): number {
  const v = o[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(what)
  return v
}

function flag(o: Record<string, unknown>, key: string, what: string): boolean {
  const v = o[key]
  if (typeof v !== 'boolean') throw malformed(what)
  return v
}

function date(o: Record<string, unknown>, key: string, what: string): Date {
  const d = new Date(text(o, key, what))
  if (Number.isNaN(d.getTime())) throw malformed(what)
  return d
}

function texts(o: Record<string, unknown>, key: string, what: string): string[] {
  const v = o[key]
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw malformed(what)
  return v as string[]
}

function oneOf<T extends string>(o: Record<string, unknown>, key: string, values: readonly T[], what: string): T {
  const v = o[key]
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw malformed(what)
  return v as T
}

const STATES: readonly MessageState[] = ['queued', 'sent', 'delivered', 'failed']
const FILE_STATES: readonly FileInfo['state'][] = ['offered', 'transferring', 'done', 'failed', 'cancelled']
const DIRECTIONS = ['in', 'out'] as const

/** An error `{code, message}` back to a ParleyError (an unknown code becomes INTERNAL). */
export function reviveError(v: unknown): ParleyError {
  const o = object(v, 'error')
  const code = text(o, 'code', 'error')
  const message = text(o, 'message', 'error')
  return (ErrorCodes as readonly string[]).includes(code) ? new ParleyError(code as ErrorCode, message) : new ParleyError('INTERNAL', `${code}: ${message}`)
}

export function reviveContact(v: unknown): Contact {
  const o = object(v, 'contact')
  const contact: Contact = {
    did: text(o, 'did', 'contact'),
    verified: flag(o, 'verified', 'contact'),
    credentialTypes: texts(o, 'credentialTypes', 'contact'),
    connected: flag(o, 'connected', 'contact'),
    addedAt: date(o, 'addedAt', 'contact'),
  }
  const alias = optionalText(o, 'alias', 'contact')
  if (alias !== undefined) contact.alias = alias
  return contact
}

export function reviveFileInfo(v: unknown): FileInfo {
  const o = object(v, 'file')
  const file: FileInfo = {
    transferId: text(o, 'transferId', 'file'),
    name: text(o, 'name', 'file'),
    size: count(o, 'size', 'file'),
    sha256: text(o, 'sha256', 'file'),
    state: oneOf(o, 'state', FILE_STATES, 'file'),
  }
  const path = optionalText(o, 'path', 'file')
  if (path !== undefined) file.path = path
  return file
}

export function reviveMessage(v: unknown): HistoryMessage {
  const o = object(v, 'message')
  const m: HistoryMessage = {
    id: text(o, 'id', 'message'),
    peer: text(o, 'peer', 'message'),
    direction: oneOf(o, 'direction', DIRECTIONS, 'message'),
    from: text(o, 'from', 'message'),
    at: date(o, 'at', 'message'),
  }
  const body = optionalText(o, 'text', 'message')
  if (body !== undefined) m.text = body
  if (o['file'] !== undefined && o['file'] !== null) m.file = reviveFileInfo(o['file'])
  if (o['state'] !== undefined && o['state'] !== null) m.state = oneOf(o, 'state', STATES, 'message')
  return m
}

export function reviveSendResult(v: unknown): SendResult {
  const o = object(v, 'send result')
  return { id: text(o, 'id', 'send result'), state: oneOf(o, 'state', STATES, 'send result') }
}

export function reviveSendFileResult(v: unknown): SendResult & { transferId: string } {
  const o = object(v, 'send result')
  return { ...reviveSendResult(o), transferId: text(o, 'transferId', 'send result') }
}

export function reviveInvite(v: unknown): { invite: string; expiresAt: Date } {
  const o = object(v, 'invite')
  return { invite: text(o, 'invite', 'invite'), expiresAt: date(o, 'expiresAt', 'invite') }
}

export function reviveStatus(v: unknown): AgentStatus {
  const o = object(v, 'status')
  const peerId = o['peerId']
  if (peerId !== null && typeof peerId !== 'string') throw malformed('status')
  return {
    did: text(o, 'did', 'status'),
    peerId,
    addresses: texts(o, 'addresses', 'status'),
    reachability: oneOf(o, 'reachability', ['public', 'private', 'unknown'] as const, 'status'),
    relays: texts(o, 'relays', 'status'),
    connectedContacts: texts(o, 'connectedContacts', 'status'),
    sessions: count(o, 'sessions', 'status'),
    ...(o['connections'] === undefined ? {} : { connections: reviveConnections(o['connections']) }),
  }
}

function reviveConnections(v: unknown): ConnectionInfo[] {
  if (!Array.isArray(v)) throw malformed('status')
  return v.map((item) => {
    const c = object(item, 'status')
    return {
      did: text(c, 'did', 'status'),
      peerId: text(c, 'peerId', 'status'),
      address: text(c, 'address', 'status'),
      relayed: flag(c, 'relayed', 'status'),
      role: oneOf(c, 'role', ['contact', 'relay', 'peer'] as const, 'status'),
    }
  })
}

export function reviveHello(v: unknown): HelloResult {
  const o = object(v, 'hello')
  return { did: text(o, 'did', 'hello'), pid: count(o, 'pid', 'hello'), version: count(o, 'version', 'hello') }
}

/** An event's data back to its Agent type. */
export function reviveEvent<E extends AgentEventName>(event: E, data: unknown): AgentEvents[E] {
  switch (event) {
    case 'message':
      return reviveMessage(data) as AgentEvents[E]
    case 'contact.verified':
      return reviveContact(data) as AgentEvents[E]
    case 'error':
      return reviveError(data) as AgentEvents[E]
    case 'delivery': {
      const o = object(data, 'delivery')
      return { id: text(o, 'id', 'delivery'), to: text(o, 'to', 'delivery'), state: oneOf(o, 'state', STATES, 'delivery') } as AgentEvents[E]
    }
    case 'file.progress': {
      const o = object(data, 'file progress')
      const w = 'file progress'
      return {
        transferId: text(o, 'transferId', w),
        peer: text(o, 'peer', w),
        name: text(o, 'name', w),
        bytes: count(o, 'bytes', w),
        total: count(o, 'total', w),
        direction: oneOf(o, 'direction', DIRECTIONS, w),
      } as AgentEvents[E]
    }
    case 'file.done': {
      const o = object(data, 'file done')
      const path = optionalText(o, 'path', 'file done')
      return {
        transferId: text(o, 'transferId', 'file done'),
        peer: text(o, 'peer', 'file done'),
        name: text(o, 'name', 'file done'),
        direction: oneOf(o, 'direction', DIRECTIONS, 'file done'),
        ...(path !== undefined ? { path } : {}),
      } as AgentEvents[E]
    }
    case 'contact.refused': {
      const o = object(data, 'refusal')
      const did = optionalText(o, 'did', 'refusal')
      return {
        peerId: text(o, 'peerId', 'refusal'),
        code: text(o, 'code', 'refusal'),
        message: text(o, 'message', 'refusal'),
        ...(did !== undefined ? { did } : {}),
      } as AgentEvents[E]
    }
    case 'session.reset': {
      const o = object(data, 'reset')
      return {
        peer: text(o, 'peer', 'reset'),
        reason: text(o, 'reason', 'reset'),
        message: text(o, 'message', 'reset'),
        by: oneOf(o, 'by', ['me', 'peer'] as const, 'reset'),
      } as AgentEvents[E]
    }
    default:
      throw malformed('event')
  }
}
