/**
 * `parley trust add ISSUER_DID [--type VerifiedHuman]...`, `trust list`,
 * `trust remove ISSUER_DID`: the issuers whose credentials this agent
 * accepts from peers (agent.json, src/agent/config.ts). With no trusted
 * issuer, peers need no credential. Also `importCredential`, the body of
 * `parley vc import FILE`: a credential this agent presents, verified
 * (signature, expiry, subject = this home's DID) before it is copied in.
 *
 * A running daemon read its configuration at start: changes apply at its
 * next start, and the commands say so.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { addTrustedIssuer, credentialsRequired, importCredentialText, readAgentConfig, removeTrustedIssuer, updateAgentConfig } from '../../agent/config.js'
import {
  encodeCredentialContainer,
  parseCredentialJwt,
  toCredentialContainer,
  validateTrustPolicy,
  verifyCredential,
} from '../../credentials/index.js'
import { readBounded } from '../../storage/files.js'
import { VC_MAX_CONTAINER_BYTES } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { connectDaemon } from '../daemon/client.js'
import { daemonSocketPath } from '../agent-access.js'
import { collect } from './daemon.js'

/** `VerifiedHuman` is short for `VerifiedHumanCredential`; other names pass through. */
export function credentialType(name: string): string {
  return name.endsWith('Credential') ? name : `${name}Credential`
}

/** Tells people that a running daemon applies a configuration change only at its next start. */
async function noteDaemon(ctx: CliContext): Promise<void> {
  if (ctx.json) return
  const remote = await connectDaemon(daemonSocketPath(ctx.home.dir)).catch(() => undefined)
  if (remote === undefined) return
  await remote.stop()
  ctx.note('a daemon is running: it applies this change at its next start')
}

/** Verifies a credential file about this home's identity and adds it to the credentials the agent presents. */
export async function importCredential(ctx: CliContext, file: string): Promise<void> {
  const bytes = await readBounded(file, VC_MAX_CONTAINER_BYTES)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim()
  } catch (err) {
    throw new ParleyError('VC_MALFORMED', `${file} is not UTF-8 text`, { cause: err })
  }
  const container = toCredentialContainer(text)
  const { claims } = parseCredentialJwt(container.jwt)
  const me = await ctx.home.requireDid()
  const types = claims.types.filter((t) => t !== 'VerifiableCredential')
  if (types.length === 0) throw new ParleyError('VC_TYPE_NOT_ACCEPTED', 'the credential names no type besides VerifiableCredential')
  const home = ctx.home
  // The issuer is taken from the credential: this checks that it is sound and ours, not that anyone trusts it.
  const verified = await verifyCredential(container, {
    suite: ctx.io.suite,
    policy: validateTrustPolicy({ trustedIssuers: [claims.issuer], acceptedTypes: types, requirePq: false }),
    now: ctx.io.now(),
    subject: me,
    kels: (did) => home.readKel(did),
  })
  const name = await importCredentialText(ctx.home.dir, encodeCredentialContainer(container))
  ctx.print(
    {
      file: name,
      issuer: verified.issuer,
      subject: verified.subject,
      types: verified.types.filter((t) => t !== 'VerifiableCredential'),
      pq: verified.pq,
      ...(verified.expiresAt !== undefined ? { expiresAt: verified.expiresAt.toISOString() } : {}),
    },
    `imported a ${types.join(', ')} from ${verified.issuer}; this agent presents it to peers that ask`,
  )
  await noteDaemon(ctx)
}

export function registerTrust(program: Command, run: Run): void {
  const trust = program.command('trust').description('the credential issuers this agent trusts (none: no credential required)')

  trust
    .command('add')
    .description('trust an issuer for credential types (default VerifiedHuman)')
    .argument('<issuer-did>', 'the issuer\'s DID')
    .option('--type <type>', 'a credential type trusted from it (repeatable)', collect, [])
    .action(
      run(async (ctx: CliContext, did: string, opts: { type: string[] }) => {
        const types = (opts.type.length > 0 ? opts.type : ['VerifiedHuman']).map(credentialType)
        const config = await updateAgentConfig(ctx.home.dir, (c) => addTrustedIssuer(c, did, types))
        const entry = config.trustedIssuers.find((t) => t.did === did)
        ctx.print({ did, types: entry?.types ?? types }, `trusting ${did} for ${types.join(', ')}`)
        await noteDaemon(ctx)
      }),
    )

  trust
    .command('remove')
    .description('stop trusting an issuer')
    .argument('<issuer-did>', 'the issuer\'s DID')
    .action(
      run(async (ctx: CliContext, did: string) => {
        const config = await updateAgentConfig(ctx.home.dir, (c) => removeTrustedIssuer(c, did))
        ctx.print(
          { removed: did, credentialsRequired: credentialsRequired(config) },
          `no longer trusting ${did}${credentialsRequired(config) ? '' : '; no trusted issuer is left: peers need no credential'}`,
        )
        await noteDaemon(ctx)
      }),
    )

  trust
    .command('list')
    .description('list the trusted issuers')
    .action(
      run(async (ctx: CliContext) => {
        const config = await readAgentConfig(ctx.home.dir)
        const required = credentialsRequired(config)
        ctx.print(
          { issuers: config.trustedIssuers, credentialsRequired: required, credentials: config.credentials },
          required
            ? config.trustedIssuers.map((t) => `${t.did}  ${t.types.join(', ')}`).join('\n')
            : 'no trusted issuer: peers need no credential',
        )
      }),
    )
}
