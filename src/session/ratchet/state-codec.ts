/**
 * The ratchet state as bytes: a versioned envelope `parley/ratchet-state` v1
 * (docs/encoding.md) around one deterministic CBOR map with short keys, the
 * opaque record a session store keeps. Decoding is strict: every field is
 * type- and size-checked by the schema readers (DECODE_* codes), then the
 * fields are checked against each other (SESSION_STATE_INVALID): a state that
 * `ratchetEncrypt`/`ratchetDecrypt` could not have produced is refused
 * instead of half-working.
 *
 * Equal states encode to equal bytes, which is what the tests use to show
 * that a refused message left the state untouched.
 */
import {
  CODEC_MAX_DEPTH,
  MLKEM768_CIPHERTEXT_LENGTH,
  MLKEM768_PUBLIC_KEY_LENGTH,
  MLKEM768_SEED_LENGTH,
  RATCHET_MAX_ASSOCIATED_DATA_BYTES,
  RATCHET_MAX_CHAIN_LENGTH,
  RATCHET_MAX_KEM_INTERVAL,
  RATCHET_MAX_RECEIVER_CHAINS,
  RATCHET_MAX_SKIPPED_KEYS,
  RATCHET_MAX_STATE_BYTES,
  RATCHET_SESSION_ID_LENGTH,
  X25519_KEY_LENGTH,
} from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { asArray, asBytes, asMap, asUint, decodeVersioned, encodeVersioned, expectKeys, getArray, getBool, getBytes, getUint, optional } from '../../codec/index.js'
import type { CborMap, CborValue } from '../../codec/index.js'
import { KEM_OFFER_ID_MODULUS } from './header.js'
import { RATCHET_KEY_LENGTH } from './kdf.js'
import type { RatchetState, ReceiverChain, SendingKem, SkippedKey } from './state.js'

/** The envelope kind and version of an encoded state. */
export const RATCHET_STATE_KIND = 'parley/ratchet-state'
export const RATCHET_STATE_VERSION = 1

const LIMITS = { maxBytes: RATCHET_MAX_STATE_BYTES, maxItems: RATCHET_MAX_SKIPPED_KEYS + 64, maxDepth: CODEC_MAX_DEPTH }
const WHAT = 'ratchet state'
const REQUIRED = ['sid', 'ad', 'ki', 'rk', 'sp', 'nhks', 'ns', 'pn', 'se', 'nhkr', 'nr', 're', 'rc', 'mk', 'kn', 'ks', 'kx', 'kr'] as const
const OPTIONAL = ['sr', 'cks', 'hks', 'skm', 'dr', 'ckr', 'hkr', 'ko', 'kp'] as const
const KEY = { length: RATCHET_KEY_LENGTH }
const X25519 = { length: X25519_KEY_LENGTH }
/** Largest epoch or step counter (2^48: a safe integer with room, far beyond any session). */
const MAX_COUNTER = 2 ** 48

/** Encodes `state` (the opaque record stores keep). */
export function encodeRatchetState(state: RatchetState): Uint8Array {
  const body: CborMap = {
    sid: state.sessionId,
    ad: state.associatedData,
    ki: state.kemInterval,
    rk: state.rootKey,
    sp: state.sendPending,
    nhks: state.nextSendHeaderKey,
    ns: state.sendCount,
    pn: state.previousSendCount,
    se: state.sendEpoch,
    nhkr: state.nextReceiveHeaderKey,
    nr: state.receiveCount,
    re: state.receiveEpoch,
    rc: state.receiverChains.map((c) => [c.epoch, c.headerKey, c.ratchetKey, c.length]),
    mk: state.skipped.map((s) => [s.epoch, s.n, s.messageKey]),
    kn: state.kemNextOfferId,
    ks: state.kemStepsSince,
    kx: state.kemStepsSent,
    kr: state.kemStepsReceived,
  }
  if (state.sendRatchet !== undefined) body['sr'] = [state.sendRatchet.secretKey, state.sendRatchet.publicKey]
  if (state.sendChainKey !== undefined) body['cks'] = state.sendChainKey
  if (state.sendHeaderKey !== undefined) body['hks'] = state.sendHeaderKey
  if (state.sendKem !== undefined) {
    const k = state.sendKem
    body['skm'] = k.encapsulation === undefined ? [k.offerId, k.encapsulationKey] : [k.offerId, k.encapsulationKey, k.encapsulation.targetId, k.encapsulation.ciphertext]
  }
  if (state.receiveRatchetKey !== undefined) body['dr'] = state.receiveRatchetKey
  if (state.receiveChainKey !== undefined) body['ckr'] = state.receiveChainKey
  if (state.receiveHeaderKey !== undefined) body['hkr'] = state.receiveHeaderKey
  if (state.kemOwn !== undefined) body['ko'] = [state.kemOwn.id, state.kemOwn.seed]
  if (state.kemPeer !== undefined) body['kp'] = [state.kemPeer.id, state.kemPeer.encapsulationKey]
  return encodeVersioned(RATCHET_STATE_KIND, RATCHET_STATE_VERSION, body, LIMITS)
}

function tuple(value: CborValue, what: string, lengths: readonly number[]): CborValue[] {
  const items = asArray(value, what, Math.max(...lengths))
  if (!lengths.includes(items.length)) throw new ParleyError('DECODE_SCHEMA', `${what}: expected ${lengths.join(' or ')} items`)
  return items
}

function invalid(problem: string): never {
  throw new ParleyError('SESSION_STATE_INVALID', `${WHAT}: ${problem}`)
}

function readSendingKem(m: CborMap, k: string): SendingKem {
  const t = tuple(m[k] as CborValue, `${WHAT}.skm`, [2, 4])
  const out: SendingKem = {
    offerId: asUint(t[0] as CborValue, `${WHAT}.skm[0]`, KEM_OFFER_ID_MODULUS - 1),
    encapsulationKey: asBytes(t[1] as CborValue, `${WHAT}.skm[1]`, { length: MLKEM768_PUBLIC_KEY_LENGTH }),
  }
  if (t.length === 4) {
    out.encapsulation = {
      targetId: asUint(t[2] as CborValue, `${WHAT}.skm[2]`, KEM_OFFER_ID_MODULUS - 1),
      ciphertext: asBytes(t[3] as CborValue, `${WHAT}.skm[3]`, { length: MLKEM768_CIPHERTEXT_LENGTH }),
    }
  }
  return out
}

function readIdBytes(m: CborMap, k: string, length: number): { id: number; bytes: Uint8Array } {
  const t = tuple(m[k] as CborValue, `${WHAT}.${k}`, [2])
  return { id: asUint(t[0] as CborValue, `${WHAT}.${k}[0]`, KEM_OFFER_ID_MODULUS - 1), bytes: asBytes(t[1] as CborValue, `${WHAT}.${k}[1]`, { length }) }
}

/** Decodes and checks an encoded state (DECODE_* for malformed bytes, SESSION_STATE_INVALID for inconsistent fields). */
export function decodeRatchetState(bytes: Uint8Array): RatchetState {
  const m = asMap(decodeVersioned(bytes, RATCHET_STATE_KIND, [RATCHET_STATE_VERSION], LIMITS), WHAT)
  expectKeys(m, REQUIRED, OPTIONAL, WHAT)
  const key = (k: string): Uint8Array => getBytes(m, k, WHAT, KEY)
  const optKey = (k: string): Uint8Array | undefined => optional(m, k, (mm, kk) => getBytes(mm, kk, WHAT, KEY))
  const state: RatchetState = {
    sessionId: getBytes(m, 'sid', WHAT, { length: RATCHET_SESSION_ID_LENGTH }),
    associatedData: getBytes(m, 'ad', WHAT, { max: RATCHET_MAX_ASSOCIATED_DATA_BYTES }),
    kemInterval: getUint(m, 'ki', WHAT, RATCHET_MAX_KEM_INTERVAL),
    rootKey: key('rk'),
    sendPending: getBool(m, 'sp', WHAT),
    nextSendHeaderKey: key('nhks'),
    sendCount: getUint(m, 'ns', WHAT, RATCHET_MAX_CHAIN_LENGTH),
    previousSendCount: getUint(m, 'pn', WHAT, RATCHET_MAX_CHAIN_LENGTH),
    sendEpoch: getUint(m, 'se', WHAT, MAX_COUNTER),
    nextReceiveHeaderKey: key('nhkr'),
    receiveCount: getUint(m, 'nr', WHAT, RATCHET_MAX_CHAIN_LENGTH),
    receiveEpoch: getUint(m, 're', WHAT, MAX_COUNTER),
    receiverChains: getArray(m, 'rc', WHAT, RATCHET_MAX_RECEIVER_CHAINS).map((v, i): ReceiverChain => {
      const t = tuple(v, `${WHAT}.rc[${i}]`, [4])
      return {
        epoch: asUint(t[0] as CborValue, `${WHAT}.rc[${i}].epoch`, MAX_COUNTER),
        headerKey: asBytes(t[1] as CborValue, `${WHAT}.rc[${i}].headerKey`, KEY),
        ratchetKey: asBytes(t[2] as CborValue, `${WHAT}.rc[${i}].ratchetKey`, X25519),
        length: asUint(t[3] as CborValue, `${WHAT}.rc[${i}].length`, RATCHET_MAX_CHAIN_LENGTH),
      }
    }),
    skipped: getArray(m, 'mk', WHAT, RATCHET_MAX_SKIPPED_KEYS).map((v, i): SkippedKey => {
      const t = tuple(v, `${WHAT}.mk[${i}]`, [3])
      return {
        epoch: asUint(t[0] as CborValue, `${WHAT}.mk[${i}].epoch`, MAX_COUNTER),
        n: asUint(t[1] as CborValue, `${WHAT}.mk[${i}].n`, RATCHET_MAX_CHAIN_LENGTH - 1),
        messageKey: asBytes(t[2] as CborValue, `${WHAT}.mk[${i}].key`, KEY),
      }
    }),
    kemNextOfferId: getUint(m, 'kn', WHAT, KEM_OFFER_ID_MODULUS - 1),
    kemStepsSince: getUint(m, 'ks', WHAT, RATCHET_MAX_KEM_INTERVAL),
    kemStepsSent: getUint(m, 'kx', WHAT, MAX_COUNTER),
    kemStepsReceived: getUint(m, 'kr', WHAT, MAX_COUNTER),
  }
  const sr = optional(m, 'sr', (mm, k) => tuple(mm[k] as CborValue, `${WHAT}.sr`, [2]))
  if (sr !== undefined) {
    state.sendRatchet = { secretKey: asBytes(sr[0] as CborValue, `${WHAT}.sr[0]`, X25519), publicKey: asBytes(sr[1] as CborValue, `${WHAT}.sr[1]`, X25519) }
  }
  const cks = optKey('cks')
  if (cks !== undefined) state.sendChainKey = cks
  const hks = optKey('hks')
  if (hks !== undefined) state.sendHeaderKey = hks
  const ckr = optKey('ckr')
  if (ckr !== undefined) state.receiveChainKey = ckr
  const hkr = optKey('hkr')
  if (hkr !== undefined) state.receiveHeaderKey = hkr
  const dr = optional(m, 'dr', (mm, k) => getBytes(mm, k, WHAT, X25519))
  if (dr !== undefined) state.receiveRatchetKey = dr
  const skm = optional(m, 'skm', readSendingKem)
  if (skm !== undefined) state.sendKem = skm
  const ko = optional(m, 'ko', (mm, k) => readIdBytes(mm, k, MLKEM768_SEED_LENGTH))
  if (ko !== undefined) state.kemOwn = { id: ko.id, seed: ko.bytes }
  const kp = optional(m, 'kp', (mm, k) => readIdBytes(mm, k, MLKEM768_PUBLIC_KEY_LENGTH))
  if (kp !== undefined) state.kemPeer = { id: kp.id, encapsulationKey: kp.bytes }
  checkConsistency(state)
  return state
}

/** The cross-field rules every state produced by the ratchet satisfies. */
function checkConsistency(s: RatchetState): void {
  if (s.kemInterval < 1) invalid('KEM interval must be at least 1')
  if (s.kemStepsSince > s.kemInterval) invalid('KEM step counter above the interval')
  const sending = s.sendChainKey !== undefined
  if (sending !== (s.sendHeaderKey !== undefined)) invalid('sending chain and header keys must come together')
  if (sending && s.sendRatchet === undefined) invalid('a sending chain needs a ratchet key pair')
  if (!sending && (s.sendKem !== undefined || s.sendCount !== 0 || s.sendEpoch !== 0)) invalid('sending fields without a sending chain')
  if (s.sendPending && s.receiveRatchetKey === undefined) invalid('a pending DH step needs the peer ratchet key')
  if (!s.sendPending && !sending && s.sendRatchet === undefined) invalid('no way to send')
  const receiving = s.receiveChainKey !== undefined
  if (receiving !== (s.receiveHeaderKey !== undefined)) invalid('receiving chain and header keys must come together')
  if (receiving && (s.receiveRatchetKey === undefined || s.receiveEpoch < 1)) invalid('a receiving chain needs a ratchet key and an epoch')
  if (!receiving && (s.receiveEpoch !== 0 || s.receiveCount !== 0 || s.receiverChains.length > 0)) invalid('receiving fields without a receiving chain')
  let last = 0
  for (const c of s.receiverChains) {
    if (c.epoch <= last || c.epoch >= s.receiveEpoch) invalid('receiver chain epochs out of order')
    last = c.epoch
  }
  const seen = new Set<string>()
  for (const k of s.skipped) {
    const limit = k.epoch === s.receiveEpoch && receiving ? s.receiveCount : s.receiverChains.find((c) => c.epoch === k.epoch)?.length
    if (limit === undefined || k.n >= limit) invalid('skipped key for an unknown chain position')
    const id = `${k.epoch}:${k.n}`
    if (seen.has(id)) invalid('skipped key stored twice')
    seen.add(id)
  }
}
