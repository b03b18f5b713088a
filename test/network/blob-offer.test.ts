/**
 * The pure parts of file transfer: the offer and cancel codecs
 * (file-offer.ts), file-name sanitizing, the blob stream's control messages
 * (blob-messages.ts), the sender's record codec and in-memory store
 * (blob-store.ts), and the receiver's progress-file codec (blob-state.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { defaultSuite as suite } from '../../src/crypto/index.js'
import { decode, encode, encodeVersioned } from '../../src/codec/index.js'
import type { CborValue } from '../../src/codec/index.js'
import { isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import {
  chunkCount,
  chunkLength,
  createFileOffer,
  decodeFileCancel,
  decodeFileOffer,
  encodeFileCancel,
  encodeFileOffer,
  sanitizeFileName,
  FILE_OFFER_KIND,
} from '../../src/network/file-offer.js'
import type { FileOffer } from '../../src/network/file-offer.js'
import { decodeBlobMessage, encodeBlobMessage, FRAME_TYPE_CONTROL } from '../../src/network/blob-messages.js'
import type { BlobMessage } from '../../src/network/blob-messages.js'
import { createMemoryTransferStore, decodeOutgoingTransfer, encodeOutgoingTransfer } from '../../src/network/blob-store.js'
import type { OutgoingTransfer } from '../../src/network/blob-store.js'
import { decodeReceiveState, encodeReceiveState } from '../../src/network/blob-state.js'
import { creditWindowChunks } from '../../src/network/blob-types.js'
import { BLOB_CREDIT_WINDOW_BYTES, BLOB_MAX_CHUNK_BYTES, BLOB_MAX_NAME_BYTES, BLOB_MIN_CHUNK_BYTES } from '../../src/constants.js'
import { randomDid } from '../helpers/blob-nodes.js'

const code = (c: ErrorCode) => (err: unknown) => isParleyError(err, c)
const sha = new Uint8Array(32).fill(7)

function offer(over: Partial<FileOffer> = {}): FileOffer {
  return { ...createFileOffer(suite, { name: 'report.pdf', size: 300_000, sha256: sha, chunkSize: 65_536 }), ...over }
}

test('offer: round trip, fresh secrets per offer, strict decoding', () => {
  const o = offer()
  assert.deepEqual(decodeFileOffer(encodeFileOffer(o)), o)
  const p = offer()
  assert.notDeepEqual(p.transferId, o.transferId)
  assert.notDeepEqual(p.fileKey, o.fileKey)
  const body = decode(encodeFileOffer(o)) as { b: Record<string, CborValue> }
  const reencode = (b: Record<string, CborValue>): Uint8Array => encodeVersioned(FILE_OFFER_KIND, 1, b)
  assert.throws(() => decodeFileOffer(reencode({ ...body.b, x: 1 })), code('DECODE_SCHEMA'), 'unknown field')
  assert.throws(() => decodeFileOffer(reencode({ ...body.b, n: '../etc/passwd' })), code('BLOB_OFFER_INVALID'), 'a path as name')
  assert.throws(() => decodeFileOffer(reencode({ ...body.b, c: 512 })), code('BLOB_OFFER_INVALID'), 'chunk too small')
  assert.throws(() => decodeFileOffer(reencode({ ...body.b, c: BLOB_MAX_CHUNK_BYTES + 1 })), code('DECODE_SCHEMA'), 'chunk too large')
  assert.throws(() => decodeFileOffer(reencode({ ...body.b, k: new Uint8Array(16) })), code('DECODE_SCHEMA'), 'short key')
  assert.throws(() => decodeFileOffer(reencode({ ...body.b, s: 2 ** 47 })), code('DECODE_SCHEMA'), 'size over the limit')
  assert.throws(() => decodeFileOffer(encode({ k: FILE_OFFER_KIND, v: 2, b: body.b })), code('DECODE_SCHEMA'), 'unknown version')
  assert.throws(() => createFileOffer(suite, { name: 'a', size: -1, sha256: sha }), code('INVALID_ARGUMENT'))
  assert.throws(() => createFileOffer(suite, { name: 'a', size: 1, sha256: new Uint8Array(31) }), code('INVALID_ARGUMENT'))
})

test('chunk arithmetic: an empty file is one empty chunk; an exact multiple has no empty tail', () => {
  assert.equal(chunkCount(0, 1024), 1)
  assert.equal(chunkLength({ size: 0, chunkSize: 1024 }, 0), 0)
  assert.equal(chunkCount(2048, 1024), 2)
  assert.equal(chunkLength({ size: 2048, chunkSize: 1024 }, 1), 1024)
  assert.equal(chunkCount(2049, 1024), 3)
  assert.equal(chunkLength({ size: 2049, chunkSize: 1024 }, 2), 1)
  assert.equal(creditWindowChunks(BLOB_MAX_CHUNK_BYTES), BLOB_CREDIT_WINDOW_BYTES / BLOB_MAX_CHUNK_BYTES)
  assert.equal(creditWindowChunks(BLOB_MIN_CHUNK_BYTES), BLOB_CREDIT_WINDOW_BYTES / BLOB_MIN_CHUNK_BYTES)
  assert.equal(creditWindowChunks(BLOB_MAX_CHUNK_BYTES, 1), 2, 'never fewer than two in flight')
})

test('file names: no path, no control or bidi characters, bounded, stable', () => {
  assert.equal(sanitizeFileName('../../etc/passwd'), 'passwd')
  assert.equal(sanitizeFileName('C:\\Users\\me\\a.txt'), 'a.txt')
  assert.equal(sanitizeFileName('..'), 'file')
  assert.equal(sanitizeFileName('dir/'), 'file')
  assert.equal(sanitizeFileName('  x  '), 'x')
  assert.equal(sanitizeFileName('a\nb\u202ec:d?.txt'), 'a_b_c_d_.txt')
  assert.equal(sanitizeFileName('\ud800x'), '\ufffdx')
  const long = sanitizeFileName('é'.repeat(300))
  assert.equal(Buffer.byteLength(long), BLOB_MAX_NAME_BYTES - 1, 'cut on a character boundary')
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
      const once = sanitizeFileName(s)
      assert.equal(sanitizeFileName(once), once)
      assert.ok(once.length > 0 && Buffer.byteLength(once) <= BLOB_MAX_NAME_BYTES)
      assert.ok(!/[/\\\u0000-\u001f]/.test(once) && once !== '.' && once !== '..')
    }),
    { numRuns: 300 },
  )
})

test('cancel notice: round trip; unknown reasons refused', () => {
  const c = { transferId: suite.randomBytes(16), reason: 'declined' as const }
  assert.deepEqual(decodeFileCancel(encodeFileCancel(c)), c)
  assert.throws(() => encodeFileCancel({ ...c, reason: 'whatever' as never }), code('INVALID_ARGUMENT'))
  assert.throws(() => decodeFileCancel(encodeVersioned('parley/file-cancel', 1, { i: c.transferId, r: 'whatever' })), code('DECODE_SCHEMA'))
})

test('blob stream messages: round trip of each type; strict decoding', () => {
  const id = suite.randomBytes(16)
  const msgs: BlobMessage[] = [
    { t: 'req', transferId: id, from: 3, credit: 16 },
    { t: 'credit', chunks: 8 },
    { t: 'cancel', reason: 'user' },
    { t: 'cancel', reason: 'shutdown', transferId: id },
    { t: 'error', error: 'hash-mismatch' },
    { t: 'done' },
  ]
  for (const m of msgs) {
    const frame = encodeBlobMessage(m)
    assert.equal(frame[0], FRAME_TYPE_CONTROL)
    assert.deepEqual(decodeBlobMessage(frame), m)
  }
  const raw = (b: Record<string, CborValue>): Uint8Array => Uint8Array.from([FRAME_TYPE_CONTROL, ...encodeVersioned('parley/blob-msg', 1, b)])
  assert.throws(() => decodeBlobMessage(raw({ t: 'nope' })), code('DECODE_SCHEMA'))
  assert.throws(() => decodeBlobMessage(raw({ t: 'done', x: 1 })), code('DECODE_SCHEMA'))
  assert.throws(() => decodeBlobMessage(raw({ t: 'error', e: 'teapot' })), code('DECODE_SCHEMA'))
  assert.throws(() => decodeBlobMessage(raw({ t: 'req', i: id, f: 2 ** 32 + 1, c: 1 })), code('DECODE_SCHEMA'))
  assert.throws(() => decodeBlobMessage(Uint8Array.of(0, 1, 2)), code('BLOB_PROTOCOL_VIOLATION'), 'a chunk frame is not a message')
  assert.throws(() => decodeBlobMessage(Uint8Array.of(FRAME_TYPE_CONTROL, 0xff)), (e) => isParleyError(e) && e.code.startsWith('DECODE_'))
})

test('sender records: codec, and the memory store keeps copies, refuses duplicates, updates state', async () => {
  const o = offer()
  const id = Buffer.from(o.transferId).toString('hex')
  const rec: OutgoingTransfer = { offer: o, recipient: randomDid(), path: '/tmp/report.pdf', mtimeMs: 1_700_000_000_123, state: 'active', createdAt: 5 }
  assert.deepEqual(decodeOutgoingTransfer(encodeOutgoingTransfer(rec)), rec)
  assert.throws(() => encodeOutgoingTransfer({ ...rec, state: 'cancelled' }), code('INVALID_ARGUMENT'), 'cancelled needs a reason')
  assert.throws(() => encodeOutgoingTransfer({ ...rec, recipient: 'did:example:x' }), code('DID_INVALID'))
  assert.throws(() => encodeOutgoingTransfer({ ...rec, path: 'a\nb' }), code('INVALID_ARGUMENT'))
  const store = createMemoryTransferStore()
  await store.put(rec)
  await assert.rejects(store.put(rec), code('STORE_EXISTS'))
  const got = await store.get(id)
  assert.deepEqual(got, rec)
  got!.state = 'completed'
  assert.equal((await store.get(id))?.state, 'active', 'a returned record is a copy')
  await store.update(id, { state: 'cancelled', reason: 'no-space' })
  assert.deepEqual(await store.get(id), { ...rec, state: 'cancelled', reason: 'no-space' })
  await assert.rejects(store.update('00'.repeat(16), { state: 'completed' }), code('STORE_NOT_FOUND'))
  assert.equal((await store.list()).length, 1)
  await store.delete(id)
  await store.delete(id)
  assert.equal(await store.get(id), undefined)
})

test('receiver progress file: codec', () => {
  const s = { transferId: suite.randomBytes(16), offerDigest: suite.randomBytes(32), chunks: 12 }
  assert.deepEqual(decodeReceiveState(encodeReceiveState(s)), s)
  assert.throws(() => decodeReceiveState(encodeVersioned('parley/blob-receive-state', 1, { i: s.transferId, d: s.offerDigest })), code('DECODE_SCHEMA'))
})
