/**
 * The baselines of `npm run bench -- network`, measured in the same run as
 * Parley's figures: a raw node:net socket on loopback (the ceiling of the
 * machine), a bare libp2p stream on the same stack Parley runs on (TCP,
 * Noise, Yamux) without the Parley layer, and a bare libp2p ping on an open
 * connection.
 */
import { createServer, connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import type { Connection, Stream } from '@libp2p/interface'

export const BARE_PROTOCOL = '/bench/bare-sink/1.0.0'
const CHUNK = 64 * 1024

/** Raw TCP throughput on loopback: `bytes` written in 64 KiB chunks to a server that counts them. MB/s. */
export async function rawSocketMBps(bytes: number): Promise<number> {
  const server = createServer()
  let received = 0
  const done = new Promise<void>((resolve) => {
    server.on('connection', (s) => {
      s.on('data', (d: Buffer) => {
        received += d.length
        if (received >= bytes) {
          s.end()
          resolve()
        }
      })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  const sock = connect(port, '127.0.0.1')
  await new Promise<void>((r) => sock.once('connect', () => r()))
  const chunk = Buffer.alloc(CHUNK, 7)
  const t0 = performance.now()
  let sent = 0
  while (sent < bytes) {
    const n = Math.min(CHUNK, bytes - sent)
    if (!sock.write(n === CHUNK ? chunk : chunk.subarray(0, n))) await new Promise<void>((r) => sock.once('drain', () => r()))
    sent += n
  }
  await done
  const dt = performance.now() - t0
  sock.destroy()
  await new Promise<void>((r) => server.close(() => r()))
  return bytes / 1e6 / (dt / 1000)
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

/** Writes `bytes` through a fresh stream on `connection` to the sink and waits for its answer. MB/s. */
export async function bareStreamMBps(connection: Connection, bytes: number): Promise<number> {
  const stream = await connection.newStream(BARE_PROTOCOL)
  const chunk = new Uint8Array(CHUNK).fill(7)
  const t0 = performance.now()
  let sent = 0
  while (sent < bytes) {
    const n = Math.min(CHUNK, bytes - sent)
    if (!stream.send(n === CHUNK ? chunk : chunk.subarray(0, n))) await new Promise<void>((r) => stream.addEventListener('drain', () => r(), { once: true }))
    sent += n
  }
  await stream.close()
  for await (const _ack of stream) {
    // the sink's one-byte answer
  }
  const dt = performance.now() - t0
  return bytes / 1e6 / (dt / 1000)
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
