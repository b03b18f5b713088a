/**
 * The pure parts of /parley/msg: frames (round trips, the largest one fits
 * the frame limit, strict decoding with typed refusals), how the limits
 * relate to each other and to the session layer, the retry backoff bounds,
 * the token buckets, the classification of deliver() failures, and the
 * refusals of bad limits.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  FRAME_MAX_BYTES,
  FRAME_MAX_LENGTH_PREFIX_BYTES,
  MSG_DEDUPE_TTL_MS,
  MSG_MAX_ENVELOPE_BYTES,
  MSG_MAX_FRAME_BYTES,
  MSG_MAX_IN_FLIGHT_BYTES,
  MSG_OUTBOX_TTL_MS,
  MSG_RETRY_BASE_MS,
  MSG_RETRY_MAX_MS,
  MSG_STREAM_IDLE_TIMEOUT_MS,
  MSG_STREAM_LINGER_MS,
  STREAM_MAX_BUFFER_BYTES,
} from '../../src/constants.js'
import { encode, encodeVersioned } from '../../src/codec/index.js'
import { ParleyError, isParleyError } from '../../src/errors.js'
import type { ErrorCode } from '../../src/errors.js'
import { SESSION_MESSAGE_MAX_BYTES } from '../../src/session/index.js'
import { classifyDeliverError } from '../../src/network/messaging.js'
import { TokenBuckets, random01From, retryDelay } from '../../src/network/messaging-timing.js'
import { resolveMessagingLimits } from '../../src/network/messaging-types.js'
import { MSG_FRAME_KIND, decodeMsgFrame, encodeMsgFrame } from '../../src/network/messaging-wire.js'
import type { MsgFrame } from '../../src/network/messaging-wire.js'

const id = new Uint8Array(16).fill(7)

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    if (isParleyError(err, code)) return true
    assert.fail(`expected ${code}, got ${String(err)}`)
  })
}

test('frames round-trip: message, ack, nack (both reasons), error', () => {
  const frames: MsgFrame[] = [
    { type: 'msg', id, envelope: Uint8Array.of(1, 2, 3) },
    { type: 'ack', id },
    { type: 'nack', id, reason: 'refused' },
    { type: 'nack', id, reason: 'retry' },
    { type: 'err', code: 'PEER_NOT_AUTHENTICATED' },
  ]
  for (const f of frames) assert.deepEqual(decodeMsgFrame(encodeMsgFrame(f)), f)
  assert.deepEqual(encodeMsgFrame(frames[0] as MsgFrame), encodeMsgFrame({ type: 'msg', id: id.slice(), envelope: Uint8Array.of(1, 2, 3) }), 'deterministic')
})

test('the largest message frame fits the frame limit, which the shared framing allows; the limits fit together', () => {
  const largest = encodeMsgFrame({ type: 'msg', id, envelope: new Uint8Array(MSG_MAX_ENVELOPE_BYTES) })
  assert.ok(largest.length <= MSG_MAX_FRAME_BYTES, `${largest.length} > ${MSG_MAX_FRAME_BYTES}`)
  assert.ok(MSG_MAX_FRAME_BYTES <= FRAME_MAX_BYTES)
  assert.ok(MSG_MAX_ENVELOPE_BYTES >= SESSION_MESSAGE_MAX_BYTES, 'every session message fits one envelope')
  assert.ok(MSG_MAX_IN_FLIGHT_BYTES >= MSG_MAX_FRAME_BYTES + FRAME_MAX_LENGTH_PREFIX_BYTES, 'one largest message fits the window')
  assert.ok(MSG_MAX_IN_FLIGHT_BYTES < STREAM_MAX_BUFFER_BYTES, 'a full window never overflows a read buffer')
  assert.ok(MSG_STREAM_LINGER_MS < MSG_STREAM_IDLE_TIMEOUT_MS, 'the sender closes an idle stream first')
  assert.ok(MSG_DEDUPE_TTL_MS > MSG_OUTBOX_TTL_MS, 'the receiver remembers ids longer than the sender resends')
})

test('decoding is strict: every deviation is a typed refusal', () => {
  const body = (b: Record<string, unknown>, kind = MSG_FRAME_KIND, version = 1): Uint8Array => encodeVersioned(kind, version, b as never)
  throwsCode(() => decodeMsgFrame(Uint8Array.of(0xff, 0x00)), 'DECODE_FAILED')
  throwsCode(() => decodeMsgFrame(new Uint8Array(MSG_MAX_FRAME_BYTES + 1)), 'DECODE_TOO_LARGE')
  throwsCode(() => decodeMsgFrame(encode({ t: 'ack', i: id })), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'ack', i: id }, 'parley/other')), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'ack', i: id }, MSG_FRAME_KIND, 2)), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'ack', i: id, x: 1 })), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'ack', i: id.subarray(1) })), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'ack' })), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'msg', i: id, e: new Uint8Array(0) })), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'msg', i: id, e: 'text' })), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'hello', i: id })), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'nack', i: id, r: 'maybe' })), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'err', c: 'DECRYPT_FAILED' })), 'DECODE_SCHEMA')
  throwsCode(() => decodeMsgFrame(body({ t: 'err', c: 'NOT_A_CODE' })), 'DECODE_SCHEMA')
})

test('encoding refuses what the wire may not carry (INVALID_ARGUMENT)', () => {
  throwsCode(() => encodeMsgFrame({ type: 'msg', id, envelope: new Uint8Array(MSG_MAX_ENVELOPE_BYTES + 1) }), 'INVALID_ARGUMENT')
  throwsCode(() => encodeMsgFrame({ type: 'msg', id, envelope: new Uint8Array(0) }), 'INVALID_ARGUMENT')
  throwsCode(() => encodeMsgFrame({ type: 'msg', id: id.subarray(2), envelope: Uint8Array.of(1) }), 'INVALID_ARGUMENT')
  throwsCode(() => encodeMsgFrame({ type: 'err', code: 'DECRYPT_FAILED' }), 'INVALID_ARGUMENT')
})

test('retry backoff: exponential, capped, jitter within [d/2, d]', () => {
  for (let attempt = 1; attempt <= 25; attempt++) {
    const step = Math.min(MSG_RETRY_MAX_MS, MSG_RETRY_BASE_MS * 2 ** (attempt - 1))
    assert.equal(retryDelay(attempt, MSG_RETRY_BASE_MS, MSG_RETRY_MAX_MS, () => 0), step / 2)
    assert.equal(retryDelay(attempt, MSG_RETRY_BASE_MS, MSG_RETRY_MAX_MS, () => 0.999999), Math.round(step / 2 + (0.999999 * step) / 2))
  }
  assert.equal(retryDelay(1, 1000, 300_000, () => 0.5), 750)
  assert.equal(retryDelay(3, 1000, 300_000, () => 0.5), 3000)
  assert.equal(retryDelay(10_000, 1000, 300_000, () => 0), 150_000, 'no overflow for huge attempt counts')
  let n = 0
  const r01 = random01From((len) => new Uint8Array(len).fill(n++ % 2 === 0 ? 0 : 0xff))
  assert.equal(r01(), 0)
  const high = r01()
  assert.ok(high < 1 && high > 0.9999)
})

test('token buckets: a burst, then the rate; keys are independent and bounded', () => {
  let now = 0
  const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 3, maxKeys: 2, now: () => now })
  assert.deepEqual([buckets.take('a'), buckets.take('a'), buckets.take('a')], [0, 0, 0])
  assert.equal(buckets.take('a'), 100, 'one token takes 100 ms at 10/s')
  assert.equal(buckets.take('b'), 0, 'another key has its own bucket')
  now = 100
  assert.equal(buckets.take('a'), 0)
  assert.ok(buckets.take('a') > 0)
  assert.equal(buckets.take('c'), 0, 'a third key evicts one (bounded), and starts full')
  assert.throws(() => new TokenBuckets({ ratePerSecond: 0, burst: 1, maxKeys: 1 }))
})

test("deliver() failures: duplicates are acked, undecryptable is refused for good, anything else is retried", () => {
  assert.equal(classifyDeliverError(new ParleyError('RATCHET_DUPLICATE', 'x')), 'duplicate')
  assert.equal(classifyDeliverError(new ParleyError('SESSION_REPLAY', 'x')), 'duplicate')
  for (const code of ['DECRYPT_FAILED', 'DECODE_SCHEMA', 'SESSION_NOT_FOUND', 'RATCHET_TOO_FAR_AHEAD', 'MSG_REFUSED'] as const) {
    assert.equal(classifyDeliverError(new ParleyError(code, 'x')), 'refused', code)
  }
  for (const err of [new ParleyError('STORE_LOCKED', 'x'), new ParleyError('IO_FAILED', 'x'), new Error('bug'), 'a string']) {
    assert.equal(classifyDeliverError(err), 'retry')
  }
})

test('limits: defaults filled in; unknown, non-positive or too large ones refused', () => {
  const l = resolveMessagingLimits({ retryBaseMs: 5 })
  assert.equal(l.retryBaseMs, 5)
  assert.equal(l.maxEnvelopeBytes, MSG_MAX_ENVELOPE_BYTES)
  throwsCode(() => resolveMessagingLimits({ retryBaseMs: 0 }), 'INVALID_ARGUMENT')
  throwsCode(() => resolveMessagingLimits({ maxInFlight: 1.5 }), 'INVALID_ARGUMENT')
  throwsCode(() => resolveMessagingLimits({ bogus: 1 } as never), 'INVALID_ARGUMENT')
  throwsCode(() => resolveMessagingLimits({ maxEnvelopeBytes: MSG_MAX_ENVELOPE_BYTES + 1 }), 'INVALID_ARGUMENT')
  throwsCode(() => resolveMessagingLimits({ retryBaseMs: 10, retryMaxMs: 5 }), 'INVALID_ARGUMENT')
})
