/**
 * The `parley` command line: `buildCli(io)` makes the commander program (the
 * binary and the tests use the same factory), `main(argv, io)` runs it and
 * turns every outcome into an exit code. Expected failures (ParleyError)
 * print one line — or `{"error":{"code","message"}}` under `--json` — and
 * exit with the code's family; anything else is a bug and prints its stack.
 */
import { Command, CommanderError } from 'commander'
import { ParleyError } from '../errors.js'
import { defaultSuite } from '../crypto/index.js'
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes.js'
import { processIo } from './io.js'
import type { CliIo } from './io.js'
import { makeRun } from './run.js'
import { registerId } from './commands/id.js'
import { registerVc } from './commands/vc.js'
import { registerGroup } from './commands/group.js'
import { registerDaemon } from './commands/daemon.js'
import { registerServe } from './commands/serve.js'
import { registerTrust } from './commands/trust.js'
import { registerInvite } from './commands/invite.js'
import { registerAccept } from './commands/accept.js'
import { registerContacts } from './commands/contacts.js'
import { registerSend } from './commands/send.js'
import { registerInbox } from './commands/inbox.js'
import { registerStatus } from './commands/status.js'
import { registerStore } from './commands/store.js'
import { registerChat } from './commands/chat.js'

export const VERSION = '0.1.0'

export function buildCli(io: CliIo): Command {
  const program = new Command('parley')
    .description('Parley: identity-verified, post-quantum, end-to-end-encrypted messaging between DIDs')
    .version(VERSION)
    .option('--home <dir>', 'Parley home directory (default $PARLEY_HOME or ~/.parley)')
    .option('--json', 'print machine-readable JSON')
    .option('--passphrase-file <file>', 'read the passphrase from a file (else $PARLEY_PASSPHRASE, else a prompt)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.stdout(t), writeErr: (t) => io.stderr(t) })
  const run = makeRun(io)
  registerId(program, run)
  registerVc(program, run)
  registerGroup(program, run)
  registerDaemon(program, run)
  registerServe(program, run)
  registerTrust(program, run)
  registerInvite(program, run)
  registerAccept(program, run)
  registerContacts(program, run)
  registerSend(program, run)
  registerInbox(program, run)
  registerStatus(program, run)
  registerChat(program, run)
  registerStore(program, run)
  for (const cmd of allCommands(program)) {
    cmd.exitOverride().configureOutput({ writeOut: (t) => io.stdout(t), writeErr: (t) => io.stderr(t) })
  }
  return program
}

function* allCommands(cmd: Command): Generator<Command> {
  for (const sub of cmd.commands) {
    yield sub
    yield* allCommands(sub)
  }
}

/** Runs the CLI on `argv` (as process.argv: node, script, ...args) and returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo(defaultSuite)): Promise<number> {
  const json = argv.includes('--json')
  const program = buildCli(io)
  try {
    await program.parseAsync(argv)
    return EXIT_OK
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were printed by commander.
      if (err.exitCode === 0) return EXIT_OK
      if (json) io.stdout(JSON.stringify({ error: { code: 'INVALID_ARGUMENT', message: err.message.replace(/^error: /, '') } }) + '\n')
      return EXIT_USAGE
    }
    if (err instanceof ParleyError) {
      if (json) io.stdout(JSON.stringify({ error: err.toJSON() }) + '\n')
      else io.stderr(`parley: ${err.message} (${err.code})\n`)
      return exitCodeFor(err.code)
    }
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err)
    if (json) io.stdout(JSON.stringify({ error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } }) + '\n')
    io.stderr(`parley: unexpected error (a bug; please report it)\n${stack}\n`)
    return EXIT_INTERNAL
  }
}
