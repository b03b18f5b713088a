/**
 * STREAM (src/network/stream-seal.ts): frozen known-answer vectors, checked
 * against node:crypto AES-256-GCM with the nonce and associated data built
 * here from the spec (so the vectors do not just restate the code), the same
 * on the portable backend; and every refusal the construction promises:
 * tampering, reordering, truncation, extension, a wrong key, transfer id or
 * nonce prefix — each with the one opaque DECRYPT_FAILED, and a refused chunk
 * leaves the opener where it was.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createCipheriv } from 'node:crypto'
import fc from 'fast-check'
import { defaultSuite, portableSuite } from '../../src/crypto/index.js'
import { fromHex, toHex } from '../../src/codec/index.js'
import { isParleyError } from '../../src/errors.js'
import { createStreamOpener, createStreamSealer, streamAssociatedData, streamNonce } from '../../src/network/stream-seal.js'
import type { StreamParams } from '../../src/network/stream-seal.js'

const params: StreamParams = {
  fileKey: Uint8Array.from({ length: 32 }, (_, i) => i),
  noncePrefix: Uint8Array.from({ length: 7 }, (_, i) => 0xa0 + i),
  transferId: Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i),
}
const enc = new TextEncoder()

/** Frozen: chunk index, last flag, plaintext, sealed (ciphertext ‖ tag). */
const VECTORS: Array<{ index: number; last: boolean; plaintext: Uint8Array; sealed: string }> = [
  { index: 0, last: false, plaintext: enc.encode('Parley STREAM chunk 0'), sealed: '5ab06ec5f32d656e387181c1d4203503a7af24654bad9377ba7d591de53f952ce419e3780f' },
  { index: 1, last: false, plaintext: enc.encode('chunk 1'), sealed: '328a62a9e61cc70d3e129996453896f9bdc29c8300d0e6' },
  { index: 2, last: true, plaintext: new Uint8Array(0), sealed: 'f17f1edcad5b97865fb8b36374f869c9' },
  { index: 0x01020304, last: true, plaintext: enc.encode('last'), sealed: 'a39a5c6f9c7ac921c9fa0d2bc11a9eb130d5ab9e' },
]

const decryptFailed = (err: unknown): boolean => isParleyError(err, 'DECRYPT_FAILED')

/** AES-256-GCM straight from node:crypto, nonce and AD written out from the spec. */
function referenceSeal(index: number, last: boolean, plaintext: Uint8Array): string {
  const nonce = Buffer.alloc(12)
  Buffer.from(params.noncePrefix).copy(nonce, 0)
  nonce.writeUInt32BE(index, 7)
  nonce[11] = last ? 1 : 0
  const label = Buffer.from('parley/v1/blob-chunk')
  const index32 = Buffer.alloc(4)
  index32.writeUInt32BE(index)
  const aad = Buffer.concat([Buffer.from([0, label.length]), label, params.transferId, index32])
  const c = createCipheriv('aes-256-gcm', params.fileKey, nonce)
  c.setAAD(aad)
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]).toString('hex')
}

test('known-answer vectors: frozen, equal to a reference AES-256-GCM built from the spec, on both backends', () => {
  for (const suite of [defaultSuite, portableSuite]) {
    const sealer = createStreamSealer(suite, params)
    for (const v of VECTORS) {
      assert.equal(toHex(sealer.seal(v.index, v.last, v.plaintext)), v.sealed, `${suite.backend.name} chunk ${v.index}`)
      assert.equal(referenceSeal(v.index, v.last, v.plaintext), v.sealed, `reference chunk ${v.index}`)
    }
    const opener = createStreamOpener(suite, params)
    for (const v of VECTORS.slice(0, 3)) assert.deepEqual(opener.open(fromHex(v.sealed), v.last), v.plaintext)
    opener.finish()
    const far = VECTORS[3]!
    assert.deepEqual(createStreamOpener(suite, params, far.index).open(fromHex(far.sealed), true), far.plaintext)
  }
})

test('nonce and associated data layout', () => {
  assert.equal(toHex(streamNonce(params.noncePrefix, 0x01020304, true)), 'a0a1a2a3a4a5a60102030401')
  assert.equal(toHex(streamNonce(params.noncePrefix, 5, false)), 'a0a1a2a3a4a5a60000000500')
  const ad = streamAssociatedData(params.transferId, 7)
  assert.equal(toHex(ad[0]!), '0014' + Buffer.from('parley/v1/blob-chunk').toString('hex'))
  assert.deepEqual(ad[1], params.transferId)
  assert.equal(toHex(ad[2]!), '00000007')
})

function sealAll(chunks: Uint8Array[], p: StreamParams = params): Uint8Array[] {
  const sealer = createStreamSealer(defaultSuite, p)
  return chunks.map((c, i) => sealer.seal(i, i === chunks.length - 1, c))
}

const three = [enc.encode('one'), enc.encode('two'), enc.encode('three')]

test('tampering with any byte of a chunk is refused, and the opener stays where it was', () => {
  const sealed = sealAll(three)
  const first = sealed[0]!
  for (let i = 0; i < first.length; i++) {
    const bad = Uint8Array.from(first)
    bad[i]! ^= 0x01
    const opener = createStreamOpener(defaultSuite, params)
    assert.throws(() => opener.open(bad, false), decryptFailed)
    assert.equal(opener.next, 0)
    assert.deepEqual(opener.open(first, false), three[0])
  }
  assert.throws(() => createStreamOpener(defaultSuite, params).open(first.subarray(0, 15), false), decryptFailed)
})

test('reordering is refused: a chunk only opens at its own position', () => {
  const sealed = sealAll(three)
  const opener = createStreamOpener(defaultSuite, params)
  assert.throws(() => opener.open(sealed[1]!, false), decryptFailed)
  assert.deepEqual(opener.open(sealed[0]!, false), three[0])
  assert.throws(() => opener.open(sealed[0]!, false), decryptFailed, 'a replayed chunk')
  assert.throws(() => opener.open(sealed[2]!, false), decryptFailed, 'a skipped chunk')
})

test('truncation is refused: finish() before the last chunk, or a middle chunk passed off as the last', () => {
  const sealed = sealAll(three)
  const opener = createStreamOpener(defaultSuite, params)
  opener.open(sealed[0]!, false)
  opener.open(sealed[1]!, false)
  assert.throws(() => opener.finish(), decryptFailed)
  assert.throws(() => opener.open(sealed[2]!, false), decryptFailed, 'the last chunk taken as a middle one')
  const cut = createStreamOpener(defaultSuite, params)
  cut.open(sealed[0]!, false)
  assert.throws(() => cut.open(sealed[1]!, true), decryptFailed, 'a middle chunk taken as the last one')
  assert.equal(cut.finished, false)
})

test('extension is refused: nothing opens after the last chunk', () => {
  const sealed = sealAll(three)
  const opener = createStreamOpener(defaultSuite, params)
  for (let i = 0; i < 3; i++) opener.open(sealed[i]!, i === 2)
  opener.finish()
  const more = createStreamSealer(defaultSuite, params).seal(3, true, enc.encode('more'))
  assert.throws(() => opener.open(more, true), decryptFailed)
  assert.throws(() => opener.open(more, false), decryptFailed)
})

test('a wrong key, transfer id or nonce prefix is refused', () => {
  const sealed = sealAll(three)
  const wrong: StreamParams[] = [
    { ...params, fileKey: Uint8Array.from(params.fileKey, (b, i) => (i === 0 ? b ^ 1 : b)) },
    { ...params, transferId: Uint8Array.from(params.transferId, (b, i) => (i === 15 ? b ^ 1 : b)) },
    { ...params, noncePrefix: Uint8Array.from(params.noncePrefix, (b, i) => (i === 6 ? b ^ 1 : b)) },
  ]
  for (const p of wrong) assert.throws(() => createStreamOpener(defaultSuite, p).open(sealed[0]!, false), decryptFailed)
})

test('misuse: wrong sizes and indexes are typed errors', () => {
  assert.throws(() => createStreamSealer(defaultSuite, { ...params, fileKey: new Uint8Array(16) }), (e) => isParleyError(e, 'KEY_INVALID'))
  assert.throws(() => createStreamSealer(defaultSuite, { ...params, noncePrefix: new Uint8Array(8) }), (e) => isParleyError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => createStreamOpener(defaultSuite, { ...params, transferId: new Uint8Array(15) }), (e) => isParleyError(e, 'INVALID_ARGUMENT'))
  const sealer = createStreamSealer(defaultSuite, params)
  for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) {
    assert.throws(() => sealer.seal(bad, false, new Uint8Array(1)), (e) => isParleyError(e, 'INVALID_ARGUMENT'), String(bad))
  }
  assert.throws(() => createStreamOpener(defaultSuite, params, 2 ** 32), (e) => isParleyError(e, 'INVALID_ARGUMENT'))
})

test('property: a sealed stream opens in order; any reordering, drop or truncation is refused', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 8 }),
      fc.nat(),
      fc.nat(),
      (chunks, a, b) => {
        const sealed = sealAll(chunks)
        const n = chunks.length
        const ok = createStreamOpener(defaultSuite, params)
        chunks.forEach((c, i) => assert.deepEqual(ok.open(sealed[i]!, i === n - 1), c))
        ok.finish()
        // swap two different positions: the first of them no longer opens
        const i = a % n
        const j = b % n
        if (i !== j) {
          const swapped = [...sealed]
          ;[swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!]
          const opener = createStreamOpener(defaultSuite, params)
          const first = Math.min(i, j)
          for (let k = 0; k < first; k++) opener.open(swapped[k]!, k === n - 1)
          assert.throws(() => opener.open(swapped[first]!, first === n - 1), decryptFailed)
        }
        // drop chunk i: the next one no longer opens, or the stream never finishes
        const dropped = sealed.filter((_, k) => k !== i)
        const opener = createStreamOpener(defaultSuite, params)
        let refused = false
        try {
          dropped.forEach((s, k) => opener.open(s, k === dropped.length - 1))
          opener.finish()
        } catch (err) {
          assert.ok(decryptFailed(err))
          refused = true
        }
        assert.ok(refused)
      },
    ),
    { numRuns: 200 },
  )
})

test('detached: sealDetached is seal cut at the tag; openDetached opens any cut of a chunk, keeps STREAM order, and a refused chunk leaves the opener where it was', () => {
  for (const suite of [defaultSuite, portableSuite]) {
    const sealer = createStreamSealer(suite, params)
    const chunks = [enc.encode('first chunk of the file'), enc.encode('second'), enc.encode('last one')]
    const sealed = chunks.map((c, i) => sealer.seal(i, i === chunks.length - 1, c))
    chunks.forEach((c, i) => {
      const { ciphertext, tag } = sealer.sealDetached(i, i === chunks.length - 1, c)
      assert.equal(toHex(ciphertext) + toHex(tag), toHex(sealed[i]!))
    })
    const opener = createStreamOpener(suite, params)
    const pieces = (s: Uint8Array): Uint8Array[] => [s.subarray(0, 3), s.subarray(3, s.length - 16)]
    // chunk 1 offered first: refused, and chunk 0 still opens after it
    assert.throws(() => opener.openDetached(pieces(sealed[1]!), sealed[1]!.subarray(-16), false), decryptFailed)
    chunks.forEach((c, i) => {
      const s = sealed[i]!
      const out = opener.openDetached(pieces(s), s.subarray(s.length - 16), i === chunks.length - 1)
      assert.equal(toHex(Uint8Array.from(out.flatMap((p) => [...p]))), toHex(c))
    })
    opener.finish()
    assert.throws(() => opener.openDetached(pieces(sealed[0]!), sealed[0]!.subarray(-16), true), decryptFailed, 'nothing after the last chunk')
  }
})
