/**
 * The agent: what an app developer imports and what the CLI and its daemon
 * run (DESIGN §1, §8). It composes the identity in a home, the encrypted
 * store, the session manager and the libp2p node with its Parley protocols.
 * This file is the contract only; agent.ts implements it.
 */
import type { ParleyError } from '../errors.js'

/** Delivery state of a message we sent. */
export type MessageState = 'queued' | 'sent' | 'delivered' | 'failed'

export interface AgentNetworkOptions {
  /** Multiaddrs to listen on (default: all interfaces, TCP and WebSockets, random ports). */
  listen?: string[]
  /** Relays to reserve a `/p2p-circuit` slot on (multiaddrs with /p2p/<id>). */
  relays?: string[]
  /** Bootstrap peers (multiaddrs). */
  bootstrap?: string[]
  /** mDNS discovery on the local network (default true). */
  mdns?: boolean
  /** Only reachable through relays: no direct listen addresses are announced (tests, the demo's Bob). */
  relayOnly?: boolean
}

export interface AgentOptions {
  /** The home directory (created by `parley id create`, or by `createAgent` with `create`). */
  home: string
  /** The home's passphrase. */
  passphrase: string
  /** Create the identity when the home has none (with this name). */
  create?: { name: string }
  /** Network options; `false` runs without a node (offline tools). */
  network?: AgentNetworkOptions | false
  /**
   * Where sessions, contacts, history and the outbox live: 'encrypted' (the
   * default) is the home's encrypted database, durable across restarts;
   * 'memory' keeps them in this process only (benchmarks, ephemeral agents:
   * nothing survives a restart). Either way the identity comes from the
   * home's key file and the home's lock is held.
   */
  storage?: 'encrypted' | 'memory'
  /** The clock (tests). */
  now?: () => Date
}

export interface Contact {
  did: string
  alias?: string
  /** Authenticated on a connection with a credential our trust policy accepts (or none required). */
  verified: boolean
  /** Credential types the contact presented and our policy accepted. */
  credentialTypes: string[]
  /** Connected and authenticated right now. */
  connected: boolean
  addedAt: Date
}

export interface FileInfo {
  transferId: string
  name: string
  size: number
  sha256: string
  /** Where the received file is (or will be) stored. */
  path?: string
  state: 'offered' | 'transferring' | 'done' | 'failed' | 'cancelled'
}

/** A message in the history, either direction. */
export interface HistoryMessage {
  id: string
  /** The peer's DID. */
  peer: string
  direction: 'in' | 'out'
  /** The sender's DID. */
  from: string
  text?: string
  file?: FileInfo
  at: Date
  /** For outgoing messages. */
  state?: MessageState
}

export interface SendResult {
  id: string
  state: MessageState
}

export interface AgentStatus {
  did: string
  peerId: string | null
  addresses: string[]
  /** AutoNAT's view: 'public', 'private' or 'unknown'. */
  reachability: 'public' | 'private' | 'unknown'
  relays: string[]
  connectedContacts: string[]
  sessions: number
  /** The authenticated connections right now (contacts, our relays, other peers), with the path each takes. */
  connections?: ConnectionInfo[]
}

/** One authenticated connection of the node. */
export interface ConnectionInfo {
  did: string
  peerId: string
  /** The remote multiaddr: it contains `/p2p-circuit` when the connection goes through a relay. */
  address: string
  relayed: boolean
  /** 'contact': one of our contacts; 'relay': one of our relays; 'peer': anyone else. */
  role: 'contact' | 'relay' | 'peer'
}

export interface AgentEvents {
  message: HistoryMessage
  delivery: { id: string; to: string; state: MessageState }
  'file.progress': { transferId: string; peer: string; name: string; bytes: number; total: number; direction: 'in' | 'out' }
  'file.done': { transferId: string; peer: string; name: string; path?: string; direction: 'in' | 'out' }
  'contact.verified': Contact
  'contact.refused': { peerId: string; did?: string; code: string; message: string }
  'session.reset': { peer: string; reason: string; message: string; by: 'me' | 'peer' }
  error: ParleyError
}

export type AgentEventName = keyof AgentEvents

export interface Agent {
  readonly did: string
  start(): Promise<void>
  stop(): Promise<void>
  /** A single-use invite: the `parley:` URI (compact, fits a QR code) or the full signed invite (base64url). */
  createInvite(opts?: { compact?: boolean; lifetimeSeconds?: number }): Promise<{ invite: string; expiresAt: Date }>
  /** Connects to the inviter, authenticates, establishes a session; resolves with the new contact. */
  acceptInvite(invite: string): Promise<Contact>
  contacts(): Promise<Contact[]>
  /** `contact`: a DID or an alias. */
  contact(contact: string): Promise<Contact>
  setAlias(contact: string, alias: string): Promise<Contact>
  /** Encrypts and queues; resolves once queued (`wait: true`: once delivered, or still queued after `timeoutMs`). */
  send(contact: string, text: string, opts?: { wait?: boolean; timeoutMs?: number }): Promise<SendResult>
  sendFile(contact: string, path: string, opts?: { wait?: boolean }): Promise<SendResult & { transferId: string }>
  introduce(a: string, b: string): Promise<void>
  /** The newest `limit` messages (of `peer`, or of every contact), oldest first; equal times keep the order they happened in. */
  history(opts?: { peer?: string; limit?: number; before?: Date }): Promise<HistoryMessage[]>
  status(): Promise<AgentStatus>
  /** Rotates our keys (pre-rotation) and tells every contact. */
  rotateKeys(): Promise<void>
  on<E extends AgentEventName>(event: E, listener: (value: AgentEvents[E]) => void): () => void
}
