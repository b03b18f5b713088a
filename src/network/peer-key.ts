/**
 * The node's libp2p key, stored with the identity: an Ed25519 key (its
 * public half is the libp2p peer id the KEL announces) kept as one record of
 * the home's sealed key file, so it is encrypted under the data key like the
 * identity secrets beside it and survives restarts. The record is the
 * libp2p protobuf encoding inside a versioned Parley envelope; on load it is
 * decoded strictly, must be Ed25519, and its public half must be the one its
 * seed derives (a record that decrypts but holds a mismatched key is
 * STORE_CORRUPT, never a node with an unexpected peer id).
 */
import { generateKeyPair, generateKeyPairFromSeed, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { asMap, bytesEqual, decodeVersioned, encodeVersioned, expectKeys, getBytes } from '../codec/index.js'
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SEED_LENGTH } from '../constants.js'
import { ParleyError } from '../errors.js'
import type { Keystore } from '../storage/keystore.js'

/** Name of the key-file record holding the libp2p key. */
export const PEER_KEY_RECORD = 'libp2p-peer-key'
const KIND = 'parley/libp2p-key'
const VERSION = 1
/** libp2p protobuf of an Ed25519 private key: a 4-byte header and seed ‖ public key. */
const PEER_KEY_PROTOBUF_LENGTH = 4 + ED25519_SEED_LENGTH + ED25519_PUBLIC_KEY_LENGTH

/** The encoded record for `key` (the caller wipes it after storing). */
export function encodePeerKey(key: Ed25519PrivateKey): Uint8Array {
  const protobuf = privateKeyToProtobuf(key)
  try {
    return encodeVersioned(KIND, VERSION, { key: protobuf })
  } finally {
    protobuf.fill(0)
  }
}

/** Strictly decodes a record written by `encodePeerKey`; anything else is STORE_CORRUPT. */
export async function decodePeerKey(record: Uint8Array): Promise<Ed25519PrivateKey> {
  let key
  try {
    const body = asMap(decodeVersioned(record, KIND, [VERSION]), 'libp2p key')
    expectKeys(body, ['key'], [], 'libp2p key')
    // A copy: libp2p keeps subarrays of what it decodes, and the caller wipes the record.
    key = privateKeyFromProtobuf(getBytes(body, 'key', 'libp2p key', { length: PEER_KEY_PROTOBUF_LENGTH }).slice())
  } catch (err) {
    throw new ParleyError('STORE_CORRUPT', 'the libp2p key record is damaged', { cause: err })
  }
  if (key.type !== 'Ed25519') throw new ParleyError('STORE_CORRUPT', 'the libp2p key record holds a non-Ed25519 key')
  const derived = await generateKeyPairFromSeed('Ed25519', key.raw.subarray(0, ED25519_SEED_LENGTH))
  if (!bytesEqual(derived.publicKey.raw, key.publicKey.raw)) throw new ParleyError('STORE_CORRUPT', 'the libp2p key record holds a mismatched public key')
  return key
}

/**
 * The home's libp2p key: loaded from the key file, or generated and stored
 * there on first use. The same key file always gives the same peer id.
 *
 * @example
 * const keystore = await home.openKeystore(passphrase)
 * const privateKey = await loadOrCreatePeerKey(keystore)
 * const node = await createParleyNode({ privateKey })
 */
export async function loadOrCreatePeerKey(keystore: Keystore): Promise<Ed25519PrivateKey> {
  if (keystore.has(PEER_KEY_RECORD)) {
    const record = keystore.get(PEER_KEY_RECORD)
    try {
      return await decodePeerKey(record)
    } finally {
      record.fill(0)
    }
  }
  const key = await generateKeyPair('Ed25519')
  const record = encodePeerKey(key)
  try {
    await keystore.put(PEER_KEY_RECORD, record)
  } finally {
    record.fill(0)
  }
  return key
}
