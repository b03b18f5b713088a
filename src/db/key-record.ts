/**
 * The database's data key as a record of the home's key file (keys.parley):
 * one passphrase and one Argon2id run unlock both. The record
 * `parley/db-key` v1 is `{ current: 32 bytes, next?: 32 bytes }`.
 *
 * `next` exists only while the data key rotates, which touches two files:
 * 1. the key file gets `{ current: old, next: fresh }`;
 * 2. the database re-seals every row under `fresh` and stores its key check,
 *    in one transaction;
 * 3. the key file gets `{ current: fresh }`.
 * On open, the key whose check matches the database's is the one in use; a
 * leftover `next` is settled (promoted when the database committed to it,
 * dropped when it did not). A crash at any point loses nothing.
 */
import { XCHACHA20_KEY_LENGTH } from '../constants.js'
import { ParleyError } from '../errors.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, optional } from '../codec/index.js'
import type { CborValue } from '../codec/index.js'
import type { Keystore } from '../storage/keystore.js'

/** Name of the record in keys.parley. */
export const DB_KEY_RECORD = 'db-key'
const KIND = 'parley/db-key'

export interface DbKeyRecord {
  current: Uint8Array
  next?: Uint8Array
}

/** The record, or undefined when the key file has none yet. */
export function readKeyRecord(keystore: Keystore): DbKeyRecord | undefined {
  if (!keystore.has(DB_KEY_RECORD)) return undefined
  const raw = keystore.get(DB_KEY_RECORD)
  try {
    const m = asMap(decodeVersioned(raw, KIND, [1]), 'db key')
    expectKeys(m, ['current'], ['next'], 'db key')
    const record: DbKeyRecord = { current: getBytes(m, 'current', 'db key', { length: XCHACHA20_KEY_LENGTH }) }
    const next = optional(m, 'next', (mm, k) => getBytes(mm, k, 'db key', { length: XCHACHA20_KEY_LENGTH }))
    if (next !== undefined) record.next = next
    return record
  } catch (err) {
    throw new ParleyError('STORE_CORRUPT', 'the key file holds a damaged database key', { cause: err })
  } finally {
    raw.fill(0)
  }
}

/** Writes the record (atomically, with the rest of the key file). */
export async function writeKeyRecord(keystore: Keystore, record: DbKeyRecord): Promise<void> {
  const body: Record<string, CborValue> = { current: record.current }
  if (record.next !== undefined) body['next'] = record.next
  const bytes = encodeVersioned(KIND, 1, body)
  try {
    await keystore.put(DB_KEY_RECORD, bytes)
  } finally {
    bytes.fill(0)
  }
}

export function wipeKeyRecord(record: DbKeyRecord): void {
  record.current.fill(0)
  record.next?.fill(0)
}
