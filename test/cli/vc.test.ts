import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import { cliWithHome, removeDir } from '../helpers/cli.js'
import { EXIT_CREDENTIAL, EXIT_USAGE } from '../../src/cli/exit-codes.js'

test('vc issue / verify: valid with the PQ co-signature; tampered, untrusted, expired and rotated-issuer credentials refused with codes', async (t) => {
  const issuer = await cliWithHome()
  const alice = await cliWithHome()
  t.after(() => Promise.all([removeDir(issuer.home), removeDir(alice.home)]))
  const issuerDid: string = (await issuer.run('id', 'create', '--name', 'issuer', '--json')).json.did
  const aliceDid: string = (await alice.run('id', 'create', '--name', 'alice', '--json')).json.did

  const file = join(issuer.home, 'alice.vc.json')
  const issued = await issuer.run('vc', 'issue', '--subject', aliceDid, '--type', 'VerifiedHuman', '--expires', '2027-11-22T00:00:00Z', '--out', file, '--json')
  assert.equal(issued.code, 0, issued.stdout + issued.stderr)
  assert.equal(issued.json.issuer, issuerDid)

  const ok = await alice.run('vc', 'verify', file, '--trust', issuerDid, '--require-pq', '--json')
  assert.equal(ok.code, 0, ok.stdout)
  assert.equal(ok.json.valid, true)
  assert.equal(ok.json.subject, aliceDid)
  assert.equal(ok.json.issuer, issuerDid)
  assert.equal(ok.json.pq, true)

  const untrusted = await alice.run('vc', 'verify', file, '--trust', aliceDid, '--json')
  assert.equal(untrusted.code, EXIT_CREDENTIAL)
  assert.equal(untrusted.json.error.code, 'VC_UNTRUSTED_ISSUER')

  // Flip one character of the JWT payload.
  const container = JSON.parse(await readFile(file, 'utf8'))
  const [h, p, s] = container.jwt.split('.')
  const i = Math.floor(p.length / 2)
  const flipped = p.slice(0, i) + (p[i] === 'A' ? 'B' : 'A') + p.slice(i + 1)
  const tamperedFile = join(alice.home, 'tampered.vc.json')
  await writeFile(tamperedFile, JSON.stringify({ ...container, jwt: [h, flipped, s].join('.') }))
  const tampered = await alice.run('vc', 'verify', tamperedFile, '--trust', issuerDid, '--json')
  assert.equal(tampered.code, EXIT_CREDENTIAL, tampered.stdout)
  assert.match(tampered.json.error.code, /^VC_(SIGNATURE_INVALID|MALFORMED)$/)

  alice.now = new Date('2028-01-01T00:00:00Z')
  const expired = await alice.run('vc', 'verify', file, '--trust', issuerDid, '--json')
  assert.equal(expired.json.error.code, 'VC_EXPIRED')
  alice.now = new Date('2026-11-22T12:00:00Z')

  const tooOld = await alice.run('vc', 'verify', file, '--trust', issuerDid, '--max-age', '1', '--json')
  assert.equal(tooOld.code, 0, 'issued at the same instant: not too old')
  alice.now = new Date('2026-11-23T12:00:00Z')
  const old = await alice.run('vc', 'verify', file, '--trust', issuerDid, '--max-age', '3600', '--json')
  assert.equal(old.json.error.code, 'VC_TOO_OLD')
  alice.now = new Date('2026-11-22T12:00:00Z')

  // Once the verifier has seen the issuer's rotation, the old credential is refused.
  assert.equal((await issuer.run('id', 'rotate', '--json')).code, 0)
  const kel = join(issuer.home, 'issuer.kel')
  await issuer.run('id', 'export', '--out', kel)
  assert.equal((await alice.run('id', 'verify', kel, '--json')).code, 0)
  const rotated = await alice.run('vc', 'verify', file, '--trust', issuerDid, '--json')
  assert.equal(rotated.json.error.code, 'KEL_ROTATED_KEY')

  const reissued = await issuer.run('vc', 'issue', '--subject', aliceDid, '--out', file, '--json')
  assert.equal(reissued.code, 0)
  assert.equal((await alice.run('vc', 'verify', file, '--trust', issuerDid, '--require-pq', '--json')).json.pq, true)
})

test('vc commands refuse bad arguments with usage errors', async (t) => {
  const cli = await cliWithHome()
  t.after(() => removeDir(cli.home))
  const did: string = (await cli.run('id', 'create', '--json')).json.did
  const out = join(cli.home, 'x.json')
  const past = await cli.run('vc', 'issue', '--subject', did, '--expires', '2020-01-01', '--out', out, '--json')
  assert.equal(past.code, EXIT_USAGE)
  assert.equal(past.json.error.code, 'INVALID_ARGUMENT')
  const badDate = await cli.run('vc', 'issue', '--subject', did, '--expires', 'tomorrow', '--out', out, '--json')
  assert.equal(badDate.json.error.code, 'INVALID_ARGUMENT')
  const noTrust = await cli.run('vc', 'verify', out, '--json')
  assert.equal(noTrust.json.error.code, 'INVALID_ARGUMENT')
  const badSubject = await cli.run('vc', 'issue', '--subject', 'not-a-did', '--out', out, '--json')
  assert.notEqual(badSubject.code, 0)
})
