/**
 * `npm run bench -- network` (issue 4): Parley's network figures beside
 * their baselines, in one run.
 * - (b) message round trip: send → delivered (ack after the receiver
 *   committed) on an authenticated connection, p50 and p99, beside a bare
 *   libp2p ping on the same connection, interleaved (goal: p50 ≤ 2×).
 * - (c) connection setup p50 with its parts: dial (TCP + Noise + Yamux) and
 *   Parley authentication with a VerifiedHuman credential on both sides.
 * - (a) file transfer: a file on disk through /parley/blob/1.0.0 between
 *   the two authenticated stacks, beside a bare libp2p stream moving the
 *   same bytes (goal: ≥ 0.9×), the same stream file to file, and a raw
 *   node:net socket, on loopback; rounds interleaved, medians.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import { defaultSuite as suite } from '../src/crypto/index.js'
import { createIdentity } from '../src/identity/index.js'
import type { Identity } from '../src/identity/index.js'
import { createPresentation, issueCredential, validateTrustPolicy } from '../src/credentials/index.js'
import { createParleyNetwork } from '../src/network/parley-network.js'
import type { ParleyNetwork } from '../src/network/parley-network.js'
import type { BenchRow } from './harness.js'
import { median } from './harness.js'
import { bareFileMBps, bareNode, bareStreamMBps, handleBareFileSink, handleBareSink, percentile, rawSocketMBps, writeRandomFile } from './network-baselines.js'

const ROUND_TRIPS = 400
const SETUPS = 25
/** Bytes of the file-transfer row (a) and of its two baselines. */
const FILE_BYTES = 256 * 1024 * 1024
/** Interleaved rounds of (a); the median of each candidate is reported. */
const FILE_ROUNDS = 5
const BENCH_INBOUND_THRESHOLD = 1000

interface Side {
  net: ParleyNetwork
  identity: Identity
  delivered: Map<string, () => void>
}

async function side(name: string, issuer: Identity, trust: ReturnType<typeof validateTrustPolicy>): Promise<Side> {
  const privateKey = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const now = new Date()
  const identity = createIdentity(suite, { name, now, services: [{ id: 'p2p', type: 'libp2p-peer', endpoint: peerId }] })
  const credential = await issueCredential({ suite, issuer, subject: identity.state.did, now, validUntil: new Date(now.getTime() + 86400_000) })
  const delivered = new Map<string, () => void>()
  const net = await createParleyNetwork({
    // Repeated setups from one host would trip the per-host inbound threshold (NODE_INBOUND_CONNECTION_THRESHOLD per second).
    node: { listen: ['/ip4/127.0.0.1/tcp/0'], privateKey, mdns: false, connectionLimits: { inboundConnectionThreshold: BENCH_INBOUND_THRESHOLD } },
    identity,
    trust,
    presentation: async ({ audience, nonce, now: at }) =>
      createPresentation({ suite, holder: { kel: identity.kel, secrets: identity.secrets }, credentials: [credential], audience, nonce, now: at }),
    deliver: async () => undefined,
    // The setup rows re-authenticate one peer SETUPS times a minute: above the per-peer and per-IP limits by design.
    auth: { limits: { attemptsPerPeerPerMinute: BENCH_INBOUND_THRESHOLD, attemptsPerIpPerMinute: BENCH_INBOUND_THRESHOLD } },
  })
  net.messaging.addEventListener('delivery', (e) => {
    if (e.state === 'delivered') delivered.get(e.id)?.()
  })
  return { net, identity, delivered }
}

function tcpAddress(net: ParleyNetwork): Multiaddr {
  const a = net.node.addresses().find((m) => m.toString().includes('/tcp/') && !m.toString().includes('/ws'))
  if (a === undefined) throw new Error('bench: no TCP address')
  return a
}

/**
 * (a) One file of FILE_BYTES through /parley/blob/1.0.0 between the two
 * authenticated stacks — the sender reads it from disk and seals each chunk,
 * the receiver opens, writes, fsyncs (every BLOB_SYNC_INTERVAL_BYTES and at
 * the end), hashes and renames it into place — timed from `receive` to the
 * verified file. The offer (the sender hashing the file) is made before the
 * clock starts. Beside it, the same bytes through:
 * - a bare libp2p stream (fresh nodes, same TCP + Noise + Yamux stack, no
 *   Parley layer), memory to memory: the goal's baseline (issue 4: "a bare
 *   libp2p stream moving the same bytes");
 * - a bare libp2p stream, file to file (read, write, fsync; no sealing,
 *   hashing or flow control): what the disk alone costs, to tell it apart
 *   from what the Parley layer costs;
 * - a raw node:net socket, memory to memory: the machine's ceiling.
 * Rounds interleave the four; medians. Both ends of each run in this one
 * process, as for every other row.
 */
async function fileTransferRows(alice: Side, bob: Side): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-files-'))
  const a = await bareNode()
  const b = await bareNode()
  try {
    const src = join(dir, 'source.bin')
    await writeRandomFile(src, FILE_BYTES)
    let bareDest = ''
    await handleBareSink(b)
    await handleBareFileSink(b, () => bareDest)
    const conn = await a.dial(b.getMultiaddrs()[0] as Multiaddr)
    const from = alice.net.node.peerId
    const sender = alice.identity.state.did
    const parley: number[] = []
    const bare: number[] = []
    const bareFile: number[] = []
    const raw: number[] = []
    for (let r = 0; r < FILE_ROUNDS; r++) {
      const offer = await alice.net.blob.offer(bob.identity.state.did, src)
      const dest = join(dir, `received-${r}.bin`)
      const t0 = performance.now()
      await bob.net.blob.receive(offer, from, dest, { sender }).wait()
      parley.push(FILE_BYTES / 1e6 / ((performance.now() - t0) / 1000))
      await rm(dest)
      bare.push(await bareStreamMBps(conn, FILE_BYTES))
      bareDest = join(dir, `bare-${r}.bin`)
      bareFile.push(await bareFileMBps(conn, src, FILE_BYTES))
      await rm(bareDest)
      raw.push(await rawSocketMBps(FILE_BYTES))
    }
    const mib = FILE_BYTES / (1024 * 1024)
    const parleyName = `file transfer ${mib} MiB (Parley blob: file → sealed chunks → file, fsync, SHA-256 verified)`
    const bareName = `bare libp2p stream, same ${mib} MiB, memory → memory`
    const bareFileName = `bare libp2p stream, same ${mib} MiB, file → file (fsync; no sealing, no hash)`
    const rawName = `raw node:net socket, same ${mib} MiB, memory → memory`
    const row = (metric: string, value: number, baseline: string, baselineValue: number): BenchRow => ({ metric, value, unit: 'MB/s', baseline, baselineValue, ratio: value / baselineValue })
    return [
      row(parleyName, median(parley), bareName, median(bare)),
      row(parleyName, median(parley), bareFileName, median(bareFile)),
      row(parleyName, median(parley), rawName, median(raw)),
      row(bareName, median(bare), rawName, median(raw)),
    ]
  } finally {
    await a.stop()
    await b.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

export async function runNetworkBench(): Promise<BenchRow[]> {
  const issuer = createIdentity(suite, { name: 'issuer', now: new Date(Date.now() - 3600_000) })
  const trust = validateTrustPolicy({ trustedIssuers: [issuer.state.did], acceptedTypes: ['VerifiedHumanCredential'], requirePq: true })
  const alice = await side('alice', issuer, trust)
  const bob = await side('bob', issuer, trust)
  const rows: BenchRow[] = []
  try {
    const bobAddr = tcpAddress(bob.net)
    await alice.net.connect(bobAddr, { expectDid: bob.identity.state.did })
    const envelope = new Uint8Array(256).fill(1)

    // (b) send → ack beside a bare ping on the same connection, interleaved.
    const rtt: number[] = []
    const ping: number[] = []
    for (let i = 0; i < ROUND_TRIPS + 20; i++) {
      const t0 = performance.now()
      const done = new Promise<void>((resolve) => {
        void alice.net.messaging.send(bob.identity.state.did, envelope).then((id) => alice.delivered.set(id, resolve))
      })
      await done
      const t1 = performance.now()
      await alice.net.node.libp2p.services.ping.ping(bob.net.node.peerId)
      const t2 = performance.now()
      if (i >= 20) {
        rtt.push(t1 - t0)
        ping.push(t2 - t1)
      }
    }
    const row = (metric: string, value: number, unit: string, baseline: string | null, baselineValue: number | null): void => {
      rows.push({ metric, value, unit, baseline, baselineValue, ratio: baselineValue === null || baselineValue === 0 ? null : value / baselineValue })
    }
    row('message round trip p50 (send → ack after commit)', percentile(rtt, 50), 'ms', 'libp2p ping p50, same connection', percentile(ping, 50))
    row('message round trip p99', percentile(rtt, 99), 'ms', 'libp2p ping p99, same connection', percentile(ping, 99))

    // (c) connection setup: dial (TCP, Noise, Yamux) then Parley authentication with credentials.
    const dial: number[] = []
    const auth: number[] = []
    for (let i = 0; i < SETUPS; i++) {
      await alice.net.node.libp2p.hangUp(bob.net.node.peerId)
      const t0 = performance.now()
      const connection = await alice.net.node.libp2p.dial(bobAddr)
      const t1 = performance.now()
      await alice.net.auth.authenticate(connection)
      const t2 = performance.now()
      dial.push(t1 - t0)
      auth.push(t2 - t1)
    }
    const total = dial.map((d, i) => d + (auth[i] ?? 0))
    row('connection setup p50 (dial + auth with credential)', median(total), 'ms', null, null)
    row('  part: dial (TCP + Noise + Yamux) p50', median(dial), 'ms', null, null)
    row('  part: Parley authentication (KELs, hybrid signatures, VPs) p50', median(auth), 'ms', null, null)

    // (a) file transfer beside a bare libp2p stream and a raw socket moving the same bytes, interleaved.
    rows.push(...(await fileTransferRows(alice, bob)))
  } finally {
    await alice.net.stop()
    await bob.net.stop()
  }
  return rows
}
