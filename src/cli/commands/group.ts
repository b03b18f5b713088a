/**
 * `parley group …`: groups of identities (or one person's devices) whose
 * control key this home holds. Adding a member needs its KEL; removing one
 * rotates the control key in the same event.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { IdentityStore } from '../../storage/identity-store.js'
import type { LoadedIdentity } from '../../storage/identity-store.js'
import { readBounded } from '../../storage/files.js'
import { KEL_MAX_BYTES } from '../../constants.js'
import { stateView } from './id.js'

function printGroup(ctx: CliContext, verb: string, group: LoadedIdentity): void {
  const s = group.state
  ctx.print(
    { did: s.did, name: s.name, sequence: s.sequence, members: s.members },
    `${verb} ${s.name ?? s.did} (${s.did}), sequence ${s.sequence}, ${s.members.length} member(s)`,
  )
}

export function registerGroup(program: Command, run: Run): void {
  const group = program.command('group').description('groups of identities, and persons made of devices')

  group
    .command('create')
    .description('create a group with this home\'s identity as its first member')
    .requiredOption('--name <name>', 'the group\'s name')
    .option('--person', 'a person: a group whose members are one person\'s devices')
    .action(
      run(async (ctx: CliContext, opts: { name: string; person?: boolean }) => {
        const created = await ctx.withKeystore((store, keystore) =>
          store.createGroup(keystore, { name: opts.name, kind: opts.person === true ? 'person' : 'group', now: ctx.io.now() }),
        )
        printGroup(ctx, 'created', created)
      }),
    )

  group
    .command('add')
    .description('add a member, given the member\'s KEL file')
    .argument('<group>', 'group DID or name')
    .argument('<kel-file>', 'the member\'s KEL (from `parley id export`)')
    .action(
      run(async (ctx: CliContext, ref: string, file: string) => {
        const kel = await readBounded(file, KEL_MAX_BYTES)
        const next = await ctx.withKeystore((store, keystore) => store.addMember(keystore, ref, kel, ctx.io.now()))
        printGroup(ctx, 'added a member to', next)
      }),
    )

  group
    .command('remove')
    .description('remove a member (rotates the group control key)')
    .argument('<group>', 'group DID or name')
    .argument('<did>', 'the member to remove')
    .action(
      run(async (ctx: CliContext, ref: string, did: string) => {
        const next = await ctx.withKeystore((store, keystore) => store.removeMember(keystore, ref, did, ctx.io.now()))
        printGroup(ctx, 'removed a member from', next)
      }),
    )

  group
    .command('show')
    .description('show a group: DID, sequence, control key, members')
    .argument('<group>', 'group DID or name')
    .action(
      run(async (ctx: CliContext, ref: string) => {
        const store = new IdentityStore(ctx.home)
        const { state } = await store.verifiedKel(await store.groupDid(ref))
        ctx.print(stateView(state), `${state.name ?? state.did} (${state.did})\n  sequence ${state.sequence}\n  members:\n${state.members.map((m) => `    ${m}`).join('\n')}`)
      }),
    )
}
