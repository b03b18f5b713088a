/**
 * `parley id …`: create, show, rotate, update, export and verify identities.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { IdentityStore } from '../../storage/identity-store.js'
import { describeKey } from '../../crypto/index.js'
import { encodeKel } from '../../identity/index.js'
import type { KeyState, Service } from '../../identity/index.js'
import { readBounded, writeAtomic } from '../../storage/files.js'
import { KEL_MAX_BYTES } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { connectDaemon } from '../daemon/client.js'
import { daemonSocketPath } from '../agent-access.js'



/** The JSON view of a key state, shared by `id show`, `id verify` and `group show`. */
export function stateView(state: KeyState): Record<string, unknown> {
  return {
    did: state.did,
    kind: state.kind,
    ...(state.name !== undefined ? { name: state.name } : {}),
    sequence: state.sequence,
    keys: [
      { purpose: 'signing', ...describeKey(state.signingKey) },
      ...state.agreementKeys.map((k) => ({ purpose: 'agreement', ...describeKey(k) })),
    ],
    services: state.services,
    ...(state.kind !== 'individual' ? { members: state.members } : {}),
    updatedAt: state.updatedAt,
  }
}

/** Parses `TYPE=ENDPOINT` specs; ids are the type, numbered when a type repeats (`mailbox`, `mailbox-2`). */
function parseServices(specs: string[]): Service[] {
  const counts = new Map<string, number>()
  return specs.map((spec) => {
    const eq = spec.indexOf('=')
    const type = spec.slice(0, eq)
    const endpoint = spec.slice(eq + 1)
    if (eq <= 0 || endpoint === '' || !/^[A-Za-z0-9._~-]+$/.test(type)) {
      throw new ParleyError('INVALID_ARGUMENT', `a service is TYPE=ENDPOINT with TYPE of [A-Za-z0-9._~-], got "${spec}"`)
    }
    const n = (counts.get(type) ?? 0) + 1
    counts.set(type, n)
    return { id: n === 1 ? type : `${type}-${n}`, type, endpoint }
  })
}

export function registerId(program: Command, run: Run): void {
  const id = program.command('id').description('create, show, rotate, export and verify identities')

  id.command('create')
    .description('create this home\'s identity (a new did:parley) and its sealed key file')
    .option('--name <name>', 'a human-readable name')
    .option('--service <TYPE=ENDPOINT...>', 'services to list (e.g. libp2p-peer=12D3Koo…)')
    .action(
      run(async (ctx: CliContext, opts: { name?: string; service?: string[] }) => {
        const store = new IdentityStore(ctx.home)
        const lock = await ctx.home.lock()
        try {
          const passphrase = await ctx.passphrase(true)
          const created = await store.createIdentity(passphrase, {
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(opts.service !== undefined ? { services: parseServices(opts.service) } : {}),
            now: ctx.io.now(),
          })
          ctx.print({ did: created.state.did }, `created ${created.state.did}`)
        } finally {
          await lock.release()
        }
      }),
    )

  id.command('show')
    .description('show this home\'s identity: DID, key-event sequence, current keys, services')
    .action(
      run(async (ctx: CliContext) => {
        const { state } = await new IdentityStore(ctx.home).identityState()
        const view = stateView(state)
        ctx.print(view, `${state.did}${state.name !== undefined ? ` (${state.name})` : ''}\n  sequence ${state.sequence}\n  services ${state.services.length}`)
      }),
    )

  id.command('rotate')
    .description('rotate the signing key (pre-rotation: reveals the committed next key)')
    .action(
      run(async (ctx: CliContext) => {
        // A running daemon holds the home: it rotates, and tells every contact of the new keys.
        const remote = await connectDaemon(daemonSocketPath(ctx.home.dir))
        if (remote !== undefined) {
          try {
            await remote.rotateKeys()
          } finally {
            await remote.stop()
          }
          const { state } = await new IdentityStore(ctx.home).identityState()
          ctx.print({ did: state.did, sequence: state.sequence }, `rotated ${state.did} to sequence ${state.sequence}; the daemon tells every contact`)
          return
        }
        const next = await ctx.withKeystore((store, keystore) => store.rotateIdentity(keystore, ctx.io.now()))
        ctx.print({ did: next.state.did, sequence: next.state.sequence }, `rotated ${next.state.did} to sequence ${next.state.sequence}`)
      }),
    )

  id.command('update')
    .description('update services or name (a signed update event)')
    .option('--name <name>', 'a new name')
    .option('--service <TYPE=ENDPOINT...>', 'the full new list of services')
    .option('--clear-services', 'remove every service')
    .action(
      run(async (ctx: CliContext, opts: { name?: string; service?: string[]; clearServices?: boolean }) => {
        const changes: { name?: string; services?: Service[] } = {}
        if (opts.name !== undefined) changes.name = opts.name
        if (opts.clearServices === true) changes.services = []
        else if (opts.service !== undefined) changes.services = parseServices(opts.service)
        if (Object.keys(changes).length === 0) throw new ParleyError('INVALID_ARGUMENT', 'nothing to update: give --name, --service or --clear-services')
        const next = await ctx.withKeystore((store, keystore) => store.updateIdentity(keystore, changes, ctx.io.now()))
        ctx.print({ did: next.state.did, sequence: next.state.sequence }, `updated ${next.state.did} to sequence ${next.state.sequence}`)
      }),
    )

  id.command('export')
    .description('write this home\'s key-event log (public) to a file')
    .requiredOption('--out <file>', 'where to write the KEL')
    .action(
      run(async (ctx: CliContext, opts: { out: string }) => {
        const { kel, state } = await new IdentityStore(ctx.home).identityState()
        await writeAtomic(opts.out, encodeKel(kel), 0o644)
        ctx.print({ did: state.did, sequence: state.sequence, file: opts.out }, `wrote the KEL of ${state.did} (sequence ${state.sequence}) to ${opts.out}`)
      }),
    )

  id.command('verify')
    .description('verify a KEL file; refuses rollback and duplicity against the one this home saw before')
    .argument('<file>', 'a KEL file (from `parley id export`)')
    .option('--no-record', 'do not record it as seen')
    .action(
      run(async (ctx: CliContext, file: string, opts: { record: boolean }) => {
        const bytes = await readBounded(file, KEL_MAX_BYTES)
        const state = await new IdentityStore(ctx.home).importKel(bytes, { record: opts.record })
        ctx.print({ valid: true, ...stateView(state) }, `valid: ${state.did} at sequence ${state.sequence}`)
      }),
    )
}
