/**
 * The real `parley` binary on 127.0.0.1, as separate processes: a relay
 * (`serve --relay`), Alice's daemon (loopback + relay) and Bob's
 * (relay-only), both holding a VerifiedHuman credential from an issuer they
 * trust, and Carol without one. Checks the `--json` contract of serve,
 * daemon, invite, accept, contacts, alias, send, send-file, inbox (and
 * --follow), status and id rotate, and the exit codes of typed refusals.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LOOPBACK, e2e, eventually, startDaemon } from './helpers.js'
import { EXIT_CREDENTIAL, EXIT_DAEMON, EXIT_SESSION } from '../../src/cli/exit-codes.js'

test('relay, two daemons and a stranger: every networked command through the real binary', async (t) => {
  const { root, procs, home } = await e2e(t, 'network')
  const names = ['issuer', 'relay', 'alice', 'bob', 'carol']
  const created = await Promise.all(names.map((n) => procs.run(home(n), ['id', 'create', '--name', n, '--json'])))
  const did = Object.fromEntries(names.map((n, i) => [n, created[i]?.json?.did as string]))
  for (const n of names) assert.match(did[n] ?? '', /^did:parley:/)

  const relay = procs.start('relay', home('relay'), ['serve', '--relay', '--listen', LOOPBACK, '--json'])
  const vcs = { alice: join(root, 'alice.vc'), bob: join(root, 'bob.vc') }
  const setup = await Promise.all([
    procs.run(home('issuer'), ['vc', 'issue', '--subject', did['alice'] ?? '', '--out', vcs.alice, '--json']),
    procs.run(home('issuer'), ['vc', 'issue', '--subject', did['bob'] ?? '', '--out', vcs.bob, '--json']),
    ...['alice', 'bob', 'carol'].map((n) => procs.run(home(n), ['trust', 'add', did['issuer'] ?? '', '--type', 'VerifiedHuman', '--json'])),
  ])
  for (const r of setup) assert.equal(r.code, 0, r.stdout + r.stderr)
  const imports = await Promise.all([procs.run(home('alice'), ['vc', 'import', vcs.alice, '--json']), procs.run(home('bob'), ['vc', 'import', vcs.bob, '--json'])])
  for (const r of imports) assert.equal(r.code, 0, r.stdout + r.stderr)

  // serve --relay: one {"peerId","address"} line per address
  const { json: relayLine } = await relay.waitForLine((_l, j) => typeof j?.address === 'string' && j.address.startsWith('/ip4/127.0.0.1/'))
  assert.deepEqual(Object.keys(relayLine).sort(), ['address', 'peerId'])
  assert.ok(relayLine.address.endsWith(`/p2p/${relayLine.peerId}`))
  const relayAddress: string = relayLine.address

  // daemon: one ready line; Bob relay-only has circuit addresses only
  const [a, b] = await Promise.all([
    startDaemon(procs, 'alice', home('alice'), ['--listen', LOOPBACK, '--relay', relayAddress]),
    startDaemon(procs, 'bob', home('bob'), ['--relay', relayAddress, '--relay-only']),
  ])
  assert.deepEqual(Object.keys(a.ready).sort(), ['addresses', 'did', 'peerId', 'pid', 'socket'])
  assert.equal(a.ready.did, did['alice'])
  assert.equal(a.ready.socket, join(home('alice'), 'daemon.sock'))
  assert.ok(a.ready.addresses.some((x: string) => !x.includes('/p2p-circuit')), 'Alice listens directly')
  assert.ok(a.ready.addresses.some((x: string) => x.startsWith(`${relayAddress}/p2p-circuit/`)), 'and through the relay')
  assert.ok(b.ready.addresses.length > 0)
  for (const x of b.ready.addresses as string[]) assert.ok(x.startsWith(`${relayAddress}/p2p-circuit/p2p/${b.ready.peerId}`), x)
  const twice = await procs.run(home('alice'), ['daemon', '--json'])
  assert.equal(twice.code, EXIT_DAEMON)
  assert.equal(twice.json.error.code, 'DAEMON_RUNNING')

  // status: the relay authenticated us (its circuits are unlimited)
  const bobStatus = await procs.run(home('bob'), ['status', '--json'])
  assert.equal(bobStatus.code, 0, bobStatus.stderr)
  assert.deepEqual(Object.keys(bobStatus.json).sort(), ['addresses', 'connectedContacts', 'connections', 'daemon', 'did', 'peerId', 'reachability', 'relays', 'sessions'])
  assert.equal(bobStatus.json.daemon, true)
  assert.deepEqual(bobStatus.json.relays, [relayAddress])
  assert.ok(bobStatus.json.connections.some((c: any) => c.role === 'relay' && c.did === did['relay'] && c.relayed === false))

  // invite (compact and full), accept, a used invite
  const [compact, full] = await Promise.all([procs.run(home('alice'), ['invite', '--compact', '--json']), procs.run(home('alice'), ['invite', '--json'])])
  assert.deepEqual(Object.keys(compact.json).sort(), ['expiresAt', 'invite'])
  assert.match(compact.json.invite, /^parley:/)
  assert.ok(compact.json.invite.length <= 400)
  assert.ok(Date.parse(compact.json.expiresAt) > Date.now())
  assert.doesNotMatch(full.json.invite, /^parley:/)
  const accepted = await procs.run(home('bob'), ['accept', compact.json.invite, '--json'])
  assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr)
  assert.deepEqual(Object.keys(accepted.json), ['contact'])
  assert.deepEqual(Object.keys(accepted.json.contact).sort(), ['addedAt', 'alias', 'connected', 'credentialTypes', 'did', 'verified'])
  assert.equal(accepted.json.contact.did, did['alice'])
  assert.equal(accepted.json.contact.alias, null)
  assert.equal(accepted.json.contact.verified, true)
  assert.deepEqual(accepted.json.contact.credentialTypes, ['VerifiedHumanCredential'])

  // alias and contacts (both sides)
  const [named, named2] = await Promise.all([
    procs.run(home('bob'), ['alias', did['alice'] ?? '', 'alice', '--json']),
    procs.run(home('alice'), ['alias', did['bob'] ?? '', 'bob', '--json']),
  ])
  assert.equal(named.json.contact.alias, 'alice')
  assert.equal(named2.json.contact.alias, 'bob')
  const contacts = await procs.run(home('alice'), ['contacts', '--json'])
  assert.equal(contacts.json.contacts.length, 1)
  const bobContact = contacts.json.contacts[0]
  assert.deepEqual(
    { did: bobContact.did, alias: bobContact.alias, verified: bobContact.verified, types: bobContact.credentialTypes, connected: bobContact.connected },
    { did: did['bob'], alias: 'bob', verified: true, types: ['VerifiedHumanCredential'], connected: true },
  )

  // send + inbox (one-shot and --follow)
  const follow = procs.start('alice inbox', home('alice'), ['inbox', '--follow', '--json'])
  const sent = await procs.run(home('bob'), ['send', 'alice', 'hello', 'Alice', '--json'])
  assert.equal(sent.code, 0, sent.stderr)
  assert.deepEqual(Object.keys(sent.json).sort(), ['id', 'state'])
  assert.equal(sent.json.state, 'delivered')
  const live = await follow.waitForLine((_l, j) => j?.id === sent.json.id)
  assert.deepEqual(live.json, { id: sent.json.id, from: did['bob'], text: 'hello Alice', at: live.json.at })
  const inbox = await procs.run(home('alice'), ['inbox', '--json'])
  assert.deepEqual(inbox.lines.map((m: any) => Object.keys(m)), [['id', 'from', 'text', 'at']])
  assert.equal(inbox.lines[0].text, 'hello Alice')
  assert.ok(!Number.isNaN(Date.parse(inbox.lines[0].at)))
  const back = await procs.run(home('alice'), ['send', 'bob', 'hi Bob', '--json'])
  assert.equal(back.json.state, 'delivered')

  // The session is established: the compact invite is spent.
  const used = await procs.run(home('bob'), ['accept', compact.json.invite, '--json'])
  assert.equal(used.code, EXIT_SESSION, used.stdout)
  assert.equal(used.json.error.code, 'INVITE_USED')

  // send-file: {id, state, transferId}; the file arrives intact; progress lines on request
  const file = join(root, 'notes.bin')
  const content = randomBytes(512 * 1024 + 3)
  await writeFile(file, content)
  const offered = await procs.run(home('bob'), ['send-file', 'alice', file, '--progress', '--json'])
  assert.equal(offered.code, 0, offered.stdout + offered.stderr)
  assert.deepEqual(Object.keys(offered.json).sort(), ['id', 'state', 'transferId'])
  assert.match(offered.json.transferId, /^[0-9a-f]{32}$/)
  assert.match(offered.stderr, /notes\.bin +100% +512\.0 KiB\/512\.0 KiB/)
  const arrived = await eventually('the file in Alice\'s inbox', async () => {
    const r = await procs.run(home('alice'), ['inbox', '--json'])
    const m = r.lines.find((x: any) => x.id === offered.json.id)
    return m?.file?.state === 'done' ? m : undefined
  })
  assert.deepEqual(Object.keys(arrived.file).sort(), ['name', 'path', 'sha256', 'size', 'state', 'transferId'])
  assert.equal(arrived.file.size, content.length)
  assert.equal(arrived.file.sha256, createHash('sha256').update(content).digest('hex'))
  assert.deepEqual(await readFile(arrived.file.path), content)

  // id rotate goes through the daemon; the contacts keep talking
  const rotated = await procs.run(home('alice'), ['id', 'rotate', '--json'])
  assert.equal(rotated.code, 0, rotated.stdout + rotated.stderr)
  assert.deepEqual(Object.keys(rotated.json).sort(), ['did', 'sequence'])
  const afterRotation = await procs.run(home('bob'), ['send', 'alice', 'after rotation', '--json'])
  assert.equal(afterRotation.json.state, 'delivered')
  await follow.waitForLine((_l, j) => j?.text === 'after rotation')

  // status: connected contacts and the path
  const status = await procs.run(home('alice'), ['status', '--json'])
  assert.deepEqual(status.json.connectedContacts, [did['bob']])
  assert.ok(status.json.sessions >= 1)
  assert.ok(status.json.connections.some((c: any) => c.role === 'contact' && c.did === did['bob'] && typeof c.address === 'string'))

  // Carol shows no credential: refused by Alice, with the reason and the credential exit code
  const forCarol = await procs.run(home('alice'), ['invite', '--compact', '--json'])
  const refused = await procs.run(home('carol'), ['accept', forCarol.json.invite, '--json'])
  assert.equal(refused.code, EXIT_CREDENTIAL, refused.stdout + refused.stderr)
  assert.equal(refused.json.error.code, 'AUTH_CREDENTIAL_REQUIRED')
  await eventually('the refusal in Alice\'s daemon log', async () => (a.process.output().stderr.includes('(AUTH_CREDENTIAL_REQUIRED)') ? true : undefined), 5_000)

  // Every long-running process ends cleanly on SIGTERM.
  assert.equal(await follow.stop(), 0)
  const codes = await Promise.all([a.process.stop(), b.process.stop(), relay.stop()])
  assert.deepEqual(codes, [0, 0, 0])
})
