import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { lstat, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeDir } from '../helpers/tmp.js'
import { FakeWorld, fakeCli } from '../helpers/fake-agent.js'
import type { FakeCli, RunningCli } from '../helpers/fake-agent.js'
import { EXIT_DAEMON, EXIT_SESSION, EXIT_STORE, EXIT_USAGE } from '../../src/cli/exit-codes.js'
import { DAEMON_SOCKET_NAME } from '../../src/constants.js'

async function daemon(cli: FakeCli, t: import('node:test').TestContext, ...args: string[]): Promise<{ running: RunningCli; info: any }> {
  const running = cli.start('daemon', '--json', ...args)
  t.after(() => running.stop())
  await running.waitFor(/"socket"/)
  return { running, info: JSON.parse(running.output().stdout.trim().split('\n')[0] as string) }
}

test('two daemons: invite, accept, alias, contacts, send, inbox, status — all over the local sockets', async (t) => {
  const world = new FakeWorld()
  const alice = await fakeCli(world)
  const bob = await fakeCli(world)
  t.after(() => Promise.all([removeDir(alice.home), removeDir(bob.home)]))
  const a = await daemon(alice, t, '--listen', '/ip4/127.0.0.1/tcp/0')
  const b = await daemon(bob, t)
  assert.match(a.info.did, /^did:parley:/)
  assert.equal(a.info.socket, join(alice.home, DAEMON_SOCKET_NAME))
  assert.equal(a.info.pid, process.pid)
  assert.deepEqual(a.info.addresses, ['/ip4/127.0.0.1/tcp/0'])
  assert.deepEqual(world.made.map((o) => o.network), [{ listen: ['/ip4/127.0.0.1/tcp/0'] }, {}])

  const compact = await alice.run('invite', '--compact', '--json')
  assert.equal(compact.code, 0, compact.stdout + compact.stderr)
  assert.match(compact.json.invite, /^parley:/)
  assert.ok(!Number.isNaN(Date.parse(compact.json.expiresAt)))
  const full = await alice.run('invite', '--json', '--lifetime', '3600')
  assert.equal(full.code, 0)
  assert.doesNotMatch(full.json.invite, /^parley:/)

  const accepted = await bob.run('accept', compact.json.invite, '--json')
  assert.equal(accepted.code, 0, accepted.stdout)
  assert.deepEqual(Object.keys(accepted.json), ['contact'])
  assert.equal(accepted.json.contact.did, a.info.did)
  assert.equal(accepted.json.contact.alias, null)
  assert.equal(accepted.json.contact.verified, true)

  const again = await bob.run('accept', compact.json.invite, '--json')
  assert.equal(again.code, EXIT_SESSION)
  assert.equal(again.json.error.code, 'INVITE_USED')

  const named = await bob.run('alias', a.info.did, 'alice', '--json')
  assert.equal(named.code, 0, named.stdout)
  assert.equal(named.json.contact.alias, 'alice')
  const contacts = await bob.run('contacts', '--json')
  assert.equal(contacts.json.contacts.length, 1)
  assert.deepEqual(
    { did: contacts.json.contacts[0].did, alias: contacts.json.contacts[0].alias, verified: contacts.json.contacts[0].verified, connected: contacts.json.contacts[0].connected },
    { did: a.info.did, alias: 'alice', verified: true, connected: true },
  )
  const human = await bob.run('contacts')
  assert.match(human.stdout, /✔ alice \(did:parley:/)

  const sent = await bob.run('send', 'ALICE', 'hello', 'there', '--json')
  assert.equal(sent.code, 0, sent.stdout)
  assert.deepEqual(Object.keys(sent.json).sort(), ['id', 'state'])
  assert.equal(sent.json.state, 'delivered')

  const inbox = await alice.run('inbox', '--json')
  assert.equal(inbox.code, 0)
  assert.equal(inbox.lines.length, 1)
  assert.deepEqual(Object.keys(inbox.lines[0]), ['id', 'from', 'text', 'at'])
  assert.equal(inbox.lines[0].id, sent.json.id)
  assert.equal(inbox.lines[0].from, b.info.did)
  assert.equal(inbox.lines[0].text, 'hello there')

  // --follow: the earlier message once, then new ones as they come.
  const follow = alice.start('inbox', '--follow', '--json')
  await follow.waitFor(/hello there/)
  const second = await bob.run('send', 'alice', 'second', '--json')
  assert.equal(second.json.state, 'delivered')
  await follow.waitFor(/second/)
  const followed = await follow.stop()
  assert.equal(followed.code, 0, followed.stderr)
  assert.deepEqual(
    followed.lines.map((m: any) => m.text),
    ['hello there', 'second'],
  )

  const status = await alice.run('status', '--json')
  assert.equal(status.code, 0)
  assert.equal(status.json.daemon, true)
  assert.equal(status.json.did, a.info.did)
  assert.deepEqual(status.json.connectedContacts, [b.info.did])
  for (const key of ['peerId', 'addresses', 'reachability', 'relays', 'sessions']) assert.ok(key in status.json, key)

  const unknown = await bob.run('send', 'nobody', 'x', '--json')
  assert.equal(unknown.code, EXIT_STORE)
  assert.equal(unknown.json.error.code, 'STORE_NOT_FOUND')

  assert.equal(world.made.length, 2, 'every command went to a daemon: no agent was started in-process')

  const second_daemon = await alice.run('daemon', '--json')
  assert.equal(second_daemon.code, EXIT_DAEMON)
  assert.equal(second_daemon.json.error.code, 'DAEMON_RUNNING')

  assert.equal((await a.running.stop()).code, 0)
  await assert.rejects(lstat(join(alice.home, DAEMON_SOCKET_NAME)), { code: 'ENOENT' })
  assert.equal((await b.running.stop()).code, 0)
})

test('without a daemon a command runs the agent in-process and releases the home', async (t) => {
  const world = new FakeWorld()
  const cli = await fakeCli(world)
  t.after(() => removeDir(cli.home))
  const empty = await cli.run('contacts', '--json')
  assert.equal(empty.code, 0, empty.stdout + empty.stderr)
  assert.deepEqual(empty.json, { contacts: [] })
  assert.equal(world.made.at(-1)?.network, false, 'an offline command starts no node')
  assert.equal(world.made.at(-1)?.home, cli.home)
  assert.equal(world.homes.get(cli.home)?.running, undefined, 'the agent was stopped')

  const status = await cli.run('status', '--json')
  assert.equal(status.code, 0)
  assert.equal(status.json.daemon, false)
  assert.deepEqual(world.made.at(-1)?.network, {})

  // The daemon's --save makes its addresses the defaults of in-process commands.
  const relay = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
  const d = cli.start('daemon', '--json', '--relay', relay, '--save')
  await d.waitFor(/"socket"/)
  assert.equal((await d.stop()).code, 0)
  const config = JSON.parse(await readFile(join(cli.home, 'agent.json'), 'utf8'))
  assert.deepEqual(config.relays, [relay])
  assert.equal((await stat(join(cli.home, 'agent.json'))).mode & 0o777, 0o600)
  const later = await cli.run('status', '--json')
  assert.deepEqual(later.json.relays, [relay])

  const wrong = await cli.run('contacts', '--json', '--passphrase-file', '/nonexistent')
  assert.equal(wrong.code, 0, 'the environment passphrase wins over a file')
  cli.env['PARLEY_PASSPHRASE'] = undefined
  const none = await cli.run('contacts', '--json')
  assert.equal(none.code, EXIT_STORE)
  assert.equal(none.json.error.code, 'PASSPHRASE_REQUIRED')
  cli.env['PARLEY_PASSPHRASE'] = 'not the passphrase'
  const bad = await cli.run('contacts', '--json')
  assert.equal(bad.code, EXIT_STORE)
  assert.equal(bad.json.error.code, 'PASSPHRASE_WRONG')

  const usage = await cli.run('send', '--json')
  assert.equal(usage.code, EXIT_USAGE)
  assert.equal(usage.json.error.code, 'INVALID_ARGUMENT')
})

test('a message to a contact that is offline is queued, and delivered when both run', async (t) => {
  const world = new FakeWorld()
  const alice = await fakeCli(world)
  const bob = await fakeCli(world)
  t.after(() => Promise.all([removeDir(alice.home), removeDir(bob.home)]))
  const a = await daemon(alice, t)
  const invite = await alice.run('invite', '--json', '--out', join(alice.home, 'invite.txt'))
  assert.equal((await stat(join(alice.home, 'invite.txt'))).mode & 0o777, 0o600)
  assert.equal(invite.json.file, join(alice.home, 'invite.txt'))
  const accepted = await bob.run('accept', join(alice.home, 'invite.txt'), '--alias', 'alice', '--json')
  assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr)
  assert.equal(accepted.json.contact.alias, 'alice')
  assert.equal((await a.running.stop()).code, 0)

  const queued = await bob.run('send', 'alice', 'are you there?', '--json')
  assert.equal(queued.code, 0)
  assert.equal(queued.json.state, 'queued')
  const human = await bob.run('send', 'alice', 'still?')
  assert.match(human.stdout, /^queued: it is delivered the next time/)

  await daemon(alice, t)
  const b = await daemon(bob, t) // bob's agent runs again: its outbox goes out
  assert.ok(b.info.did)
  const inbox = await alice.run('inbox', '--json')
  assert.deepEqual(
    inbox.lines.map((m: any) => m.text),
    ['are you there?', 'still?'],
  )

  const garbage = join(bob.home, 'garbage.txt')
  await writeFile(garbage, 'two\ninvites\n')
  const refused = await bob.run('accept', garbage, '--json')
  assert.equal(refused.code, EXIT_SESSION)
  assert.equal(refused.json.error.code, 'INVITE_INVALID')
})

test('send-file draws a progress bar on a terminal only, and answers {id, state, transferId}', async (t) => {
  const world = new FakeWorld()
  const alice = await fakeCli(world)
  const bob = await fakeCli(world)
  t.after(() => Promise.all([removeDir(alice.home), removeDir(bob.home)]))
  const a = await daemon(alice, t)
  await daemon(bob, t)
  const invite = await alice.run('invite', '--json')
  await bob.run('accept', invite.json.invite, '--alias', 'alice', '--json')
  const file = join(bob.home, 'photo.jpg')
  await writeFile(file, Buffer.alloc(300_000, 7))

  const plain = await bob.run('send-file', 'alice', file, '--json')
  assert.equal(plain.code, 0, plain.stdout + plain.stderr)
  assert.deepEqual(Object.keys(plain.json).sort(), ['id', 'state', 'transferId'])
  assert.equal(plain.json.state, 'delivered')
  assert.equal(plain.stderr, '', 'no terminal: no bar')

  let drawn = ''
  const tty = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        drawn += chunk.toString()
        cb()
      },
    }),
    { isTTY: true, columns: 100, rows: 30 },
  ) as unknown as NodeJS.WriteStream
  bob.io.progress = tty
  const withBar = await bob.run('send-file', 'alice', file, '--json')
  assert.equal(withBar.code, 0)
  assert.match(drawn, /photo\.jpg/)
  assert.match(drawn, /100%/)

  const inbox = await alice.run('inbox', '--json')
  assert.equal(inbox.lines.length, 2)
  assert.equal(inbox.lines[0].file.name, 'photo.jpg')
  assert.equal(inbox.lines[0].file.size, 300_000)
  assert.ok(!('text' in inbox.lines[0]))
  assert.equal(inbox.lines[0].from, world.didOf(bob.home))

  const missing = await bob.run('send-file', 'alice', join(bob.home, 'nope'), '--json')
  assert.equal(missing.code, EXIT_STORE)
  assert.equal(missing.json.error.code, 'STORE_NOT_FOUND')
  const dir = await bob.run('send-file', 'alice', bob.home, '--json')
  assert.equal(dir.code, EXIT_USAGE)
  assert.equal((await a.running.stop()).code, 0)
})
