/**
 * `parley invite [--compact] [--qr] [--out FILE] [--lifetime SECONDS]` →
 * `{"invite": "parley:…", "expiresAt"}`: a single-use invite of this
 * agent. `--out` writes it to a file (0600: whoever holds it can connect
 * once); `--qr` draws it in the terminal (on stderr under `--json`, so
 * stdout stays one JSON document) and, with `--out`, writes `FILE.png`
 * beside it. A QR code holds the compact form, so `--qr` implies
 * `--compact`.
 *
 * The inviter must be online when the invite is accepted: without a daemon
 * the agent of this command stops when it ends, and the command says so.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { writeAtomic } from '../../storage/files.js'
import { INVITE_MAX_LIFETIME_SECONDS } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { withAgent } from '../agent-access.js'
import { qrPng, qrTerminal } from '../qr.js'

function parseLifetime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0 || n > INVITE_MAX_LIFETIME_SECONDS) {
    throw new ParleyError('INVALID_ARGUMENT', `--lifetime takes 1..${INVITE_MAX_LIFETIME_SECONDS} seconds, got "${text}"`)
  }
  return n
}

export function registerInvite(program: Command, run: Run): void {
  program
    .command('invite')
    .description('make a single-use invite for a new contact')
    .option('--compact', 'the short parley: URI (fits a QR code; the invitee fetches the rest from us)')
    .option('--qr', 'draw it as a QR code (and write FILE.png with --out)')
    .option('--out <file>', 'also write the invite to this file')
    .option('--lifetime <seconds>', 'how long the invite stays valid')
    .action(
      run(async (ctx: CliContext, opts: { compact?: boolean; qr?: boolean; out?: string; lifetime?: string }) => {
        const lifetimeSeconds = parseLifetime(opts.lifetime)
        const compact = opts.compact === true || opts.qr === true
        const { invite, expiresAt, via } = await withAgent(ctx, { network: true }, async ({ agent, via }) => ({
          ...(await agent.createInvite({ compact, ...(lifetimeSeconds !== undefined ? { lifetimeSeconds } : {}) })),
          via,
        }))
        const drawing = opts.qr === true ? await qrTerminal(invite) : undefined
        let pngPath: string | undefined
        if (opts.out !== undefined) {
          await writeAtomic(opts.out, invite + '\n')
          if (opts.qr === true) {
            pngPath = `${opts.out}.png`
            await writeAtomic(pngPath, await qrPng(invite))
          }
        }
        const human = [invite]
        if (drawing !== undefined && !ctx.json) human.push(drawing)
        human.push(`expires ${expiresAt.toISOString()}`)
        if (opts.out !== undefined) human.push(`written to ${opts.out}${pngPath !== undefined ? ` and ${pngPath}` : ''}`)
        ctx.print(
          { invite, expiresAt: expiresAt.toISOString(), ...(opts.out !== undefined ? { file: opts.out } : {}), ...(pngPath !== undefined ? { png: pngPath } : {}) },
          human.join('\n'),
        )
        if (drawing !== undefined && ctx.json) ctx.io.stderr(drawing)
        if (via === 'local') ctx.note('no daemon runs for this home: start `parley daemon` so the invite can be accepted')
      }),
    )
}
