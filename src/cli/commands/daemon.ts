/**
 * `parley daemon [--listen MULTIADDR]... [--relay MULTIADDR]... [--relay-only]
 * [--no-mdns] [--save]`: runs the home's agent until SIGINT/SIGTERM and
 * answers the other commands of this home on its local socket
 * (src/cli/daemon/server.ts). It prints one line when ready —
 * `{"did","peerId","addresses","socket","pid"}` under `--json` — so a script
 * can wait for it; its log (refused peers, agent errors) goes to stderr.
 * Without flags the node uses the configured default addresses
 * (agent.json); `--save` makes the given ones the defaults.
 *
 * With relays, "ready" waits (at most DAEMON_RELAY_READY_TIMEOUT_MS) until
 * each relay holds a reservation for us and has authenticated us (so its
 * circuits are unlimited): the addresses printed then include the
 * `/p2p-circuit` ones, which is all a `--relay-only` node (no direct listen
 * address: reachable only through its relays) has to offer.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { readAgentConfig, updateAgentConfig } from '../../agent/config.js'
import type { Agent, AgentStatus } from '../../agent/types.js'
import { DAEMON_RELAY_READY_TIMEOUT_MS } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { connectDaemon } from '../daemon/client.js'
import { startDaemonServer } from '../daemon/server.js'
import { daemonSocketPath, networkOptions, startLocalAgent, stopSignalOf } from '../agent-access.js'
import { safeText, whenAborted } from '../views.js'

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** How often the ready wait looks at the agent's status. */
const RELAY_READY_POLL_MS = 100

/** The peer id at the end of a relay address (`…/p2p/<id>`), if any. */
function relayPeerId(address: string): string | undefined {
  return /\/p2p\/([^/]+)$/.exec(address)?.[1]
}

/** Relays (by peer id) without a reservation for us, or (when the agent reports connections) not authenticated to us. */
function pendingRelays(status: AgentStatus, relayIds: readonly string[]): string[] {
  return relayIds.filter((id) => {
    const reserved = status.relays.some((r) => r.endsWith(`/p2p/${id}`))
    const authenticated = status.connections === undefined || status.connections.some((c) => c.role === 'relay' && c.peerId === id)
    return !reserved || !authenticated
  })
}

/** Waits until every relay is ready (see the header), the deadline passes, or `stop` aborts; returns the relays still pending. */
async function waitForRelays(agent: Agent, relays: readonly string[], stop: AbortSignal): Promise<string[]> {
  const ids = relays.map(relayPeerId).filter((id): id is string => id !== undefined)
  const deadline = Date.now() + DAEMON_RELAY_READY_TIMEOUT_MS
  for (;;) {
    const pending = pendingRelays(await agent.status(), ids)
    if (pending.length === 0 || Date.now() >= deadline || stop.aborted) return pending
    await new Promise((resolve) => setTimeout(resolve, RELAY_READY_POLL_MS))
  }
}

export function registerDaemon(program: Command, run: Run): void {
  program
    .command('daemon')
    .description('run the agent; other commands of this home talk to it over a local socket')
    .option('--listen <multiaddr>', 'listen on this address (repeatable)', collect, [])
    .option('--relay <multiaddr>', 'reserve a slot on this relay (repeatable)', collect, [])
    .option('--relay-only', 'listen on no direct address: reachable only through the relays')
    .option('--no-mdns', 'no mDNS discovery on the local network')
    .option('--save', 'remember these addresses as the defaults of this home')
    .action(
      run(async (ctx: CliContext, opts: { listen: string[]; relay: string[]; relayOnly?: boolean; mdns: boolean; save?: boolean }) => {
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
        const network = networkOptions(config, { listen: opts.listen, relays: opts.relay })
        const relays = network.relays ?? []
        if (opts.relayOnly === true && relays.length === 0) throw new ParleyError('INVALID_ARGUMENT', '--relay-only needs a relay: give --relay MULTIADDR')
        const agent = await startLocalAgent(ctx, {
          ...network,
          ...(opts.relayOnly === true ? { relayOnly: true } : {}),
          ...(opts.mdns ? {} : { mdns: false }),
        })
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
            if (relays.length > 0) {
              for (const id of await waitForRelays(agent, relays, stop)) {
                log(`relay ${safeText(id)}: no reservation or no authentication yet (does it run with an identity?); its circuits keep the default limits until it has both`)
              }
            }
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
