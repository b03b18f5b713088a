/**
 * frames.ts on a pair of in-memory libp2p streams (@libp2p/utils
 * streamPair): `readList` gives a frame as the pieces it arrived in, equal
 * to `read`; the read buffer bound (`maxBufferBytes`) aborts a stream whose
 * peer sends more than it may, and holds what it allows.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { streamPair } from '@libp2p/utils'
import { FRAME_MAX_LENGTH_PREFIX_BYTES } from '../../src/constants.js'
import { isParleyError } from '../../src/errors.js'
import { encodeFrame, frameStream } from '../../src/network/frames.js'

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

test('readList: a frame sent in several writes comes back whole, in the pieces it arrived in; read and readList alternate on one stream', async () => {
  const [a, b] = await streamPair()
  const reader = frameStream(b, { timeoutMs: 5_000 })
  const big = bytes(200_000, 1)
  const framed = encodeFrame(big)
  // the frame in three writes: prefix and a little, most of the body, the rest
  for (const part of [framed.subarray(0, 10), framed.subarray(10, 150_000), framed.subarray(150_000)]) a.send(part)
  const small = bytes(10, 2)
  a.send(encodeFrame(small))
  a.send(encodeFrame(new Uint8Array(0)))
  await a.close()
  const list = await reader.readList()
  assert.ok(list !== undefined)
  assert.equal(list.byteLength, big.length)
  assert.deepEqual(list.subarray(), big)
  assert.deepEqual(await reader.read(), small)
  assert.deepEqual((await reader.readList())?.byteLength, 0)
  assert.equal(await reader.readList(), undefined, 'a clean end between frames')
})

test('maxBufferBytes: a peer may have that much unread, one byte more aborts the stream (the bound is at least one whole frame)', async () => {
  const limit = 64 * 1024
  const frame = encodeFrame(bytes(limit - FRAME_MAX_LENGTH_PREFIX_BYTES, 3))
  // within the bound: delivered once read
  {
    const [a, b] = await streamPair()
    const reader = frameStream(b, { maxBytes: limit - FRAME_MAX_LENGTH_PREFIX_BYTES, timeoutMs: 5_000, maxBufferBytes: limit })
    a.send(frame)
    a.send(new Uint8Array(limit - frame.length))
    await new Promise((r) => setTimeout(r, 50))
    assert.equal((await reader.readList())?.byteLength, limit - FRAME_MAX_LENGTH_PREFIX_BYTES)
  }
  // over it before anything is read: the stream is refused
  {
    const [a, b] = await streamPair()
    const reader = frameStream(b, { maxBytes: limit - FRAME_MAX_LENGTH_PREFIX_BYTES, timeoutMs: 5_000, maxBufferBytes: limit })
    a.send(frame)
    // one byte past the bound: the frame and the start of another
    a.send(new Uint8Array(limit - frame.length + 1))
    await new Promise((r) => setTimeout(r, 50))
    await assert.rejects(reader.readList(), (err: unknown) => isParleyError(err, 'NETWORK_CLOSED'))
  }
})
