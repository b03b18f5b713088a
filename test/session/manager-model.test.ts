/**
 * A model test of two SessionManagers over a hostile network (fast-check):
 * from an invite, random sends both ways while the network drops,
 * duplicates and reorders envelopes (the first message included). The
 * properties: every `receive` returns or throws a ParleyError; no message
 * is delivered twice; a duplicate is RATCHET_DUPLICATE; the session never
 * breaks — once the network delivers again, messages flow both ways and
 * both sides hold one session, acknowledged.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isParleyError } from '../../src/errors.js'
import { Net, utf8 } from './manager-harness.js'
import type { Packet, Party } from './manager-harness.js'

type Op =
  | { kind: 'send'; fromAlice: boolean }
  | { kind: 'deliver'; index: number }
  | { kind: 'duplicate'; index: number }
  | { kind: 'drop'; index: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.boolean().map((fromAlice): Op => ({ kind: 'send', fromAlice })) },
  { weight: 4, arbitrary: fc.nat(20).map((index): Op => ({ kind: 'deliver', index })) },
  { weight: 1, arbitrary: fc.nat(20).map((index): Op => ({ kind: 'duplicate', index })) },
  { weight: 1, arbitrary: fc.nat(20).map((index): Op => ({ kind: 'drop', index })) },
)

test('model: drops, duplicates and reordering never break a session or deliver a message twice', { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
      const net = new Net()
      const alice = net.party('alice')
      const bob = net.party('bob')
      const { full } = await bob.manager.createInvite({ addresses: [] })
      net.post(alice, (await alice.manager.connect(full)).outgoing)
      const delivered: Packet[] = []
      let counter = 0
      const receive = async (p: Packet): Promise<void> => {
        try {
          await net.deliver(p)
        } catch (err) {
          if (!isParleyError(err)) throw err
          const again = delivered.includes(p)
          // before the session exists only the first message can start it; after, a repeat is a duplicate
          if (again) assert.equal(err.code, 'RATCHET_DUPLICATE')
          else assert.ok(['SESSION_NOT_FOUND', 'RATCHET_DUPLICATE'].includes(err.code), err.code)
        }
        delivered.push(p)
      }
      for (const o of ops) {
        if (o.kind === 'send') {
          const [from, to]: [Party, Party] = o.fromAlice ? [alice, bob] : [bob, alice]
          try {
            net.post(from, [await from.manager.send(to.did, utf8(`${o.fromAlice ? 'a' : 'b'}${counter++}`))])
          } catch (err) {
            // Bob has no session until a first message reached him
            assert.ok(!o.fromAlice && isParleyError(err, 'SESSION_NOT_FOUND'))
          }
          continue
        }
        if (net.queue.length === 0 && o.kind !== 'duplicate') continue
        if (o.kind === 'duplicate') {
          const p = delivered[o.index % Math.max(1, delivered.length)]
          if (p !== undefined) await receive(p)
          continue
        }
        const [p] = net.queue.splice(o.index % net.queue.length, 1)
        if (o.kind === 'deliver' && p !== undefined) await receive(p)
      }
      for (const p of net.take()) await receive(p)
      for (const who of [alice, bob]) assert.equal(new Set(who.messages).size, who.messages.length, 'nothing delivered twice')
      // the network heals: Alice's next message (with the header while unacknowledged) and Bob's answer get through
      net.post(alice, [await alice.manager.send(bob.did, utf8('heal'))])
      await net.flush()
      net.post(bob, [await bob.manager.send(alice.did, utf8('healed'))])
      await net.flush()
      assert.equal(bob.messages.at(-1), 'heal')
      assert.equal(alice.messages.at(-1), 'healed')
      const [av] = await alice.manager.sessions(bob.did)
      const [bv] = await bob.manager.sessions(alice.did)
      assert.ok(av !== undefined && bv !== undefined && !av.pending && av.active && bv.active)
      assert.deepEqual(av.sessionId, bv.sessionId)
    }),
    { numRuns: 150, seed: 0x5e55 },
  )
})
