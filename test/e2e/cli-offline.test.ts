/**
 * The real `parley` binary, as a person (or a script) runs it, on commands
 * that need no peer: identities, credentials, trust. Checks the `--json`
 * contract of `trust` and `vc import`, and that typed errors end in their
 * exit codes with `{"error":{"code","message"}}` on stdout.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { e2e } from './helpers.js'
import { EXIT_CREDENTIAL, EXIT_STORE, EXIT_USAGE } from '../../src/cli/exit-codes.js'

/** Asserts a typed failure: the exit code, the error code, a one-line message. */
function failed(r: { code: number; json: any; stdout: string; stderr: string }, exit: number, code: string): void {
  assert.equal(r.code, exit, `exit code of ${code}: ${r.stdout} ${r.stderr}`)
  assert.equal(r.json?.error?.code, code, r.stdout)
  assert.equal(typeof r.json.error.message, 'string')
  assert.doesNotMatch(r.json.error.message, /\n/)
  assert.doesNotMatch(r.stderr, /\bat .*\(.*:\d+:\d+\)/, 'no stack trace for an expected error')
}

test('identities, trust and credentials through the real binary: --json shapes and typed exit codes', async (t) => {
  const { root, procs, home } = await e2e(t, 'offline')
  const [issuer, alice, bob] = await Promise.all(['issuer', 'alice', 'bob'].map((n) => procs.run(home(n), ['id', 'create', '--name', n, '--json'])))
  for (const r of [issuer, alice, bob]) {
    assert.equal(r?.code, 0, r?.stderr)
    assert.deepEqual(Object.keys(r?.json ?? {}), ['did'])
    assert.match(r?.json.did, /^did:parley:[a-z2-7]+$/)
  }
  const issuerDid: string = issuer?.json.did
  const aliceDid: string = alice?.json.did
  const bobDid: string = bob?.json.did

  failed(await procs.run(home('alice'), ['id', 'create', '--json']), EXIT_STORE, 'STORE_EXISTS')
  failed(await procs.run(home('alice'), ['id', 'rotate', '--json'], { env: { PARLEY_PASSPHRASE: 'not the passphrase' } }), EXIT_STORE, 'PASSPHRASE_WRONG')
  failed(await procs.run(home('nobody'), ['contacts', '--json']), EXIT_STORE, 'STORE_NOT_FOUND')
  failed(await procs.run(home('alice'), ['send', '--json']), EXIT_USAGE, 'INVALID_ARGUMENT')
  failed(await procs.run(home('alice'), ['contacts', '--bogus', '--json']), EXIT_USAGE, 'INVALID_ARGUMENT')

  // trust: add, list, remove
  const added = await procs.run(home('alice'), ['trust', 'add', issuerDid, '--type', 'VerifiedHuman', '--json'])
  assert.equal(added.code, 0, added.stderr)
  assert.deepEqual(added.json, { did: issuerDid, types: ['VerifiedHumanCredential'] })
  failed(await procs.run(home('alice'), ['trust', 'add', 'did:nope', '--json']), EXIT_USAGE, 'INVALID_ARGUMENT')
  const listed = await procs.run(home('alice'), ['trust', 'list', '--json'])
  assert.deepEqual(listed.json, { issuers: [{ did: issuerDid, types: ['VerifiedHumanCredential'] }], credentialsRequired: true, credentials: [] })
  const other = await procs.run(home('bob'), ['trust', 'add', aliceDid, '--json'])
  assert.equal(other.code, 0)
  const removed = await procs.run(home('bob'), ['trust', 'remove', aliceDid, '--json'])
  assert.deepEqual(removed.json, { removed: aliceDid, credentialsRequired: false })
  failed(await procs.run(home('bob'), ['trust', 'remove', aliceDid, '--json']), EXIT_STORE, 'STORE_NOT_FOUND')
  assert.deepEqual((await procs.run(home('bob'), ['trust', 'list', '--json'])).json, { issuers: [], credentialsRequired: false, credentials: [] })

  // vc issue and vc import
  const vc = join(root, 'alice.vc')
  const issued = await procs.run(home('issuer'), ['vc', 'issue', '--subject', aliceDid, '--type', 'VerifiedHuman', '--out', vc, '--json'])
  assert.equal(issued.code, 0, issued.stderr)
  assert.deepEqual(issued.json, { issuer: issuerDid, subject: aliceDid, type: 'VerifiedHumanCredential', file: vc })
  const imported = await procs.run(home('alice'), ['vc', 'import', vc, '--json'])
  assert.equal(imported.code, 0, imported.stderr)
  assert.deepEqual(Object.keys(imported.json).sort(), ['file', 'issuer', 'pq', 'subject', 'types'])
  assert.match(imported.json.file, /^[0-9a-f]{32}\.vc$/)
  assert.deepEqual({ ...imported.json, file: undefined }, { file: undefined, issuer: issuerDid, subject: aliceDid, types: ['VerifiedHumanCredential'], pq: true })
  assert.equal((await stat(join(home('alice'), 'credentials', imported.json.file))).mode & 0o777, 0o600)
  const config = JSON.parse(await readFile(join(home('alice'), 'agent.json'), 'utf8'))
  assert.deepEqual(config.credentials, [imported.json.file])
  assert.deepEqual((await procs.run(home('alice'), ['trust', 'list', '--json'])).json.credentials, [imported.json.file])

  // Bob cannot present a credential about Alice; a damaged file is refused.
  const notBobs = await procs.run(home('bob'), ['vc', 'import', vc, '--json'])
  assert.equal(notBobs.code, EXIT_CREDENTIAL, notBobs.stdout)
  assert.match(notBobs.json.error.code, /^VC_/)
  const garbage = join(root, 'garbage.vc')
  await writeFile(garbage, '{"format":"parley-vc/1","jwt":"x.y.z"}')
  const bad = await procs.run(home('bob'), ['vc', 'import', garbage, '--json'])
  assert.equal(bad.code, EXIT_CREDENTIAL, bad.stdout)
  assert.match(bad.json.error.code, /^VC_/)
  assert.ok(bobDid !== aliceDid)

  // Without a daemon, offline commands run an agent in-process and release the home.
  const contacts = await procs.run(home('alice'), ['contacts', '--json'])
  assert.equal(contacts.code, 0, contacts.stderr)
  assert.deepEqual(contacts.json, { contacts: [] })
  failed(await procs.run(home('alice'), ['alias', 'did:parley:nobody', 'x', '--json']), EXIT_STORE, 'STORE_NOT_FOUND')
  failed(await procs.run(home('alice'), ['chat', 'bob', '--json']), EXIT_USAGE, 'TERMINAL_REQUIRED')
  failed(await procs.run(home('alice'), ['serve', '--json']), EXIT_USAGE, 'INVALID_ARGUMENT')
  failed(await procs.run(home('alice'), ['daemon', '--relay-only', '--json']), EXIT_USAGE, 'INVALID_ARGUMENT')

  // Human output: one line on stderr, no JSON.
  const human = await procs.run(home('alice'), ['id', 'create'])
  assert.equal(human.code, EXIT_STORE)
  assert.equal(human.stdout, '')
  assert.match(human.stderr, /^parley: .* \(STORE_EXISTS\)\n$/)
})
