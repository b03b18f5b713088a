/**
 * The agent end to end, in one process: two homes on disk, real libp2p
 * nodes on 127.0.0.1, the encrypted store, authentication, PQXDH and the
 * ratchet. Alice invites Bob with a compact invite; they chat both ways;
 * Alice rotates her keys and they keep talking.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAgent } from '../../src/agent/agent.js'
import type { Agent, HistoryMessage } from '../../src/agent/types.js'

const PASS = 'correct horse battery staple'
const LOOPBACK = { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false }

function nextMessage(agent: Agent, from: string, timeoutMs = 15_000): Promise<HistoryMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`no message from ${from} within ${timeoutMs} ms`))
    }, timeoutMs)
    const off = agent.on('message', (m) => {
      if (m.direction === 'in' && m.from === from) {
        clearTimeout(timer)
        off()
        resolve(m)
      }
    })
  })
}

test('compact invite, authentication, chat both ways, key rotation, history', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'parley-agent-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const alice = await createAgent({ home: join(root, 'alice'), passphrase: PASS, create: { name: 'alice' }, network: LOOPBACK })
  const bob = await createAgent({ home: join(root, 'bob'), passphrase: PASS, create: { name: 'bob' }, network: LOOPBACK })
  await alice.start()
  await bob.start()
  t.after(async () => {
    await bob.stop()
    await alice.stop()
  })

  const { invite } = await alice.createInvite({ compact: true })
  assert.ok(invite.startsWith('parley:'))
  assert.ok(invite.length <= 400, `compact invite is ${invite.length} bytes`)
  const contact = await bob.acceptInvite(invite)
  assert.equal(contact.did, alice.did)
  assert.equal(contact.verified, true)

  const hello = nextMessage(alice, bob.did)
  const sent = await bob.send(alice.did, 'hello Alice', { wait: true })
  assert.equal((await hello).text, 'hello Alice')
  assert.equal(sent.state, 'delivered')

  const back = nextMessage(bob, alice.did)
  await alice.send(bob.did, 'hi Bob', { wait: true })
  assert.equal((await back).text, 'hi Bob')

  // Aliases resolve contacts.
  await bob.setAlias(alice.did, 'alice')
  assert.equal((await bob.contact('alice')).did, alice.did)

  // Alice rotates; Bob learns her new KEL and they keep talking.
  await alice.rotateKeys()
  const after = nextMessage(bob, alice.did)
  await alice.send(bob.did, 'after rotation', { wait: true })
  assert.equal((await after).text, 'after rotation')
  const reply = nextMessage(alice, bob.did)
  await bob.send('alice', 'still here', { wait: true })
  assert.equal((await reply).text, 'still here')

  const history = await bob.history({ peer: 'alice' })
  assert.deepEqual(
    history.map((m) => `${m.direction}:${m.text}`),
    ['out:hello Alice', 'in:hi Bob', 'in:after rotation', 'out:still here'],
  )
  const status = await alice.status()
  assert.equal(status.did, alice.did)
  assert.ok(status.sessions >= 1)
})
