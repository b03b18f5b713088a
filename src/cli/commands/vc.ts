/**
 * `parley vc …`: issue a Verified-Human credential from this home's identity
 * and verify credential files against a trust policy (issuers given with
 * `--trust` or in a policy file). Verification also consults the KELs this
 * home has seen, so an issuer's rotated-out key or a rolled-back KEL is
 * refused. `vc import` adds a credential the agent presents (trust.ts).
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import { IdentityStore } from '../../storage/identity-store.js'
import { readBounded, writeAtomic } from '../../storage/files.js'
import {
  VERIFIED_HUMAN_TYPE,
  encodeCredentialContainer,
  issueCredential,
  parseTrustPolicy,
  validateTrustPolicy,
  verifyCredential,
} from '../../credentials/index.js'
import type { TrustPolicy } from '../../credentials/index.js'
import { VC_MAX_CONTAINER_BYTES } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { importCredential } from './trust.js'

/** `VerifiedHuman` is short for `VerifiedHumanCredential`; other names pass through. */
function credentialType(name: string): string {
  return name.endsWith('Credential') ? name : `${name}Credential`
}

function parseDate(text: string, what: string): Date {
  // ISO 8601 with a date, optionally a time and zone.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    throw new ParleyError('INVALID_ARGUMENT', `${what} must be an ISO 8601 date, got "${text}"`)
  }
  const date = new Date(text)
  if (Number.isNaN(date.getTime())) throw new ParleyError('INVALID_ARGUMENT', `${what} is not a valid date: "${text}"`)
  return date
}

function parseSeconds(text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n <= 0) throw new ParleyError('INVALID_ARGUMENT', `--max-age takes a positive number of seconds, got "${text}"`)
  return n
}

export function registerVc(program: Command, run: Run): void {
  const vc = program.command('vc').description('issue and verify Verified-Human credentials')

  vc.command('issue')
    .description('issue a credential to a subject DID, signed by this home\'s identity (EdDSA JWT + ML-DSA-65 co-signature)')
    .requiredOption('--subject <did>', 'the DID the credential is about')
    .option('--type <type>', 'credential type', 'VerifiedHuman')
    .option('--expires <iso-8601>', 'when the credential expires')
    .requiredOption('--out <file>', 'where to write the credential')
    .action(
      run(async (ctx: CliContext, opts: { subject: string; type: string; expires?: string; out: string }) => {
        const now = ctx.io.now()
        const validUntil = opts.expires === undefined ? undefined : parseDate(opts.expires, '--expires')
        if (validUntil !== undefined && validUntil.getTime() <= now.getTime()) {
          throw new ParleyError('INVALID_ARGUMENT', '--expires is in the past')
        }
        const store = new IdentityStore(ctx.home)
        const keystore = await ctx.home.openKeystore(await ctx.passphrase())
        let text: string
        try {
          const me = await store.loadIdentity(keystore)
          const container = await issueCredential({
            suite: ctx.io.suite,
            issuer: me,
            subject: opts.subject,
            now,
            types: [credentialType(opts.type)],
            ...(validUntil !== undefined ? { validUntil } : {}),
          })
          text = encodeCredentialContainer(container)
        } finally {
          keystore.close()
        }
        await writeAtomic(opts.out, text, 0o644)
        const issuer = await ctx.home.requireDid()
        ctx.print(
          { issuer, subject: opts.subject, type: credentialType(opts.type), file: opts.out, ...(validUntil !== undefined ? { expires: validUntil.toISOString() } : {}) },
          `issued a ${credentialType(opts.type)} for ${opts.subject} to ${opts.out}`,
        )
      }),
    )

  vc.command('import')
    .description('add a credential about this home\'s identity to the ones the agent presents to peers')
    .argument('<file>', 'a credential file (parley-vc/1 JSON, or a bare VC-JWT)')
    .action(run(async (ctx: CliContext, file: string) => importCredential(ctx, file)))

  vc.command('verify')
    .description('verify a credential file against a trust policy')
    .argument('<file>', 'a credential file (parley-vc/1 JSON, or a bare VC-JWT)')
    .option('--trust <did...>', 'trusted issuer DIDs')
    .option('--policy <file>', 'a trust policy JSON file {trustedIssuers, acceptedTypes, maxAgeSeconds?, requirePq}')
    .option('--type <type...>', 'accepted credential types', [VERIFIED_HUMAN_TYPE])
    .option('--require-pq', 'require the ML-DSA-65 co-signature')
    .option('--max-age <seconds>', 'refuse credentials issued longer ago than this')
    .action(
      run(async (ctx: CliContext, file: string, opts: { trust?: string[]; policy?: string; type: string[]; requirePq?: boolean; maxAge?: string }) => {
        let policy: TrustPolicy
        if (opts.policy !== undefined) {
          const text = new TextDecoder('utf-8', { fatal: true }).decode(await readBounded(opts.policy, VC_MAX_CONTAINER_BYTES))
          const fromFile = parseTrustPolicy(text)
          policy = validateTrustPolicy({
            ...fromFile,
            trustedIssuers: [...fromFile.trustedIssuers, ...(opts.trust ?? [])],
            ...(opts.requirePq === true ? { requirePq: true } : {}),
            ...(opts.maxAge !== undefined ? { maxAgeSeconds: parseSeconds(opts.maxAge) } : {}),
          })
        } else {
          if (opts.trust === undefined) throw new ParleyError('INVALID_ARGUMENT', 'name the trusted issuers with --trust DID (or --policy FILE)')
          policy = validateTrustPolicy({
            trustedIssuers: opts.trust,
            acceptedTypes: opts.type.map(credentialType),
            requirePq: opts.requirePq === true,
            ...(opts.maxAge !== undefined ? { maxAgeSeconds: parseSeconds(opts.maxAge) } : {}),
          })
        }
        const bytes = await readBounded(file, VC_MAX_CONTAINER_BYTES)
        const home = ctx.home
        const verified = await verifyCredential(bytes, {
          suite: ctx.io.suite,
          policy,
          now: ctx.io.now(),
          kels: (did) => home.readKel(did),
        })
        ctx.print(
          {
            valid: true,
            subject: verified.subject,
            issuer: verified.issuer,
            types: verified.types,
            pq: verified.pq,
            issuedAt: verified.issuedAt,
            ...(verified.expiresAt !== undefined ? { expiresAt: verified.expiresAt } : {}),
          },
          `valid ${verified.types.filter((t) => t !== 'VerifiableCredential').join(', ')} for ${verified.subject}\n  issuer ${verified.issuer}\n  post-quantum co-signature: ${verified.pq ? 'yes' : 'no'}`,
        )
      }),
    )
}
