import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeDir } from '../helpers/tmp.js'
import { FakeWorld, fakeCli } from '../helpers/fake-agent.js'
import { EXIT_CREDENTIAL, EXIT_STORE, EXIT_USAGE } from '../../src/cli/exit-codes.js'
import {
  addTrustedIssuer,
  credentialsRequired,
  defaultAgentConfig,
  loadCredentials,
  readAgentConfig,
  trustPolicyFromConfig,
  validateAgentConfig,
} from '../../src/agent/config.js'
import { isParleyError } from '../../src/errors.js'

test('trust add / list / remove and vc import: the configuration the agent reads', async (t) => {
  const world = new FakeWorld()
  const me = await fakeCli(world)
  const issuer = await fakeCli(world)
  t.after(() => Promise.all([removeDir(me.home), removeDir(issuer.home)]))
  const myDid: string = (await me.run('id', 'create', '--name', 'me', '--json')).json.did
  const issuerDid: string = (await issuer.run('id', 'create', '--name', 'issuer', '--json')).json.did

  const none = await me.run('trust', 'list', '--json')
  assert.equal(none.code, 0)
  assert.deepEqual(none.json, { issuers: [], credentialsRequired: false, credentials: [] })

  const added = await me.run('trust', 'add', issuerDid, '--json')
  assert.equal(added.code, 0, added.stdout)
  assert.deepEqual(added.json, { did: issuerDid, types: ['VerifiedHumanCredential'] })
  const twoTypes = await me.run('trust', 'add', 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', '--type', 'VerifiedHuman', '--type', 'EmployeeCredential', '--json')
  assert.deepEqual(twoTypes.json.types, ['VerifiedHumanCredential', 'EmployeeCredential'])
  const listed = await me.run('trust', 'list', '--json')
  assert.equal(listed.json.credentialsRequired, true)
  assert.deepEqual(
    listed.json.issuers.map((i: any) => i.did),
    [issuerDid, 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'],
  )
  const config = await readAgentConfig(me.home)
  const policy = trustPolicyFromConfig(config)
  assert.deepEqual(policy.trustedIssuers, [issuerDid, 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'])
  assert.deepEqual([...policy.acceptedTypes].sort(), ['EmployeeCredential', 'VerifiedHumanCredential'])
  assert.equal((await stat(join(me.home, 'agent.json'))).mode & 0o777, 0o600)

  const notDid = await me.run('trust', 'add', 'alice', '--json')
  assert.equal(notDid.code, EXIT_USAGE)
  assert.equal(notDid.json.error.code, 'INVALID_ARGUMENT')
  const catchAll = await me.run('trust', 'add', issuerDid, '--type', 'VerifiableCredential', '--json')
  assert.equal(catchAll.json.error.code, 'INVALID_ARGUMENT', 'the type every credential has is never trusted')

  const removed = await me.run('trust', 'remove', 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', '--json')
  assert.deepEqual(removed.json, { removed: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', credentialsRequired: true })
  const gone = await me.run('trust', 'remove', 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', '--json')
  assert.equal(gone.code, EXIT_STORE)
  assert.equal(gone.json.error.code, 'STORE_NOT_FOUND')

  // vc import: a credential about me, verified, copied into the home.
  const vcFile = join(issuer.home, 'me.vc')
  const issued = await issuer.run('vc', 'issue', '--subject', myDid, '--out', vcFile, '--json')
  assert.equal(issued.code, 0, issued.stdout)
  const imported = await me.run('vc', 'import', vcFile, '--json')
  assert.equal(imported.code, 0, imported.stdout + imported.stderr)
  assert.equal(imported.json.issuer, issuerDid)
  assert.equal(imported.json.subject, myDid)
  assert.deepEqual(imported.json.types, ['VerifiedHumanCredential'])
  assert.equal(imported.json.pq, true)
  assert.match(imported.json.file, /^[0-9a-f]{32}\.vc$/)
  const stored = join(me.home, 'credentials', imported.json.file)
  assert.equal((await stat(stored)).mode & 0o777, 0o600)
  const twice = await me.run('vc', 'import', vcFile, '--json')
  assert.equal(twice.json.file, imported.json.file)
  const after = await readAgentConfig(me.home)
  assert.deepEqual(after.credentials, [imported.json.file], 'importing twice keeps one copy')
  const loaded = await loadCredentials(me.home, after)
  assert.equal(loaded.length, 1)
  assert.equal(loaded[0]?.jwt, JSON.parse(await readFile(vcFile, 'utf8')).jwt)

  // A credential about someone else is not ours to present.
  const otherFile = join(issuer.home, 'other.vc')
  await issuer.run('vc', 'issue', '--subject', issuerDid, '--out', otherFile)
  const notMine = await me.run('vc', 'import', otherFile, '--json')
  assert.equal(notMine.code, EXIT_CREDENTIAL)
  assert.equal(notMine.json.error.code, 'VC_SUBJECT_MISMATCH')
  // A tampered one fails its signature.
  const tampered = JSON.parse(await readFile(vcFile, 'utf8'))
  const parts = tampered.jwt.split('.')
  parts[2] = (parts[2][0] === 'A' ? 'B' : 'A') + parts[2].slice(1)
  tampered.jwt = parts.join('.')
  await writeFile(join(me.home, 'bad.vc'), JSON.stringify(tampered))
  const bad = await me.run('vc', 'import', join(me.home, 'bad.vc'), '--json')
  assert.equal(bad.code, EXIT_CREDENTIAL)
  assert.match(bad.json.error.code, /^VC_/)

  // A damaged configuration is STORE_CORRUPT, never an emptier policy.
  await writeFile(join(me.home, 'agent.json'), '{"trustedIssuers": [], "trustedIssuers": []}')
  const corrupt = await me.run('trust', 'list', '--json')
  assert.equal(corrupt.code, EXIT_STORE)
  assert.equal(corrupt.json.error.code, 'STORE_CORRUPT')
})

test('agent configuration: validation, and the policy with and without issuers', () => {
  const empty = defaultAgentConfig()
  assert.equal(credentialsRequired(empty), false)
  const open = trustPolicyFromConfig(empty)
  assert.deepEqual(open.trustedIssuers, [], 'no issuer: no credential is accepted, and none is required')
  const one = addTrustedIssuer(empty, 'did:parley:abc', ['VerifiedHumanCredential', 'VerifiedHumanCredential'])
  assert.deepEqual(one.trustedIssuers, [{ did: 'did:parley:abc', types: ['VerifiedHumanCredential'] }])
  assert.equal(credentialsRequired(one), true)
  assert.deepEqual(empty.trustedIssuers, [], 'the input is not changed')
  const replaced = addTrustedIssuer(one, 'did:parley:abc', ['OtherCredential'])
  assert.deepEqual(replaced.trustedIssuers, [{ did: 'did:parley:abc', types: ['OtherCredential'] }])
  assert.throws(() => addTrustedIssuer(empty, 'did:parley:abc', []), (e) => isParleyError(e, 'INVALID_ARGUMENT'))

  const bad: unknown[] = [
    [],
    { trustedIssuers: {} },
    { trustedIssuers: [{ did: 'nope', types: ['A'] }] },
    { trustedIssuers: [{ did: 'did:parley:a', types: [] }] },
    { trustedIssuers: [{ did: 'did:parley:a', types: ['A'] }, { did: 'did:parley:a', types: ['B'] }] },
    { trustedIssuers: [{ did: 'did:parley:a', types: ['A'], extra: 1 }] },
    { credentials: ['../../etc/passwd'] },
    { listen: ['not-a-multiaddr'] },
    { relays: ['/ip4/1.2.3.4/tcp/1\n'] },
    { requirePq: 'yes' },
    { maxCredentialAgeSeconds: -1 },
    { surprise: true },
  ]
  for (const value of bad) assert.throws(() => validateAgentConfig(value), (e) => isParleyError(e, 'STORE_CORRUPT'), JSON.stringify(value))
  const good = validateAgentConfig({ listen: ['/ip4/0.0.0.0/tcp/4001'], requirePq: true, maxCredentialAgeSeconds: 3600 })
  const policy = trustPolicyFromConfig(addTrustedIssuer(good, 'did:parley:x', ['VerifiedHumanCredential']))
  assert.equal(policy.requirePq, true)
  assert.equal(policy.maxAgeSeconds, 3600)
})
