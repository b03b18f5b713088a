/**
 * The agent end to end, in one process: two homes on disk, real libp2p
 * nodes on 127.0.0.1, the encrypted store, authentication, PQXDH and the
 * ratchet. Alice invites Bob with a compact invite; they chat both ways;
 * Alice rotates her keys and they keep talking; a burst of sends made at
 * once (committed together on both sides) arrives once each, in order.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
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
  // A file, Bob → Alice: progress on both sides, the hash checked, the history updated.
  const src = join(root, 'report.bin')
  const content = randomBytes(3 * 1024 * 1024 + 17)
  await writeFile(src, content)
  const progressIn: number[] = []
  alice.on('file.progress', (p) => {
    if (p.direction === 'in') progressIn.push(p.bytes)
  })
  const received = new Promise<string>((resolve) => {
    alice.on('file.done', (d) => {
      if (d.direction === 'in' && d.path !== undefined) resolve(d.path)
    })
  })
  const offered = await bob.sendFile('alice', src)
  assert.match(offered.transferId, /^[0-9a-f]{32}$/)
  const path = await received
  assert.deepEqual(await readFile(path), content)
  assert.ok(progressIn.length > 0 && progressIn.at(-1) === content.length)
  const files = (await alice.history({ peer: bob.did })).filter((m) => m.file !== undefined)
  assert.equal(files.length, 1)
  assert.equal(files[0]?.file?.state, 'done')
  assert.equal(files[0]?.file?.sha256, createHash('sha256').update(content).digest('hex'))

  const status = await alice.status()
  assert.equal(status.did, alice.did)
  assert.ok(status.sessions >= 1)

  // A burst: sends made together commit together (group commit), and so do the messages waiting
  // together at Bob's; each arrives once, in order, and both histories hold them in that order.
  const texts = Array.from({ length: 30 }, (_, i) => `burst ${i}`)
  const got: string[] = []
  const arrived = new Promise<void>((resolve) => {
    const off = bob.on('message', (m) => {
      if (m.direction !== 'in' || m.text?.startsWith('burst ') !== true) return
      got.push(m.text)
      if (got.length === texts.length) {
        off()
        resolve()
      }
    })
  })
  const results = await Promise.all(texts.map((text) => alice.send(bob.did, text)))
  await arrived
  assert.deepEqual(got, texts)
  assert.equal(new Set(results.map((r) => r.id)).size, texts.length)
  const burst = (m: HistoryMessage): boolean => m.text?.startsWith('burst ') === true
  assert.deepEqual((await alice.history({ peer: bob.did })).filter(burst).map((m) => m.text), texts)
  assert.deepEqual((await bob.history({ peer: alice.did })).filter(burst).map((m) => m.text), texts)

  // Paging back: `before` is a cursor into the store, so a page is full whatever shares the newest instant.
  const all = await alice.history({ peer: bob.did })
  const cut = all.at(-1)!.at
  const expected = all.filter((m) => m.at < cut).slice(-5)
  assert.equal(expected.length, 5)
  assert.deepEqual((await alice.history({ peer: bob.did, before: cut, limit: 5 })).map((m) => m.id), expected.map((m) => m.id))
})

test('introductions: Alice introduces Bob and Carol, who then talk with no out-of-band step', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'parley-intro-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const make = (name: string): Promise<Agent> => createAgent({ home: join(root, name), passphrase: PASS, create: { name }, network: LOOPBACK })
  const [alice, bob, carol] = await Promise.all([make('alice'), make('bob'), make('carol')])
  for (const a of [alice, bob, carol]) await a.start()
  t.after(async () => {
    for (const a of [carol, bob, alice]) await a.stop()
  })
  for (const friend of [bob, carol]) {
    const { invite } = await alice.createInvite({ compact: true })
    await friend.acceptInvite(invite)
    const got = nextMessage(alice, friend.did)
    await friend.send(alice.did, `hi from ${friend.did}`, { wait: true })
    await got
  }
  await alice.introduce(bob.did, carol.did)
  // Once the introduction has gone round, Carol and Bob each hold a session with the other.
  const deadline = Date.now() + 20_000
  let bobKnowsCarol = false
  while (Date.now() < deadline && !bobKnowsCarol) {
    bobKnowsCarol = (await bob.contacts()).some((c) => c.did === carol.did) && (await carol.contacts()).some((c) => c.did === bob.did)
    if (!bobKnowsCarol) await new Promise((r) => setTimeout(r, 50))
  }
  assert.ok(bobKnowsCarol, 'Bob and Carol became contacts through Alice')
  const toCarol = nextMessage(carol, bob.did)
  await bob.send(carol.did, 'hello Carol, Alice sent me', { wait: true })
  assert.equal((await toCarol).text, 'hello Carol, Alice sent me')
  const toBob = nextMessage(bob, carol.did)
  await carol.send(bob.did, 'hello Bob', { wait: true })
  assert.equal((await toBob).text, 'hello Bob')
})
