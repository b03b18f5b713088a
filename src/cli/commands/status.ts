/**
 * `parley status` → `{"did","peerId","addresses","reachability","relays",
 * "connectedContacts","sessions","connections","daemon"}`: the node as the
 * daemon sees it, or — without a daemon — as a node started for this
 * command sees it at once (no contact connected yet, reachability still
 * unknown). `connections` lists each authenticated connection as `{did,
 * peerId, address, relayed, role}`: a relayed one's address holds
 * /p2p-circuit.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { withAgent } from '../agent-access.js'

export function registerStatus(program: Command, run: Run): void {
  program
    .command('status')
    .description('peer id, addresses, NAT reachability, relays, connected contacts, sessions')
    .action(
      run(async (ctx: CliContext) => {
        const { status, via } = await withAgent(ctx, { network: true }, async ({ agent, via }) => ({ status: await agent.status(), via }))
        ctx.print(
          { ...status, daemon: via === 'daemon' },
          [
            `${status.did}${via === 'daemon' ? '' : '  (no daemon: a node was started for this command)'}`,
            `  peer id       ${status.peerId ?? '(offline)'}`,
            `  reachability  ${status.reachability}`,
            `  addresses     ${status.addresses.length === 0 ? '(none)' : status.addresses.join('\n                ')}`,
            `  relays        ${status.relays.length === 0 ? '(none)' : status.relays.join('\n                ')}`,
            `  connected     ${status.connectedContacts.length === 0 ? '(none)' : status.connectedContacts.join('\n                ')}`,
            `  sessions      ${status.sessions}`,
            ...(status.connections ?? []).map((c) => `  ${c.role.padEnd(13)} ${c.did} ${c.relayed ? 'via relay' : 'direct'} ${c.address}`),
          ].join('\n'),
        )
      }),
    )
}
