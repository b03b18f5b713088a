import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { writeFile, readFile } from 'node:fs/promises'
import { cliWithHome, removeDir } from '../helpers/cli.js'
import { EXIT_IDENTITY, EXIT_STORE, EXIT_USAGE, EXIT_INPUT } from '../../src/cli/exit-codes.js'

test('id create / show / rotate / export / verify: the JSON contract', async (t) => {
  const cli = await cliWithHome()
  t.after(() => removeDir(cli.home))

  const created = await cli.run('id', 'create', '--name', 'alice', '--json')
  assert.equal(created.code, 0, created.stdout + created.stderr)
  assert.match(created.json.did, /^did:parley:[a-z2-7]+$/)
  const did: string = created.json.did

  const shown = await cli.run('id', 'show', '--json')
  assert.equal(shown.code, 0)
  assert.equal(shown.json.did, did)
  assert.equal(shown.json.sequence, 0)
  assert.ok(Array.isArray(shown.json.keys) && shown.json.keys.length >= 2)
  assert.ok(Array.isArray(shown.json.services))

  const rotated = await cli.run('id', 'rotate', '--json')
  assert.equal(rotated.code, 0, rotated.stdout)
  assert.deepEqual(rotated.json, { did, sequence: 1 })
  const again = await cli.run('id', 'rotate', '--json')
  assert.deepEqual(again.json, { did, sequence: 2 })
  const shown2 = await cli.run('id', 'show', '--json')
  assert.notDeepEqual(shown2.json.keys[0], shown.json.keys[0], 'the signing key changed')

  const out = join(cli.home, 'alice.kel')
  assert.equal((await cli.run('id', 'export', '--out', out)).code, 0)

  const other = await cliWithHome()
  t.after(() => removeDir(other.home))
  const verified = await other.run('id', 'verify', out, '--json')
  assert.equal(verified.code, 0, verified.stdout)
  assert.equal(verified.json.valid, true)
  assert.equal(verified.json.did, did)
  assert.equal(verified.json.sequence, 2)
})

test('id verify refuses rollback, tampering and garbage with codes and exit status', async (t) => {
  const alice = await cliWithHome()
  const bob = await cliWithHome()
  t.after(() => Promise.all([removeDir(alice.home), removeDir(bob.home)]))
  assert.equal((await alice.run('id', 'create', '--json')).code, 0)
  const old = join(alice.home, 'old.kel')
  await alice.run('id', 'export', '--out', old)
  await alice.run('id', 'rotate')
  const newer = join(alice.home, 'new.kel')
  await alice.run('id', 'export', '--out', newer)

  assert.equal((await bob.run('id', 'verify', newer, '--json')).code, 0)
  const rollback = await bob.run('id', 'verify', old, '--json')
  assert.equal(rollback.code, EXIT_IDENTITY)
  assert.equal(rollback.json.error.code, 'KEL_ROLLBACK')

  const bytes = await readFile(newer)
  const at = bytes.length - 10
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at)
  const tampered = join(bob.home, 'tampered.kel')
  await writeFile(tampered, bytes)
  const bad = await bob.run('id', 'verify', tampered, '--json', '--no-record')
  assert.notEqual(bad.code, 0)
  assert.match(bad.json.error.code, /^(KEL_|DECODE_)/)

  const garbage = join(bob.home, 'garbage.kel')
  await writeFile(garbage, 'not a kel at all')
  const g = await bob.run('id', 'verify', garbage, '--json')
  assert.equal(g.code, EXIT_INPUT)
  assert.match(g.json.error.code, /^DECODE_/)

  const human = await bob.run('id', 'verify', garbage)
  assert.equal(human.stdout, '')
  assert.match(human.stderr, /^parley: .+ \(DECODE_[A-Z_]+\)\n$/)
})

test('id commands need an identity, a passphrase, and refuse a second create', async (t) => {
  const cli = await cliWithHome()
  t.after(() => removeDir(cli.home))
  const none = await cli.run('id', 'show', '--json')
  assert.equal(none.code, EXIT_STORE)
  assert.equal(none.json.error.code, 'STORE_NOT_FOUND')

  assert.equal((await cli.run('id', 'create', '--json')).code, 0)
  const twice = await cli.run('id', 'create', '--json')
  assert.equal(twice.json.error.code, 'STORE_EXISTS')

  cli.env['PARLEY_PASSPHRASE'] = 'a wrong passphrase'
  const wrong = await cli.run('id', 'rotate', '--json')
  assert.equal(wrong.code, EXIT_STORE)
  assert.equal(wrong.json.error.code, 'PASSPHRASE_WRONG')

  delete cli.env['PARLEY_PASSPHRASE']
  const missing = await cli.run('id', 'rotate', '--json')
  assert.equal(missing.json.error.code, 'PASSPHRASE_REQUIRED')

  const pwFile = join(cli.home, 'pw')
  await writeFile(pwFile, 'correct horse battery staple\n', { mode: 0o600 })
  const viaFile = await cli.run('--passphrase-file', pwFile, 'id', 'rotate', '--json')
  assert.equal(viaFile.code, 0, viaFile.stdout)
  assert.equal(viaFile.json.sequence, 1)

  const usage = await cli.run('id', 'frobnicate', '--json')
  assert.equal(usage.code, EXIT_USAGE)
  assert.equal(usage.json.error.code, 'INVALID_ARGUMENT')
})

test('id update changes services in a signed update event', async (t) => {
  const cli = await cliWithHome()
  t.after(() => removeDir(cli.home))
  await cli.run('id', 'create', '--json')
  const upd = await cli.run('id', 'update', '--service', 'libp2p-peer=12D3KooWExample', '--service', 'mailbox=/ip4/127.0.0.1/tcp/4001', '--json')
  assert.equal(upd.code, 0, upd.stdout)
  assert.equal(upd.json.sequence, 1)
  const shown = await cli.run('id', 'show', '--json')
  assert.deepEqual(
    shown.json.services.map((s: { type: string; endpoint: string }) => [s.type, s.endpoint]),
    [['libp2p-peer', '12D3KooWExample'], ['mailbox', '/ip4/127.0.0.1/tcp/4001']],
  )
})
