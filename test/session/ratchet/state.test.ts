/**
 * The encoded ratchet state: round trips at every stage (equal bytes after a
 * decode and re-encode, and a decoded state keeps working), strict decoding
 * (other kind or version, unknown or missing fields, wrong sizes: DECODE_*;
 * fields that contradict each other: SESSION_STATE_INVALID), the non-secret
 * summary, and fuzzing of both decoders of untrusted bytes: the state
 * decoder and `ratchetDecrypt` on mutated messages.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultSuite as suite } from '../../../src/crypto/index.js'
import { decodeVersioned, encodeVersioned, toHex } from '../../../src/codec/index.js'
import type { CborMap, CborValue } from '../../../src/codec/index.js'
import { isParleyError } from '../../../src/errors.js'
import {
  RATCHET_STATE_KIND,
  RATCHET_STATE_VERSION,
  decodeRatchetState,
  encodeRatchetState,
  ratchetDecrypt,
  ratchetStateInfo,
} from '../../../src/session/ratchet/index.js'
import type { RatchetState } from '../../../src/session/ratchet/index.js'
import { fuzzDecoder } from '../../helpers/fuzz.js'
import { makePair, receive, send } from './helpers.js'

/** States at several stages, and messages still to deliver to the last Bob state. */
function stages(): { states: RatchetState[]; bob: RatchetState; pending: Uint8Array[] } {
  const first = makePair(suite)
  const short = makePair(suite, { kemInterval: 2 })
  const states: RatchetState[] = [first.alice, first.bob, short.alice, short.bob]
  let { alice, bob } = first
  const pending: Uint8Array[] = []
  for (let round = 0; round < 8; round++) {
    const a0 = send(suite, alice, `late ${round}`)
    const a1 = send(suite, a0.state, `now ${round}`)
    alice = a1.state
    pending.push(a0.message)
    bob = receive(suite, bob, a1.message).state
    const b = send(suite, bob, 'reply')
    bob = b.state
    alice = receive(suite, alice, b.message).state
    states.push(alice, bob)
  }
  const tail = send(suite, alice, 'pending')
  states.push(tail.state)
  pending.push(tail.message)
  return { states, bob, pending }
}

const STAGES = stages()

test('encode → decode → encode gives the same bytes at every stage; a decoded state keeps working', () => {
  for (const s of STAGES.states) {
    const bytes = encodeRatchetState(s)
    assert.deepEqual(encodeRatchetState(decodeRatchetState(bytes)), bytes)
  }
  let bob = decodeRatchetState(encodeRatchetState(STAGES.bob))
  const texts: string[] = []
  for (const m of STAGES.pending) {
    try {
      const r = receive(suite, bob, m)
      bob = decodeRatchetState(encodeRatchetState(r.state))
      texts.push(r.text)
    } catch (err) {
      // chains older than RATCHET_MAX_RECEIVER_CHAINS are forgotten
      assert.ok(isParleyError(err, 'DECRYPT_FAILED'))
    }
  }
  // Bob is on chain 8 and remembers 3..7: 'late 0' (chain 1) and 'late 1' (chain 2) are gone
  assert.deepEqual(texts, ['late 2', 'late 3', 'late 4', 'late 5', 'late 6', 'late 7', 'pending'])
})

/** Re-encodes a state body after `edit`. */
function edited(state: RatchetState, edit: (body: CborMap) => void, kind = RATCHET_STATE_KIND, version = RATCHET_STATE_VERSION): Uint8Array {
  const body = decodeVersioned(encodeRatchetState(state), RATCHET_STATE_KIND, [RATCHET_STATE_VERSION], { maxItems: 4096 }) as CborMap
  edit(body)
  return encodeVersioned(kind, version, body as CborValue, { maxBytes: 1 << 20 })
}

test('strict decoding: other kind or version, unknown, missing or mis-sized fields are DECODE_*', () => {
  const s = STAGES.states[STAGES.states.length - 1] as RatchetState
  const refuse = (bytes: Uint8Array, code: string): void => {
    assert.throws(() => decodeRatchetState(bytes), (e: unknown) => isParleyError(e) && e.code === code)
  }
  refuse(edited(s, () => {}, 'parley/other'), 'DECODE_SCHEMA')
  refuse(edited(s, () => {}, RATCHET_STATE_KIND, 2), 'DECODE_SCHEMA')
  refuse(edited(s, (b) => { b['zz'] = 1 }), 'DECODE_SCHEMA')
  refuse(edited(s, (b) => { delete b['rk'] }), 'DECODE_SCHEMA')
  refuse(edited(s, (b) => { b['rk'] = new Uint8Array(31) }), 'DECODE_SCHEMA')
  refuse(edited(s, (b) => { b['ns'] = 0x10000 }), 'DECODE_SCHEMA')
  refuse(edited(s, (b) => { b['ki'] = 0x10000 }), 'DECODE_SCHEMA')
  refuse(edited(s, (b) => { b['sr'] = [new Uint8Array(32)] }), 'DECODE_SCHEMA')
  refuse(encodeRatchetState(s).subarray(1), 'DECODE_FAILED')
})

test('contradictory fields are SESSION_STATE_INVALID', () => {
  const s = STAGES.bob
  const invalid = (edit: (b: CborMap) => void): void => {
    assert.throws(() => decodeRatchetState(edited(s, edit)), (e: unknown) => isParleyError(e, 'SESSION_STATE_INVALID'))
  }
  invalid((b) => { b['ks'] = (b['ki'] as number) + 1 })
  invalid((b) => { b['ki'] = 0 })
  invalid((b) => { delete b['hkr'] })
  invalid((b) => { delete b['cks'] })
  invalid((b) => { b['mk'] = [[999, 0, new Uint8Array(32)]] })
  invalid((b) => { b['mk'] = [[b['re'] as number, b['nr'] as number, new Uint8Array(32)]] })
  invalid((b) => {
    const k = [b['re'] as number, 0, new Uint8Array(32)]
    b['mk'] = [k, k]
  })
  invalid((b) => { b['rc'] = [...(b['rc'] as CborValue[])].reverse() })
})

test('ratchetStateInfo reveals no secret', () => {
  for (const s of STAGES.states) {
    const json = JSON.stringify(ratchetStateInfo(s))
    const secrets = [s.rootKey, s.sendChainKey, s.receiveChainKey, s.sendHeaderKey, s.nextSendHeaderKey, s.nextReceiveHeaderKey, s.sendRatchet?.secretKey, s.kemOwn?.seed]
    for (const k of secrets) if (k !== undefined) assert.ok(!json.includes(toHex(k).slice(0, 16)))
  }
})

fuzzDecoder('ratchet state', (b) => decodeRatchetState(b), STAGES.states.slice(-6).map(encodeRatchetState))

{
  // Messages Bob has not seen yet, of every header kind, mutated and fed to his state.
  const fresh = makePair(suite)
  const offer = send(suite, fresh.alice, 'offer')
  // Bob's first reply is a KEM step (to Alice's offer).
  const kemPair = makePair(suite)
  const opened = send(suite, kemPair.alice, 'offer')
  const kem = send(suite, receive(suite, kemPair.bob, opened.message).state, 'kem step')
  const seeds = [...STAGES.pending.slice(-3), offer.message, kem.message]
  const targets = [STAGES.bob, fresh.bob, opened.state]
  let i = 0
  fuzzDecoder(
    'ratchet message',
    (b) => ratchetDecrypt(suite, targets[i++ % targets.length] as RatchetState, b),
    seeds,
    { maxRandomLength: 3000 },
  )
}
