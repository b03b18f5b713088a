import { test } from 'node:test'
import assert from 'node:assert/strict'
import { removeDir } from '../helpers/tmp.js'
import { FakeWorld, fakeCli } from '../helpers/fake-agent.js'
import { EXIT_STORE, EXIT_USAGE } from '../../src/cli/exit-codes.js'
import { openDatabase } from '../../src/db/index.js'
import { defaultSuite } from '../../src/crypto/index.js'

test('store rekey: a new passphrase, a data-key rotation, refused while the daemon runs', async (t) => {
  const world = new FakeWorld()
  const cli = await fakeCli(world, 'first passphrase')
  t.after(() => removeDir(cli.home))
  assert.equal((await cli.run('id', 'create', '--json')).code, 0)
  // The database exists once opened; put one contact in it to see it survive.
  const db = await openDatabase({ home: cli.home, suite: defaultSuite, passphrase: 'first passphrase' })
  await db.contacts.put({ did: 'did:parley:survivor', verified: true, credentialTypes: [] })
  await db.close()

  const nothing = await cli.run('store', 'rekey', '--json')
  assert.equal(nothing.code, EXIT_STORE)
  assert.equal(nothing.json.error.code, 'PASSPHRASE_REQUIRED', 'no new passphrase and no terminal')
  cli.env['PARLEY_NEW_PASSPHRASE'] = 'short'
  const short = await cli.run('store', 'rekey', '--json')
  assert.equal(short.code, EXIT_USAGE)

  cli.env['PARLEY_NEW_PASSPHRASE'] = 'second passphrase'
  const changed = await cli.run('store', 'rekey', '--json')
  assert.equal(changed.code, 0, changed.stdout + changed.stderr)
  assert.deepEqual(changed.json, { passphraseChanged: true, dataKeyRotated: false })
  cli.env['PARLEY_NEW_PASSPHRASE'] = undefined

  const old = await cli.run('store', 'rekey', '--rotate-data-key', '--json')
  assert.equal(old.code, EXIT_STORE)
  assert.equal(old.json.error.code, 'PASSPHRASE_WRONG')
  cli.env['PARLEY_PASSPHRASE'] = 'second passphrase'
  const rotated = await cli.run('store', 'rekey', '--rotate-data-key', '--json')
  assert.equal(rotated.code, 0, rotated.stdout)
  assert.deepEqual(rotated.json, { passphraseChanged: false, dataKeyRotated: true })

  const reopened = await openDatabase({ home: cli.home, suite: defaultSuite, passphrase: 'second passphrase' })
  try {
    assert.equal((await reopened.contacts.get('did:parley:survivor'))?.did, 'did:parley:survivor')
  } finally {
    await reopened.close()
  }
  assert.equal((await cli.run('id', 'rotate', '--json')).code, 0, 'the key file opens with the new passphrase')

  const daemon = cli.start('daemon', '--json')
  await daemon.waitFor(/"socket"/)
  const busy = await cli.run('store', 'rekey', '--rotate-data-key', '--json')
  assert.equal(busy.code, EXIT_STORE)
  assert.equal(busy.json.error.code, 'STORE_LOCKED')
  assert.equal((await daemon.stop()).code, 0)
})
