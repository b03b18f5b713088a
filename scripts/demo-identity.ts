/**
 * `node --import tsx scripts/demo-identity.ts` (the demo of issue 2; `npm run
 * demo` is now the multi-process one, scripts/demo.ts): the identity and
 * credential walk-through, run through the
 * real `parley` CLI (in-process, the same `main` the binary calls) on two
 * fresh homes in a temporary directory: an issuer and Alice.
 *
 *   1. Alice and an issuer create identities; Alice shows hers and rotates it.
 *   2. The issuer verifies Alice's exported KEL (pre-rotation checked).
 *   3. The issuer issues Alice a VerifiedHuman credential (EdDSA VC-JWT +
 *      ML-DSA-65 co-signature); it verifies under a PQ-requiring policy.
 *   4. A tampered copy, an untrusted issuer and an old KEL (rollback) are
 *      refused, each with its reason.
 *   5. Alice makes a person of her two devices.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../src/cli/main.js'
import { defaultSuite } from '../src/crypto/index.js'
import type { CliIo } from '../src/cli/io.js'

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s)

const root = await mkdtemp(join(tmpdir(), 'parley-demo-'))
const passphrase = 'demo passphrase, not for real use'

interface Actor {
  name: string
  home: string
}

async function parley(who: Actor, ...args: string[]): Promise<{ code: number; out: string; json: any }> {
  let out = ''
  let err = ''
  const io: CliIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    env: { PARLEY_HOME: who.home, PARLEY_PASSPHRASE: passphrase },
    now: () => new Date(),
    suite: defaultSuite,
  }
  const shown = args.map((a) => (a.startsWith(root) ? a.slice(root.length + 1) : a)).join(' ')
  console.log(`${dim(`[${who.name}]`)} $ parley ${shown}`)
  const code = await main(['node', 'parley', ...args], io)
  const text = (out + err).trimEnd()
  if (text !== '') console.log(text.split('\n').map((l) => `    ${l}`).join('\n'))
  if (code !== 0) console.log(`    ${dim(`(exit ${code})`)}`)
  let json: unknown
  try {
    json = JSON.parse(out)
  } catch {
    json = undefined
  }
  return { code, out, json }
}

function step(title: string): void {
  console.log(`\n${bold(`== ${title}`)}`)
}

function expect(ok: boolean, what: string): void {
  if (!ok) {
    console.error(`demo: unexpected outcome: ${what}`)
    process.exitCode = 1
  }
}

const alice: Actor = { name: 'alice', home: join(root, 'alice') }
const issuer: Actor = { name: 'issuer', home: join(root, 'issuer') }
const phone: Actor = { name: 'alice-phone', home: join(root, 'alice-phone') }

try {
  console.log(bold('Parley demo: self-certifying post-quantum identities and Verified-Human credentials'))
  console.log(dim(`homes under ${root}; suite parley-1 (Ed25519+ML-DSA-65, X25519+ML-KEM-768) on Node ${process.versions.node}`))

  step('1. Create identities (the DID is the digest of the inception event)')
  const aliceDid: string = (await parley(alice, 'id', 'create', '--name', 'Alice', '--service', 'libp2p-peer=12D3KooWAliceLaptop', '--json')).json.did
  const issuerDid: string = (await parley(issuer, 'id', 'create', '--name', 'Example Verifier', '--json')).json.did
  await parley(alice, 'id', 'show')

  step('2. Rotate Alice\'s keys (pre-rotation: the committed next key becomes current)')
  const oldKel = join(root, 'alice-seq0.kel')
  await parley(alice, 'id', 'export', '--out', oldKel)
  const rotated = await parley(alice, 'id', 'rotate', '--json')
  expect(rotated.json?.sequence === 1, 'rotation to sequence 1')
  const kel = join(root, 'alice.kel')
  await parley(alice, 'id', 'export', '--out', kel)
  const verified = await parley(issuer, 'id', 'verify', kel)
  expect(verified.code === 0, 'the issuer verifies Alice\'s KEL')

  step('3. Issue Alice a VerifiedHuman credential and verify it (PQ co-signature required)')
  const vc = join(root, 'alice.vc.json')
  const expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString()
  await parley(issuer, 'vc', 'issue', '--subject', aliceDid, '--type', 'VerifiedHuman', '--expires', expires, '--out', vc)
  const ok = await parley(alice, 'vc', 'verify', vc, '--trust', issuerDid, '--require-pq')
  expect(ok.code === 0, 'the credential verifies')
  await parley(alice, 'vc', 'verify', vc, '--trust', issuerDid, '--require-pq', '--json')

  step('4. Refusals, each with its reason')
  const container = JSON.parse(await readFile(vc, 'utf8')) as { jwt: string }
  const [h, p, s] = container.jwt.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))
  claims.sub = 'did:parley:' + 'a'.repeat(52)
  claims.vc.credentialSubject.id = claims.sub
  const forged = join(root, 'forged.vc.json')
  await writeFile(forged, JSON.stringify({ ...container, jwt: [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.') }))
  console.log(dim('    (a copy whose subject was changed to another DID)'))
  const tampered = await parley(alice, 'vc', 'verify', forged, '--trust', issuerDid)
  expect(tampered.code !== 0, 'the tampered credential is refused')
  const untrusted = await parley(alice, 'vc', 'verify', vc, '--trust', aliceDid)
  expect(untrusted.code !== 0, 'an untrusted issuer is refused')
  console.log(dim('    (the issuer now sees the older copy of Alice\'s KEL)'))
  const rollback = await parley(issuer, 'id', 'verify', oldKel)
  expect(rollback.code !== 0, 'a rolled-back KEL is refused')

  step('5. A person made of devices: Alice\'s laptop and phone')
  await parley(phone, 'id', 'create', '--name', 'Alice (phone)', '--json')
  const phoneKel = join(root, 'phone.kel')
  await parley(phone, 'id', 'export', '--out', phoneKel)
  await parley(alice, 'group', 'create', '--name', 'alice-devices', '--person')
  await parley(alice, 'group', 'add', 'alice-devices', phoneKel)
  await parley(alice, 'group', 'show', 'alice-devices')

  console.log(`\n${process.exitCode === 1 ? 'demo finished with unexpected outcomes' : bold('demo finished: every step behaved as expected')}`)
} finally {
  await rm(root, { recursive: true, force: true })
}
