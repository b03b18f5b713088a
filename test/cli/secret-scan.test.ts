import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { cliWithHome, removeDir } from '../helpers/cli.js'
import { defaultSuite } from '../../src/crypto/index.js'
import { Home } from '../../src/storage/home.js'
import { IdentityStore } from '../../src/storage/identity-store.js'

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(path)
    else yield path
  }
}

function forms(secret: Uint8Array): Buffer[] {
  const b = Buffer.from(secret)
  return [b, Buffer.from(b.toString('hex')), Buffer.from(b.toString('base64')), Buffer.from(b.toString('base64url'))]
}

test('no secret key bytes lie in the clear anywhere in the home; secret files are 0600', async (t) => {
  const passphrase = 'correct horse battery staple'
  const cli = await cliWithHome(passphrase)
  t.after(() => removeDir(cli.home))
  assert.equal((await cli.run('id', 'create', '--name', 'scan', '--json')).code, 0)
  assert.equal((await cli.run('group', 'create', '--name', 'g', '--json')).code, 0)
  assert.equal((await cli.run('id', 'rotate', '--json')).code, 0)

  const home = new Home(cli.home, defaultSuite)
  const store = new IdentityStore(home)
  const keystore = await home.openKeystore(passphrase)
  const me = await store.loadIdentity(keystore)
  const group = await store.loadGroup(keystore, 'g')
  keystore.close()

  const secrets: Uint8Array[] = []
  for (const s of [me.secrets, group.secrets]) {
    for (const typed of [s.signing, s.next]) {
      secrets.push(typed.subarray(1))
      const parts = defaultSuite.splitSigningSecretKey(typed)
      secrets.push(parts.ed25519, parts.mlDsa65)
    }
    for (const typed of s.agreement) secrets.push(typed.subarray(1))
  }
  assert.ok(secrets.length >= 10)
  for (const secret of secrets) assert.ok(secret.length >= 32)

  let scanned = 0
  for await (const path of files(cli.home)) {
    const content = await readFile(path)
    scanned++
    for (const secret of secrets) {
      for (const form of forms(secret)) {
        assert.equal(content.indexOf(form), -1, `a secret lies in the clear in ${path}`)
      }
      // Any 16-byte window of the raw secret would also be a leak.
      for (let i = 0; i + 16 <= secret.length; i += 8) {
        assert.equal(content.indexOf(Buffer.from(secret.subarray(i, i + 16))), -1, `part of a secret lies in ${path}`)
      }
    }
  }
  assert.ok(scanned >= 3, `scanned ${scanned} files`)
  assert.equal((await stat(home.keystorePath)).mode & 0o777, 0o600)
  assert.equal((await stat(cli.home)).mode & 0o777, 0o700)
})
