/**
 * `parley serve --relay [--listen MULTIADDR]... [--announce MULTIADDR]...`:
 * an infrastructure node (createParleyNode with `infrastructure: true`):
 * circuit relay v2 server, DHT server, higher connection limits. It prints
 * its multiaddrs — one `{"peerId","address"}` JSON line each under `--json`
 * — then runs until SIGINT/SIGTERM.
 *
 * When the home has a key file, the node's libp2p key is kept in it (the
 * relay keeps its peer id across restarts, so the addresses handed out stay
 * valid) and the home is locked while it runs; without one the key is
 * fresh at every start.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { ParleyError } from '../../errors.js'
import { exists } from '../../storage/files.js'
import type { FileLock } from '../../storage/files.js'
import { createParleyNode } from '../../network/node.js'
import { loadOrCreatePeerKey } from '../../network/peer-key.js'
import { stopSignalOf } from '../agent-access.js'
import { whenAborted } from '../views.js'
import { collect } from './daemon.js'

export function registerServe(program: Command, run: Run): void {
  program
    .command('serve')
    .description('run an infrastructure node (a circuit relay for peers behind NAT)')
    .option('--relay', 'serve as a circuit relay v2')
    .option('--listen <multiaddr>', 'listen on this address (repeatable; default all interfaces, TCP and WebSockets)', collect, [])
    .option('--announce <multiaddr>', 'announce this address instead of the listen addresses (repeatable)', collect, [])
    .option('--mdns', 'answer mDNS queries on the local network')
    .action(
      run(async (ctx: CliContext, opts: { relay?: boolean; listen: string[]; announce: string[]; mdns?: boolean }) => {
        if (opts.relay !== true) throw new ParleyError('INVALID_ARGUMENT', 'nothing to serve: give --relay')
        const stop = stopSignalOf(ctx)
        let lock: FileLock | undefined
        try {
          let privateKey
          if (await exists(ctx.home.keystorePath)) {
            lock = await ctx.home.lock()
            const keystore = await ctx.home.openKeystore(await ctx.passphrase())
            try {
              privateKey = await loadOrCreatePeerKey(keystore)
            } finally {
              keystore.close()
            }
          } else {
            ctx.note(`no key file in ${ctx.home.dir}: the relay gets a new peer id at every start (run 'parley id create' to keep one)`)
          }
          const node = await createParleyNode({
            infrastructure: true,
            mdns: opts.mdns === true,
            ...(opts.listen.length > 0 ? { listen: opts.listen } : {}),
            ...(opts.announce.length > 0 ? { announce: opts.announce } : {}),
            ...(privateKey !== undefined ? { privateKey } : {}),
          })
          try {
            const peerId = node.peerId.toString()
            const addresses = node.addresses().map((a) => a.toString())
            if (ctx.json) for (const address of addresses) ctx.io.stdout(JSON.stringify({ peerId, address }) + '\n')
            else ctx.io.stdout([`relay ${peerId} listening on`, ...addresses.map((a) => `  ${a}`)].join('\n') + '\n')
            await whenAborted(stop)
            ctx.note('parley serve: stopping')
          } finally {
            await node.stop()
          }
        } finally {
          await lock?.release()
        }
      }),
    )
}
