/**
 * `parley inbox [--follow] [--from CONTACT] [--limit N]`: received
 * messages, oldest first, one per line — under `--json` one
 * `{"id","from","text"|"file","at"}` object per line (JSON lines, so
 * `--follow` streams the same shape). `--follow` keeps printing new
 * messages until SIGINT/SIGTERM (or the daemon stops); it listens before
 * it reads the history, so nothing arrives unseen in between, and prints
 * each message once.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import type { HistoryMessage } from '../../agent/types.js'
import { HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { stopSignalOf, withAgent } from '../agent-access.js'
import { RemoteAgent } from '../daemon/client.js'
import { messageLine, messageView, whenAborted } from '../views.js'

function parseLimit(text: string | undefined): number {
  if (text === undefined) return HISTORY_PAGE_DEFAULT
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || n > HISTORY_PAGE_MAX) throw new ParleyError('INVALID_ARGUMENT', `--limit takes 1..${HISTORY_PAGE_MAX}, got "${text}"`)
  return n
}

export function registerInbox(program: Command, run: Run): void {
  program
    .command('inbox')
    .description('show received messages (--follow: and wait for new ones)')
    .option('--follow', 'keep printing new messages until interrupted')
    .option('--from <contact>', 'only from this contact (a DID or an alias)')
    .option('--limit <n>', `at most this many earlier messages (default ${HISTORY_PAGE_DEFAULT})`)
    .action(
      run(async (ctx: CliContext, opts: { follow?: boolean; from?: string; limit?: string }) => {
        const limit = parseLimit(opts.limit)
        const follow = opts.follow === true
        const stop = follow ? stopSignalOf(ctx) : undefined
        await withAgent(ctx, { network: follow }, async ({ agent, lost }) => {
          const names = new Map<string, string>()
          for (const c of await agent.contacts()) if (c.alias !== undefined) names.set(c.did, c.alias)
          const peer = opts.from !== undefined ? (await agent.contact(opts.from)).did : undefined
          const seen = new Set<string>()
          const show = (m: HistoryMessage): void => {
            if (m.direction !== 'in' || (peer !== undefined && m.peer !== peer) || seen.has(m.id)) return
            seen.add(m.id)
            if (ctx.json) ctx.io.stdout(JSON.stringify(messageView(m)) + '\n')
            else ctx.io.stdout(messageLine(m, names.get(m.from) ?? m.from) + '\n')
          }
          // Listen first: a message arriving while the history is read is then printed once, after it.
          const live: HistoryMessage[] = []
          let replaying = true
          const off = follow
            ? agent.on('message', (m) => {
                if (replaying) live.push(m)
                else show(m)
              })
            : () => undefined
          try {
            if (follow && agent instanceof RemoteAgent) await agent.subscribed()
            const history = await agent.history({ ...(peer !== undefined ? { peer } : {}), limit })
            const earlier = history.filter((m) => m.direction === 'in').sort((a, b) => a.at.getTime() - b.at.getTime())
            for (const m of earlier) show(m)
            if (!follow) {
              if (earlier.length === 0 && !ctx.json) ctx.note('no messages')
              return
            }
            replaying = false
            for (const m of live) show(m)
            live.length = 0
            const reason = await whenAborted(stop as AbortSignal, lost)
            if (lost.aborted && reason === lost.reason && reason instanceof ParleyError) throw reason
          } finally {
            off()
          }
        })
      }),
    )
}
