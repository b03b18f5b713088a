/**
 * Issue 4, limits: a flood on loopback. Bob runs the real stack
 * (createParleyNetwork: node, auth gate, /parley/msg). Alice, honest, is
 * connected and authenticated before the flood and keeps sending while:
 * - 1,000 junk TCP connections from 127.0.0.2–127.0.0.254 send garbage
 *   (random bytes, a half multistream header, nothing at all) and are
 *   dropped or time out;
 * - junk libp2p peers complete Noise and open streams on every Parley
 *   protocol, writing garbage, a length prefix of 2^32 and truncated frames,
 *   reconnecting again and again.
 * It must end with no uncaught exception or unhandled rejection, Bob's
 * connection count within its limit, the junk peers never authenticated,
 * and every one of Alice's messages delivered, p99 send → ack under 1 s.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect as netConnect } from 'node:net'
import type { Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createIdentity } from '../../src/identity/index.js'
import type { Identity } from '../../src/identity/index.js'
import { createParleyNetwork } from '../../src/network/parley-network.js'
import type { ParleyNetwork } from '../../src/network/parley-network.js'
import { AUTH_PROTOCOL_ID, MSG_PROTOCOL_ID, NODE_MAX_CONNECTIONS } from '../../src/constants.js'
import { open, suite, peerService } from '../helpers/auth-fixtures.js'
import { trackUncaught } from '../helpers/uncaught.js'

const JUNK_TCP_CONNECTIONS = 1000
const JUNK_LIBP2P_PEERS = 8
const JUNK_LIBP2P_ROUNDS = 6
const HONEST_MESSAGES = 150
const P99_LIMIT_MS = 1000

const problems = trackUncaught()

async function stack(name: string, deliver: (did: string, envelope: Uint8Array) => void): Promise<{ net: ParleyNetwork; identity: Identity }> {
  const privateKey = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const identity = createIdentity(suite, { name, now: new Date(), services: [peerService(peerId)] })
  const net = await createParleyNetwork({
    node: { listen: ['/ip4/127.0.0.1/tcp/0'], privateKey, mdns: false },
    identity,
    trust: open,
    deliver: async (from, _id, envelope) => deliver(from.did, envelope),
  })
  return { net, identity }
}

function tcpPort(addr: Multiaddr): number {
  const port = addr.toString().match(/\/tcp\/(\d+)/)?.[1]
  if (port === undefined) throw new Error(`no tcp port in ${addr.toString()}`)
  return Number(port)
}

/** One junk TCP connection from 127.0.0.x: garbage of some kind, then close or hang. */
function junkSocket(port: number, i: number): Promise<void> {
  return new Promise((resolve) => {
    const localAddress = `127.0.0.${2 + (i % 253)}`
    let sock: Socket
    try {
      sock = netConnect({ host: '127.0.0.1', port, localAddress })
    } catch {
      resolve()
      return
    }
    const done = (): void => {
      sock.destroy()
      resolve()
    }
    sock.setTimeout(3000, done)
    sock.on('error', done)
    sock.on('close', done)
    sock.on('connect', () => {
      switch (i % 4) {
        case 0:
          sock.write(randomBytes(512))
          break
        case 1:
          sock.write('\x13/multistream/1.0.0\n') // half a negotiation, then nothing
          break
        case 2:
          sock.write(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f)) // a 2^32 varint as the first bytes
          break
        default:
          break // connect and say nothing
      }
      setTimeout(done, 200 + (i % 7) * 100)
    })
  })
}

async function junkNode(): Promise<Libp2p> {
  return createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
}

const GARBAGE: Uint8Array[] = [
  Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10), // length 2^32
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // an over-long varint
  Uint8Array.of(0x05, 1, 2), // a truncated frame
  new Uint8Array(randomBytes(2048)),
]

/** A junk peer: Noise and Yamux pass, then garbage on every Parley protocol. */
async function junkRound(node: Libp2p, target: Multiaddr, round: number): Promise<void> {
  for (const protocol of [AUTH_PROTOCOL_ID, MSG_PROTOCOL_ID, '/parley/blob/1.0.0']) {
    try {
      const stream = await node.dialProtocol(target, protocol, { signal: AbortSignal.timeout(3000) })
      stream.send(GARBAGE[round % GARBAGE.length] as Uint8Array)
      await Promise.race([stream.close(), new Promise((r) => setTimeout(r, 500))])
      stream.abort(new Error('junk done'))
    } catch {
      // refused, reset or timed out: what a flood should get
    }
  }
  await node.hangUp(target).catch(() => undefined)
}

test('a flood of junk connections and garbage frames leaves limits held and the honest peer served', async (t) => {
  const received: string[] = []
  const bob = await stack('bob', (did, envelope) => {
    received.push(`${did}:${new TextDecoder().decode(envelope)}`)
  })
  const alice = await stack('alice', () => undefined)
  t.after(async () => {
    await alice.net.stop()
    await bob.net.stop()
  })
  const bobAddr = bob.net.node.addresses().find((a) => a.toString().includes('/tcp/') && !a.toString().includes('/ws')) as Multiaddr
  const peer = await alice.net.connect(bobAddr, { expectDid: bob.identity.state.did })
  assert.equal(peer.did, bob.identity.state.did)

  // Alice sends on her authenticated connection throughout the flood, timing send → delivered.
  const sentAt = new Map<string, number>()
  const rtts: number[] = []
  const allDelivered = new Promise<void>((resolve) => {
    alice.net.messaging.addEventListener('delivery', (e) => {
      const { id, state } = e
      if (state !== 'delivered') return
      const t0 = sentAt.get(id)
      if (t0 !== undefined) {
        rtts.push(performance.now() - t0)
        sentAt.delete(id)
      }
      if (rtts.length === HONEST_MESSAGES) resolve()
    })
  })
  const honest = (async () => {
    for (let i = 0; i < HONEST_MESSAGES; i++) {
      const t0 = performance.now()
      const id = await alice.net.messaging.send(bob.identity.state.did, new TextEncoder().encode(`m${i}`))
      sentAt.set(id, t0)
      await new Promise((r) => setTimeout(r, 20))
    }
  })()

  const port = tcpPort(bobAddr)
  let maxConnections = 0
  const sampler = setInterval(() => {
    maxConnections = Math.max(maxConnections, bob.net.node.libp2p.getConnections().length)
  }, 20)
  t.after(() => clearInterval(sampler))

  const junkTcp = (async () => {
    const batch = 100
    for (let i = 0; i < JUNK_TCP_CONNECTIONS; i += batch) {
      await Promise.all(Array.from({ length: batch }, (_, k) => junkSocket(port, i + k)))
    }
  })()
  const junkPeers = await Promise.all(Array.from({ length: JUNK_LIBP2P_PEERS }, () => junkNode()))
  t.after(async () => {
    await Promise.all(junkPeers.map((n) => n.stop()))
  })
  const junkLibp2p = Promise.all(
    junkPeers.map(async (node) => {
      for (let r = 0; r < JUNK_LIBP2P_ROUNDS; r++) await junkRound(node, bobAddr, r)
    }),
  )

  await Promise.all([junkTcp, junkLibp2p, honest])
  let timer: NodeJS.Timeout | undefined
  await Promise.race([allDelivered, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`only ${rtts.length}/${HONEST_MESSAGES} delivered`)), 30_000)))])
  clearTimeout(timer)
  clearInterval(sampler)

  assert.deepEqual(problems, [], 'no uncaught exception or unhandled rejection')
  assert.ok(maxConnections <= NODE_MAX_CONNECTIONS, `Bob's connections stayed within ${NODE_MAX_CONNECTIONS} (max seen ${maxConnections})`)
  for (const junk of junkPeers) assert.equal(bob.net.auth.isAuthenticated(junk.peerId), false, 'no junk peer authenticated')
  assert.equal(received.length, HONEST_MESSAGES, 'every honest message delivered exactly once')
  assert.deepEqual(
    received,
    Array.from({ length: HONEST_MESSAGES }, (_, i) => `${alice.identity.state.did}:m${i}`),
    'in order',
  )
  const sorted = [...rtts].sort((a, b) => a - b)
  const p50 = sorted[Math.floor(sorted.length * 0.5)] ?? 0
  const p99 = sorted[Math.ceil(sorted.length * 0.99) - 1] ?? 0
  t.diagnostic(`honest send → ack during the flood: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max connections ${maxConnections}`)
  assert.ok(p99 < P99_LIMIT_MS, `p99 ${p99.toFixed(0)} ms under ${P99_LIMIT_MS} ms`)
})
