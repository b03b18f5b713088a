/**
 * Per-run context shared by every command: the home, the passphrase source
 * (`PARLEY_PASSPHRASE`, `--passphrase-file`, or a prompt), and the one output
 * function that prints JSON under `--json` and a human line otherwise.
 */
import type { CliIo } from './io.js'
import { Home, resolveHomeDir } from '../storage/home.js'
import { IdentityStore } from '../storage/identity-store.js'
import type { Keystore } from '../storage/keystore.js'
import { readBounded } from '../storage/files.js'
import { ParleyError } from '../errors.js'
import { MAX_PASSPHRASE_FILE_BYTES, MIN_PASSPHRASE_LENGTH } from '../constants.js'

/** Options every command accepts. */
export interface GlobalOptions {
  home?: string
  json?: boolean
  passphraseFile?: string
}

export class CliContext {
  readonly io: CliIo
  readonly home: Home
  readonly json: boolean
  readonly #passphraseFile: string | undefined

  constructor(io: CliIo, opts: GlobalOptions) {
    this.io = io
    this.home = new Home(resolveHomeDir(opts.home, io.env), io.suite)
    this.json = opts.json === true
    this.#passphraseFile = opts.passphraseFile
  }

  /** Prints the result: `value` as JSON under --json, else the human text. */
  print(value: unknown, human: string): void {
    if (this.json) this.io.stdout(JSON.stringify(value) + '\n')
    else this.io.stdout(human.endsWith('\n') ? human : human + '\n')
  }

  /** A notice for people (stderr, never under --json). */
  note(text: string): void {
    if (!this.json) this.io.stderr(text + '\n')
  }

  /**
   * The passphrase, from the environment, a file, or a prompt. With
   * `confirm`, a prompt asks twice (new key files).
   */
  async passphrase(confirm = false): Promise<string> {
    const fromEnv = this.io.env['PARLEY_PASSPHRASE']
    let value: string | undefined
    if (fromEnv !== undefined && fromEnv !== '') value = fromEnv
    else if (this.#passphraseFile !== undefined) {
      const bytes = await readBounded(this.#passphraseFile, MAX_PASSPHRASE_FILE_BYTES)
      value = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/\r?\n$/, '')
    } else if (this.io.promptPassphrase !== undefined) {
      value = await this.io.promptPassphrase('Passphrase: ')
      if (confirm && (await this.io.promptPassphrase('Repeat passphrase: ')) !== value) {
        throw new ParleyError('INVALID_ARGUMENT', 'the passphrases differ')
      }
    }
    if (value === undefined) {
      throw new ParleyError('PASSPHRASE_REQUIRED', 'a passphrase is needed: set PARLEY_PASSPHRASE, use --passphrase-file, or run in a terminal')
    }
    if (confirm && value.length < MIN_PASSPHRASE_LENGTH) {
      throw new ParleyError('INVALID_ARGUMENT', `a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`)
    }
    return value
  }

  /**
   * Runs `fn` with the key file unlocked, under the home's single-writer
   * lock; closes the key file and releases the lock however `fn` ends.
   */
  async withKeystore<T>(fn: (store: IdentityStore, keystore: Keystore) => Promise<T>): Promise<T> {
    const store = new IdentityStore(this.home)
    const lock = await this.home.lock()
    try {
      const keystore = await this.home.openKeystore(await this.passphrase())
      try {
        return await fn(store, keystore)
      } finally {
        keystore.close()
      }
    } finally {
      await lock.release()
    }
  }
}
