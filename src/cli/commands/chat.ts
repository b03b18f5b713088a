/**
 * `parley chat CONTACT`: the terminal chat with one contact (chat-app.ts),
 * against the daemon's agent or one started for the session. Needs a
 * terminal (TERMINAL_REQUIRED otherwise: scripts use send/inbox). Ends on
 * `/quit`, Ctrl-C, SIGTERM, or when the daemon goes away (RPC_CLOSED).
 */
import { markInteractive } from '../interactive.js'
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { CHAT_MAX_MESSAGES, HISTORY_PAGE_MAX } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { stopSignalOf, withAgent } from '../agent-access.js'

export function registerChat(program: Command, run: Run): void {
  program
    .command('chat')
    .description('chat with a contact in the terminal (/file PATH sends a file, /quit leaves)')
    .argument('<contact>', 'a DID or an alias')
    .action(
      run(async (ctx: CliContext, name: string) => {
        const terminal = ctx.io.terminal
        if (terminal === undefined) throw new ParleyError('TERMINAL_REQUIRED', 'chat needs a terminal; use `parley send` and `parley inbox --follow` in scripts')
        const stop = stopSignalOf(ctx)
        // ink, React and the app are loaded only here: every other command starts faster without them.
        markInteractive()
        const [{ createElement }, { render }, { ChatApp }] = await Promise.all([import('react'), import('ink'), import('../chat-app.js')])
        await withAgent(ctx, { network: true }, async ({ agent, lost }) => {
          const contact = await agent.contact(name)
          const history = await agent.history({ peer: contact.did, limit: Math.min(CHAT_MAX_MESSAGES, HISTORY_PAGE_MAX) })
          const app = render(createElement(ChatApp, { agent, contact, history, now: () => ctx.io.now() }), {
            stdin: terminal.stdin,
            stdout: terminal.stdout,
            exitOnCtrlC: true,
            patchConsole: false,
          })
          const end = (): void => app.unmount()
          stop.addEventListener('abort', end, { once: true })
          lost.addEventListener('abort', end, { once: true })
          try {
            await app.waitUntilExit()
          } finally {
            stop.removeEventListener('abort', end)
            lost.removeEventListener('abort', end)
            app.cleanup()
          }
          if (lost.aborted && lost.reason instanceof ParleyError) throw lost.reason
        })
      }),
    )
}
