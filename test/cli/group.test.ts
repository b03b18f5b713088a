import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { cliWithHome, removeDir } from '../helpers/cli.js'

test('group create / add / remove / show', async (t) => {
  const owner = await cliWithHome()
  const bob = await cliWithHome()
  t.after(() => Promise.all([removeDir(owner.home), removeDir(bob.home)]))
  const me = (await owner.run('id', 'create', '--name', 'owner', '--json')).json.did
  const bobDid = (await bob.run('id', 'create', '--name', 'bob', '--json')).json.did
  const bobKel = join(bob.home, 'bob.kel')
  await bob.run('id', 'export', '--out', bobKel)

  const created = await owner.run('group', 'create', '--name', 'friends', '--json')
  assert.equal(created.code, 0, created.stdout + created.stderr)
  const gdid: string = created.json.did
  assert.match(gdid, /^did:parley:/)
  assert.deepEqual(created.json.members, [me])

  const added = await owner.run('group', 'add', 'friends', bobKel, '--json')
  assert.equal(added.code, 0, added.stdout)
  assert.deepEqual([...added.json.members].sort(), [me, bobDid].sort())
  assert.equal(added.json.sequence, 1)

  const dup = await owner.run('group', 'add', gdid, bobKel, '--json')
  assert.equal(dup.json.error.code, 'GROUP_MEMBER_EXISTS')

  const removed = await owner.run('group', 'remove', 'friends', bobDid, '--json')
  assert.equal(removed.code, 0, removed.stdout)
  assert.deepEqual(removed.json.members, [me])
  assert.equal(removed.json.sequence, 2)

  const notMember = await owner.run('group', 'remove', 'friends', bobDid, '--json')
  assert.equal(notMember.json.error.code, 'GROUP_NOT_MEMBER')

  const shown = await owner.run('group', 'show', 'friends', '--json')
  assert.equal(shown.code, 0)
  assert.equal(shown.json.did, gdid)
  assert.equal(shown.json.sequence, 2)
  assert.deepEqual(shown.json.members, [me])

  const unknown = await owner.run('group', 'show', 'nobody', '--json')
  assert.equal(unknown.json.error.code, 'DID_NOT_FOUND')
})
