import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import * as parley from '../src/index.js'
import { tempDir, removeDir } from './helpers/tmp.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))

test('the README library example runs against the public API', () => {
  const { defaultSuite, createIdentity, rotateIdentity, verifyKel } = parley
  const alice = createIdentity(defaultSuite, { name: 'alice', now: new Date('2026-11-22T00:00:00Z') })
  const next = rotateIdentity(defaultSuite, alice.kel, alice.secrets, { now: new Date('2026-11-22T00:01:00Z') })
  const state = verifyKel(defaultSuite, next.kel)
  assert.equal(state.did, alice.state.did)
  assert.equal(state.sequence, 1)
  assert.equal(typeof parley.issueCredential, 'function')
  assert.equal(typeof parley.buildCli, 'function')
  assert.ok(parley.ErrorCodes.includes('KEL_ROLLBACK'))
})

test('`npx parley` runs the real binary on Node 24 with the JSON contract', async (t) => {
  const home = await tempDir()
  t.after(() => removeDir(home))
  const env = { ...process.env, PARLEY_HOME: home, PARLEY_PASSPHRASE: 'correct horse battery staple' }
  const created = await run('npx', ['--no-install', 'parley', 'id', 'create', '--name', 'bin', '--json'], { cwd: ROOT, env })
  const did = JSON.parse(created.stdout).did as string
  assert.match(did, /^did:parley:/)
  const failed = await run('npx', ['--no-install', 'parley', 'vc', 'verify', 'missing.json', '--trust', did, '--json'], { cwd: ROOT, env }).then(
    () => assert.fail('a missing file must fail'),
    (err: { code: number; stdout: string }) => err,
  )
  assert.notEqual(failed.code, 0)
  assert.equal(JSON.parse(failed.stdout).error.code, 'STORE_NOT_FOUND')
  const version = await run('npx', ['--no-install', 'parley', '--version'], { cwd: ROOT, env })
  assert.match(version.stdout, /^\d+\.\d+\.\d+/)
})
