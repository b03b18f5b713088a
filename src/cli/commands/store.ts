/**
 * `parley store rekey [--rotate-data-key] [--new-passphrase-file FILE]`:
 * changes the home's passphrase (re-wraps the data key) and/or rotates the
 * data keys (every database row and key-file record sealed again), through
 * ParleyDatabase.rekey (src/db). The new passphrase comes from
 * `PARLEY_NEW_PASSPHRASE`, a file, or a prompt asked twice; with
 * `--rotate-data-key` alone the passphrase stays. The home must not be in
 * use: stop the daemon first.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { openDatabase } from '../../db/index.js'
import { readBounded } from '../../storage/files.js'
import { MAX_PASSPHRASE_FILE_BYTES, MIN_PASSPHRASE_LENGTH } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { connectDaemon } from '../daemon/client.js'
import { daemonSocketPath } from '../agent-access.js'

/** The new passphrase: environment, file, or a prompt (twice); undefined when none is given and `required` is false. */
async function newPassphrase(ctx: CliContext, file: string | undefined, required: boolean): Promise<string | undefined> {
  let value: string | undefined
  const fromEnv = ctx.io.env['PARLEY_NEW_PASSPHRASE']
  if (fromEnv !== undefined && fromEnv !== '') value = fromEnv
  else if (file !== undefined) value = new TextDecoder('utf-8', { fatal: true }).decode(await readBounded(file, MAX_PASSPHRASE_FILE_BYTES)).replace(/\r?\n$/, '')
  else if (required && ctx.io.promptPassphrase !== undefined) {
    value = await ctx.io.promptPassphrase('New passphrase: ')
    if ((await ctx.io.promptPassphrase('Repeat new passphrase: ')) !== value) throw new ParleyError('INVALID_ARGUMENT', 'the passphrases differ')
  }
  if (value === undefined) {
    if (required) throw new ParleyError('PASSPHRASE_REQUIRED', 'a new passphrase is needed: set PARLEY_NEW_PASSPHRASE, use --new-passphrase-file, or run in a terminal')
    return undefined
  }
  if ([...value].length < MIN_PASSPHRASE_LENGTH) throw new ParleyError('INVALID_ARGUMENT', `a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`)
  return value
}

export function registerStore(program: Command, run: Run): void {
  const store = program.command('store').description('the encrypted local store of this home')

  store
    .command('rekey')
    .description('change the passphrase, and/or rotate the data keys (--rotate-data-key)')
    .option('--rotate-data-key', 'seal every stored record again under fresh data keys')
    .option('--new-passphrase-file <file>', 'read the new passphrase from a file (else $PARLEY_NEW_PASSPHRASE, else a prompt)')
    .action(
      run(async (ctx: CliContext, opts: { rotateDataKey?: boolean; newPassphraseFile?: string }) => {
        const rotate = opts.rotateDataKey === true
        const remote = await connectDaemon(daemonSocketPath(ctx.home.dir))
        if (remote !== undefined) {
          await remote.stop()
          throw new ParleyError('STORE_LOCKED', `home in use by the daemon (process ${remote.daemonPid}): stop it first`)
        }
        const passphrase = await ctx.passphrase()
        const next = await newPassphrase(ctx, opts.newPassphraseFile, !rotate)
        const db = await openDatabase({ home: ctx.home, suite: ctx.io.suite, passphrase, clock: () => ctx.io.now() })
        try {
          await db.rekey({ passphrase, ...(next !== undefined ? { newPassphrase: next } : {}), rotateDataKey: rotate })
        } finally {
          await db.close()
        }
        ctx.print(
          { passphraseChanged: next !== undefined, dataKeyRotated: rotate },
          [next !== undefined ? 'passphrase changed' : '', rotate ? 'data keys rotated' : ''].filter((s) => s !== '').join('; '),
        )
      }),
    )
}
