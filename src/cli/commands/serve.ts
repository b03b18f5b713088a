/**
 * `parley serve --relay [--listen MULTIADDR]... [--announce MULTIADDR]...`:
 * an infrastructure node (createParleyNode with `infrastructure: true`):
 * circuit relay v2 server, DHT server, higher connection limits. It prints
 * its multiaddrs — one `{"peerId","address"}` JSON line each under `--json`
 * — then runs until SIGINT/SIGTERM.
 *
 * When the home has an identity (`parley id create`), the node's libp2p key
 * is kept in its key file (the relay keeps its peer id across restarts, so
 * the addresses handed out stay valid), the home is locked while it runs,
 * its KEL lists the node's peer id and addresses, and the node answers
 * /parley/auth with that identity: agents that name it as their relay
 * authenticate to it, and a circuit between two authenticated agents is
 * unlimited (relay-limits.ts). The relay asks its clients for no
 * credential: it learns their DIDs and peer ids, never a message (those
 * are sealed end to end). Without an identity the key is fresh at every
 * start and every circuit keeps the default limits (128 KiB, 2 min).
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { ParleyError } from '../../errors.js'
import { exists } from '../../storage/files.js'
import type { FileLock } from '../../storage/files.js'
import { IdentityStore } from '../../storage/identity-store.js'
import type { Keystore } from '../../storage/keystore.js'
import { VERIFIED_HUMAN_TYPE, validateTrustPolicy } from '../../credentials/index.js'
import type { AuthService } from '../../network/gate.js'
import type { ParleyNode } from '../../network/node.js'
import { stopSignalOf } from '../agent-access.js'
import { whenAborted } from '../views.js'
import { collect } from './daemon.js'

/** The network modules, loaded only when `serve` runs (libp2p takes most of a second to load: other commands must not pay for it). */
async function network() {
  const [node, gate, announce, peerKey] = await Promise.all([
    import('../../network/node.js'),
    import('../../network/gate.js'),
    import('../../network/announce.js'),
    import('../../network/peer-key.js'),
  ])
  return { createParleyNode: node.createParleyNode, createAuthService: gate.createAuthService, announceNetwork: announce.announceNetwork, loadOrCreatePeerKey: peerKey.loadOrCreatePeerKey }
}

/** Runs /parley/auth on the relay node with the home's identity, announced in its KEL first; lifts circuit limits between authenticated peers. */
async function relayAuth(ctx: CliContext, keystore: Keystore, node: ParleyNode): Promise<AuthService> {
  const { announceNetwork, createAuthService } = await network()
  const ids = new IdentityStore(ctx.home)
  await announceNetwork(ids, keystore, { peerId: node.peerId, addresses: () => node.addresses() }, ctx.io.now())
  const identity = await ids.loadIdentity(keystore)
  const auth = await createAuthService({
    node: node.libp2p,
    suite: ctx.io.suite,
    identity: { ...identity, kel: [...identity.kel] },
    // No trusted issuer: clients are authenticated by their DID alone.
    trust: validateTrustPolicy({ trustedIssuers: [], acceptedTypes: [VERIFIED_HUMAN_TYPE], requirePq: false }),
    requireCredential: false,
    clock: () => ctx.io.now(),
  })
  node.addGater(auth.gater.connectionGater)
  node.setRelayAuthenticated((peer) => auth.isAuthenticated(peer))
  return auth
}

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
        const { createParleyNode, loadOrCreatePeerKey } = await network()
        let lock: FileLock | undefined
        let keystore: Keystore | undefined
        try {
          let privateKey
          if (await exists(ctx.home.keystorePath)) {
            lock = await ctx.home.lock()
            keystore = await ctx.home.openKeystore(await ctx.passphrase())
            privateKey = await loadOrCreatePeerKey(keystore)
          } else {
            ctx.note(`no key file in ${ctx.home.dir}: the relay gets a new peer id at every start and authenticates nobody, so circuits keep the default limits (run 'parley id create' first)`)
          }
          const node = await createParleyNode({
            infrastructure: true,
            mdns: opts.mdns === true,
            ...(opts.listen.length > 0 ? { listen: opts.listen } : {}),
            ...(opts.announce.length > 0 ? { announce: opts.announce } : {}),
            ...(privateKey !== undefined ? { privateKey } : {}),
          })
          let auth: AuthService | undefined
          try {
            if (keystore !== undefined && (await ctx.home.readConfig()).did !== undefined) auth = await relayAuth(ctx, keystore, node)
            keystore?.close()
            keystore = undefined
            const peerId = node.peerId.toString()
            const addresses = node.addresses().map((a) => a.toString())
            if (ctx.json) for (const address of addresses) ctx.io.stdout(JSON.stringify({ peerId, address }) + '\n')
            else ctx.io.stdout([`relay ${peerId} listening on`, ...addresses.map((a) => `  ${a}`)].join('\n') + '\n')
            if (auth !== undefined) ctx.note(`authenticating clients as ${await ctx.home.requireDid()}: circuits between authenticated clients are unlimited`)
            await whenAborted(stop)
            ctx.note('parley serve: stopping')
          } finally {
            await auth?.stop().catch(() => undefined)
            await node.stop()
          }
        } finally {
          keystore?.close()
          await lock?.release()
        }
      }),
    )
}
