/**
 * The agent (DESIGN §1): one home's identity, its encrypted store, the
 * session manager and the Parley network stack, composed.
 *
 * - start: the encrypted database is opened (it takes the home's
 *   single-writer lock and checks the passphrase), the identity loaded, the
 *   libp2p key unsealed, the network started, and the identity's KEL updated
 *   to list the peer id and addresses (again whenever they change, e.g. when
 *   a relay reservation adds a circuit address).
 * - Every authenticated connection hands us the peer's verified KEL: it is
 *   kept (contacts: in the store) so sessions can resolve the peer's keys,
 *   and the next authentication refuses a rollback.
 * - Inbound envelopes go through the session manager inside one database
 *   transaction (ratchet state, history entry), and only then is the
 *   transport's ack sent; the messages of a peer that wait together share
 *   one commit, and so do the sends made together: group commit, one
 *   fsync for several messages (group-commit.ts, docs/storage.md).
 *   Events are emitted after the commit.
 * - Compact invites: the invitee dials an address from the invite,
 *   authenticates, and fetches our KEL and bundle over /parley/invite/1.0.0
 *   with the invite's token; it checks them against the invite's digest.
 *   The token is redeemed when the first message arrives.
 * - Files: a file offer travels inside the ratchet; its chunks over
 *   /parley/blob/1.0.0 (blob service).
 */
import type { Connection, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { AGENT_INVITE_FETCH_MAX_BYTES, AGENT_MAX_SERVED_INVITES, AGENT_SEND_WAIT_MS, INVITE_DEFAULT_LIFETIME_SECONDS, MSG_DEDUPE_TTL_MS } from '../constants.js'
import { asMap, decode, encode, expectKeys, getBytes, toHex, fromBase64url, toBase64url } from '../codec/index.js'
import { defaultSuite } from '../crypto/index.js'
import type { Suite } from '../crypto/index.js'
import { createPresentation } from '../credentials/index.js'
import type { CredentialContainer } from '../credentials/index.js'
import { ParleyError, isParleyError, wrapError } from '../errors.js'
import { compareKels, decodeKel, encodeKel, verifyKel } from '../identity/index.js'
import type { Identity, KeyState } from '../identity/index.js'
import { SessionManager } from '../session/index.js'
import type { Outgoing, Received, SessionEvent, StartResult } from '../session/index.js'
import { parseCompactInvite, INVITE_URI_SCHEME } from '../session/invite.js'
import { Home } from '../storage/home.js'
import { IdentityStore } from '../storage/identity-store.js'
import type { LoadedIdentity } from '../storage/identity-store.js'
import { openDatabase } from '../db/index.js'
import type { Contact as StoredContact } from '../db/index.js'
import { announceNetwork, listedPeerIds, peerInfoFromKeyState } from '../network/announce.js'
import { addressRank } from '../network/addresses.js'
import { decodeFileOffer, encodeFileOffer, sanitizeFileName, transferIdHex } from '../network/file-offer.js'
import type { FileOffer } from '../network/file-offer.js'
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { frameStream } from '../network/frames.js'
import { gated } from '../network/gate.js'
import { createParleyNetwork } from '../network/parley-network.js'
import type { ParleyNetwork } from '../network/parley-network.js'
import { loadOrCreatePeerKey } from '../network/peer-key.js'
import type { AuthenticatedPeer } from '../network/types.js'
import { credentialsRequired, loadCredentials, readAgentConfig, trustPolicyFromConfig } from './config.js'
import { openMemoryStorage, serialTransactions } from './memory-stores.js'
import type { AgentStorage } from './memory-stores.js'
import { DeliveryBatches, SendCommitter } from './group-commit.js'
import type { MakeEnvelopes } from './group-commit.js'
import { CommittedDedupe, HistoryOutbox } from './outbox-history.js'
import type { ExpectedHistory } from './outbox-history.js'
import { decodePayload, encodePayload } from './payload.js'
import type { Agent, AgentEventName, AgentEvents, AgentOptions, AgentStatus, ConnectionInfo, Contact, FileInfo, HistoryMessage, MessageState, SendResult } from './types.js'

/** The protocol serving a compact invite's KEL and bundle to the holder of its token. */
export const INVITE_FETCH_PROTOCOL = '/parley/invite/1.0.0'

const DID_PREFIX = 'did:'

interface ServedInvite {
  kel: Uint8Array
  bundle: Uint8Array
  expiresAt: number
  /** The DID that fetched it first: only it may fetch again (a retry), until its session is established. */
  claimedBy?: string
}

class Emitter {
  readonly #listeners = new Map<string, Set<(v: unknown) => void>>()
  on<E extends AgentEventName>(event: E, listener: (value: AgentEvents[E]) => void): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) this.#listeners.set(event, (set = new Set()))
    const l = listener as (v: unknown) => void
    set.add(l)
    return () => set.delete(l)
  }
  emit<E extends AgentEventName>(event: E, value: AgentEvents[E]): void {
    for (const l of this.#listeners.get(event) ?? []) {
      try {
        l(value)
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

function copyIdentity(id: LoadedIdentity): Identity {
  return { kel: [...id.kel], state: id.state, secrets: { signing: id.secrets.signing.slice(), next: id.secrets.next.slice(), agreement: id.secrets.agreement.map((k) => k.slice()) } }
}

class ParleyAgent implements Agent {
  readonly #opts: AgentOptions
  readonly #suite: Suite = defaultSuite
  readonly #events = new Emitter()
  readonly #now: () => Date
  #home!: Home
  #ids!: IdentityStore
  #db: AgentStorage | undefined
  #outbox: HistoryOutbox | undefined
  #dedupe: CommittedDedupe | undefined
  #identity!: LoadedIdentity
  #manager!: SessionManager
  #net: ParleyNetwork | undefined
  #credentials: CredentialContainer[] = []
  /** KELs verified on authenticated connections of peers that are not (yet) contacts. */
  readonly #seen = new Map<string, Uint8Array>()
  /** The accepted credential types of those peers (they become the contact's when a session follows). */
  readonly #seenTypes = new Map<string, string[]>()
  readonly #served = new Map<string, ServedInvite>()
  /** Tokens of served invites whose session was established (answered INVITE_USED). */
  readonly #usedInvites = new Set<string>()
  readonly #authenticated = new Set<string>()
  /** Transfers we serve: id → file name (for progress events). */
  readonly #uploads = new Map<string, string>()
  readonly #sends = new SendCommitter({
    storage: () => this.#requireDb(),
    outbox: () => {
      if (this.#outbox === undefined) throw new ParleyError('INTERNAL', 'agent: no outbox')
      return this.#outbox
    },
    send: (to, envelope) => this.#requireNet().messaging.send(to, envelope),
    onError: (err) => this.#events.emit('error', err),
  })
  readonly #deliveries = new DeliveryBatches(
    () => this.#requireDb(),
    (err) => this.#events.emit('error', wrapError(err, 'INTERNAL', 'agent: after delivering a message')),
  )
  #did: string | undefined
  #announcing: Promise<void> = Promise.resolve()
  #started = false
  #stopping = false

  constructor(opts: AgentOptions) {
    this.#opts = opts
    this.#now = opts.now ?? (() => new Date())
  }

  get did(): string {
    if (this.#did === undefined) throw new ParleyError('INVALID_ARGUMENT', 'agent: not started')
    return this.#did
  }

  on<E extends AgentEventName>(event: E, listener: (value: AgentEvents[E]) => void): () => void {
    return this.#events.on(event, listener)
  }

  async start(): Promise<void> {
    if (this.#started) return
    this.#stopping = false
    const home = new Home(this.#opts.home, this.#suite)
    this.#home = home
    this.#ids = new IdentityStore(home)
    const config = await home.readConfig().catch(() => ({ groups: {} }) as { did?: string })
    if (config.did === undefined) {
      if (this.#opts.create === undefined) throw new ParleyError('STORE_NOT_FOUND', `no identity in ${home.dir} (run: parley id create)`)
      await this.#ids.createIdentity(this.#opts.passphrase, { name: this.#opts.create.name, now: this.#now() })
    }
    const db: AgentStorage = serialTransactions(
      this.#opts.storage === 'memory'
        ? await openMemoryStorage({ home, suite: this.#suite, passphrase: this.#opts.passphrase, clock: this.#now })
        : await openDatabase({ home, suite: this.#suite, passphrase: this.#opts.passphrase }),
    )
    this.#db = db
    try {
      const keystore = this.#keystore()
      this.#identity = await this.#ids.loadIdentity(keystore)
      this.#did = this.#identity.state.did
      const agentConfig = await readAgentConfig(home.dir)
      this.#credentials = await loadCredentials(home.dir, agentConfig)
      this.#manager = new SessionManager({
        suite: this.#suite,
        identity: async () => copyIdentity(this.#identity),
        stores: { sessions: db.sessions, prekeys: db.prekeys, replay: db.replay, invites: db.invites },
        resolveIdentity: (did, seq) => this.#resolveIdentity(did, seq),
        now: this.#now,
        onEvent: (e) => this.#onSessionEvent(e),
      })
      const network = this.#opts.network
      if (network !== false) {
        const privateKey = await loadOrCreatePeerKey(keystore)
        const listen = network?.relayOnly === true ? [] : (network?.listen ?? undefined)
        const trust = trustPolicyFromConfig(agentConfig)
        const credentials = this.#credentials
        this.#net = await createParleyNetwork({
          node: {
            privateKey,
            ...(listen === undefined ? {} : { listen }),
            ...(network?.relays === undefined ? {} : { relays: network.relays }),
            ...(network?.bootstrap === undefined ? {} : { bootstrap: network.bootstrap }),
            ...(network?.mdns === undefined ? {} : { mdns: network.mdns }),
          },
          identity: () => ({ ...this.#identity, kel: [...this.#identity.kel] }),
          trust,
          requireCredential: credentialsRequired(agentConfig),
          ...(credentials.length === 0
            ? {}
            : {
                presentation: async ({ audience, nonce, now }) =>
                  createPresentation({ suite: this.#suite, holder: { kel: this.#identity.kel, secrets: this.#identity.secrets }, credentials, audience, nonce, now }),
              }),
          knownKel: async (did) => (await db.contacts.get(did))?.kel ?? this.#seen.get(did),
          keyStateOf: async (did) => this.#keyStateOf(did),
          outbox: (this.#outbox = new HistoryOutbox(db)),
          dedupe: (this.#dedupe = new CommittedDedupe(db.dedupe)),
          deliver: (from, id, envelope) => this.#deliver(from, id, envelope),
          commitBatch: (fn) => this.#deliveries.run(fn),
          onAuthenticated: (event) => void this.#onAuthenticated(event.peer, event.kel),
          onRefused: (event) => {
            const e = event.error
            this.#events.emit('contact.refused', { peerId: event.connection?.remotePeer?.toString() ?? '', code: e.code, message: e.message })
          },
        })
        const net = this.#net
        net.messaging.addEventListener('delivery', (e) => void this.#onDelivery(e.id, e.to, e.state))
        net.blob.on('upload-progress', (p) => {
          const name = this.#uploads.get(p.transferId) ?? ''
          this.#events.emit('file.progress', { transferId: p.transferId, peer: p.to, name, bytes: p.bytes, total: p.total, direction: 'out' })
        })
        net.blob.on('upload-done', (d) => {
          this.#events.emit('file.done', { transferId: d.transferId, peer: d.to, name: this.#uploads.get(d.transferId) ?? '', direction: 'out' })
          this.#uploads.delete(d.transferId)
        })
        await net.node.libp2p.handle(INVITE_FETCH_PROTOCOL, gated(net.auth, (stream, _c, peer) => this.#serveInvite(stream, peer)), { maxInboundStreams: 4, runOnLimitedConnection: true })
        net.node.libp2p.addEventListener('self:peer:update', () => {
          this.#announce()
        })
        this.#announce()
        await this.#announcing
      }
      this.#started = true
    } catch (err) {
      await this.#net?.stop().catch(() => undefined)
      this.#net = undefined
      await db.close().catch(() => undefined)
      this.#db = undefined
      throw err
    }
  }

  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    // No announcing from here on: the node's address updates while it stops must not touch the closing store.
    this.#stopping = true
    await this.#announcing.catch(() => undefined)
    await this.#net?.stop().catch(() => undefined)
    await this.#announcing.catch(() => undefined)
    this.#net = undefined
    await this.#outbox?.flush()
    await this.#db?.close()
    this.#db = undefined
  }

  #keystore() {
    const ks = this.#db?.keystore
    if (ks === undefined) throw new ParleyError('INTERNAL', 'agent: the database has no keystore')
    return ks
  }

  #requireDb(): AgentStorage {
    if (this.#db === undefined) throw new ParleyError('INVALID_ARGUMENT', 'agent: not started')
    return this.#db
  }

  #requireNet(): ParleyNetwork {
    if (this.#net === undefined) throw new ParleyError('UNSUPPORTED', 'agent: started without a network')
    return this.#net
  }

  /** Re-lists our peer id and addresses in the KEL when they changed (serialized). */
  #announce(): void {
    const net = this.#net
    if (net === undefined || this.#stopping) return
    this.#announcing = this.#announcing
      .then(async () => {
        if (this.#stopping) return
        const relayOnly = this.#opts.network !== false && this.#opts.network?.relayOnly === true
        const source = {
          peerId: net.node.peerId,
          addresses: () => net.node.addresses().filter((a) => !relayOnly || a.toString().includes('/p2p-circuit')),
        }
        // A relay-only node between start and its reservation has no address: keep the circuit addresses
        // announced before (the same ones come back) rather than churn the KEL and every contact twice.
        if (relayOnly && source.addresses().length === 0 && listedPeerIds(this.#identity.state).includes(net.node.peerId.toString())) return
        const { changed } = await announceNetwork(this.#ids, this.#keystore(), source, this.#now())
        if (changed) {
          this.#identity = await this.#ids.loadIdentity(this.#keystore())
          await this.#tellContacts()
        }
      })
      .catch((err: unknown) => this.#events.emit('error', wrapError(err, 'INTERNAL', 'agent: announcing the network addresses failed')))
  }

  /** Sends our newest KEL to every contact with a session (after a rotation or an address change). */
  async #tellContacts(): Promise<void> {
    const db = this.#requireDb()
    const kel = encodeKel(this.#identity.kel)
    for (const c of await db.contacts.list()) {
      try {
        await this.#send(async () => ((await this.#manager.sessions(c.did)).length === 0 ? [] : this.#manager.send(c.did, encodePayload({ t: 'kel', kel }))))
      } catch (err) {
        this.#events.emit('error', wrapError(err, 'INTERNAL', `agent: could not tell ${c.did} about our new keys`))
      }
    }
  }

  async #keyStateOf(did: string): Promise<KeyState | undefined> {
    const kel = (await this.#db?.contacts.get(did))?.kel ?? this.#seen.get(did)
    if (kel === undefined) return undefined
    return verifyKel(this.#suite, decodeKel(kel), { expectedDid: did })
  }

  async #resolveIdentity(did: string, keySequence?: number): Promise<KeyState> {
    const state = await this.#keyStateOf(did)
    if (state === undefined) throw new ParleyError('DID_NOT_FOUND', `no verified KEL of ${did} yet`)
    if (keySequence !== undefined && state.keySequence < keySequence) {
      throw new ParleyError('DID_NOT_FOUND', `the KEL of ${did} we hold is older than key sequence ${keySequence}`)
    }
    return state
  }

  /** A peer authenticated: keep its newest KEL (contacts in the store), mark it verified. */
  async #onAuthenticated(peer: AuthenticatedPeer, kel: Uint8Array): Promise<void> {
    this.#authenticated.add(peer.did)
    const db = this.#db
    if (db === undefined) return
    try {
      const contact = await db.contacts.get(peer.did)
      if (contact === undefined) {
        this.#seen.set(peer.did, kel)
        this.#seenTypes.set(peer.did, [...peer.credentialTypes])
        if (this.#seen.size > AGENT_MAX_SERVED_INVITES) this.#seen.delete(this.#seen.keys().next().value as string)
        if (this.#seenTypes.size > AGENT_MAX_SERVED_INVITES) this.#seenTypes.delete(this.#seenTypes.keys().next().value as string)
        return
      }
      const stored = await db.contacts.put({ ...strip(contact), kel, verified: true, credentialTypes: [...peer.credentialTypes] })
      this.#events.emit('contact.verified', this.#contactView(stored))
    } catch (err) {
      this.#events.emit('error', wrapError(err, 'INTERNAL', 'agent: recording an authenticated peer failed'))
    }
  }

  #contactView(c: StoredContact): Contact {
    return {
      did: c.did,
      ...(c.alias === undefined ? {} : { alias: c.alias }),
      verified: c.verified,
      credentialTypes: [...c.credentialTypes],
      connected: this.#isConnected(c.did),
      addedAt: new Date(c.addedAt),
    }
  }

  #isConnected(did: string): boolean {
    const net = this.#net
    if (net === undefined) return false
    return net.node.libp2p.getConnections().some((conn) => net.auth.peerOf(conn)?.did === did)
  }

  /** Adds (or refreshes) a contact from a KEL we verified. */
  async #addContact(did: string, opts: { alias?: string; credentialTypes?: string[] } = {}): Promise<StoredContact> {
    const db = this.#requireDb()
    const existing = await db.contacts.get(did)
    const kel = this.#seen.get(did) ?? existing?.kel
    const stored = await db.contacts.put({
      did,
      verified: existing?.verified === true || this.#authenticated.has(did),
      credentialTypes: opts.credentialTypes ?? this.#seenTypes.get(did) ?? existing?.credentialTypes ?? [],
      ...(kel === undefined ? {} : { kel }),
      ...(opts.alias !== undefined ? { alias: opts.alias } : existing?.alias === undefined ? {} : { alias: existing.alias }),
    })
    this.#seen.delete(did)
    this.#seenTypes.delete(did)
    return stored
  }

  #onSessionEvent(e: SessionEvent): void {
    if (e.type === 'session-established') {
      for (const [token, served] of this.#served) {
        if (served.claimedBy !== e.peer) continue
        this.#served.delete(token)
        this.#usedInvites.add(token)
        if (this.#usedInvites.size > AGENT_MAX_SERVED_INVITES) this.#usedInvites.delete(this.#usedInvites.values().next().value as string)
      }
      void this.#addContact(e.peer).catch((err: unknown) => this.#events.emit('error', wrapError(err, 'INTERNAL', 'agent: adding a contact failed')))
    } else if (e.type === 'introduction' && e.status === 'started' && e.kel !== undefined) {
      // The introduced peer's KEL came in its signed invite: keep it, so its addresses are known to the transport.
      this.#seen.set(e.peer, e.kel)
    } else if (e.type === 'session-reset') {
      this.#events.emit('session.reset', { peer: e.peer, reason: e.reason, message: e.message, by: e.by })
    }
  }

  /**
   * Runs `make` (a session manager call) and hands the envelopes it returns
   * to the transport, in one storage transaction: the ratchet state `make`
   * commits and each envelope's outbox entry (with `record`, the message's
   * history entry too) are written together, and the transport may send an
   * envelope only after that commit (outbox-history.ts); sends made
   * together share that commit (group-commit.ts). After a crash either all
   * of it happened or none: no message key spent on nothing, none used
   * twice. Every session manager call of the agent runs inside a storage
   * transaction (here or in #locked): one lock order — the store's gate,
   * then the manager's queue — so the two never wait on each other. Not
   * from inside a transaction.
   */
  #send(make: MakeEnvelopes, record?: ExpectedHistory): Promise<string[]> {
    return this.#sends.send(make, record)
  }

  /** Hands session bytes made earlier (their state committed) to the transport. */
  #queue(outgoing: Outgoing | Outgoing[]): Promise<string[]> {
    return this.#send(async () => outgoing)
  }

  /** Runs a session manager call inside a storage transaction (see #send). */
  #locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.#requireDb().transaction(fn)
  }

  /**
   * An inbound envelope: decrypt and commit in one transaction (nested in
   * the batch's, when the transport commits several messages together:
   * group-commit.ts), then queue what it answers and emit; the transport
   * acks after the commit.
   */
  async #deliver(from: AuthenticatedPeer, id: string, envelope: Uint8Array): Promise<void> {
    const db = this.#requireDb()
    const emitted: HistoryMessage[] = []
    const result = await db.transaction(async () => {
      const r = await this.#manager.receive(envelope, { from: from.did })
      for (const item of r.received) await this.#receivedItem(from.did, id, item, emitted)
      // Its dedupe record in the same commit (the transport's own remember is then skipped).
      await this.#dedupe?.commit(from.did, id, Date.now() + MSG_DEDUPE_TTL_MS)
      return r
    })
    // Inside a batch the commit is the batch's: what follows it waits for it.
    await this.#deliveries.afterCommit(async () => {
      if (result.outgoing.length > 0) await this.#queue(result.outgoing)
      for (const m of emitted) this.#events.emit('message', m)
    })
  }

  /**
   * One decrypted message. Its content is a peer's: anything malformed (payload, KEL, file offer) is
   * an `error` event and the message is consumed with the ratchet step, never a failed delivery the
   * sender would retry forever.
   */
  async #receivedItem(from: string, id: string, item: Received, emitted: HistoryMessage[]): Promise<void> {
    if (item.type !== 'message') return
    const db = this.#requireDb()
    let payload
    let offer: FileOffer | undefined
    try {
      payload = decodePayload(item.data)
      if (payload.t === 'file') offer = decodeFileOffer(payload.offer)
      if (payload.t === 'kel') verifyKel(this.#suite, decodeKel(payload.kel), { expectedDid: item.peer })
    } catch (err) {
      this.#events.emit('error', wrapError(err, 'DECODE_SCHEMA', `agent: a message from ${from} could not be read`))
      return
    }
    if (payload.t === 'kel') {
      // Only a KEL that extends the one we hold replaces it: an older or forked one is refused (and told).
      const contact = await db.contacts.get(item.peer)
      if (contact === undefined) return
      let relation
      try {
        relation = contact.kel === undefined ? 'b-extends-a' : compareKels(contact.kel, payload.kel) // a fork throws KEL_DUPLICITY
        if (relation === 'a-extends-b') throw new ParleyError('KEL_ROLLBACK', `agent: ${item.peer} sent a KEL older than the one we hold`)
      } catch (err) {
        this.#events.emit('error', wrapError(err, 'KEL_DUPLICITY', `agent: ${item.peer} sent a KEL that does not extend the one we hold`))
        return
      }
      if (relation === 'b-extends-a') await db.contacts.put({ ...strip(contact), kel: payload.kel })
      return
    }
    if (offer !== undefined && payload.t === 'file') {
      const info = fileInfo(offer, 'offered')
      await db.history.append({ peer: item.peer, direction: 'in', id, kind: 'file', body: encodeFileBody(info), timestamp: payload.at, state: 'received' })
      emitted.push({ id, peer: item.peer, direction: 'in', from: item.peer, file: info, at: new Date(payload.at) })
      // Fetched after the commit (the ack must not wait for the file).
      const fetched = offer
      queueMicrotask(() => void this.#fetchFile(item.peer, id, fetched))
      return
    }
    if (payload.t === 'text') {
      await db.history.append({ peer: item.peer, direction: 'in', id, kind: 'text', body: new TextEncoder().encode(payload.text), timestamp: payload.at, state: 'received' })
      emitted.push({ id, peer: item.peer, direction: 'in', from: item.peer, text: payload.text, at: new Date(payload.at) })
    }
  }

  /** A delivery state change: the history holds it already (HistoryOutbox stores both in one transaction). */
  async #onDelivery(id: string, to: string, state: MessageState): Promise<void> {
    this.#events.emit('delivery', { id, to, state })
  }

  /** /parley/invite/1.0.0: the holder of a compact invite's token fetches our KEL and bundle. */
  async #serveInvite(stream: Stream, peer: AuthenticatedPeer): Promise<void> {
    const frames = frameStream(stream, { maxBytes: AGENT_INVITE_FETCH_MAX_BYTES })
    try {
      const req = await frames.read()
      if (req === undefined) return
      const m = asMap(decode(req), 'invite fetch')
      expectKeys(m, ['token'], [], 'invite fetch')
      const token = getBytes(m, 'token', 'invite fetch', { max: 64 })
      const served = this.#served.get(toHex(token))
      if (this.#usedInvites.has(toHex(token)) || (served?.claimedBy !== undefined && served.claimedBy !== peer.did)) {
        await frames.write(encode({ error: 'INVITE_USED' }))
      } else if (served === undefined || served.expiresAt <= this.#now().getTime()) {
        await frames.write(encode({ error: 'INVITE_INVALID' }))
      } else {
        served.claimedBy = peer.did
        await frames.write(encode({ kel: served.kel, bundle: served.bundle }))
      }
      await stream.close()
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  async createInvite(opts: { compact?: boolean; lifetimeSeconds?: number } = {}): Promise<{ invite: string; expiresAt: Date }> {
    const net = this.#requireNet()
    await this.#announcing
    const relayOnly = this.#opts.network !== false && this.#opts.network?.relayOnly === true
    // Best reach first (addresses.ts), so the ones dropped to fit a compact invite are the worst.
    const addresses = net.node
      .addresses()
      .filter((a) => !relayOnly || a.toString().includes('/p2p-circuit'))
      .map((a) => ({ text: a.toString(), rank: addressRank(a) }))
      .sort((a, b) => a.rank - b.rank)
      .map((a) => a.text)
    if (addresses.length === 0) throw new ParleyError('PEER_INFO_MISSING', 'agent: no address to invite to yet (waiting for a relay reservation?)')
    const created = await this.#inviteWithin(addresses, opts.lifetimeSeconds ?? INVITE_DEFAULT_LIFETIME_SECONDS)
    this.#served.set(toHex(created.token), { kel: created.kel, bundle: created.bundle, expiresAt: created.expiresAt.getTime() })
    if (this.#served.size > AGENT_MAX_SERVED_INVITES) this.#served.delete(this.#served.keys().next().value as string)
    return { invite: opts.compact === true ? created.compact : toBase64url(created.full), expiresAt: created.expiresAt }
  }

  /** An invite listing as many of `addresses` (best first) as its compact form holds (a failed try withdraws its token). */
  async #inviteWithin(addresses: string[], lifetimeSeconds: number): ReturnType<SessionManager['createInvite']> {
    for (let n = addresses.length; ; n--) {
      try {
        return await this.#locked(() => this.#manager.createInvite({ addresses: addresses.slice(0, n), lifetimeSeconds }))
      } catch (err) {
        if (!(isParleyError(err) && err.code === 'INVITE_TOO_LARGE' && n > 1)) throw err
      }
    }
  }

  async acceptInvite(invite: string): Promise<Contact> {
    this.#requireNet()
    const text = invite.trim()
    let peer: AuthenticatedPeer | undefined
    let started
    if (text.startsWith(INVITE_URI_SCHEME)) {
      const parsed = parseCompactInvite(text, { now: this.#now() })
      const { peer: p, connection } = await this.#dialAny(parsed.addresses)
      peer = p
      const fetched = await this.#fetchInvite(connection, parsed.token)
      this.#seen.set(peer.did, fetched.kel)
      const answered = peer.did
      let made: StartResult | undefined
      // The session and its first message in one commit; none of it when the address answered as someone else.
      await this.#send(async () => {
        made = await this.#manager.connectCompact(text, fetched)
        if (made.peer !== answered) throw new ParleyError('AUTH_PEER_ID_MISMATCH', `the invite names ${made.peer} but the address answered as ${answered}`)
        return made.outgoing
      })
      if (made === undefined) throw new ParleyError('INTERNAL', 'agent: no session was started')
      started = made
    } else {
      const full = fromBase64url(text)
      started = await this.#locked(() => this.#manager.connect(full))
      if (started.addresses !== undefined && started.addresses.length > 0) {
        peer = (await this.#dialAny(started.addresses)).peer
      }
      if (peer !== undefined && peer.did !== started.peer) {
        throw new ParleyError('AUTH_PEER_ID_MISMATCH', `the invite names ${started.peer} but the address answered as ${peer.did}`)
      }
      await this.#queue(started.outgoing)
    }
    const stored = await this.#addContact(started.peer, peer === undefined ? {} : { credentialTypes: [...peer.credentialTypes] })
    const view = this.#contactView(stored)
    if (view.verified) this.#events.emit('contact.verified', view)
    return view
  }

  async #dialAny(addresses: readonly string[]): Promise<{ peer: AuthenticatedPeer; connection: Connection }> {
    const net = this.#requireNet()
    let last: unknown
    for (const a of addresses) {
      try {
        const connection = await net.node.libp2p.dial(multiaddr(a))
        const peer = await net.auth.authenticate(connection)
        return { peer, connection }
      } catch (err) {
        last = err
        if (isParleyError(err) && err.code.startsWith('AUTH_') && err.code !== 'AUTH_TIMEOUT') throw err
        if (isParleyError(err) && (err.code.startsWith('VC_') || err.code.startsWith('KEL_'))) throw err
      }
    }
    throw wrapError(last, 'MSG_PEER_UNREACHABLE', 'agent: none of the invite addresses answered')
  }

  async #fetchInvite(connection: Connection, token: Uint8Array): Promise<{ kel: Uint8Array; bundle: Uint8Array }> {
    const stream = await connection.newStream(INVITE_FETCH_PROTOCOL, { runOnLimitedConnection: true })
    const frames = frameStream(stream, { maxBytes: AGENT_INVITE_FETCH_MAX_BYTES })
    await frames.write(encode({ token }))
    const res = await frames.read()
    await stream.close().catch(() => undefined)
    if (res === undefined) throw new ParleyError('INVITE_INVALID', 'invite: the inviter closed without an answer')
    const m = asMap(decode(res), 'invite answer')
    if (Object.hasOwn(m, 'error')) {
      if (m['error'] === 'INVITE_USED') throw new ParleyError('INVITE_USED', 'invite: already used (an invite is good for one contact)')
      throw new ParleyError('INVITE_INVALID', 'invite: the inviter does not know this invite (expired or revoked)')
    }
    expectKeys(m, ['bundle', 'kel'], [], 'invite answer')
    return { kel: getBytes(m, 'kel', 'invite answer', { max: AGENT_INVITE_FETCH_MAX_BYTES }), bundle: getBytes(m, 'bundle', 'invite answer', { max: AGENT_INVITE_FETCH_MAX_BYTES }) }
  }

  async #resolveContact(ref: string): Promise<StoredContact> {
    const db = this.#requireDb()
    const c = ref.startsWith(DID_PREFIX) ? await db.contacts.get(ref) : await db.contacts.byAlias(ref)
    if (c === undefined) throw new ParleyError('STORE_NOT_FOUND', `no contact ${JSON.stringify(ref)}`)
    return c
  }

  async contacts(): Promise<Contact[]> {
    return (await this.#requireDb().contacts.list()).map((c) => this.#contactView(c))
  }

  async contact(ref: string): Promise<Contact> {
    return this.#contactView(await this.#resolveContact(ref))
  }

  async setAlias(ref: string, alias: string): Promise<Contact> {
    const c = await this.#resolveContact(ref)
    return this.#contactView(await this.#requireDb().contacts.setAlias(c.did, alias))
  }

  async send(ref: string, text: string, opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<SendResult> {
    const c = await this.#resolveContact(ref)
    const at = this.#now().getTime()
    this.#requireNet()
    // Listen before queueing: the ack may come back before send() returns its id. (On our own
    // emitter, which has no listener limit: concurrent sends would trip the EventTarget's warning.)
    const states = new Map<string, MessageState>()
    const off = this.#events.on('delivery', (e) => {
      states.set(e.id, e.state)
    })
    try {
      const record: ExpectedHistory = { peer: c.did, direction: 'out', kind: 'text', body: new TextEncoder().encode(text), timestamp: at }
      const [id] = await this.#send(() => this.#manager.send(c.did, encodePayload({ t: 'text', text, at })), record)
      if (id === undefined) throw new ParleyError('INTERNAL', 'agent: nothing was queued')
      this.#events.emit('message', { id, peer: c.did, direction: 'out', from: this.did, text, at: new Date(at), state: states.get(id) ?? 'queued' })
      if (opts.wait === true) {
        const deadline = Date.now() + (opts.timeoutMs ?? AGENT_SEND_WAIT_MS)
        while (Date.now() < deadline) {
          const s = states.get(id)
          if (s === 'delivered' || s === 'failed') break
          await new Promise((r) => setTimeout(r, 10))
        }
      }
      return { id, state: states.get(id) ?? 'queued' }
    } finally {
      off()
    }
  }

  async sendFile(ref: string, path: string, opts: { wait?: boolean } = {}): Promise<SendResult & { transferId: string }> {
    const c = await this.#resolveContact(ref)
    const net = this.#requireNet()
    const offer = await net.blob.offer(c.did, path)
    const transferId = transferIdHex(offer.transferId)
    this.#uploads.set(transferId, offer.name)
    const at = this.#now().getTime()
    const info = fileInfo(offer, 'offered')
    const record: ExpectedHistory = { peer: c.did, direction: 'out', kind: 'file', body: encodeFileBody(info), timestamp: at }
    const [id] = await this.#send(() => this.#manager.send(c.did, encodePayload({ t: 'file', offer: encodeFileOffer(offer), at })), record)
    if (id === undefined) throw new ParleyError('INTERNAL', 'agent: nothing was queued')
    this.#events.emit('message', { id, peer: c.did, direction: 'out', from: this.did, file: info, at: new Date(at), state: 'queued' })
    if (opts.wait === true) {
      await new Promise<void>((resolve) => {
        const offDone = net.blob.on('upload-done', (d) => {
          if (d.transferId === transferId) finish()
        })
        const offCancel = net.blob.on('upload-cancelled', (d) => {
          if (d.transferId === transferId) finish()
        })
        function finish(): void {
          offDone()
          offCancel()
          resolve()
        }
      })
    }
    return { id, state: 'queued', transferId }
  }

  /** Fetches an offered file into the home's downloads folder, with progress events. */
  async #fetchFile(peer: string, messageId: string, offer: FileOffer): Promise<void> {
    const net = this.#net
    const db = this.#db
    if (net === undefined || db === undefined) return
    const transferId = transferIdHex(offer.transferId)
    try {
      const state = await this.#keyStateOf(peer)
      const connection = net.node.libp2p.getConnections().find((conn) => net.auth.peerOf(conn)?.did === peer)
      const source = connection ?? (state === undefined ? undefined : peerInfoFromKeyState(state).peerId)
      if (source === undefined) throw new ParleyError('MSG_PEER_UNREACHABLE', `agent: no way to reach ${peer} for the file`)
      const dir = join(this.#home.dir, DOWNLOADS_DIR)
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const dest = await freePath(dir, sanitizeFileName(offer.name))
      const transfer = net.blob.receive(offer, source, dest, { sender: peer })
      transfer.on('progress', (p) => this.#events.emit('file.progress', { transferId, peer, name: offer.name, bytes: p.bytes, total: p.total, direction: 'in' }))
      await transfer.wait()
      const ref = { peer, direction: 'in' as const, id: messageId }
      const entry = await db.history.get(ref)
      if (entry !== undefined) {
        await db.history.delete(ref)
        await db.history.append({ ...entry, body: encodeFileBody({ ...fileInfo(offer, 'done'), path: dest }) })
      }
      this.#events.emit('file.done', { transferId, peer, name: offer.name, path: dest, direction: 'in' })
    } catch (err) {
      this.#events.emit('error', wrapError(err, 'INTERNAL', `agent: receiving ${offer.name} from ${peer} failed`))
    }
  }

  async introduce(a: string, b: string): Promise<void> {
    const ca = await this.#resolveContact(a)
    const cb = await this.#resolveContact(b)
    await this.#send(() => this.#manager.introduce(ca.did, cb.did))
  }

  async history(opts: { peer?: string; limit?: number; before?: Date } = {}): Promise<HistoryMessage[]> {
    const db = this.#requireDb()
    const peers = opts.peer === undefined ? (await db.contacts.list()).map((c) => c.did) : [(await this.#resolveContact(opts.peer)).did]
    const out: HistoryMessage[] = []
    for (const peer of peers) {
      // `before` goes to the store as a cursor (nothing at that instant or later: the lowest seq there is), so a page is full
      const before = opts.before === undefined ? {} : { before: { timestamp: opts.before.getTime(), seq: Number.MIN_SAFE_INTEGER } }
      const entries = await db.history.list(peer, { ...before, ...(opts.limit === undefined ? {} : { limit: opts.limit }) })
      // The store pages newest first: reversed, equal times keep the order they happened in through the stable sort below.
      for (const e of entries.reverse()) {
        const base = { id: e.id, peer: e.peer, direction: e.direction, from: e.direction === 'in' ? e.peer : this.did, at: new Date(e.timestamp) }
        const state = e.state === 'received' || e.state === 'read' ? undefined : e.state
        out.push({ ...base, ...(e.kind === 'text' ? { text: new TextDecoder().decode(e.body) } : { file: decodeFileBody(e.body) }), ...(state === undefined ? {} : { state }) })
      }
    }
    out.sort((x, y) => x.at.getTime() - y.at.getTime())
    return opts.limit === undefined ? out : out.slice(-opts.limit)
  }

  async status(): Promise<AgentStatus> {
    const net = this.#net
    const contacts = await this.#requireDb().contacts.list()
    let sessions = 0
    await this.#locked(async () => {
      for (const c of contacts) sessions += (await this.#manager.sessions(c.did)).length
    })
    const addresses = net?.node.addresses().map((a) => a.toString()) ?? []
    return {
      did: this.did,
      peerId: net?.node.peerId.toString() ?? null,
      addresses,
      reachability: 'unknown',
      relays: addresses.filter((a) => a.includes('/p2p-circuit')).map((a) => a.split('/p2p-circuit')[0] ?? a),
      connectedContacts: contacts.filter((c) => this.#isConnected(c.did)).map((c) => c.did),
      sessions,
      connections: this.#connections(new Set(contacts.map((c) => c.did))),
    }
  }

  /** The authenticated connections and the path each takes (a relayed one's address holds /p2p-circuit). */
  #connections(contacts: ReadonlySet<string>): ConnectionInfo[] {
    const net = this.#net
    if (net === undefined) return []
    const out: ConnectionInfo[] = []
    for (const conn of net.node.libp2p.getConnections()) {
      const peer = net.auth.peerOf(conn)
      if (peer === undefined) continue
      const peerId = conn.remotePeer.toString()
      const address = conn.remoteAddr.toString()
      const role = contacts.has(peer.did) ? 'contact' : net.relayPeers.has(peerId) ? 'relay' : 'peer'
      out.push({ did: peer.did, peerId, address, relayed: address.includes('/p2p-circuit'), role })
    }
    return out
  }

  async rotateKeys(): Promise<void> {
    await this.#announcing
    this.#identity = await this.#ids.rotateIdentity(this.#keystore(), this.#now())
    await this.#tellContacts()
  }
}

const DOWNLOADS_DIR = 'downloads'

function fileInfo(offer: FileOffer, state: FileInfo['state']): FileInfo {
  return { transferId: transferIdHex(offer.transferId), name: offer.name, size: offer.size, sha256: toHex(offer.sha256), state }
}

/** A file message in the history: its info as JSON (sealed by the store like any body). */
function encodeFileBody(info: FileInfo): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(info))
}

function decodeFileBody(body: Uint8Array): FileInfo {
  return JSON.parse(new TextDecoder().decode(body)) as FileInfo
}

/** `dir/name`, or `dir/name (2)`, … when taken (also by a partial download). */
async function freePath(dir: string, name: string): Promise<string> {
  for (let i = 1; i < 10_000; i++) {
    const candidate = join(dir, i === 1 ? name : `${name} (${i})`)
    const taken = await stat(candidate).then(() => true, () => false)
    const partial = await stat(`${candidate}.part`).then(() => true, () => false)
    if (!taken && !partial) return candidate
  }
  throw new ParleyError('LIMIT_EXCEEDED', `agent: too many files named ${name}`)
}

function strip(c: StoredContact): Omit<StoredContact, 'addedAt' | 'updatedAt'> {
  const { addedAt: _a, updatedAt: _u, ...rest } = c
  return rest
}

/**
 * An agent for the home in `options` (not started: call `start()`).
 *
 * @example
 * ```ts
 * const alice = await createAgent({ home: '/home/alice/.parley', passphrase })
 * await alice.start()
 * const { invite } = await alice.createInvite({ compact: true })
 * alice.on('message', (m) => console.log(m.from, m.text))
 * ```
 */
export async function createAgent(options: AgentOptions): Promise<Agent> {
  return new ParleyAgent(options)
}
