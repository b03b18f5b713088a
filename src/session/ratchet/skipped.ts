/**
 * Skipped message keys and remembered receiving chains (Signal's Double
 * Ratchet §3.5 SkipMessageKeys and §4.3 MKSKIPPED "indexed by header key and
 * message number"; here by the chain's epoch, whose header key the chain
 * record holds). Limits, all in constants.ts:
 *
 * - RATCHET_MAX_SKIP: one message may make us skip at most this many keys in
 *   one chain (checked by the caller before any key is derived);
 * - RATCHET_MAX_SKIPPED_KEYS: keys stored over all chains; beyond it the
 *   oldest expire first (FIFO), wiped;
 * - RATCHET_MAX_RECEIVER_CHAINS: closed chains remembered; closing one more
 *   forgets the oldest together with its remaining skipped keys.
 *
 * The functions that change a state are given the working copy of
 * decryption, never the caller's state.
 */
import { RATCHET_MAX_RECEIVER_CHAINS, RATCHET_MAX_SKIPPED_KEYS } from '../../constants.js'
import type { Suite } from '../../crypto/index.js'
import { kdfChain } from './kdf.js'
import { retireKey } from './state.js'
import type { RatchetState } from './state.js'

/** Keys derived by walking a chain from `from` up to and including `to`. */
export interface ChainWalk {
  /** Message keys of positions from..to-1 (to be stored as skipped). */
  skipped: Uint8Array[]
  /** Message key of position `to`. */
  messageKey: Uint8Array
  /** Chain key for position to+1. */
  chainKey: Uint8Array
}

/**
 * Walks `chainKey` (the key of position `from`) to position `to`. The caller
 * bounds `to - from` by RATCHET_MAX_SKIP first. Intermediate chain keys are
 * wiped; `chainKey` itself is left alone (it belongs to the state).
 */
export function walkChain(suite: Suite, chainKey: Uint8Array, from: number, to: number): ChainWalk {
  const skipped: Uint8Array[] = []
  let ck = chainKey
  for (let i = from; i < to; i++) {
    const step = kdfChain(suite, ck)
    if (ck !== chainKey) ck.fill(0)
    skipped.push(step.messageKey)
    ck = step.chainKey
  }
  const last = kdfChain(suite, ck)
  if (ck !== chainKey) ck.fill(0)
  return { skipped, messageKey: last.messageKey, chainKey: last.chainKey }
}

/** Derives only the keys skipped at the end of a chain: positions from..to-1. */
export function skipToEnd(suite: Suite, chainKey: Uint8Array, from: number, to: number): Uint8Array[] {
  if (to <= from) return []
  const walk = walkChain(suite, chainKey, from, to - 1)
  walk.chainKey.fill(0)
  walk.skipped.push(walk.messageKey)
  return walk.skipped
}

/** Index of the skipped key of (epoch, n) in `state.skipped`, or -1. */
export function findSkipped(state: RatchetState, epoch: number, n: number): number {
  const list = state.skipped
  for (let i = 0; i < list.length; i++) {
    const k = list[i]
    if (k !== undefined && k.epoch === epoch && k.n === n) return i
  }
  return -1
}

/** Removes the skipped key at `index` from the working copy (wiping it). */
export function dropSkipped(state: RatchetState, index: number): void {
  const [gone] = state.skipped.splice(index, 1)
  gone?.messageKey.fill(0)
}

/** Stores keys of positions first, first+1, … of chain `epoch`; expires the oldest beyond the cap. */
export function storeSkipped(state: RatchetState, epoch: number, first: number, keys: readonly Uint8Array[]): void {
  keys.forEach((messageKey, i) => state.skipped.push({ epoch, n: first + i, messageKey }))
  const excess = state.skipped.length - RATCHET_MAX_SKIPPED_KEYS
  if (excess > 0) for (const gone of state.skipped.splice(0, excess)) gone.messageKey.fill(0)
}

/**
 * Closes the current receiving chain of the working copy at `length` (the
 * new chain's `pn`) and remembers it; forgets the oldest remembered chain and
 * its skipped keys beyond RATCHET_MAX_RECEIVER_CHAINS. Does nothing when
 * there is no receiving chain yet.
 */
export function closeReceivingChain(state: RatchetState, length: number): void {
  if (state.receiveChainKey === undefined || state.receiveHeaderKey === undefined || state.receiveRatchetKey === undefined) return
  state.receiverChains.push({ epoch: state.receiveEpoch, headerKey: state.receiveHeaderKey, ratchetKey: state.receiveRatchetKey, length })
  state.receiveChainKey.fill(0)
  delete state.receiveChainKey
  delete state.receiveHeaderKey
  while (state.receiverChains.length > RATCHET_MAX_RECEIVER_CHAINS) {
    const gone = state.receiverChains.shift()
    if (gone === undefined) break
    retireKey(state, gone.headerKey)
    state.skipped = state.skipped.filter((k) => {
      if (k.epoch !== gone.epoch) return true
      k.messageKey.fill(0)
      return false
    })
  }
}
