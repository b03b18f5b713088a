/**
 * /parley/blob/1.0.0 between real libp2p nodes on 127.0.0.1 (TCP, Noise,
 * Yamux) with a test gate that maps peer ids to DIDs: whole files of several
 * shapes, resume after a dropped connection and after a restart of either
 * service (both verified by hash), cancel from each side, many transfers in
 * both directions at once, refusals (another recipient, an unauthenticated
 * peer, a changed source, a wrong hash, an existing destination, the
 * concurrency limit).
 */
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import type { BlobLimits, Transfer } from '../../src/network/blob.js'
import { partPath, statePath } from '../../src/network/blob-state.js'
import { transferIdHex } from '../../src/network/file-offer.js'
import type { FileOffer } from '../../src/network/file-offer.js'
import { exists } from '../../src/storage/files.js'
import { defaultSuite as suite } from '../../src/crypto/index.js'
import { BLOB_PROTOCOL } from '../../src/network/blob.js'
import { decodeBlobMessage, encodeBlobMessage, FRAME_TYPE_CHUNK } from '../../src/network/blob-messages.js'
import type { BlobMessage } from '../../src/network/blob-messages.js'
import { createFileOffer } from '../../src/network/file-offer.js'
import { frameStream } from '../../src/network/frames.js'
import { createStreamSealer } from '../../src/network/stream-seal.js'
import { connect, createBlobNode, stopAll } from '../helpers/blob-nodes.js'
import type { BlobNode, DidDirectory } from '../helpers/blob-nodes.js'
import { removeDir, tempDir } from '../helpers/tmp.js'

const CHUNK = 16 * 1024
/** Small windows and frequent syncs, so a transfer can be interrupted half-way and resumes from a recorded chunk. */
const LIMITS: Partial<BlobLimits> = { creditWindowBytes: 4 * CHUNK, syncIntervalBytes: 4 * CHUNK, progressIntervalMs: 0, idleTimeoutMs: 5_000 }

const code = (c: ErrorCode) => (err: unknown) => isParleyError(err, c)

interface World {
  dir: string
  directory: DidDirectory
  a: BlobNode
  b: BlobNode
}

async function world(t: TestContext, limits: Partial<BlobLimits> = LIMITS): Promise<World> {
  const dir = await tempDir('parley-blob-')
  const directory: DidDirectory = new Map()
  const a = await createBlobNode(directory, { limits })
  const b = await createBlobNode(directory, { limits })
  await connect(b, a)
  await connect(a, b)
  t.after(async () => {
    await stopAll([a, b])
    await removeDir(dir)
  })
  return { dir, directory, a, b }
}

async function makeFile(dir: string, name: string, size: number): Promise<{ path: string; data: Buffer; sha256: Buffer }> {
  const path = join(dir, name)
  const data = randomBytes(size)
  await writeFile(path, data)
  return { path, data, sha256: createHash('sha256').update(data).digest() }
}

async function assertReceived(path: string, data: Buffer): Promise<void> {
  const got = await readFile(path)
  assert.equal(got.length, data.length)
  assert.ok(got.equals(data), 'content equals the source')
  assert.equal(await exists(partPath(path)), false, 'no .part left')
  assert.equal(await exists(statePath(path)), false, 'no progress file left')
}

/** Resolves the first time `transfer` reports at least `bytes` verified. */
function whenProgress(transfer: Transfer, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    const off = transfer.on('progress', (p) => {
      if (p.bytes >= bytes) {
        off()
        resolve()
      }
    })
  })
}

test('whole files: small, empty, an exact multiple of the chunk size; events; a finished transfer is not served again', async (t) => {
  const { dir, a, b } = await world(t)
  for (const [name, size] of [['small.txt', 1000], ['empty', 0], ['exact.bin', 8 * CHUNK], ['odd.bin', 8 * CHUNK + 1]] as const) {
    const src = await makeFile(dir, name, size)
    const offer = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
    assert.equal(offer.size, size)
    assert.deepEqual(Buffer.from(offer.sha256), src.sha256)
    const uploadDone = new Promise((resolve) => a.blobs.on('upload-done', (e) => e.transferId === transferIdHex(offer.transferId) && resolve(e)))
    const dest = join(dir, `got-${name}`)
    const transfer = b.blobs.receive(offer, a.node.peerId, dest, { sender: a.did })
    const progress: number[] = []
    transfer.on('progress', (p) => progress.push(p.bytes))
    const result = await transfer.wait()
    assert.equal(transfer.state, 'done')
    assert.deepEqual(Buffer.from(result.sha256), src.sha256)
    assert.equal(progress.at(-1), size, 'the last progress event reports the whole file')
    await assertReceived(dest, src.data)
    assert.deepEqual(await uploadDone, { transferId: transferIdHex(offer.transferId), to: b.did })
    assert.equal((await a.blobs.store.get(transferIdHex(offer.transferId)))?.state, 'completed')
    // completed: served no more
    const again = b.blobs.receive(offer, a.node.peerId, join(dir, `again-${name}`))
    await assert.rejects(again.wait(), code('BLOB_NOT_FOUND'))
  }
})

test('resume after the connection drops mid-transfer, from the last verified chunk, verified by hash', async (t) => {
  const { dir, a, b } = await world(t)
  const size = 160 * CHUNK + 123
  const src = await makeFile(dir, 'big.bin', size)
  const offer = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
  const dest = join(dir, 'got.bin')
  const transfer = b.blobs.receive(offer, a.node.peerId, dest)
  const starts: number[] = []
  transfer.on('start', (s) => starts.push(s.fromBytes))
  const errors: string[] = []
  transfer.on('error', (e) => errors.push(e.code))
  await whenProgress(transfer, size / 3)
  for (const conn of b.node.getConnections(a.node.peerId)) conn.abort(new Error('test: cable pulled'))
  await assert.rejects(transfer.wait(), code('NETWORK_CLOSED'))
  assert.equal(transfer.state, 'failed')
  assert.deepEqual(errors, ['NETWORK_CLOSED'])
  const kept = transfer.bytes
  assert.ok(kept >= size / 3 && kept < size, `kept ${kept} verified bytes`)
  assert.equal(await exists(partPath(dest)), true, 'the partial file is kept')
  transfer.resume() // redials by peer id
  const result = await transfer.wait()
  assert.equal(starts.length, 2)
  assert.equal(starts[0], 0)
  assert.ok(starts[1]! > 0 && starts[1]! <= kept, `resumed from ${starts[1]} (verified ${kept})`)
  assert.deepEqual(Buffer.from(result.sha256), src.sha256)
  await assertReceived(dest, src.data)
})

test('resume after the receiving service restarts (a new service reads the progress file), verified by hash', async (t) => {
  const { dir, a, b } = await world(t)
  const size = 160 * CHUNK
  const src = await makeFile(dir, 'big.bin', size)
  const offer = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
  const dest = join(dir, 'got.bin')
  const first = b.blobs.receive(offer, a.node.peerId, dest)
  await whenProgress(first, size / 3)
  const restarted = b.restart() // stop: the running transfer ends, its verified chunks are recorded
  await assert.rejects(first.wait(), code('NETWORK_CLOSED'))
  await restarted
  assert.equal(await exists(statePath(dest)), true, 'the progress file is kept for the next process')
  first.resume()
  await assert.rejects(first.wait(), code('NETWORK_CLOSED'), 'a transfer of a stopped service does not run again')
  const second = b.blobs.receive(offer, a.node.peerId, dest)
  const start = await new Promise<number>((resolve) => second.on('start', (s) => resolve(s.fromBytes)))
  assert.ok(start > 0 && start < size, `resumed from ${start}`)
  const result = await second.wait()
  assert.deepEqual(Buffer.from(result.sha256), src.sha256)
  await assertReceived(dest, src.data)
})

test('resume after the sending service restarts with the same store', async (t) => {
  const { dir, a, b } = await world(t)
  const size = 160 * CHUNK
  const src = await makeFile(dir, 'big.bin', size)
  const offer = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
  const dest = join(dir, 'got.bin')
  const transfer = b.blobs.receive(offer, a.node.peerId, dest)
  await whenProgress(transfer, size / 3)
  await a.restart()
  await assert.rejects(transfer.wait(), (e) => isParleyError(e) && ['NETWORK_CLOSED', 'NETWORK_TIMEOUT'].includes(e.code))
  transfer.resume()
  const result = await transfer.wait()
  assert.deepEqual(Buffer.from(result.sha256), src.sha256)
  await assertReceived(dest, src.data)
})

test('the receiver cancels: the sender is told the reason and stops serving; partial files are removed', async (t) => {
  const { dir, a, b } = await world(t)
  const src = await makeFile(dir, 'big.bin', 160 * CHUNK)
  const offer = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
  const told = new Promise<unknown>((resolve) => a.blobs.on('upload-cancelled', resolve))
  const dest = join(dir, 'got.bin')
  const transfer = b.blobs.receive(offer, a.node.peerId, dest)
  const cancelled = new Promise<unknown>((resolve) => transfer.on('cancelled', resolve))
  await whenProgress(transfer, 10 * CHUNK)
  await transfer.cancel('declined')
  await assert.rejects(transfer.wait(), code('BLOB_CANCELLED'))
  assert.equal(transfer.state, 'cancelled')
  assert.deepEqual(await cancelled, { transferId: transferIdHex(offer.transferId), by: 'local', reason: 'declined' })
  assert.deepEqual(await told, { transferId: transferIdHex(offer.transferId), to: b.did, by: 'peer', reason: 'declined' })
  const record = await a.blobs.store.get(transferIdHex(offer.transferId))
  assert.equal(record?.state, 'cancelled')
  assert.equal(record?.reason, 'declined')
  for (const p of [dest, partPath(dest), statePath(dest)]) assert.equal(await exists(p), false, p)
  await assert.rejects(b.blobs.receive(offer, a.node.peerId, dest).wait(), code('BLOB_CANCELLED'))
})

test('a receiver that cancels while not connected still tells the sender (a cancel notice stream)', async (t) => {
  const { dir, a, b } = await world(t)
  const src = await makeFile(dir, 'big.bin', 160 * CHUNK)
  const offer = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
  const dest = join(dir, 'got.bin')
  const transfer = b.blobs.receive(offer, a.node.peerId, dest)
  await whenProgress(transfer, 10 * CHUNK)
  for (const conn of b.node.getConnections(a.node.peerId)) conn.abort(new Error('test: cable pulled'))
  await assert.rejects(transfer.wait(), code('NETWORK_CLOSED'))
  const told = new Promise<unknown>((resolve) => a.blobs.on('upload-cancelled', resolve))
  await b.blobs.cancel(offer.transferId, 'no-space')
  assert.deepEqual(await told, { transferId: transferIdHex(offer.transferId), to: b.did, by: 'peer', reason: 'no-space' })
  assert.equal((await a.blobs.store.get(transferIdHex(offer.transferId)))?.state, 'cancelled')
  assert.equal(await exists(partPath(dest)), false)
})

test('the sender cancels: the receiver gets BLOB_CANCELLED with the reason; partial files are removed', async (t) => {
  const { dir, a, b } = await world(t)
  const src = await makeFile(dir, 'big.bin', 160 * CHUNK)
  const offer = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
  const dest = join(dir, 'got.bin')
  const transfer = b.blobs.receive(offer, a.node.peerId, dest)
  const cancelled = new Promise<unknown>((resolve) => transfer.on('cancelled', resolve))
  await whenProgress(transfer, 10 * CHUNK)
  await a.blobs.cancel(offer.transferId, 'source-changed')
  await assert.rejects(transfer.wait(), code('BLOB_CANCELLED'))
  assert.deepEqual(await cancelled, { transferId: transferIdHex(offer.transferId), by: 'peer', reason: 'source-changed' })
  for (const p of [dest, partPath(dest), statePath(dest)]) assert.equal(await exists(p), false, p)
  await assert.rejects(a.blobs.cancel(Buffer.alloc(16).toString('hex')), code('BLOB_NOT_FOUND'))
})

test('several transfers at once in both directions', async (t) => {
  const { dir, a, b } = await world(t, { progressIntervalMs: 0, idleTimeoutMs: 10_000 })
  const jobs: Array<Promise<void>> = []
  for (const [from, to] of [[a, b], [b, a]] as const) {
    for (let i = 0; i < 3; i++) {
      const src = await makeFile(dir, `${from.did.slice(-6)}-${i}.bin`, 200_000 + i * 77_777)
      const offer = await from.blobs.offer(to.did, src.path, { chunkSize: CHUNK })
      const dest = join(dir, `at-${to.did.slice(-6)}-${i}.bin`)
      jobs.push(
        to.blobs
          .receive(offer, from.node.peerId, dest)
          .wait()
          .then(() => assertReceived(dest, src.data)),
      )
    }
  }
  await Promise.all(jobs)
})

test('only the offer\'s recipient is served; an unauthenticated peer is refused; the offer stays valid', async (t) => {
  const { dir, directory, a, b } = await world(t)
  const c = await createBlobNode(directory, { limits: LIMITS })
  const d = await createBlobNode(directory, { limits: LIMITS, register: false })
  t.after(() => stopAll([c, d]))
  await connect(c, a)
  await connect(d, a)
  const src = await makeFile(dir, 'secret.bin', 50_000)
  const offer = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
  await assert.rejects(c.blobs.receive(offer, a.node.peerId, join(dir, 'c.bin')).wait(), code('BLOB_NOT_FOUND'))
  await assert.rejects(d.blobs.receive(offer, a.node.peerId, join(dir, 'd.bin')).wait(), (e) => isParleyError(e) && ['NETWORK_CLOSED', 'PEER_NOT_AUTHENTICATED'].includes(e.code))
  assert.equal(await exists(join(dir, 'c.bin')), false)
  // a sender other than the one the offer names is refused by the receiver
  await assert.rejects(b.blobs.receive(offer, a.node.peerId, join(dir, 'x.bin'), { sender: c.did }).wait(), code('PEER_NOT_AUTHENTICATED'))
  const dest = join(dir, 'b.bin')
  await b.blobs.receive(offer, a.node.peerId, dest).wait()
  await assertReceived(dest, src.data)
})

test('refusals: a changed source, a wrong hash, an existing destination, a destination already in use', async (t) => {
  const { dir, a, b } = await world(t)
  // the source changed after the offer
  const changed = await makeFile(dir, 'changed.bin', 40_000)
  const offer1 = await a.blobs.offer(b.did, changed.path, { chunkSize: CHUNK })
  await appendFile(changed.path, 'more')
  await assert.rejects(b.blobs.receive(offer1, a.node.peerId, join(dir, 'c1.bin')).wait(), code('BLOB_SOURCE_CHANGED'))

  // every chunk authentic, but not the announced file: BLOB_HASH_MISMATCH, nothing kept
  const src = await makeFile(dir, 'src.bin', 40_000)
  const offer2 = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
  const wrong: FileOffer = { ...offer2, sha256: new Uint8Array(32).fill(1) }
  const dest2 = join(dir, 'c2.bin')
  await assert.rejects(b.blobs.receive(wrong, a.node.peerId, dest2).wait(), code('BLOB_HASH_MISMATCH'))
  for (const p of [dest2, partPath(dest2), statePath(dest2)]) assert.equal(await exists(p), false, p)
  assert.equal((await a.blobs.store.get(transferIdHex(offer2.transferId)))?.state, 'active', 'the sender did not count it as delivered')

  // the destination exists
  const dest3 = join(dir, 'exists.bin')
  await writeFile(dest3, 'mine')
  await assert.rejects(b.blobs.receive(offer2, a.node.peerId, dest3).wait(), code('BLOB_DEST_EXISTS'))
  assert.equal(await readFile(dest3, 'utf8'), 'mine')
  assert.throws(() => {
    b.blobs.receive(offer2, a.node.peerId, join(dir, 'ok.bin'))
    b.blobs.receive(offer2, a.node.peerId, join(dir, 'ok.bin'))
  }, code('BLOB_DEST_EXISTS'))
  await b.blobs.cancel(offer2.transferId)
})

test('the concurrency limit: one more receive than allowed fails with LIMIT_EXCEEDED and resumes later', async (t) => {
  const { dir, a, b } = await world(t, { ...LIMITS, maxConcurrent: 1 })
  const s1 = await makeFile(dir, 's1.bin', 120 * CHUNK)
  const s2 = await makeFile(dir, 's2.bin', 10_000)
  const o1 = await a.blobs.offer(b.did, s1.path, { chunkSize: CHUNK })
  const o2 = await a.blobs.offer(b.did, s2.path, { chunkSize: CHUNK })
  const t1 = b.blobs.receive(o1, a.node.peerId, join(dir, 'r1.bin'))
  const t2 = b.blobs.receive(o2, a.node.peerId, join(dir, 'r2.bin'))
  await assert.rejects(t2.wait(), code('LIMIT_EXCEEDED'))
  await t1.wait()
  t2.resume()
  await t2.wait()
  await assertReceived(join(dir, 'r1.bin'), s1.data)
  await assertReceived(join(dir, 'r2.bin'), s2.data)
})

test('the sender refuses requests that break the protocol, each with a typed reason', async (t) => {
  const { dir, a, b } = await world(t)
  const src = await makeFile(dir, 'src.bin', 10 * CHUNK)
  const offer = await a.blobs.offer(b.did, src.path, { chunkSize: CHUNK })
  const conn = b.node.getConnections(a.node.peerId)[0]!
  /** Sends `first` (a message or raw bytes) on a fresh stream and returns the first control message that comes back. */
  const ask = async (first: BlobMessage | Uint8Array, then?: BlobMessage): Promise<BlobMessage> => {
    const fs = frameStream(await conn.newStream(BLOB_PROTOCOL), { maxBytes: 1 + CHUNK + 16 })
    await fs.write(first instanceof Uint8Array ? first : encodeBlobMessage(first))
    if (then !== undefined) await fs.write(encodeBlobMessage(then))
    for (;;) {
      const frame = await fs.read()
      assert.ok(frame !== undefined, 'the sender answered before closing')
      if (frame[0] !== FRAME_TYPE_CHUNK) return decodeBlobMessage(frame)
    }
  }
  const id = offer.transferId
  assert.deepEqual(await ask({ t: 'req', transferId: id, from: 0, credit: 1000 }), { t: 'error', error: 'protocol' }, 'credit beyond the window')
  assert.deepEqual(await ask({ t: 'req', transferId: id, from: 10, credit: 1 }), { t: 'error', error: 'protocol' }, 'from past the last chunk')
  assert.deepEqual(await ask({ t: 'credit', chunks: 1 }), { t: 'error', error: 'protocol' }, 'no request first')
  assert.deepEqual(await ask(Uint8Array.of(1, 0xff, 0x00)), { t: 'error', error: 'protocol' }, 'garbage')
  assert.deepEqual(await ask({ t: 'req', transferId: suite.randomBytes(16), from: 0, credit: 1 }), { t: 'error', error: 'not-found' })
  assert.deepEqual(await ask({ t: 'req', transferId: id, from: 0, credit: 1 }, { t: 'credit', chunks: 1000 }), { t: 'error', error: 'protocol' }, 'a later grant beyond the window')
  // the offer is still good for an honest receiver
  const dest = join(dir, 'got.bin')
  await b.blobs.receive(offer, a.node.peerId, dest).wait()
  await assertReceived(dest, src.data)
})

test('a tampered chunk from the sender ends the attempt with DECRYPT_FAILED; what was verified is kept and the resume completes', async (t) => {
  const { dir, directory, b } = await world(t)
  const e = await createBlobNode(directory, { limits: LIMITS })
  t.after(() => stopAll([e]))
  await connect(b, e)
  await e.blobs.stop() // e serves by hand: chunk 2 tampered on the first stream only
  const data = randomBytes(6 * CHUNK)
  const offer = createFileOffer(suite, { name: 'x.bin', size: data.length, sha256: createHash('sha256').update(data).digest(), chunkSize: CHUNK })
  const sealer = createStreamSealer(suite, offer)
  const requests: number[] = []
  await e.node.handle(BLOB_PROTOCOL, async (stream) => {
    const fs = frameStream(stream, { maxBytes: 2 * CHUNK })
    const req = decodeBlobMessage((await fs.read())!)
    assert.equal(req.t, 'req')
    if (req.t !== 'req') return
    requests.push(req.from)
    for (let i = req.from; i < 6; i++) {
      const sealed = sealer.seal(i, i === 5, data.subarray(i * CHUNK, (i + 1) * CHUNK))
      if (requests.length === 1 && i === 2) sealed[0]! ^= 1
      await fs.write(Uint8Array.from([FRAME_TYPE_CHUNK, ...sealed]))
    }
    await fs.read({ timeoutMs: 2_000 }).catch(() => undefined)
    await stream.close().catch(() => undefined)
  }, { force: true })
  const dest = join(dir, 'x.bin')
  const transfer = b.blobs.receive(offer, e.node.peerId, dest)
  await assert.rejects(transfer.wait(), code('DECRYPT_FAILED'))
  assert.equal(transfer.bytes, 2 * CHUNK, 'the two authentic chunks before it count')
  transfer.resume()
  await transfer.wait()
  assert.deepEqual(requests, [0, 2])
  await assertReceived(dest, data)
})
