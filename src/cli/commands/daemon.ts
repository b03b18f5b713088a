/**
 * `parley daemon [--listen MULTIADDR]... [--relay MULTIADDR]... [--save]`:
 * runs the home's agent until SIGINT/SIGTERM and answers the other commands
 * of this home on its local socket (src/cli/daemon/server.ts). It prints
 * one line when ready — `{"did","peerId","addresses","socket","pid"}` under
 * `--json` — so a script can wait for it; its log (refused peers, agent
 * errors) goes to stderr. Without flags the node uses the
 * configured default addresses (agent.json); `--save` makes the given ones
 * the defaults.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { readAgentConfig, updateAgentConfig } from '../../agent/config.js'
import { ParleyError } from '../../errors.js'
import { connectDaemon } from '../daemon/client.js'
import { startDaemonServer } from '../daemon/server.js'
import { daemonSocketPath, networkOptions, startLocalAgent, stopSignalOf } from '../agent-access.js'
import { safeText, whenAborted } from '../views.js'

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

export function registerDaemon(program: Command, run: Run): void {
  program
    .command('daemon')
    .description('run the agent; other commands of this home talk to it over a local socket')
    .option('--listen <multiaddr>', 'listen on this address (repeatable)', collect, [])
    .option('--relay <multiaddr>', 'reserve a slot on this relay (repeatable)', collect, [])
    .option('--save', 'remember these addresses as the defaults of this home')
    .action(
      run(async (ctx: CliContext, opts: { listen: string[]; relay: string[]; save?: boolean }) => {
        const socketPath = daemonSocketPath(ctx.home.dir)
        const running = await connectDaemon(socketPath)
        if (running !== undefined) {
          await running.stop()
          throw new ParleyError('DAEMON_RUNNING', `a daemon already runs on this home (process ${running.daemonPid})`)
        }
        const stop = stopSignalOf(ctx)
        let config = await readAgentConfig(ctx.home.dir)
        if (opts.save === true) {
          config = await updateAgentConfig(ctx.home.dir, (c) => ({
            ...c,
            ...(opts.listen.length > 0 ? { listen: opts.listen } : {}),
            ...(opts.relay.length > 0 ? { relays: opts.relay } : {}),
          }))
        }
        const agent = await startLocalAgent(ctx, networkOptions(config, { listen: opts.listen, relays: opts.relay }))
        try {
          // The daemon's log is stderr, under --json too (stdout carries only the ready line).
          const log = (text: string): void => ctx.io.stderr(`parley daemon: ${text}\n`)
          const offError = agent.on('error', (err) => log(`${safeText(err.message)} (${err.code})`))
          const offRefused = agent.on('contact.refused', (r) => log(`refused ${safeText(r.did ?? r.peerId)}: ${safeText(r.message)} (${safeText(r.code)})`))
          const server = await startDaemonServer({
            socketPath,
            agent,
            // A ParleyError is expected (its message says it all); anything else is a bug: its stack.
            log: (message, err) => log(`${message}${err instanceof ParleyError ? `: ${safeText(err.message)}` : err instanceof Error ? `\n${err.stack ?? err.message}` : ''}`),
          })
          try {
            const status = await agent.status()
            ctx.print(
              { did: agent.did, peerId: status.peerId, addresses: status.addresses, socket: socketPath, pid: process.pid },
              [`daemon running for ${agent.did}`, `  peer id ${status.peerId ?? '(offline)'}`, ...status.addresses.map((a) => `  ${a}`), `  socket ${socketPath}`].join('\n'),
            )
            await whenAborted(stop)
            log('stopping')
          } finally {
            offError()
            offRefused()
            await server.close()
          }
        } finally {
          await agent.stop()
        }
      }),
    )
}
