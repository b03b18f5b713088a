/**
 * The libsignal baseline for `npm run bench -- sessions`: Signal's own
 * protocol implementation (@signalapp/libsignal-client, Rust behind N-API)
 * driven through its public TypeScript API with in-memory stores on both
 * sides, so that Parley's session layer can be set beside it.
 *
 * Each operation below is one call that `measureOpsPerSecond` can interleave
 * with Parley's (see bench/harness.ts). What the timed region contains:
 *
 * - `establish()`: Bob makes a fresh one-time EC prekey, a signed prekey
 *   (X25519 + XEdDSA signature) and a signed Kyber prekey (libsignal's
 *   Kyber1024 KEM key + signature), stores them and builds the PreKeyBundle;
 *   Alice runs processPreKeyBundle (PQXDH: signature checks, 4 DH, KEM
 *   encapsulation), encrypts a 100-byte first message (PreKeySignalMessage),
 *   serializes it; Bob deserializes and decrypts it (signalDecryptPreKey).
 *   Fresh in-memory stores per op; the identity key pairs and registration ids
 *   are made once, outside the timed region.
 * - `bobPrekeys()`: the prekey-generation part of `establish()` alone, so it
 *   can be subtracted when Parley's figure excludes its own prekey making.
 * - `oneWay100()`: on an established session (Bob has replied once, so Alice
 *   sends plain SignalMessages rather than PreKeySignalMessages), Alice
 *   encrypts 100 bytes, serializes, Bob deserializes and decrypts. Always the
 *   same direction.
 * - `pingPong100()`: the same, alternating direction every op, so every
 *   message turns the DH ratchet (and carries SPQR ratchet data).
 * - `large64k()`: as `oneWay100()` with 65,536-byte plaintexts.
 * - `sizes()`: wire sizes (serialized CiphertextMessage bytes) measured on
 *   fresh sessions, not timed.
 *
 * For a fair comparison: libsignal is native Rust (libcrux ML-KEM, curve25519
 * -dalek, AES-256-CBC + HMAC-SHA256) called through N-API; every store access
 * is a JS promise the Rust future awaits, on the JS thread (one core, as
 * Parley). Its native handles are freed by GC finalizers and its sessions
 * carry ~4 KB of SPQR state, so GC pauses are a large, bursty part of its
 * cost: in interleaved rounds the garbage of one candidate is collected in
 * another's batch. Measure each metric as its own pair (libsignal vs Parley,
 * same kind of op) with batches of ~1 s (minBatchMs: 1000) rather than all
 * ops in one interleaved set with 100 ms batches.
 *
 * Protocol version: this release (0.103.0) speaks message version 4, i.e.
 * PQXDH (Kyber1024 prekey, KEM type byte 0x08) plus the SPQR triple ratchet
 * (ML-KEM-768 braid): every SignalMessage carries a `pqRatchet` field,
 * ~37 bytes while a KEM key or ciphertext is being streamed in chunks.
 */
import {
  CiphertextMessageType,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignalMessage,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client'
import type { Direction } from '@signalapp/libsignal-client'
import { createRequire } from 'node:module'
import { randomBytes, randomInt, randomUUID } from 'node:crypto'

// ---------------------------------------------------------------------------
// In-memory stores (one set per party)

function addressKey(address: ProtocolAddress): string {
  return `${address.name()}.${address.deviceId()}`
}

class MemoryIdentityKeyStore extends IdentityKeyStore {
  readonly #identity: IdentityKeyPair
  readonly #registrationId: number
  readonly #known = new Map<string, PublicKey>()

  constructor(identity: IdentityKeyPair, registrationId: number) {
    super()
    this.#identity = identity
    this.#registrationId = registrationId
  }

  override async getIdentityKey(): Promise<PrivateKey> {
    return this.#identity.privateKey
  }

  override async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.#identity
  }

  override async getLocalRegistrationId(): Promise<number> {
    return this.#registrationId
  }

  override async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const k = addressKey(name)
    const prev = this.#known.get(k)
    this.#known.set(k, key)
    return prev !== undefined && !prev.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged
  }

  /** Trust on first use, then the same key only (both directions). */
  override async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, _direction: Direction): Promise<boolean> {
    const prev = this.#known.get(addressKey(name))
    return prev === undefined || prev.equals(key)
  }

  override async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.#known.get(addressKey(name)) ?? null
  }
}

class MemorySessionStore extends SessionStore {
  readonly #sessions = new Map<string, SessionRecord>()

  override async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.#sessions.set(addressKey(name), record)
  }

  override async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    return this.#sessions.get(addressKey(name)) ?? null
  }

  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((a) => {
      const s = this.#sessions.get(addressKey(a))
      if (s === undefined) throw new Error(`no session for ${addressKey(a)}`)
      return s
    })
  }
}

class MemoryPreKeyStore extends PreKeyStore {
  readonly #keys = new Map<number, PreKeyRecord>()

  override async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.#keys.set(id, record)
  }

  override async getPreKey(id: number): Promise<PreKeyRecord> {
    const r = this.#keys.get(id)
    if (r === undefined) throw new Error(`no prekey ${id}`)
    return r
  }

  override async removePreKey(id: number): Promise<void> {
    this.#keys.delete(id)
  }
}

class MemorySignedPreKeyStore extends SignedPreKeyStore {
  readonly #keys = new Map<number, SignedPreKeyRecord>()

  override async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.#keys.set(id, record)
  }

  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const r = this.#keys.get(id)
    if (r === undefined) throw new Error(`no signed prekey ${id}`)
    return r
  }
}

class MemoryKyberPreKeyStore extends KyberPreKeyStore {
  readonly #keys = new Map<number, KyberPreKeyRecord>()
  /** One-time Kyber prekeys are deleted once used, as the EC ones are. */
  readonly #lastResort = new Set<number>()

  override async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.#keys.set(id, record)
  }

  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const r = this.#keys.get(id)
    if (r === undefined) throw new Error(`no kyber prekey ${id}`)
    return r
  }

  override async markKyberPreKeyUsed(id: number, _signedPreKeyId: number, _baseKey: PublicKey): Promise<void> {
    if (!this.#lastResort.has(id)) this.#keys.delete(id)
  }
}

/** One side: long-term identity (made once) and fresh stores. */
class Party {
  readonly identity: IdentityKeyPair
  readonly registrationId: number
  readonly address: ProtocolAddress
  readonly identityStore: MemoryIdentityKeyStore
  readonly sessionStore = new MemorySessionStore()
  readonly preKeyStore = new MemoryPreKeyStore()
  readonly signedPreKeyStore = new MemorySignedPreKeyStore()
  readonly kyberPreKeyStore = new MemoryKyberPreKeyStore()

  constructor(identity: IdentityKeyPair, registrationId: number, address: ProtocolAddress) {
    this.identity = identity
    this.registrationId = registrationId
    this.address = address
    this.identityStore = new MemoryIdentityKeyStore(identity, registrationId)
  }
}

interface Identity {
  identity: IdentityKeyPair
  registrationId: number
  address: ProtocolAddress
}

function makeIdentity(): Identity {
  return {
    identity: IdentityKeyPair.generate(),
    // Signal's registration ids are 14-bit, non-zero.
    registrationId: randomInt(1, 0x3fff),
    address: ProtocolAddress.new(randomUUID(), 1),
  }
}

function party(id: Identity): Party {
  return new Party(id.identity, id.registrationId, id.address)
}

// ---------------------------------------------------------------------------
// Protocol steps

const PREKEY_ID = 1
const SIGNED_PREKEY_ID = 1
const KYBER_PREKEY_ID = 1

/** Bob makes and stores a one-time EC prekey, a signed prekey and a signed Kyber prekey; returns his bundle. */
async function publishBundle(bob: Party): Promise<PreKeyBundle> {
  const now = Date.now()
  const preKey = PrivateKey.generate()
  const signedPreKey = PrivateKey.generate()
  const signedPreKeyPublic = signedPreKey.getPublicKey()
  const signedPreKeySignature = bob.identity.privateKey.sign(signedPreKeyPublic.serialize())
  const kyber = KEMKeyPair.generate()
  const kyberPublic = kyber.getPublicKey()
  const kyberSignature = bob.identity.privateKey.sign(kyberPublic.serialize())
  await bob.preKeyStore.savePreKey(PREKEY_ID, PreKeyRecord.new(PREKEY_ID, preKey.getPublicKey(), preKey))
  await bob.signedPreKeyStore.saveSignedPreKey(
    SIGNED_PREKEY_ID,
    SignedPreKeyRecord.new(SIGNED_PREKEY_ID, now, signedPreKeyPublic, signedPreKey, signedPreKeySignature),
  )
  await bob.kyberPreKeyStore.saveKyberPreKey(KYBER_PREKEY_ID, KyberPreKeyRecord.new(KYBER_PREKEY_ID, now, kyber, kyberSignature))
  return PreKeyBundle.new(
    bob.registrationId,
    bob.address.deviceId(),
    PREKEY_ID,
    preKey.getPublicKey(),
    SIGNED_PREKEY_ID,
    signedPreKeyPublic,
    signedPreKeySignature,
    bob.identity.publicKey,
    KYBER_PREKEY_ID,
    kyberPublic,
    kyberSignature,
  )
}

/** Encrypts for `to`, returns the wire bytes and their type. */
async function send(from: Party, to: Party, plaintext: Uint8Array<ArrayBuffer>): Promise<{ type: number; wire: Uint8Array<ArrayBuffer> }> {
  const ct = await signalEncrypt(plaintext, to.address, from.address, from.sessionStore, from.identityStore)
  return { type: ct.type(), wire: ct.serialize() }
}

/** Decrypts wire bytes from `from` (PreKeySignalMessage or SignalMessage). */
async function receive(to: Party, from: Party, msg: { type: number; wire: Uint8Array<ArrayBuffer> }): Promise<Uint8Array<ArrayBuffer>> {
  if (msg.type === CiphertextMessageType.PreKey) {
    return signalDecryptPreKey(
      PreKeySignalMessage.deserialize(msg.wire),
      from.address,
      to.address,
      to.sessionStore,
      to.identityStore,
      to.preKeyStore,
      to.signedPreKeyStore,
      to.kyberPreKeyStore,
    )
  }
  if (msg.type === CiphertextMessageType.Whisper) {
    return signalDecrypt(SignalMessage.deserialize(msg.wire), from.address, to.address, to.sessionStore, to.identityStore)
  }
  throw new Error(`unexpected ciphertext type ${msg.type}`)
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The first message only: bundle, PQXDH, PreKeySignalMessage, Bob decrypts. Returns the first message's wire size. */
async function establishOnce(alice: Party, bob: Party, plaintext: Uint8Array<ArrayBuffer>, check: boolean): Promise<number> {
  const bundle = await publishBundle(bob)
  await processPreKeyBundle(bundle, bob.address, alice.address, alice.sessionStore, alice.identityStore)
  const first = await send(alice, bob, plaintext)
  const got = await receive(bob, alice, first)
  if (check && (first.type !== CiphertextMessageType.PreKey || !sameBytes(got, plaintext))) throw new Error('libsignal bench: establishment failed')
  return first.wire.length
}

/** An established pair: first message, Bob's reply, so that from here on both send SignalMessages. */
async function establishedPair(alice: Identity, bob: Identity): Promise<{ a: Party; b: Party }> {
  const a = party(alice)
  const b = party(bob)
  const pt = new Uint8Array(randomBytes(100))
  await establishOnce(a, b, pt, true)
  const reply = await send(b, a, pt)
  if (!sameBytes(await receive(a, b, reply), pt)) throw new Error('libsignal bench: reply failed')
  return { a, b }
}

// ---------------------------------------------------------------------------
// Version / feature report

export interface LibsignalInfo {
  /** @signalapp/libsignal-client version. */
  version: string
  /** SignalMessage version on an established session (4 = with the SPQR triple ratchet). */
  messageVersion: number
  /** Whether SignalMessages carry SPQR (sparse post-quantum ratchet) data. */
  spqr: boolean
}

function packageVersion(): string {
  const require = createRequire(import.meta.url)
  const pkg = require('@signalapp/libsignal-client/package.json') as { version: string }
  return pkg.version
}

// ---------------------------------------------------------------------------
// The bench object

export interface LibsignalSizes {
  /** Serialized PreKeySignalMessage for a 100-byte plaintext (the first message). */
  firstMessage: number
  /**
   * Alice's second message before any reply: libsignal keeps sending
   * PreKeySignalMessages (with the PQXDH header and KEM ciphertext) until she
   * has received a message from Bob.
   */
  preReplyMessage: number
  /**
   * A 100-byte SignalMessage sent right after the direction changed, in the
   * steady state (the most frequent length over the ping-pong run).
   */
  ratchetTurn: number
  /** Bob's very first reply (also a ratchet turn; its SPQR field carries no chunk yet). */
  firstReply: number
  /** Mean (serialized length − 100) over alternating 100-byte messages. */
  pingPongOverhead: number
  /** Smallest and largest serialized ping-pong message (SPQR chunks vary with its state). */
  pingPongMin: number
  pingPongMax: number
  /** Mean bytes of SPQR data (SignalMessage.pqRatchet()) per ping-pong message. */
  pingPongPqRatchet: number
  /** pingPongOverhead without the SPQR bytes: the classic Double Ratchet's share. */
  pingPongClassicalOverhead: number
  /** Mean (serialized length − 100) over one-way 100-byte messages on an established session. */
  oneWayOverhead: number
  /** Mean (serialized length − 65,536) for one-way 64 KiB messages. */
  large64kOverhead: number
}

export interface LibsignalBench {
  info: LibsignalInfo
  establish(): Promise<void>
  bobPrekeys(): Promise<void>
  oneWay100(): Promise<void>
  pingPong100(): Promise<void>
  large64k(): Promise<void>
  sizes(messages?: number): Promise<LibsignalSizes>
}

export const LARGE_MESSAGE_BYTES = 65536

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)
}

/**
 * Builds the long-term identities and the established sessions the
 * steady-state ops use (all outside any timed region). Each op keeps its own
 * session pair, so interleaving ops in measureOpsPerSecond does not disturb
 * another op's direction pattern.
 */
export async function createLibsignalBench(): Promise<LibsignalBench> {
  const aliceId = makeIdentity()
  const bobId = makeIdentity()
  const small = new Uint8Array(randomBytes(100))
  const large = new Uint8Array(randomBytes(LARGE_MESSAGE_BYTES))

  const oneWay = await establishedPair(aliceId, bobId)
  const pingPong = await establishedPair(aliceId, bobId)
  const bulk = await establishedPair(aliceId, bobId)
  let aliceTurn = true

  // Check the steady state once: SignalMessages, right plaintext, SPQR present or not.
  const probe = await send(oneWay.a, oneWay.b, small)
  if (probe.type !== CiphertextMessageType.Whisper) throw new Error('libsignal bench: expected a SignalMessage after the reply')
  const probeMsg = SignalMessage.deserialize(probe.wire)
  if (!sameBytes(await receive(oneWay.b, oneWay.a, probe), small)) throw new Error('libsignal bench: one-way probe failed')
  const info: LibsignalInfo = {
    version: packageVersion(),
    messageVersion: probeMsg.messageVersion(),
    spqr: false,
  }
  {
    // A turn of the ratchet shows whether SPQR data rides along.
    const s = await establishedPair(aliceId, bobId)
    for (let i = 0; i < 4; i++) {
      const [from, to] = i % 2 === 0 ? [s.a, s.b] : [s.b, s.a]
      const m = await send(from, to, small)
      if (SignalMessage.deserialize(m.wire).pqRatchet().length > 0) info.spqr = true
      await receive(to, from, m)
    }
  }

  return {
    info,

    async establish(): Promise<void> {
      await establishOnce(party(aliceId), party(bobId), small, false)
    },

    async bobPrekeys(): Promise<void> {
      await publishBundle(party(bobId))
    },

    async oneWay100(): Promise<void> {
      await receive(oneWay.b, oneWay.a, await send(oneWay.a, oneWay.b, small))
    },

    async pingPong100(): Promise<void> {
      const [from, to] = aliceTurn ? [pingPong.a, pingPong.b] : [pingPong.b, pingPong.a]
      aliceTurn = !aliceTurn
      await receive(to, from, await send(from, to, small))
    },

    async large64k(): Promise<void> {
      await receive(bulk.b, bulk.a, await send(bulk.a, bulk.b, large))
    },

    async sizes(messages = 200): Promise<LibsignalSizes> {
      const a = party(aliceId)
      const b = party(bobId)
      const firstMessage = await establishOnce(a, b, small, true)
      const again = await send(a, b, small)
      if (again.type !== CiphertextMessageType.PreKey) throw new Error('libsignal bench: expected a PreKeySignalMessage before the reply')
      await receive(b, a, again)
      // Bob's first reply turns the ratchet.
      const reply = await send(b, a, small)
      if (reply.type !== CiphertextMessageType.Whisper) throw new Error('libsignal bench: reply is not a SignalMessage')
      await receive(a, b, reply)

      const pp: number[] = []
      const pq: number[] = []
      for (let i = 0; i < messages; i++) {
        const [from, to] = i % 2 === 0 ? [a, b] : [b, a]
        const m = await send(from, to, small)
        pp.push(m.wire.length)
        pq.push(SignalMessage.deserialize(m.wire).pqRatchet().length)
        if (!sameBytes(await receive(to, from, m), small)) throw new Error('libsignal bench: ping-pong failed')
      }
      const counts = new Map<number, number>()
      for (const n of pp) counts.set(n, (counts.get(n) ?? 0) + 1)
      const ratchetTurn = [...counts].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]?.[0] ?? 0

      const ow = await establishedPair(aliceId, bobId)
      const one: number[] = []
      for (let i = 0; i < messages; i++) {
        const m = await send(ow.a, ow.b, small)
        one.push(m.wire.length)
        await receive(ow.b, ow.a, m)
      }

      const lg = await establishedPair(aliceId, bobId)
      const big: number[] = []
      for (let i = 0; i < 8; i++) {
        const m = await send(lg.a, lg.b, large)
        big.push(m.wire.length)
        if (!sameBytes(await receive(lg.b, lg.a, m), large)) throw new Error('libsignal bench: 64 KiB failed')
      }

      return {
        firstMessage,
        preReplyMessage: again.wire.length,
        ratchetTurn,
        firstReply: reply.wire.length,
        pingPongOverhead: mean(pp) - 100,
        pingPongMin: Math.min(...pp),
        pingPongMax: Math.max(...pp),
        pingPongPqRatchet: mean(pq),
        pingPongClassicalOverhead: mean(pp) - mean(pq) - 100,
        oneWayOverhead: mean(one) - 100,
        large64kOverhead: mean(big) - LARGE_MESSAGE_BYTES,
      }
    },
  }
}
