/**
 * The libp2p key stored with the identity: generated once into the sealed
 * key file, loaded again (also after reopening the file), giving the same
 * peer id to a started node; a damaged or foreign record is STORE_CORRUPT.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { defaultSuite } from '../../src/crypto/index.js'
import { Keystore } from '../../src/storage/keystore.js'
import { ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_PASSES } from '../../src/constants.js'
import { encodeVersioned } from '../../src/codec/index.js'
import { isParleyError } from '../../src/errors.js'
import { PEER_KEY_RECORD, decodePeerKey, encodePeerKey, loadOrCreatePeerKey } from '../../src/network/peer-key.js'
import { TestNodes } from '../helpers/nodes.js'
import { removeDir, tempDir } from '../helpers/tmp.js'

const CHEAP = { memoryKiB: ARGON2_MIN_MEMORY_KIB, passes: ARGON2_MIN_PASSES, parallelism: 1 }
const nodes = new TestNodes()
const dirs: string[] = []
after(async () => {
  await nodes.stopAll()
  await Promise.all(dirs.map(removeDir))
})

async function keystore(): Promise<{ ks: Keystore; path: string }> {
  const dir = await tempDir('parley-peer-key-')
  dirs.push(dir)
  const path = join(dir, 'keys.parley')
  return { ks: await Keystore.create(defaultSuite, path, 'peer key passphrase', CHEAP), path }
}

test('the peer key is created once, sealed in the key file, and loaded again with the same peer id', async () => {
  const { ks, path } = await keystore()
  assert.equal(ks.has(PEER_KEY_RECORD), false)
  const first = await loadOrCreatePeerKey(ks)
  assert.equal(first.type, 'Ed25519')
  assert.equal(ks.has(PEER_KEY_RECORD), true)
  const again = await loadOrCreatePeerKey(ks)
  assert.ok(again.equals(first))
  ks.close()

  // Sealed: the key bytes do not appear in the file.
  const file = await readFile(path)
  assert.equal(file.indexOf(Buffer.from(first.raw.subarray(0, 32))), -1, 'the seed is not stored in the clear')

  const reopened = await Keystore.open(defaultSuite, path, 'peer key passphrase')
  const loaded = await loadOrCreatePeerKey(reopened)
  reopened.close()
  assert.equal(peerIdFromPrivateKey(loaded).toString(), peerIdFromPrivateKey(first).toString())

  const node = await nodes.start({ privateKey: loaded })
  assert.equal(node.peerId.toString(), peerIdFromPrivateKey(first).toString())
})

test('encode/decode round-trips; damaged, foreign and mismatched records are STORE_CORRUPT', async () => {
  const key = await generateKeyPair('Ed25519')
  const record = encodePeerKey(key)
  assert.ok((await decodePeerKey(record)).equals(key))

  const corrupt = (err: unknown): boolean => isParleyError(err, 'STORE_CORRUPT')
  await assert.rejects(decodePeerKey(record.subarray(0, record.length - 1)), corrupt)
  await assert.rejects(decodePeerKey(new Uint8Array([0xa0])), corrupt)
  await assert.rejects(decodePeerKey(encodeVersioned('parley/libp2p-key', 1, { key: new Uint8Array(68), extra: 1 })), corrupt)
  await assert.rejects(decodePeerKey(encodeVersioned('parley/libp2p-key', 1, { key: new Uint8Array(68) })), corrupt)
  await assert.rejects(decodePeerKey(encodeVersioned('parley/libp2p-key', 2, { key: privateKeyToProtobuf(key) })), corrupt)

  // A secp256k1 key is not accepted (wrong length for the record, and wrong type).
  const secp = privateKeyToProtobuf(await generateKeyPair('secp256k1'))
  await assert.rejects(decodePeerKey(encodeVersioned('parley/libp2p-key', 1, { key: secp })), corrupt)

  // Seed of one key, public half of another: refused, not a node with an unexpected peer id.
  const other = await generateKeyPair('Ed25519')
  const mixed = privateKeyToProtobuf(key)
  mixed.set(other.publicKey.raw, 4 + 32)
  await assert.rejects(decodePeerKey(encodeVersioned('parley/libp2p-key', 1, { key: mixed })), corrupt)
})

test('a damaged record in the key file surfaces as STORE_CORRUPT from loadOrCreatePeerKey', async () => {
  const { ks } = await keystore()
  await ks.put(PEER_KEY_RECORD, new Uint8Array([1, 2, 3]))
  await assert.rejects(loadOrCreatePeerKey(ks), (err) => isParleyError(err, 'STORE_CORRUPT'))
  ks.close()
})
