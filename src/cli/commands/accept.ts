/**
 * `parley accept INVITE|FILE [--alias NAME]` → `{"contact": {"did",
 * "alias", "verified", …}}`: connects to the inviter, authenticates it
 * against its invite and our trust policy, and sets up a session. The
 * argument is the invite itself (a `parley:` URI or a full invite) or a
 * file holding it (`parley invite --out`).
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { exists, readBounded } from '../../storage/files.js'
import { INVITE_FULL_MAX_BYTES } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { withAgent } from '../agent-access.js'
import { contactName, contactView } from '../views.js'

/** Largest invite file: a full invite in base64url, with a line end. */
const INVITE_FILE_MAX_BYTES = Math.ceil((INVITE_FULL_MAX_BYTES * 4) / 3) + 2

/** The invite text of the argument: the invite itself, or the content of the file it names. */
export async function readInviteArgument(arg: string): Promise<string> {
  if (arg.startsWith('parley:') || !(await exists(arg))) return arg.trim()
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readBounded(arg, INVITE_FILE_MAX_BYTES))
  } catch (err) {
    if (err instanceof ParleyError && err.code !== 'DECODE_TOO_LARGE') throw err
    throw new ParleyError('INVITE_INVALID', `${arg} does not hold an invite`, { cause: err })
  }
  const invite = text.trim()
  if (invite === '' || /\s/.test(invite)) throw new ParleyError('INVITE_INVALID', `${arg} does not hold one invite`)
  return invite
}

export function registerAccept(program: Command, run: Run): void {
  program
    .command('accept')
    .description('accept an invite: connect, verify the inviter, become contacts')
    .argument('<invite>', 'a parley: invite, or a file holding one')
    .option('--alias <name>', 'a name for the new contact')
    .action(
      run(async (ctx: CliContext, arg: string, opts: { alias?: string }) => {
        const invite = await readInviteArgument(arg)
        const contact = await withAgent(ctx, { network: true }, async ({ agent }) => {
          const accepted = await agent.acceptInvite(invite)
          return opts.alias !== undefined ? agent.setAlias(accepted.did, opts.alias) : accepted
        })
        ctx.print(
          { contact: contactView(contact) },
          `${contact.verified ? 'verified' : 'added'} contact ${contactName(contact)}${contact.credentialTypes.length > 0 ? ` (${contact.credentialTypes.join(', ')})` : ''}`,
        )
      }),
    )
}
