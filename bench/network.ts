/**
 * `npm run bench -- network` (issue 4): Parley's network figures beside
 * their baselines, in one run.
 * - (b) message round trip: send → delivered (ack after the receiver
 *   committed) on an authenticated connection, p50 and p99, beside a bare
 *   libp2p ping on the same connection, interleaved (goal: p50 ≤ 2×).
 * - (c) connection setup p50 with its parts: dial (TCP + Noise + Yamux) and
 *   Parley authentication with a VerifiedHuman credential on both sides.
 * - (a) file transfer: a file on disk through /parley/blob/1.0.0 from this
 *   process's authenticated stack to one in a receiver process
 *   (bench/network-receiver.ts), beside a bare libp2p stream to that process
 *   moving the same bytes from file to file (goal: ≥ 0.9×), the same with
 *   only the crypto the design mandates (the floor of any implementation),
 *   the bare stream memory to memory and a raw node:net socket, on
 *   loopback; and the CPU each spends per MB in both processes. Rounds
 *   interleaved after a warm-up round, medians.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { defaultSuite as suite } from '../src/crypto/index.js'
import { createIdentity } from '../src/identity/index.js'
import type { Identity } from '../src/identity/index.js'
import { encodeCredentialContainer, issueCredential, validateTrustPolicy } from '../src/credentials/index.js'
import type { ParleyNetwork } from '../src/network/parley-network.js'
import { encodeFileOffer } from '../src/network/file-offer.js'
import type { BenchRow } from './harness.js'
import { median } from './harness.js'
import { BARE_FILE_PROTOCOL, BARE_SEALED_FILE_PROTOCOL, bareFileMBps, bareNode, benchNetwork, bareStreamMBps, cpuMark, cpuSince, lineChannel, percentile, rawSocketMBps, writeRandomFile } from './network-baselines.js'
import type { CpuUse, LineChannel, SealedBaseline } from './network-baselines.js'

const ROUND_TRIPS = 400
const SETUPS = 25
/** Bytes of the file-transfer row (a) and of its two baselines. */
const FILE_BYTES = 256 * 1024 * 1024
/** Interleaved rounds of (a); the median of each candidate is reported. */
const FILE_ROUNDS = 5
/** Time the receiver process gets to stop its nodes before it is killed. */
const RECEIVER_STOP_MS = 10_000

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
  const net = await benchNetwork({ identity, privateKey, trust, credential })
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

/** The receiver process of (a), and the channel to it. */
interface Receiver {
  child: ChildProcess
  channel: LineChannel
  did: string
  parleyAddr: string
  bareAddr: string
  rawPort: number
  /** Sends a command and waits for its answer; rejects on an `error` answer. */
  ask(msg: Record<string, unknown>): Promise<Record<string, unknown>>
}

const RECEIVER_SCRIPT = fileURLToPath(new URL('./network-receiver.ts', import.meta.url))

/**
 * Starts bench/network-receiver.ts in its own process (same node, tsx
 * loader; `--cpu-prof` into PARLEY_BENCH_CPU_PROF when that names a folder)
 * and gives it a credential from `issuer` for the DID it created.
 */
async function startReceiver(issuer: Identity, bytes: number): Promise<Receiver> {
  const profDir = process.env.PARLEY_BENCH_CPU_PROF
  const args = [...(profDir === undefined || profDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir]), '--import', 'tsx', RECEIVER_SCRIPT]
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  if (child.stdin === null || child.stdout === null) throw new Error('bench: no pipes to the receiver')
  const channel = lineChannel(child.stdout, child.stdin)
  const hello = await channel.next()
  const did = String(hello.did)
  const now = new Date()
  const credential = await issueCredential({ suite, issuer, subject: did, now, validUntil: new Date(now.getTime() + 86400_000) })
  channel.send({ type: 'setup', issuer: issuer.state.did, credential: encodeCredentialContainer(credential), bytes })
  const ready = await channel.next()
  const ask = async (msg: Record<string, unknown>): Promise<Record<string, unknown>> => {
    channel.send(msg)
    const answer = await channel.next()
    if (answer.type === 'error') throw new Error(`bench receiver: ${String(answer.message)}`)
    return answer
  }
  return { child, channel, did, parleyAddr: String(ready.parleyAddr), bareAddr: String(ready.bareAddr), rawPort: Number(ready.rawPort), ask }
}

async function stopReceiver(r: Receiver): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (r.child.exitCode !== null) resolve()
    else r.child.once('exit', () => resolve())
  })
  r.channel.send({ type: 'stop' })
  r.child.stdin?.end()
  const timer = setTimeout(() => r.child.kill('SIGKILL'), RECEIVER_STOP_MS)
  await exited
  clearTimeout(timer)
  r.channel.close()
}

/**
 * (a) File transfer, sender and receiver in two processes (as in real use:
 * two machines), on loopback, FILE_BYTES of random data:
 * - Parley: this process's authenticated stack offers a file on disk (the
 *   offer, which hashes it, is made before the clock starts); the receiver
 *   process's stack fetches it over /parley/blob/1.0.0 (the sender reads and
 *   seals each chunk, the receiver opens, writes, fsyncs every
 *   BLOB_SYNC_INTERVAL_BYTES and at the end, checks the SHA-256, renames);
 *   timed here from the command to the receiver's "verified" answer.
 * - a bare libp2p stream (same TCP + Noise + Yamux stack, no Parley layer)
 *   to the receiver process, file to file (read; write, fsync; no sealing,
 *   hashing or flow control): the goal's baseline (issue 4: "a bare libp2p
 *   stream moving the same bytes");
 * - the same plus the crypto the design mandates and nothing else (STREAM
 *   seal of every chunk, open, SHA-256 of the file): the floor any
 *   implementation of the design pays on this machine;
 * - the bare stream memory to memory: what the disk costs;
 * - a raw node:net socket to the receiver process, memory to memory: the
 *   machine's ceiling.
 * For Parley, the bare file stream and the floor, the CPU both processes
 * spent (all threads, user and system) per MB: on a machine whose cores
 * both processes saturate, throughput follows it.
 * A warm-up round first (not recorded), then rounds interleaving the five; medians.
 */
export async function runFileTransferBench(rounds: number = FILE_ROUNDS, bytes: number = FILE_BYTES): Promise<BenchRow[]> {
  const issuer = createIdentity(suite, { name: 'issuer', now: new Date(Date.now() - 3600_000) })
  const trust = validateTrustPolicy({ trustedIssuers: [issuer.state.did], acceptedTypes: ['VerifiedHumanCredential'], requirePq: true })
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-files-'))
  const alice = await side('alice', issuer, trust)
  const a = await bareNode()
  let receiver: Receiver | undefined
  try {
    receiver = await startReceiver(issuer, bytes)
    const src = join(dir, 'source.bin')
    await writeRandomFile(src, bytes)
    await alice.net.connect(multiaddr(receiver.parleyAddr), { expectDid: receiver.did })
    const conn = await a.dial(multiaddr(receiver.bareAddr))
    const from = alice.net.node.peerId.toString()
    const sender = alice.identity.state.did
    const parley: number[] = []
    const bare: number[] = []
    const bareFile: number[] = []
    const bareSealed: number[] = []
    const raw: number[] = []
    /** CPU ms per MB moved, sender and receiver processes together (all threads), per candidate. */
    const cpu = { parley: [] as number[], bareFile: [] as number[], bareSealed: [] as number[] }
    const perMB = (sender: CpuUse, receiverCpu: unknown): number => (sender.processMs + Number((receiverCpu as CpuUse | undefined)?.processMs)) / (bytes / 1e6)
    // round 0 warms up both processes (JIT, connection windows) and is not recorded
    for (let r = 0; r <= rounds; r++) {
      const record = r > 0
      const offer = await alice.net.blob.offer(receiver.did, src)
      const dest = join(dir, `received-${r}.bin`)
      let mark = cpuMark()
      const t0 = performance.now()
      const done = await receiver.ask({ type: 'parley', offer: Buffer.from(encodeFileOffer(offer)).toString('base64'), from, sender, dest })
      const parleyMBps = bytes / 1e6 / ((performance.now() - t0) / 1000)
      const parleyCpu = perMB(cpuSince(mark), done.cpu)
      await rm(dest)
      const bareMBps = await bareStreamMBps(conn, bytes)
      const bareDest = join(dir, `bare-${r}.bin`)
      await receiver.ask({ type: 'dest', path: bareDest })
      mark = cpuMark()
      const bareFileMBpsValue = await bareFileMBps(conn, BARE_FILE_PROTOCOL, src, bytes)
      const bareFileCpu = perMB(cpuSince(mark), (await receiver.ask({ type: 'sink-cpu' })).cpu)
      await rm(bareDest)
      // the same with the crypto every implementation of the design pays, under a fresh file key
      const sealed: SealedBaseline = { params: { fileKey: randomBytes(32), noncePrefix: randomBytes(7), transferId: randomBytes(16) }, size: bytes }
      const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
      await receiver.ask({ type: 'dest', path: bareDest, fileKey: b64(sealed.params.fileKey), noncePrefix: b64(sealed.params.noncePrefix), transferId: b64(sealed.params.transferId), size: bytes })
      mark = cpuMark()
      const bareSealedMBps = await bareFileMBps(conn, BARE_SEALED_FILE_PROTOCOL, src, bytes, sealed)
      const bareSealedCpu = perMB(cpuSince(mark), (await receiver.ask({ type: 'sink-cpu' })).cpu)
      await rm(bareDest)
      const rawMBps = await rawSocketMBps(receiver.rawPort, bytes)
      if (!record) continue
      parley.push(parleyMBps)
      bare.push(bareMBps)
      bareFile.push(bareFileMBpsValue)
      bareSealed.push(bareSealedMBps)
      raw.push(rawMBps)
      cpu.parley.push(parleyCpu)
      cpu.bareFile.push(bareFileCpu)
      cpu.bareSealed.push(bareSealedCpu)
    }
    const mib = bytes / (1024 * 1024)
    const parleyName = `file transfer ${mib} MiB, 2 processes (Parley blob, authenticated; sender: file read + seal; receiver: open + write to file, fsync, SHA-256 verified)`
    const bareName = `bare libp2p stream, same ${mib} MiB, 2 processes, memory → memory`
    const bareFileName = `bare libp2p stream, same ${mib} MiB, 2 processes, file → file (sender: file read; receiver: write, fsync; no sealing, no hash)`
    const bareSealedName = `bare libp2p stream + the mandated crypto only, same ${mib} MiB, 2 processes, file → file (sender: file read, STREAM seal of each chunk; receiver: open, SHA-256, write, fsync; no framing, flow control or progress)`
    const rawName = `raw node:net socket, same ${mib} MiB, 2 processes, memory → memory`
    const row = (metric: string, value: number, baseline: string, baselineValue: number, unit = 'MB/s'): BenchRow => ({ metric, value, unit, baseline, baselineValue, ratio: value / baselineValue })
    const cpuName = (name: string): string => `CPU per MB moved, sender + receiver processes, all threads: ${name.split(',')[0]}`
    return [
      row(parleyName, median(parley), bareFileName, median(bareFile)),
      row(parleyName, median(parley), bareSealedName, median(bareSealed)),
      row(bareSealedName, median(bareSealed), bareFileName, median(bareFile)),
      row(parleyName, median(parley), bareName, median(bare)),
      row(parleyName, median(parley), rawName, median(raw)),
      row(bareName, median(bare), rawName, median(raw)),
      row(cpuName(parleyName), median(cpu.parley), cpuName(bareFileName), median(cpu.bareFile), 'ms/MB'),
      row(cpuName(bareSealedName), median(cpu.bareSealed), cpuName(bareFileName), median(cpu.bareFile), 'ms/MB'),
    ]
  } finally {
    if (receiver !== undefined) await stopReceiver(receiver)
    await a.stop()
    await alice.net.stop()
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

  } finally {
    await alice.net.stop()
    await bob.net.stop()
  }
  // (a) file transfer, receiver in its own process, beside a bare libp2p stream and a raw socket moving the same bytes, interleaved.
  rows.push(...(await runFileTransferBench()))
  return rows
}
