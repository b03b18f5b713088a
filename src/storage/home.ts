/**
 * A Parley home directory (`--home DIR`, `PARLEY_HOME`, or `~/.parley`):
 *
 *   home/            0700
 *     keys.parley    sealed key file (Keystore): identity and group secrets
 *     config.json    which DID is this home's identity, which groups it controls
 *     kels/          the newest verified KEL of every DID this home has seen
 *                    (its own, its groups', and every one it verified) — the
 *                    record against which rollback and duplicity are judged
 *     parley.db      encrypted local database (src/db): sessions, prekeys,
 *                    contacts, history, outbox; its data key is a record of
 *                    keys.parley (docs/storage.md)
 *     lock           single-writer lock while a command or the agent changes the home
 *
 * Only public data lives outside the key file. Every write is atomic.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { readdir } from 'node:fs/promises'
import type { Suite } from '../crypto/types.js'
import { ParleyError } from '../errors.js'
import { DB_FILE_NAME, KEL_MAX_BYTES } from '../constants.js'
import { acquireLock, ensurePrivateDir, exists, readBounded, writeAtomic } from './files.js'
import type { FileLock } from './files.js'
import { Keystore } from './keystore.js'

/** What config.json holds. */
export interface HomeConfig {
  /** This home's own identity. */
  did?: string
  /** Groups whose control keys this home holds: DID -> name. */
  groups: Record<string, string>
}

const CONFIG_MAX_BYTES = 256 * 1024

/** Resolves the home directory from an option, the environment, or the default. */
export function resolveHomeDir(option: string | undefined, env: Record<string, string | undefined>): string {
  if (option !== undefined && option !== '') return option
  const fromEnv = env['PARLEY_HOME']
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  return join(homedir(), '.parley')
}

export class Home {
  readonly dir: string
  readonly suite: Suite

  constructor(dir: string, suite: Suite) {
    this.dir = dir
    this.suite = suite
  }

  get keystorePath(): string {
    return join(this.dir, 'keys.parley')
  }

  get configPath(): string {
    return join(this.dir, 'config.json')
  }

  /** The encrypted local database (src/db opens it). */
  get databasePath(): string {
    return join(this.dir, DB_FILE_NAME)
  }

  get kelDir(): string {
    return join(this.dir, 'kels')
  }

  /** Creates the directory layout (0700) if missing. */
  async init(): Promise<void> {
    await ensurePrivateDir(this.dir)
    await ensurePrivateDir(this.kelDir)
  }

  /** Takes the single-writer lock; release it when done. */
  async lock(): Promise<FileLock> {
    await this.init()
    return acquireLock(join(this.dir, 'lock'))
  }

  async readConfig(): Promise<HomeConfig> {
    if (!(await exists(this.configPath))) return { groups: {} }
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await readBounded(this.configPath, CONFIG_MAX_BYTES))
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw new ParleyError('STORE_CORRUPT', `${this.configPath} is not valid JSON`, { cause: err })
    }
    if (typeof parsed !== 'object' || parsed === null) throw new ParleyError('STORE_CORRUPT', `${this.configPath} is not an object`)
    const obj = parsed as Record<string, unknown>
    const config: HomeConfig = { groups: {} }
    if (typeof obj['did'] === 'string') config.did = obj['did']
    const groups = obj['groups']
    if (typeof groups === 'object' && groups !== null) {
      for (const [did, name] of Object.entries(groups)) if (typeof name === 'string') config.groups[did] = name
    }
    return config
  }

  async writeConfig(config: HomeConfig): Promise<void> {
    await this.init()
    await writeAtomic(this.configPath, JSON.stringify(config, null, 2) + '\n')
  }

  /** The identity DID of this home, or IDENTITY-less error. */
  async requireDid(): Promise<string> {
    const config = await this.readConfig()
    if (config.did === undefined) throw new ParleyError('STORE_NOT_FOUND', `no identity in ${this.dir}: run 'parley id create' first`)
    return config.did
  }

  async createKeystore(passphrase: string): Promise<Keystore> {
    await this.init()
    if (await exists(this.keystorePath)) throw new ParleyError('STORE_EXISTS', `${this.keystorePath} exists already`)
    return Keystore.create(this.suite, this.keystorePath, passphrase)
  }

  async openKeystore(passphrase: string): Promise<Keystore> {
    if (!(await exists(this.keystorePath))) throw new ParleyError('STORE_NOT_FOUND', `no key file in ${this.dir}: run 'parley id create' first`)
    return Keystore.open(this.suite, this.keystorePath, passphrase)
  }

  kelPath(did: string): string {
    // A DID's method-specific id may hold ':' (did:web paths); file names keep [A-Za-z0-9._-].
    return join(this.kelDir, did.replace(/[^A-Za-z0-9._-]/g, '_') + '.kel')
  }

  /** The stored KEL bytes of `did`, or undefined. */
  async readKel(did: string): Promise<Uint8Array | undefined> {
    const path = this.kelPath(did)
    if (!(await exists(path))) return undefined
    return readBounded(path, KEL_MAX_BYTES)
  }

  /** Stores the KEL bytes of `did` (the caller verified them against the previous one). */
  async writeKel(did: string, kel: Uint8Array): Promise<void> {
    await this.init()
    await writeAtomic(this.kelPath(did), kel, 0o644)
  }

  /** DIDs whose KELs this home holds. */
  async knownKelFiles(): Promise<string[]> {
    if (!(await exists(this.kelDir))) return []
    return (await readdir(this.kelDir)).filter((f) => f.endsWith('.kel'))
  }
}
