/**
 * Parley's side of `npm run bench -- sessions`, shaped like
 * sessions-libsignal.ts so the two run side by side: the native suite, the
 * real PQXDH and double ratchet, in-memory state on both sides.
 *
 * - `establish()`: Alice verifies Bob's bundle (signed prekey, last-resort
 *   ML-KEM prekey, one-time X25519 and ML-KEM prekeys), runs PQXDH
 *   (`initiate`: 2 DH, ML-KEM-768 encapsulation, hybrid KEM to Bob's identity
 *   key, a hybrid Ed25519 + ML-DSA-65 signature over the transcript), starts
 *   the ratchet, encrypts 100 bytes and frames the first message; Bob decodes
 *   it and runs `respond` (signature check, decapsulations, one-time prekeys
 *   consumed) with the ratchet decryption in `confirm`. Bob's bundles are
 *   made ahead, outside the timed region (`prepareEstablish`, which the
 *   harness calls before each batch; each bundle has its own one-time
 *   prekeys); the libsignal figure this is set beside excludes Bob's prekey
 *   making too.
 * - `oneWay100()`, `pingPong100()`, `large64k()`: ratchetEncrypt by one side
 *   and ratchetDecrypt by the other on an established session, the states
 *   held in memory (as libsignal's in-memory store holds its records). A
 *   sending chain holds at most RATCHET_MAX_CHAIN_LENGTH messages, so a
 *   one-way run that long gets one answer (one DH step per 65,535 messages).
 */
import { randomBytes } from 'node:crypto'
import { RATCHET_MAX_CHAIN_LENGTH } from '../src/constants.js'
import { defaultSuite } from '../src/crypto/index.js'
import type { Suite } from '../src/crypto/index.js'
import { createIdentity } from '../src/identity/index.js'
import type { Identity } from '../src/identity/index.js'
import { createBundle, encodeBundle, decodeBundle } from '../src/session/bundle.js'
import { decodeFirstMessage, encodeFirstMessage } from '../src/session/first-message.js'
import { initiate, respond } from '../src/session/pqxdh.js'
import { MemoryPrekeyStore, MemoryReplayCache } from '../src/session/stores/memory.js'
import { initInitiator, initResponder, ratchetDecrypt, ratchetEncrypt } from '../src/session/ratchet/index.js'
import type { RatchetState } from '../src/session/ratchet/index.js'

export const LARGE_MESSAGE_BYTES = 65536

export interface ParleySizes {
  firstMessage: number
  ratchetTurn: number
  kemStepMessage: number
  pingPongOverhead: number
  oneWayOverhead: number
  large64kOverhead: number
}

export interface ParleyBench {
  /** Makes Bob's bundles for the next `n` establishments ahead (outside the timed region). */
  prepareEstablish(n: number): Promise<void>
  establish(): Promise<void>
  oneWay100(): void
  pingPong100(): void
  large64k(): void
  sizes(messages?: number): Promise<ParleySizes>
}

interface Pair {
  a: RatchetState
  b: RatchetState
}

const own = (id: Identity) => ({ state: id.state, secrets: id.secrets })
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)

/** `suite` defaults to the native one; the floor computation (bench/establish-floor.ts) passes a counting one. */
export async function createParleyBench(suite: Suite = defaultSuite): Promise<ParleyBench> {
  const now = new Date()
  const alice = createIdentity(suite, { name: 'alice', now })
  const bob = createIdentity(suite, { name: 'bob', now })
  const prekeys = new MemoryPrekeyStore()
  const replay = new MemoryReplayCache()
  const small = new Uint8Array(randomBytes(100))
  const large = new Uint8Array(randomBytes(LARGE_MESSAGE_BYTES))
  const resolve = async (): Promise<typeof alice.state> => alice.state

  // Bundles with fresh one-time prekeys, made ahead (outside timed regions:
  // the harness calls prepareEstablish before each timed batch).
  const pool: Uint8Array[] = []
  async function refill(n: number): Promise<void> {
    for (let i = 0; i < n; i++) pool.push(encodeBundle(await createBundle(suite, { ours: own(bob), prekeys, now, oneTime: true })))
  }
  await refill(16)

  /** One full first contact; returns both ratchet states and the first-message size. */
  async function firstContact(plaintext: Uint8Array, bundleBytes: Uint8Array): Promise<{ pair: Pair; firstMessage: number }> {
    const bundle = decodeBundle(bundleBytes)
    const { firstMessage, secret } = initiate(suite, { ours: own(alice), theirs: bob.state, bundle, now })
    const sent = ratchetEncrypt(suite, initInitiator(suite, secret), plaintext)
    const wire = encodeFirstMessage({ header: firstMessage, ratchetMessage: sent.message })
    const { header, ratchetMessage } = decodeFirstMessage(wire)
    let b: RatchetState | undefined
    await respond(suite, {
      ours: own(bob),
      prekeys,
      replay,
      resolveIdentity: resolve,
      message: header,
      now,
      confirm: (s) => {
        b = ratchetDecrypt(suite, initResponder(suite, s), ratchetMessage).state
      },
    })
    if (b === undefined) throw new Error('bench: responder did not confirm')
    return { pair: { a: sent.state, b }, firstMessage: wire.length }
  }

  function send(pair: Pair, fromA: boolean, plaintext: Uint8Array): number {
    if (fromA) {
      const m = ratchetEncrypt(suite, pair.a, plaintext)
      pair.a = m.state
      pair.b = ratchetDecrypt(suite, pair.b, m.message).state
      return m.message.length
    }
    const m = ratchetEncrypt(suite, pair.b, plaintext)
    pair.b = m.state
    pair.a = ratchetDecrypt(suite, pair.a, m.message).state
    return m.message.length
  }

  /** A one-way message from A; B answers first when A's chain is full. */
  function oneWay(pair: Pair, plaintext: Uint8Array): number {
    if (pair.a.sendCount >= RATCHET_MAX_CHAIN_LENGTH - 1) send(pair, false, small)
    return send(pair, true, plaintext)
  }

  async function established(): Promise<Pair> {
    const { pair } = await firstContact(small, pool.pop() ?? (await refill(1), pool.pop() as Uint8Array))
    send(pair, false, small) // Bob replies once, as in the libsignal bench
    return pair
  }

  const oneWayPair = await established()
  const pingPong = await established()
  const big = await established()
  let turn = true

  return {
    async prepareEstablish(n: number) {
      if (pool.length < n) await refill(n - pool.length)
    },
    async establish() {
      // Only when the caller did not prepare enough (then the bundle's making is timed too).
      if (pool.length === 0) await refill(1)
      await firstContact(small, pool.pop() as Uint8Array)
    },
    oneWay100() {
      oneWay(oneWayPair, small)
    },
    pingPong100() {
      send(pingPong, turn, small)
      turn = !turn
    },
    large64k() {
      oneWay(big, large)
    },
    async sizes(messages = 200) {
      if (pool.length < 2) await refill(2)
      const first = await firstContact(small, pool.pop() as Uint8Array)
      const pair = first.pair
      const pp: number[] = []
      for (let i = 0; i < messages; i++) pp.push(send(pair, i % 2 === 1, small))
      const sorted = [...pp].sort((x, y) => x - y)
      const ratchetTurn = sorted[Math.floor(sorted.length / 2)] ?? 0
      const kemStepMessage = sorted[sorted.length - 1] ?? 0
      const ow = await established()
      const one: number[] = []
      for (let i = 0; i < messages; i++) one.push(send(ow, true, small))
      const lg = send(await established(), true, large)
      return {
        firstMessage: first.firstMessage,
        ratchetTurn,
        kemStepMessage,
        pingPongOverhead: mean(pp) - small.length,
        oneWayOverhead: mean(one) - small.length,
        large64kOverhead: lg - large.length,
      }
    },
  }
}
