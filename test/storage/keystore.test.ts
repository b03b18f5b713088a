import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { defaultSuite } from '../../src/crypto/index.js'
import { Keystore, decodeKeystore } from '../../src/storage/keystore.js'
import { acquireLock, writeAtomic } from '../../src/storage/files.js'
import { decode, encodeVersioned, asMap } from '../../src/codec/index.js'
import type { CborValue } from '../../src/codec/index.js'
import { ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_PASSES } from '../../src/constants.js'
import { isParleyError } from '../../src/errors.js'
import { tempDir, removeDir } from '../helpers/tmp.js'
import { fuzzDecoder } from '../helpers/fuzz.js'

const CHEAP = { memoryKiB: ARGON2_MIN_MEMORY_KIB, passes: ARGON2_MIN_PASSES, parallelism: 1 }
const rejectsWith = (code: string) => (err: unknown) => isParleyError(err) && err.code === code

test('keystore: records round-trip, survive reopen, wrong passphrase refused', async (t) => {
  const dir = await tempDir()
  t.after(() => removeDir(dir))
  const path = join(dir, 'keys.parley')
  const ks = await Keystore.create(defaultSuite, path, 'passphrase one', CHEAP)
  await ks.put('identity', new Uint8Array([1, 2, 3]))
  await ks.put('group:did:parley:abc', new Uint8Array(100).fill(7))
  ks.close()
  assert.equal((await stat(path)).mode & 0o777, 0o600)

  const again = await Keystore.open(defaultSuite, path, 'passphrase one')
  assert.deepEqual(again.names(), ['group:did:parley:abc', 'identity'])
  assert.deepEqual(again.get('identity'), new Uint8Array([1, 2, 3]))
  await again.delete('identity')
  assert.equal(again.has('identity'), false)
  assert.throws(() => again.get('identity'), rejectsWith('STORE_NOT_FOUND'))
  await assert.rejects(again.put('bad name!', new Uint8Array(1)), rejectsWith('INVALID_ARGUMENT'))
  again.close()

  await assert.rejects(Keystore.open(defaultSuite, path, 'passphrase two'), rejectsWith('PASSPHRASE_WRONG'))
  await assert.rejects(Keystore.create(defaultSuite, join(dir, 'weak'), 'x', { ...CHEAP, memoryKiB: 1024 }), rejectsWith('KDF_PARAMS_INVALID'))
})

test('keystore: passphrase change and data-key rotation keep every record', async (t) => {
  const dir = await tempDir()
  t.after(() => removeDir(dir))
  const path = join(dir, 'keys.parley')
  const ks = await Keystore.create(defaultSuite, path, 'old passphrase', CHEAP)
  await ks.put('a', new Uint8Array([9, 9]))
  const before = await readFile(path)
  await ks.rotateDataKey('old passphrase')
  await assert.rejects(ks.rotateDataKey('not it'), rejectsWith('PASSPHRASE_WRONG'))
  const after = await readFile(path)
  assert.notDeepEqual(before, after)
  await ks.changePassphrase('new passphrase', CHEAP)
  ks.close()
  await assert.rejects(Keystore.open(defaultSuite, path, 'old passphrase'), rejectsWith('PASSPHRASE_WRONG'))
  const reopened = await Keystore.open(defaultSuite, path, 'new passphrase')
  assert.deepEqual(reopened.get('a'), new Uint8Array([9, 9]))
  reopened.close()
})

test('keystore: a file claiming Argon2 cost below the floor, or damaged, is refused before any work', async (t) => {
  const dir = await tempDir()
  t.after(() => removeDir(dir))
  const path = join(dir, 'keys.parley')
  const ks = await Keystore.create(defaultSuite, path, 'passphrase', CHEAP)
  ks.close()
  const body = asMap(asMap(decode(await readFile(path)), 'env')['b'] as CborValue, 'body')
  const kdf = asMap(body['kdf'] as CborValue, 'kdf')
  const weakened = encodeVersioned('parley/keystore', 1, { ...body, kdf: { ...kdf, m: 8 } })
  await writeFile(path, weakened)
  await assert.rejects(Keystore.open(defaultSuite, path, 'passphrase'), rejectsWith('KDF_PARAMS_INVALID'))
  await writeFile(path, Buffer.from('garbage'))
  await assert.rejects(Keystore.open(defaultSuite, path, 'passphrase'), rejectsWith('STORE_CORRUPT'))
})

test('files: atomic write creates 0600 files; the lock refuses a second live holder', async (t) => {
  const dir = await tempDir()
  t.after(() => removeDir(dir))
  const p = join(dir, 'secret')
  await writeAtomic(p, 'x')
  await writeAtomic(p, 'y')
  assert.equal((await stat(p)).mode & 0o777, 0o600)
  assert.equal(await readFile(p, 'utf8'), 'y')
  await assert.rejects(writeAtomic(join(dir, 'no', 'such', 'dir'), 'x'), rejectsWith('IO_FAILED'))
  const lockPath = join(dir, 'lock')
  const lock = await acquireLock(lockPath)
  // A lock held by another live process (pid 1 always runs) is refused.
  await writeFile(lockPath, '1')
  await assert.rejects(acquireLock(lockPath), rejectsWith('STORE_LOCKED'))
  // A lock left by a dead process is taken over.
  await writeFile(lockPath, '999999999')
  const taken = await acquireLock(lockPath)
  await taken.release()
  await lock.release()
})

const seedDir = await tempDir()
const seedKs = await Keystore.create(defaultSuite, join(seedDir, 'k'), 'passphrase', CHEAP)
await seedKs.put('identity', new Uint8Array(64).fill(1))
seedKs.close()
const seed = new Uint8Array(await readFile(join(seedDir, 'k')))
await removeDir(seedDir)
fuzzDecoder('keystore file', (b) => decodeKeystore(b), [seed])
