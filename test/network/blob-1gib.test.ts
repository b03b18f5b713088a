/**
 * Issue 4's size test: 1 GiB streamed over /parley/blob/1.0.0 between two
 * real nodes on 127.0.0.1 — the sender in a process of its own (as a peer is
 * in real use), the receiver in this one — without holding the file in
 * memory: each process's peak RSS growth, sampled every 10 ms during the
 * transfer, stays under 64 MiB, and the received file hashes to the source's
 * SHA-256, computed here independently of the code under test.
 *
 * The source is a sparse file with a distinct marker every 64 KiB (every
 * chunk differs, so a reordered, repeated or lost chunk changes the hash),
 * written and hashed without ever being in memory. Before the baseline, a
 * 64 MiB warm-up transfer brings the runtime to its working size (V8's young
 * generation, the allocator's arenas, the GC's slack for garbage buffers):
 * what is asserted is that the gigabyte adds less than 64 MiB on top of
 * that. The cold growth (from before the warm-up) and the throughput are
 * reported as diagnostics.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { decodeFileOffer } from '../../src/network/file-offer.js'
import { createBlobNode, createRssSampler, stopAll } from '../helpers/blob-nodes.js'
import type { DidDirectory, SenderReply, SenderRequest } from '../helpers/blob-nodes.js'
import { removeDir, tempDir } from '../helpers/tmp.js'

const GIB = 1024 * 1024 * 1024
const MIB = 1024 * 1024
const MARKER_EVERY = 64 * 1024
const RSS_LIMIT = 64 * MIB
const HELPER = fileURLToPath(new URL('../helpers/blob-nodes.ts', import.meta.url))

function marker(offset: number): Buffer {
  const m = Buffer.alloc(32)
  m.write('parley-1gib-test', 0)
  m.writeDoubleBE(offset, 16)
  m.writeUInt32BE(((offset / MARKER_EVERY) ^ 0x9e3779b9) >>> 0, 24)
  return m
}

/** A sparse file of `size` bytes with a marker every MARKER_EVERY; returns its SHA-256, computed block by block. */
async function makeSource(path: string, size: number): Promise<Buffer> {
  const fh = await open(path, 'w')
  const hash = createHash('sha256')
  const block = Buffer.alloc(MIB)
  try {
    await fh.truncate(size)
    for (let at = 0; at < size; at += block.length) {
      block.fill(0)
      for (let o = 0; o < block.length && at + o < size; o += MARKER_EVERY) {
        const m = marker(at + o).subarray(0, Math.min(32, size - at - o))
        m.copy(block, o)
        await fh.write(m, 0, m.length, at + o)
      }
      hash.update(block.subarray(0, Math.min(block.length, size - at)))
    }
  } finally {
    await fh.close()
  }
  return hash.digest()
}

async function hashFile(path: string): Promise<Buffer> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: MIB })) hash.update(chunk as Buffer)
  return hash.digest()
}

test('1 GiB streamed from a sender process: hash verified, RSS growth under 64 MiB on both sides', { timeout: 300_000 }, async (t) => {
  const dir = await tempDir('parley-blob-1gib-')
  const cold = createRssSampler()
  const child = fork(HELPER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const replies: SenderReply[] = []
  let wake: (() => void) | undefined
  child.on('message', (m: SenderReply) => {
    replies.push(m)
    wake?.()
  })
  const next = async <T extends SenderReply['t']>(type: T): Promise<Extract<SenderReply, { t: T }>> => {
    for (;;) {
      const i = replies.findIndex((r) => r.t === type || r.t === 'error')
      if (i >= 0) {
        const r = replies.splice(i, 1)[0]!
        if (r.t === 'error') throw new Error(`sender process: ${r.message}`)
        return r as Extract<SenderReply, { t: T }>
      }
      await new Promise<void>((resolve) => (wake = resolve))
    }
  }
  const ask = (m: SenderRequest): void => {
    child.send(m)
  }
  t.after(async () => {
    if (child.exitCode === null) child.kill()
    cold.stop()
    await removeDir(dir)
  })

  const ready = await next('ready')
  const directory: DidDirectory = new Map([[ready.peerId, ready.did]])
  const receiver = await createBlobNode(directory)
  t.after(() => stopAll([receiver]))
  const sender = peerIdFromString(ready.peerId)
  ask({ t: 'peer', peerId: receiver.node.peerId.toString(), did: receiver.did })
  await receiver.node.peerStore.patch(sender, { multiaddrs: ready.addrs.map((a) => multiaddr(a)) })

  const fetch = async (size: number, name: string): Promise<{ ms: number; expected: Buffer; dest: string; sha256: Uint8Array }> => {
    const src = join(dir, `${name}.src`)
    const expected = await makeSource(src, size)
    ask({ t: 'offer', to: receiver.did, path: src, chunkSize: 128 * 1024 })
    const offer = decodeFileOffer(Buffer.from((await next('offer')).offer, 'base64'))
    assert.deepEqual(Buffer.from(offer.sha256), expected, 'the sender hashed the same content')
    const dest = join(dir, `${name}.dest`)
    const start = performance.now()
    const result = await receiver.blobs.receive(offer, sender, dest, { sender: ready.did }).wait()
    return { ms: performance.now() - start, expected, dest, sha256: result.sha256 }
  }

  // warm-up, then the measured gigabyte
  const warm = await fetch(64 * MIB, 'warm')
  assert.deepEqual(Buffer.from(warm.sha256), warm.expected)
  await rm(warm.dest)
  await rm(join(dir, 'warm.src'))

  const sampler = createRssSampler()
  t.after(() => sampler.stop())
  // the sender resets its own baseline when it has hashed the file and made the offer
  const big = await (async () => {
    const src = join(dir, 'big.src')
    const expected = await makeSource(src, GIB)
    ask({ t: 'offer', to: receiver.did, path: src, chunkSize: 128 * 1024 })
    const offer = decodeFileOffer(Buffer.from((await next('offer')).offer, 'base64'))
    sampler.reset()
    const start = performance.now()
    const result = await receiver.blobs.receive(offer, sender, join(dir, 'big.dest'), { sender: ready.did }).wait()
    return { ms: performance.now() - start, expected, sha256: result.sha256 }
  })()
  const receiverGrowth = sampler.peakGrowth()
  sampler.stop()
  ask({ t: 'stop' })
  const senderGrowth = (await next('mem')).peakGrowth

  assert.deepEqual(Buffer.from(big.sha256), big.expected, 'the receiver verified the offered SHA-256')
  assert.deepEqual(await hashFile(join(dir, 'big.dest')), big.expected, 'the file on disk hashes to the source')
  const mbs = GIB / 1e6 / (big.ms / 1000)
  t.diagnostic(`1 GiB in ${(big.ms / 1000).toFixed(1)} s: ${mbs.toFixed(1)} MB/s`)
  t.diagnostic(`peak RSS growth: receiver ${(receiverGrowth / MIB).toFixed(1)} MiB, sender ${(senderGrowth / MIB).toFixed(1)} MiB (receiver cold, from before the warm-up: ${(cold.peakGrowth() / MIB).toFixed(1)} MiB)`)
  assert.ok(receiverGrowth < RSS_LIMIT, `receiver RSS grew ${(receiverGrowth / MIB).toFixed(1)} MiB`)
  assert.ok(senderGrowth < RSS_LIMIT, `sender RSS grew ${(senderGrowth / MIB).toFixed(1)} MiB`)
})
