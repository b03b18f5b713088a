/**
 * `parley contacts` → `{"contacts": [{"did","alias","verified",…}]}` and
 * `parley alias CONTACT NAME` → `{"contact": {…}}`. CONTACT is a DID or an
 * alias. Both read the store only: without a daemon no node is started.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { withAgent } from '../agent-access.js'
import { contactLine, contactName, contactView } from '../views.js'

export function registerContacts(program: Command, run: Run): void {
  program
    .command('contacts')
    .description('list contacts (✔ = verified)')
    .action(
      run(async (ctx: CliContext) => {
        const contacts = await withAgent(ctx, { network: false }, ({ agent }) => agent.contacts())
        ctx.print({ contacts: contacts.map(contactView) }, contacts.length === 0 ? 'no contacts yet: `parley invite` or `parley accept`' : contacts.map(contactLine).join('\n'))
      }),
    )

  program
    .command('alias')
    .description('name a contact')
    .argument('<contact>', 'a DID or an alias')
    .argument('<name>', 'the new alias')
    .action(
      run(async (ctx: CliContext, contact: string, name: string) => {
        const updated = await withAgent(ctx, { network: false }, ({ agent }) => agent.setAlias(contact, name))
        ctx.print({ contact: contactView(updated) }, `named ${contactName(updated)}`)
      }),
    )
}
