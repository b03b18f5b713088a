/**
 * The sealed key file of a Parley home. A random 32-byte data key seals each
 * record (XChaCha20-Poly1305, the record's name bound as associated data);
 * the data key itself is sealed under a key derived from the passphrase with
 * Argon2id (RFC 9106), whose parameters and salt are stored beside it and
 * bound as associated data. Parameters below the recorded floor, or above the
 * ceiling, are refused before any work is done. The file is rewritten
 * atomically (0600) on every change. Changing the passphrase re-wraps the
 * data key; `rotateDataKey` re-seals every record under a fresh data key.
 */
import type { Suite, Argon2Params } from '../crypto/types.js'
import { ParleyError } from '../errors.js'
import {
  ARGON2_MAX_MEMORY_KIB,
  ARGON2_MAX_PASSES,
  ARGON2_MEMORY_KIB,
  ARGON2_MIN_MEMORY_KIB,
  ARGON2_MIN_PASSES,
  ARGON2_PARALLELISM,
  ARGON2_PASSES,
  ARGON2_SALT_LENGTH,
  KEYSTORE_MAX_RECORDS,
  KEYSTORE_MAX_RECORD_BYTES,
  KEYSTORE_MAX_NAME_LENGTH,
  LABELS,
  XCHACHA20_KEY_LENGTH,
} from '../constants.js'
import { asMap, concatBytes, decodeVersioned, encode, encodeVersioned, expectKeys, getBytes, getMap, getText, getUint } from '../codec/index.js'
import type { CborValue } from '../codec/index.js'
import { readBounded, writeAtomic } from './files.js'

const KIND = 'parley/keystore'
const VERSION = 1
/** Sealed data key: nonce 24 + key 32 + tag 16. */
const SEALED_DATA_KEY_LENGTH = 24 + XCHACHA20_KEY_LENGTH + 16
const utf8 = new TextEncoder()

/** Default Argon2id cost for new key files. */
export const DEFAULT_ARGON2: Omit<Argon2Params, 'length'> = {
  memoryKiB: ARGON2_MEMORY_KIB,
  passes: ARGON2_PASSES,
  parallelism: ARGON2_PARALLELISM,
}

interface KdfRecord {
  memoryKiB: number
  passes: number
  parallelism: number
  salt: Uint8Array
}

/** An unlocked key file: records are decrypted on demand, never cached in the clear. */
export class Keystore {
  readonly #suite: Suite
  readonly #path: string
  #kdf: KdfRecord
  #wrapped: Uint8Array
  #dataKey: Uint8Array
  readonly #records: Map<string, Uint8Array>

  private constructor(suite: Suite, path: string, kdf: KdfRecord, wrapped: Uint8Array, dataKey: Uint8Array, records: Map<string, Uint8Array>) {
    this.#suite = suite
    this.#path = path
    this.#kdf = kdf
    this.#wrapped = wrapped
    this.#dataKey = dataKey
    this.#records = records
  }

  /** Creates a new key file at `path` (refuses to overwrite one). */
  static async create(suite: Suite, path: string, passphrase: string, cost: Omit<Argon2Params, 'length'> = DEFAULT_ARGON2): Promise<Keystore> {
    const kdf: KdfRecord = { ...checkCost(cost), salt: suite.randomBytes(ARGON2_SALT_LENGTH) }
    const dataKey = suite.randomBytes(XCHACHA20_KEY_LENGTH)
    const kek = await deriveKek(suite, passphrase, kdf)
    const wrapped = suite.seal(kek, dataKey, wrapAad(kdf))
    kek.fill(0)
    const ks = new Keystore(suite, path, kdf, wrapped, dataKey, new Map())
    await ks.#save()
    return ks
  }

  /** Opens and unlocks the key file at `path`; a wrong passphrase gives PASSPHRASE_WRONG. */
  static async open(suite: Suite, path: string, passphrase: string): Promise<Keystore> {
    const bytes = await readBounded(path)
    const { kdf, wrapped, records } = decodeKeystore(bytes)
    const kek = await deriveKek(suite, passphrase, kdf)
    let dataKey: Uint8Array
    try {
      dataKey = suite.open(kek, wrapped, wrapAad(kdf))
    } catch (err) {
      throw new ParleyError('PASSPHRASE_WRONG', 'wrong passphrase (or a damaged key file)', { cause: err })
    } finally {
      kek.fill(0)
    }
    return new Keystore(suite, path, kdf, wrapped, dataKey, records)
  }

  /** Names of the records held. */
  names(): string[] {
    return [...this.#records.keys()].sort()
  }

  has(name: string): boolean {
    return this.#records.has(name)
  }

  /** Decrypts one record; the caller owns (and should wipe) the result. */
  get(name: string): Uint8Array {
    const sealed = this.#records.get(name)
    if (sealed === undefined) throw new ParleyError('STORE_NOT_FOUND', `no record named ${name}`)
    try {
      return this.#suite.open(this.#dataKey, sealed, recordAad(name))
    } catch (err) {
      throw new ParleyError('STORE_CORRUPT', `record ${name} does not decrypt`, { cause: err })
    }
  }

  /** Seals and stores a record, then rewrites the file atomically. */
  async put(name: string, value: Uint8Array): Promise<void> {
    checkName(name)
    if (value.byteLength > KEYSTORE_MAX_RECORD_BYTES) throw new ParleyError('INVALID_ARGUMENT', `record ${name} is larger than ${KEYSTORE_MAX_RECORD_BYTES} bytes`)
    if (!this.#records.has(name) && this.#records.size >= KEYSTORE_MAX_RECORDS) {
      throw new ParleyError('INVALID_ARGUMENT', `a key file holds at most ${KEYSTORE_MAX_RECORDS} records`)
    }
    const previous = this.#records.get(name)
    this.#records.set(name, this.#suite.seal(this.#dataKey, value, recordAad(name)))
    try {
      await this.#save()
    } catch (err) {
      if (previous === undefined) this.#records.delete(name)
      else this.#records.set(name, previous)
      throw err
    }
  }

  /** Removes a record. */
  async delete(name: string): Promise<void> {
    const previous = this.#records.get(name)
    if (previous === undefined) return
    this.#records.delete(name)
    try {
      await this.#save()
    } catch (err) {
      this.#records.set(name, previous)
      throw err
    }
  }

  /**
   * Checks `passphrase` against the key file (one Argon2id run): PASSPHRASE_WRONG
   * when it does not unwrap the data key. For operations that must confirm the
   * passphrase of an already unlocked key file (`parley store rekey`).
   */
  async verifyPassphrase(passphrase: string): Promise<void> {
    const kek = await deriveKek(this.#suite, passphrase, this.#kdf)
    try {
      this.#suite.open(kek, this.#wrapped, wrapAad(this.#kdf)).fill(0)
    } catch (err) {
      throw new ParleyError('PASSPHRASE_WRONG', 'wrong passphrase', { cause: err })
    } finally {
      kek.fill(0)
    }
  }

  /** Re-wraps the data key under a new passphrase (fresh salt). */
  async changePassphrase(passphrase: string, cost: Omit<Argon2Params, 'length'> = DEFAULT_ARGON2): Promise<void> {
    const kdf: KdfRecord = { ...checkCost(cost), salt: this.#suite.randomBytes(ARGON2_SALT_LENGTH) }
    const kek = await deriveKek(this.#suite, passphrase, kdf)
    const wrapped = this.#suite.seal(kek, this.#dataKey, wrapAad(kdf))
    kek.fill(0)
    const old = { kdf: this.#kdf, wrapped: this.#wrapped }
    this.#kdf = kdf
    this.#wrapped = wrapped
    try {
      await this.#save()
    } catch (err) {
      this.#kdf = old.kdf
      this.#wrapped = old.wrapped
      throw err
    }
  }

  /** Seals every record under a fresh data key (the passphrase stays). */
  async rotateDataKey(passphrase: string): Promise<void> {
    const kek = await deriveKek(this.#suite, passphrase, this.#kdf)
    let check: Uint8Array
    try {
      check = this.#suite.open(kek, this.#wrapped, wrapAad(this.#kdf))
    } catch (err) {
      kek.fill(0)
      throw new ParleyError('PASSPHRASE_WRONG', 'wrong passphrase', { cause: err })
    }
    check.fill(0)
    const fresh = this.#suite.randomBytes(XCHACHA20_KEY_LENGTH)
    const records = new Map<string, Uint8Array>()
    for (const name of this.#records.keys()) {
      const plain = this.get(name)
      records.set(name, this.#suite.seal(fresh, plain, recordAad(name)))
      plain.fill(0)
    }
    const wrapped = this.#suite.seal(kek, fresh, wrapAad(this.#kdf))
    kek.fill(0)
    const old = { key: this.#dataKey, wrapped: this.#wrapped, records: new Map(this.#records) }
    this.#dataKey = fresh
    this.#wrapped = wrapped
    this.#records.clear()
    for (const [k, v] of records) this.#records.set(k, v)
    try {
      await this.#save()
      old.key.fill(0)
    } catch (err) {
      this.#dataKey = old.key
      this.#wrapped = old.wrapped
      this.#records.clear()
      for (const [k, v] of old.records) this.#records.set(k, v)
      throw err
    }
  }

  /** Forgets the data key. */
  close(): void {
    this.#dataKey.fill(0)
  }

  async #save(): Promise<void> {
    const records: Record<string, CborValue> = {}
    for (const [name, sealed] of this.#records) records[name] = sealed
    const body: CborValue = {
      kdf: kdfToCbor(this.#kdf),
      wrapped: this.#wrapped,
      records,
    }
    await writeAtomic(this.#path, encodeVersioned(KIND, VERSION, body))
  }
}

function checkCost(cost: Omit<Argon2Params, 'length'>): Omit<Argon2Params, 'length'> {
  const { memoryKiB, passes, parallelism } = cost
  if (!Number.isSafeInteger(memoryKiB) || memoryKiB < ARGON2_MIN_MEMORY_KIB || memoryKiB > ARGON2_MAX_MEMORY_KIB) {
    throw new ParleyError('KDF_PARAMS_INVALID', `Argon2id memory must be ${ARGON2_MIN_MEMORY_KIB}..${ARGON2_MAX_MEMORY_KIB} KiB`)
  }
  if (!Number.isSafeInteger(passes) || passes < ARGON2_MIN_PASSES || passes > ARGON2_MAX_PASSES) {
    throw new ParleyError('KDF_PARAMS_INVALID', `Argon2id passes must be ${ARGON2_MIN_PASSES}..${ARGON2_MAX_PASSES}`)
  }
  if (!Number.isSafeInteger(parallelism) || parallelism < 1 || parallelism > 16) {
    throw new ParleyError('KDF_PARAMS_INVALID', 'Argon2id parallelism must be 1..16')
  }
  return { memoryKiB, passes, parallelism }
}

async function deriveKek(suite: Suite, passphrase: string, kdf: KdfRecord): Promise<Uint8Array> {
  checkCost(kdf)
  const pw = utf8.encode(passphrase.normalize('NFC'))
  try {
    return await suite.argon2id(pw, kdf.salt, { memoryKiB: kdf.memoryKiB, passes: kdf.passes, parallelism: kdf.parallelism, length: XCHACHA20_KEY_LENGTH })
  } finally {
    pw.fill(0)
  }
}

function kdfToCbor(kdf: KdfRecord): CborValue {
  return { alg: 'argon2id', m: kdf.memoryKiB, t: kdf.passes, p: kdf.parallelism, salt: kdf.salt }
}

function wrapAad(kdf: KdfRecord): Uint8Array {
  return concatBytes(utf8.encode(LABELS.keystoreWrap), encode(kdfToCbor(kdf)))
}

function recordAad(name: string): Uint8Array {
  return concatBytes(utf8.encode(LABELS.keystoreRecord), utf8.encode('\0'), utf8.encode(name))
}

function checkName(name: string): void {
  if (name.length === 0 || name.length > KEYSTORE_MAX_NAME_LENGTH || !/^[A-Za-z0-9:._-]+$/.test(name)) {
    throw new ParleyError('INVALID_ARGUMENT', `record name must be 1..${KEYSTORE_MAX_NAME_LENGTH} of [A-Za-z0-9:._-]`)
  }
}

/** Strict decoding of a key file; exported for the fuzz test. */
export function decodeKeystore(bytes: Uint8Array): { kdf: KdfRecord; wrapped: Uint8Array; records: Map<string, Uint8Array> } {
  try {
    const body = asMap(decodeVersioned(bytes, KIND, [VERSION]), 'keystore')
    expectKeys(body, ['kdf', 'wrapped', 'records'], [], 'keystore')
    const k = getMap(body, 'kdf', 'keystore')
    expectKeys(k, ['alg', 'm', 't', 'p', 'salt'], [], 'keystore.kdf')
    if (getText(k, 'alg', 'keystore.kdf', 16) !== 'argon2id') throw new ParleyError('KDF_PARAMS_INVALID', 'keystore: unknown KDF')
    const kdf: KdfRecord = {
      memoryKiB: getUint(k, 'm', 'keystore.kdf'),
      passes: getUint(k, 't', 'keystore.kdf'),
      parallelism: getUint(k, 'p', 'keystore.kdf'),
      salt: getBytes(k, 'salt', 'keystore.kdf', { length: ARGON2_SALT_LENGTH }),
    }
    checkCost(kdf)
    const wrapped = getBytes(body, 'wrapped', 'keystore', { length: SEALED_DATA_KEY_LENGTH })
    const recs = getMap(body, 'records', 'keystore')
    const names = Object.keys(recs)
    if (names.length > KEYSTORE_MAX_RECORDS) throw new ParleyError('DECODE_SCHEMA', 'keystore: too many records')
    const records = new Map<string, Uint8Array>()
    for (const name of names) {
      checkName(name)
      records.set(name, getBytes(recs, name, 'keystore.records', { max: KEYSTORE_MAX_RECORD_BYTES + 40 }))
    }
    return { kdf, wrapped, records }
  } catch (err) {
    if (err instanceof ParleyError && (err.code === 'KDF_PARAMS_INVALID' || err.code === 'STORE_CORRUPT')) throw err
    throw new ParleyError('STORE_CORRUPT', 'the key file is damaged or not a Parley key file', { cause: err })
  }
}
