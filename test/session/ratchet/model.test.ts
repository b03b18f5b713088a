/**
 * Model test of the ratchet state machine (fast-check, 10,000 runs): two
 * parties and a hostile network. Each run draws a session variant (with or
 * without the responder's ML-KEM key at start, KEM interval 1, 3 or the
 * default, so some runs are dense in KEM steps and most have only the first
 * ones) and at most 12 operations:
 *
 * - send: a burst of 1–3 messages; any one may "crash before commit" (the
 *   new state and the message are both discarded: the commit-then-send rule,
 *   so that message never reaches the network);
 * - deliver: one in-flight message, chosen anywhere (reordering); the receiver
 *   may crash before committing (the message stays in flight);
 * - drop, duplicate (re-deliver any message ever sent);
 * - in a third of the runs, a rollback: one side is snapshotted before one
 *   operation and restored before a later one, then speaks again and
 *   everything in flight is delivered.
 *
 * Invariants: every success yields exactly the message's plaintext, at most
 * once per message and per chain position (in the receiver's committed
 * history); a refusal is a ParleyError and the receiver's state is unchanged
 * (byte-identical encoding); a duplicate is RATCHET_DUPLICATE; a position the
 * receiver already consumed is refused as RATCHET_DUPLICATE or
 * RATCHET_ROLLBACK_DETECTED while it remembers that chain; without rollback,
 * every other delivery decrypts unless its chain is older than
 * RATCHET_MAX_RECEIVER_CHAINS (then DECRYPT_FAILED). Finally, in runs without
 * rollback, alternating one message each way converges within 10 round trips
 * (in fact at once).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { defaultSuite as suite } from '../../../src/crypto/index.js'
import { RATCHET_KEM_INTERVAL, RATCHET_MAX_RECEIVER_CHAINS } from '../../../src/constants.js'
import { ParleyError } from '../../../src/errors.js'
import { bytesEqual, fromHex } from '../../../src/codec/index.js'
import { encodeRatchetState, ratchetDecrypt, ratchetEncrypt, ratchetStateInfo } from '../../../src/session/ratchet/index.js'
import type { RatchetState } from '../../../src/session/ratchet/index.js'
import { makePair, testRandom, text, utf8 } from './helpers.js'

/** Runs per CI run (the brief's floor). */
const MODEL_RUNS = 10_000
const MAX_OPS = 12

type SideName = 'A' | 'B'
interface Msg {
  id: number
  to: SideName
  bytes: Uint8Array
  plaintext: string
  /** hex(dh):n — the chain position. */
  pos: string
  dh: Uint8Array
  /** Sender's chain number. */
  epoch: number
}
interface Party {
  state: RatchetState
  decrypted: Set<number>
  consumed: Set<string>
}

type Op =
  | { t: 'send'; side: SideName; count: number; crashAt: number }
  | { t: 'deliver'; k: number; crash: boolean }
  | { t: 'drop'; k: number }
  | { t: 'duplicate'; k: number }
  | { t: 'snapshot'; side: SideName }
  | { t: 'restore'; side: SideName }

const side = fc.constantFrom<SideName>('A', 'B')
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('send' as const), side, count: fc.integer({ min: 1, max: 3 }), crashAt: fc.integer({ min: -8, max: 2 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('deliver' as const), k: fc.nat(), crash: fc.integer({ min: 0, max: 5 }).map((x) => x === 0) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), k: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('duplicate' as const), k: fc.nat() }) },
)

/** A rollback plan: snapshot `side` before op `snapAt`, restore it before op `restoreAt` (both taken modulo the op count). */
const rollbackArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.record({ side, snapAt: fc.nat(), restoreAt: fc.nat() }) },
)

// States are values (never mutated by the API), so one prepared pair per variant serves every run.
const VARIANTS = [1, 2, 3, RATCHET_KEM_INTERVAL].map((kemInterval) => makePair(suite, { kemInterval, random: testRandom(`model/${kemInterval}`) }))

function knowsChain(state: RatchetState, dh: Uint8Array): boolean {
  if (state.receiveChainKey !== undefined && state.receiveRatchetKey !== undefined && bytesEqual(state.receiveRatchetKey, dh)) return true
  return state.receiverChains.some((c) => bytesEqual(c.ratchetKey, dh))
}

function codeOf(err: unknown): string {
  assert.ok(err instanceof ParleyError, `expected a ParleyError, got ${String(err)}`)
  return err.code
}

class World {
  parties: Record<SideName, Party>
  inflight: Msg[] = []
  sent: Msg[] = []
  snapshots: Partial<Record<SideName, Party>> = {}
  rolledBack = false
  nextId = 0
  stats = { decrypted: 0, refused: {} as Record<string, number> }

  constructor(pair: { alice: RatchetState; bob: RatchetState }) {
    this.parties = {
      A: { state: pair.alice, decrypted: new Set(), consumed: new Set() },
      B: { state: pair.bob, decrypted: new Set(), consumed: new Set() },
    }
  }

  send(from: SideName, count: number, crashAt: number): Msg[] {
    const out: Msg[] = []
    const p = this.parties[from]
    for (let i = 0; i < count; i++) {
      const plaintext = `m${this.nextId}`
      if (!ratchetStateInfo(p.state).canSend) {
        assert.throws(() => ratchetEncrypt(suite, p.state, utf8(plaintext)), (e: unknown) => codeOf(e) === 'SESSION_STATE_INVALID')
        return out
      }
      const r = ratchetEncrypt(suite, p.state, utf8(plaintext))
      if (i === crashAt) continue // crash before commit: the state and the message are both lost
      p.state = r.state
      const info = ratchetStateInfo(r.state)
      const dh = fromHex(info.sendRatchetKey ?? '')
      const n = info.sendCount - 1
      const msg: Msg = { id: this.nextId++, to: from === 'A' ? 'B' : 'A', bytes: r.message, plaintext, pos: `${info.sendRatchetKey}:${n}`, dh, epoch: info.sendEpoch }
      this.sent.push(msg)
      this.inflight.push(msg)
      out.push(msg)
    }
    return out
  }

  /** Delivers `m`; returns whether it decrypted. */
  deliver(m: Msg, crash = false): boolean {
    const p = this.parties[m.to]
    const before = p.state
    const beforeBytes = encodeRatchetState(before)
    const consumed = p.consumed.has(m.pos)
    const known = knowsChain(before, m.dh)
    const forgotten = ratchetStateInfo(before).receiveEpoch - m.epoch > RATCHET_MAX_RECEIVER_CHAINS
    let result: { state: RatchetState; plaintext: Uint8Array }
    try {
      result = ratchetDecrypt(suite, before, m.bytes)
    } catch (err) {
      const code = codeOf(err)
      this.stats.refused[code] = (this.stats.refused[code] ?? 0) + 1
      assert.ok(bytesEqual(encodeRatchetState(before), beforeBytes), 'a refused message changed the state')
      if (p.decrypted.has(m.id) && !this.rolledBack && !forgotten) assert.equal(code, 'RATCHET_DUPLICATE')
      if (consumed && known) assert.ok(code === 'RATCHET_DUPLICATE' || code === 'RATCHET_ROLLBACK_DETECTED', `consumed position refused as ${code}`)
      else if (consumed) assert.equal(code, 'DECRYPT_FAILED')
      else if (!this.rolledBack) assert.ok(forgotten && code === 'DECRYPT_FAILED', `fresh message ${m.id} refused as ${code}`)
      return false
    }
    assert.ok(bytesEqual(encodeRatchetState(before), beforeBytes), 'decryption changed its input state')
    assert.ok(!consumed, `position ${m.pos} decrypted twice`)
    assert.ok(!p.decrypted.has(m.id), `message ${m.id} decrypted twice`)
    assert.equal(text(result.plaintext), m.plaintext)
    this.stats.decrypted++
    if (crash) return true // receiver crashed before committing: nothing changes, the message stays deliverable
    p.state = result.state
    p.decrypted.add(m.id)
    p.consumed.add(m.pos)
    return true
  }

  run(op: Op): void {
    switch (op.t) {
      case 'send':
        this.send(op.side, op.count, op.crashAt)
        return
      case 'deliver': {
        if (this.inflight.length === 0) return
        const i = op.k % this.inflight.length
        const m = this.inflight[i] as Msg
        const ok = this.deliver(m, op.crash)
        if (!(ok && op.crash)) this.inflight.splice(i, 1)
        return
      }
      case 'drop':
        if (this.inflight.length > 0) this.inflight.splice(op.k % this.inflight.length, 1)
        return
      case 'duplicate':
        if (this.sent.length > 0) this.deliver(this.sent[op.k % this.sent.length] as Msg)
        return
      case 'snapshot': {
        const p = this.parties[op.side]
        this.snapshots[op.side] = { state: p.state, decrypted: new Set(p.decrypted), consumed: new Set(p.consumed) }
        return
      }
      case 'restore': {
        const s = this.snapshots[op.side]
        if (s === undefined) return
        this.parties[op.side] = { state: s.state, decrypted: new Set(s.decrypted), consumed: new Set(s.consumed) }
        this.rolledBack = true
        return
      }
    }
  }

  /** Traffic stops; alternate one message each way. Returns the round trip at which both directions worked. */
  converge(): number {
    this.inflight = []
    let firstGood = -1
    for (let round = 0; round < 10; round++) {
      const [a] = this.send('A', 1, -1)
      const okA = a !== undefined && this.deliver(a)
      const [b] = this.send('B', 1, -1)
      const okB = b !== undefined && this.deliver(b)
      if (okA && okB) {
        if (firstGood < 0) firstGood = round
        if (round - firstGood >= 1) return firstGood
      } else {
        assert.equal(firstGood, -1, 'diverged again after converging')
      }
    }
    return firstGood
  }
}

test('model: random sends, drops, reorders, duplicates, crashes and rollbacks keep every invariant', { timeout: 300_000 }, (t) => {
  const started = performance.now()
  let runsWithRollback = 0
  let kemSteps = 0
  let decrypted = 0
  const refused: Record<string, number> = {}
  const worst: number[] = []
  fc.assert(
    fc.property(fc.nat(VARIANTS.length - 1), rollbackArb, fc.array(opArb, { maxLength: MAX_OPS }), (variant, rollback, ops) => {
      const w = new World(VARIANTS[variant] as (typeof VARIANTS)[number])
      const snapAt = rollback === null ? -1 : rollback.snapAt % (ops.length + 1)
      const restoreAt = rollback === null ? -1 : snapAt + (rollback.restoreAt % (ops.length + 1 - snapAt))
      for (let i = 0; i <= ops.length; i++) {
        if (rollback !== null && i === snapAt) w.run({ t: 'snapshot', side: rollback.side })
        if (rollback !== null && i === restoreAt) w.run({ t: 'restore', side: rollback.side })
        const op = ops[i]
        if (op !== undefined) w.run(op)
      }
      if (rollback !== null) {
        // the restored side speaks again; everything in flight arrives
        w.send(rollback.side, 2, -1)
        for (const m of w.inflight.splice(0)) w.deliver(m)
      }
      if (w.rolledBack) runsWithRollback++
      else worst.push(w.converge())
      kemSteps += ratchetStateInfo(w.parties.A.state).kemStepsSent + ratchetStateInfo(w.parties.B.state).kemStepsSent
      decrypted += w.stats.decrypted
      for (const [code, n] of Object.entries(w.stats.refused)) refused[code] = (refused[code] ?? 0) + n
      if (!w.rolledBack) assert.ok(worst[worst.length - 1] === 0, 'did not converge at the first round trip')
    }),
    { numRuns: MODEL_RUNS },
  )
  const ms = performance.now() - started
  t.diagnostic(
    `${MODEL_RUNS} runs in ${(ms / 1000).toFixed(1)} s; ${runsWithRollback} with rollback; ${decrypted} decryptions; refusals ${JSON.stringify(refused)}; ${kemSteps} KEM steps`,
  )
})
