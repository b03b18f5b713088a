/**
 * Model test: random sequences of rotate / update / add / remove on a group
 * keep `verifyKel` succeeding and the verified state equal to a simple model;
 * refused operations (adding a member twice, removing a non-member) change
 * nothing; every earlier state is a valid seen record for the final log, and
 * the final state as a seen record turns every earlier prefix into a rollback.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isParleyError } from '../../src/errors.js'
import { createIdentity, rotateIdentity, updateIdentity } from '../../src/identity/author.js'
import type { Identity } from '../../src/identity/author.js'
import { verifyKel } from '../../src/identity/kel.js'
import { encodeKel } from '../../src/identity/log.js'
import type { KeyState } from '../../src/identity/state.js'
import { at, suite, throwsCode } from './fixtures.js'

const POOL = Array.from({ length: 4 }, (_, i) => createIdentity(suite, { name: `m${i}`, now: at(0) }).state)

type Op =
  | { op: 'rotate'; agreement: boolean }
  | { op: 'name'; name: string | null }
  | { op: 'services'; n: number }
  | { op: 'add'; who: number; rotate: boolean }
  | { op: 'remove'; who: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('rotate' as const), agreement: fc.boolean() }),
  fc.record({ op: fc.constant('name' as const), name: fc.option(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s)), { nil: null }) }),
  fc.record({ op: fc.constant('services' as const), n: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant('add' as const), who: fc.integer({ min: 0, max: POOL.length - 1 }), rotate: fc.boolean() }),
  fc.record({ op: fc.constant('remove' as const), who: fc.integer({ min: 0, max: POOL.length - 1 }) }),
)

interface Model {
  members: string[]
  name: string | undefined
  services: number
  sequence: number
  keySequence: number
  rotations: number
}

test('property: random rotate/update/add/remove sequences verify and match the model', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 8 }), (ops) => {
      let id: Identity = createIdentity(suite, { kind: 'group', name: 'g', members: [POOL[0] as KeyState], now: at(0) })
      const model: Model = { members: [(POOL[0] as KeyState).did], name: 'g', services: 0, sequence: 0, keySequence: 0, rotations: 0 }
      const history: KeyState[] = [id.state]
      ops.forEach((o, i) => {
        const now = at(i + 1)
        const member = POOL[o.op === 'add' || o.op === 'remove' ? o.who : 0] as KeyState
        if (o.op === 'add' && model.members.includes(member.did)) {
          throwsCode(() => updateIdentity(suite, id.kel, id.secrets, { now, addMembers: [member] }), 'GROUP_MEMBER_EXISTS')
          return
        }
        if (o.op === 'remove' && !model.members.includes(member.did)) {
          throwsCode(() => rotateIdentity(suite, id.kel, id.secrets, { now, removeMembers: [member.did] }), 'GROUP_NOT_MEMBER')
          return
        }
        const rotates = o.op === 'rotate' || o.op === 'remove' || (o.op === 'add' && o.rotate)
        if (o.op === 'rotate') id = rotateIdentity(suite, id.kel, id.secrets, o.agreement ? { now, newAgreementKeys: 2 } : { now })
        if (o.op === 'name') id = updateIdentity(suite, id.kel, id.secrets, { now, name: o.name })
        if (o.op === 'services') {
          const services = Array.from({ length: o.n }, (_, k) => ({ id: `s${k}`, type: 'relay', endpoint: `/ip4/10.0.0.${k}/tcp/4001` }))
          id = updateIdentity(suite, id.kel, id.secrets, { now, services })
          model.services = o.n
        }
        if (o.op === 'add') {
          id = (o.rotate ? rotateIdentity : updateIdentity)(suite, id.kel, id.secrets, { now, addMembers: [member] })
          model.members.push(member.did)
        }
        if (o.op === 'remove') {
          id = rotateIdentity(suite, id.kel, id.secrets, { now, removeMembers: [member.did] })
          model.members = model.members.filter((d) => d !== member.did)
        }
        if (o.op === 'name') model.name = o.name ?? undefined
        model.sequence++
        if (rotates) {
          model.keySequence = model.sequence
          model.rotations++
        }
        history.push(id.state)
      })
      const state = verifyKel(suite, encodeKel(id.kel))
      assert.deepStrictEqual(state, id.state)
      assert.deepStrictEqual([...state.members].sort(), [...model.members].sort())
      assert.equal(state.name, model.name)
      assert.equal(state.services.length, model.services)
      assert.equal(state.sequence, model.sequence)
      assert.equal(state.keySequence, model.keySequence)
      assert.equal(state.rotatedKeys.length, model.rotations)
      assert.deepStrictEqual(suite.signingPublicKey(id.secrets.signing), state.signingKey)
      for (const earlier of history) {
        const seen = { did: earlier.did, sequence: earlier.sequence, digest: earlier.digest }
        verifyKel(suite, id.kel, { seen })
        const prefix = id.kel.slice(0, earlier.sequence + 1)
        if (earlier.sequence < state.sequence) {
          assert.throws(
            () => verifyKel(suite, prefix, { seen: { did: state.did, sequence: state.sequence, digest: state.digest } }),
            (e: unknown) => isParleyError(e, 'KEL_ROLLBACK'),
          )
        }
      }
    }),
    { numRuns: 40 },
  )
})
