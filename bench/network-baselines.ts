/**
 * The baselines of `npm run bench -- network`, measured in the same run as
 * Parley's figures: a raw node:net socket on loopback (the ceiling of the
 * machine), a bare libp2p stream on the same stack Parley runs on (TCP,
 * Noise, Yamux) without the Parley layer — memory to memory, and file to
 * file (read, write, fsync: the disk half of a transfer, without sealing,
 * hashing or flow control) — and a bare libp2p ping on an open connection.
 * The sinks run in the receiver process (bench/network-receiver.ts), the
 * senders in the bench's; `lineChannel` is how the two talk.
 */
import { createHash, randomBytes } from 'node:crypto'
import { open } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import type { Connection, Stream } from '@libp2p/interface'
import type { PrivateKey } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { AEAD_TAG_LENGTH, BLOB_DEFAULT_CHUNK_BYTES } from '../src/constants.js'
import { defaultSuite } from '../src/crypto/index.js'
import { createStreamOpener, createStreamSealer } from '../src/network/stream-seal.js'
import type { StreamParams } from '../src/network/stream-seal.js'
import { createPresentation } from '../src/credentials/index.js'
import type { CredentialContainer, TrustPolicy } from '../src/credentials/index.js'
import type { Identity } from '../src/identity/index.js'
import { createParleyNetwork } from '../src/network/parley-network.js'
import type { ParleyNetwork } from '../src/network/parley-network.js'

export const BARE_PROTOCOL = '/bench/bare-sink/1.0.0'
export const BARE_FILE_PROTOCOL = '/bench/bare-file-sink/1.0.0'
export const BARE_SEALED_FILE_PROTOCOL = '/bench/bare-sealed-file-sink/1.0.0'
const CHUNK = 64 * 1024

/** Writes `bytes` random bytes to a new file at `path`, a MiB at a time (never all in memory). */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'wx', 0o600)
  try {
    for (let at = 0; at < bytes; at += 1024 * 1024) {
      const block = randomBytes(Math.min(1024 * 1024, bytes - at))
      await fh.write(block, 0, block.length, at)
    }
  } finally {
    await fh.close()
  }
}

/**
 * A raw TCP sink on 127.0.0.1: counts what each connection sends and, once
 * `bytes` arrived, answers one byte. Runs in the receiver process.
 */
export async function rawSocketSink(bytes: number): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    let received = 0
    s.on('data', (d: Buffer) => {
      received += d.length
      if (received >= bytes) s.end(Uint8Array.of(1))
    })
    s.on('error', () => s.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, port: (server.address() as AddressInfo).port }
}

/** Raw TCP throughput on loopback: `bytes` written in 64 KiB chunks to the sink at `port`, until its one-byte answer. MB/s. */
export async function rawSocketMBps(port: number, bytes: number): Promise<number> {
  const sock = connect(port, '127.0.0.1')
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r())
    sock.once('error', j)
  })
  const answered = new Promise<void>((r, j) => {
    sock.once('data', () => r())
    sock.once('error', j)
    sock.once('close', () => j(new Error('bench: raw socket closed before its answer')))
  })
  const chunk = Buffer.alloc(CHUNK, 7)
  const t0 = performance.now()
  let sent = 0
  while (sent < bytes) {
    const n = Math.min(CHUNK, bytes - sent)
    if (!sock.write(n === CHUNK ? chunk : chunk.subarray(0, n))) await new Promise<void>((r) => sock.once('drain', () => r()))
    sent += n
  }
  await answered
  const dt = performance.now() - t0
  sock.destroy()
  return bytes / 1e6 / (dt / 1000)
}

/**
 * JSON messages, one a line, between the bench and its receiver process
 * (the child's stdin and stdout): `next()` is the next message, `send()`
 * writes one. `next()` rejects when the input ends.
 */
export interface LineChannel {
  next(): Promise<Record<string, unknown>>
  send(msg: Record<string, unknown>): void
  close(): void
}

export function lineChannel(input: Readable, output: Writable): LineChannel {
  const rl = createInterface({ input })
  const queue: string[] = []
  const waiters: { resolve: (l: string) => void; reject: (e: Error) => void }[] = []
  let ended = false
  rl.on('line', (line) => {
    const w = waiters.shift()
    if (w === undefined) queue.push(line)
    else w.resolve(line)
  })
  rl.on('close', () => {
    ended = true
    for (const w of waiters.splice(0)) w.reject(new Error('bench: the other process closed its channel'))
  })
  return {
    async next() {
      const line = queue.shift() ?? (ended ? undefined : await new Promise<string>((resolve, reject) => waiters.push({ resolve, reject })))
      if (line === undefined) throw new Error('bench: the other process closed its channel')
      return JSON.parse(line) as Record<string, unknown>
    },
    send(msg) {
      output.write(JSON.stringify(msg) + '\n')
    },
    close() {
      rl.close()
    },
  }
}

export type BareNode = Libp2p<{ identify: ReturnType<ReturnType<typeof identify>>; ping: Ping }>

/** A plain libp2p node (TCP, Noise, Yamux, identify, ping) on 127.0.0.1. */
export async function bareNode(): Promise<BareNode> {
  return (await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() },
  })) as unknown as BareNode
}

/** Registers a sink on `node` that reads everything and answers one byte at the end. */
export async function handleBareSink(node: BareNode): Promise<void> {
  await node.handle(BARE_PROTOCOL, async (stream: Stream) => {
    for await (const _chunk of stream) {
      // discard
    }
    stream.send(Uint8Array.of(1))
    await stream.close()
  })
}

/**
 * Sends `bytes` on `stream`, waiting for 'drain' while its buffer is full;
 * rejects when the stream closes first (say, the connection monitor aborted
 * the connection), so a lost connection ends the run instead of hanging it.
 */
async function send(stream: Stream, bytes: Uint8Array | Uint8ArrayList): Promise<void> {
  if (stream.send(bytes)) return
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => {
      stream.removeEventListener('close', onClose)
      resolve()
    }
    const onClose = (): void => {
      stream.removeEventListener('drain', onDrain)
      reject(new Error(`bench: the stream closed while sending (${stream.status})`))
    }
    stream.addEventListener('drain', onDrain, { once: true })
    stream.addEventListener('close', onClose, { once: true })
  })
}

/** Writes `bytes` through a fresh stream on `connection` to the sink and waits for its answer. MB/s. */
export async function bareStreamMBps(connection: Connection, bytes: number): Promise<number> {
  const stream = await connection.newStream(BARE_PROTOCOL)
  const chunk = new Uint8Array(CHUNK).fill(7)
  const t0 = performance.now()
  let sent = 0
  while (sent < bytes) {
    const n = Math.min(CHUNK, bytes - sent)
    await send(stream, n === CHUNK ? chunk : chunk.subarray(0, n))
    sent += n
  }
  await stream.close()
  for await (const _ack of stream) {
    // the sink's one-byte answer
  }
  const dt = performance.now() - t0
  return bytes / 1e6 / (dt / 1000)
}

/** Writes a bare file sink keeps in flight, and the block size of both file baselines (as the blob service does). */
const FILE_WRITES_IN_FLIGHT = 4
const FILE_BLOCK = 1024 * 1024
/** Chunk size of the sealed file baseline: the blob service's default. */
const SEALED_CHUNK = BLOB_DEFAULT_CHUNK_BYTES

/**
 * The one cost of a file transfer that no implementation of Parley's design
 * can avoid, added to the bare stream for the "bare + mandated crypto"
 * baseline: every chunk sealed under the file key in the STREAM
 * construction on the sending side (stream-seal.ts, as the blob service
 * does), opened on the receiving side, and the plaintext hashed (SHA-256,
 * the offer's hash). No framing, no flow control, no progress records: the
 * receiver knows every chunk's length from the file size.
 */
export interface SealedBaseline {
  params: StreamParams
  /** The file's size (the receiver needs it to find the last chunk). */
  size: number
}

/** Turns what a sealed baseline stream delivers into plaintext pieces, chunk by chunk; `end()` checks nothing is left over. */
function sealedReader(sealed: SealedBaseline): { take(data: Uint8Array | Uint8ArrayList): Uint8Array[]; end(): Uint8Array } {
  const n = Math.max(1, Math.ceil(sealed.size / SEALED_CHUNK))
  const opener = createStreamOpener(defaultSuite, sealed.params)
  const hasher = createHash('sha256')
  const buffered = new Uint8ArrayList()
  return {
    take(data) {
      buffered.append(data)
      const out: Uint8Array[] = []
      for (;;) {
        const i = opener.next
        if (i >= n) break
        const length = Math.min(SEALED_CHUNK, sealed.size - i * SEALED_CHUNK) + AEAD_TAG_LENGTH
        if (buffered.byteLength < length) break
        const pieces = opener.openDetached([...buffered.sublist(0, length - AEAD_TAG_LENGTH)], buffered.subarray(length - AEAD_TAG_LENGTH, length), i === n - 1)
        buffered.consume(length)
        for (const piece of pieces) {
          hasher.update(piece)
          out.push(piece)
        }
      }
      return out
    },
    end() {
      opener.finish()
      if (buffered.byteLength > 0) throw new Error('bench: bytes after the last sealed chunk')
      return hasher.digest()
    },
  }
}

/**
 * Registers a sink on `node` that writes everything it reads to the path
 * `destFor()` names (gathered into writes of about a MiB, a few in flight),
 * fsyncs it, and answers one byte: the disk half of a file transfer
 * without Parley. With `sealedFor()` naming a sealed baseline, what arrives
 * is opened and hashed first (the mandated crypto, nothing else). `onDone`
 * gets the CPU the process spent on it.
 */
export async function handleBareFileSink(
  node: BareNode,
  protocol: string,
  destFor: () => string,
  onDone: (cpu: CpuUse) => void,
  sealedFor?: () => SealedBaseline,
): Promise<void> {
  await node.handle(protocol, async (stream: Stream) => {
    const fh = await open(destFor(), 'wx', 0o600)
    const mark = cpuMark()
    const reader = sealedFor === undefined ? undefined : sealedReader(sealedFor())
    try {
      const pending = new Set<Promise<unknown>>()
      let at = 0
      let batch: Uint8Array[] = []
      let batchBytes = 0
      const flush = async (): Promise<void> => {
        while (pending.size >= FILE_WRITES_IN_FLIGHT) await Promise.race(pending)
        const bytes = batchBytes
        const p = fh.writev(batch, at).then(({ bytesWritten }) => {
          pending.delete(p)
          if (bytesWritten !== bytes) throw new Error('bench: short write')
        })
        pending.add(p)
        at += batchBytes
        batch = []
        batchBytes = 0
      }
      for await (const chunk of stream) {
        const pieces = reader === undefined ? [chunk instanceof Uint8Array ? chunk : chunk.subarray()] : reader.take(chunk)
        for (const bytes of pieces) {
          batch.push(bytes)
          batchBytes += bytes.length
        }
        if (batchBytes >= FILE_BLOCK) await flush()
      }
      reader?.end()
      if (batchBytes > 0) await flush()
      await Promise.all(pending)
      await fh.sync()
      onDone(cpuSince(mark))
    } finally {
      await fh.close()
    }
    stream.send(Uint8Array.of(1))
    await stream.close()
  })
}

/**
 * Reads the file at `path` (`bytes` long) a MiB at a time, the next block
 * while the current one is sent, through a fresh stream to the file sink of
 * `protocol`; waits for its answer. MB/s. With `sealed`, each chunk is
 * sealed (STREAM, as the blob service does) and sent as ciphertext and tag.
 */
export async function bareFileMBps(connection: Connection, protocol: string, path: string, bytes: number, sealed?: SealedBaseline): Promise<number> {
  const fh = await open(path, 'r')
  const sealer = sealed === undefined ? undefined : createStreamSealer(defaultSuite, sealed.params)
  const n = Math.max(1, Math.ceil(bytes / SEALED_CHUNK))
  // a fresh buffer per block: the stream may still hold the previous one
  const readBlock = async (at: number): Promise<Uint8Array> => {
    const block = new Uint8Array(Math.min(FILE_BLOCK, bytes - at))
    const { bytesRead } = await fh.read(block, 0, block.length, at)
    if (bytesRead !== block.length) throw new Error('bench: short read')
    return block
  }
  try {
    const stream = await connection.newStream(protocol)
    const t0 = performance.now()
    let ahead: Promise<Uint8Array> | undefined = readBlock(0)
    for (let sent = 0; ahead !== undefined; ) {
      const block: Uint8Array = await ahead
      const blockAt = sent
      sent += block.length
      ahead = sent < bytes ? readBlock(sent) : undefined
      if (sealer === undefined) {
        await send(stream, block)
        continue
      }
      for (let off = 0; off < block.length; off += SEALED_CHUNK) {
        const i = (blockAt + off) / SEALED_CHUNK
        const { ciphertext, tag } = sealer.sealDetached(i, i === n - 1, block.subarray(off, off + SEALED_CHUNK))
        await send(stream, new Uint8ArrayList(ciphertext, tag))
      }
    }
    await stream.close()
    for await (const _ack of stream) {
      // the sink's one-byte answer
    }
    const dt = performance.now() - t0
    return bytes / 1e6 / (dt / 1000)
  } finally {
    await fh.close()
  }
}

/** Where a process's CPU accounting stood: all its threads, and its main thread. */
export interface CpuMark {
  process: NodeJS.CpuUsage
  main: NodeJS.CpuUsage
}

/** CPU time a process spent, in ms: `processMs` by all its threads (main, libuv pool, V8 helpers; user and system), `mainMs` by its main thread. */
export interface CpuUse {
  processMs: number
  mainMs: number
}

export function cpuMark(): CpuMark {
  return { process: process.cpuUsage(), main: process.threadCpuUsage() }
}

export function cpuSince(mark: CpuMark): CpuUse {
  const p = process.cpuUsage(mark.process)
  const m = process.threadCpuUsage(mark.main)
  return { processMs: (p.user + p.system) / 1000, mainMs: (m.user + m.system) / 1000 }
}

/** `count` pings on `connection`'s peer, in ms. */
export async function pingSamples(node: BareNode, connection: Connection, count: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const t0 = performance.now()
    await node.services.ping.ping(connection.remoteAddr)
    out.push(performance.now() - t0)
  }
  return out
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return 0
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0
}

/** Per-host inbound connections per second and auth attempts per minute the bench nodes allow (repeated setups from one host). */
export const BENCH_INBOUND_THRESHOLD = 1000

/**
 * A Parley stack for the bench on 127.0.0.1: `identity` (listing the peer id
 * of `privateKey`) presenting `credential`, limits raised for repeated
 * setups from one host (NODE_INBOUND_CONNECTION_THRESHOLD per second,
 * AUTH_ATTEMPTS_* per minute would refuse them by design).
 */
export function benchNetwork(opts: { identity: Identity; privateKey: PrivateKey; trust: TrustPolicy; credential: CredentialContainer }): Promise<ParleyNetwork> {
  const { identity, privateKey, trust, credential } = opts
  return createParleyNetwork({
    node: { listen: ['/ip4/127.0.0.1/tcp/0'], privateKey, mdns: false, connectionLimits: { inboundConnectionThreshold: BENCH_INBOUND_THRESHOLD } },
    identity,
    trust,
    presentation: async ({ audience, nonce, now }) =>
      createPresentation({ suite: defaultSuite, holder: { kel: identity.kel, secrets: identity.secrets }, credentials: [credential], audience, nonce, now }),
    deliver: async () => undefined,
    auth: { limits: { attemptsPerPeerPerMinute: BENCH_INBOUND_THRESHOLD, attemptsPerIpPerMinute: BENCH_INBOUND_THRESHOLD } },
  })
}
