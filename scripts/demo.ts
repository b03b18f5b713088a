/**
 * `npm run demo`: Parley end to end, as separate processes on 127.0.0.1,
 * driven through the real `parley` binary (scripts/demo-processes.ts), each
 * agent with its own home in a temporary directory:
 *
 *   1. An issuer, a relay, Alice, Bob and Carol create identities.
 *   2. The issuer gives Alice and Bob a VerifiedHuman credential; Alice, Bob
 *      and Carol trust that issuer (so each asks its peers for one).
 *   3. The relay starts (`parley serve --relay`, authenticating its clients);
 *      Alice's daemon listens on loopback and reserves on the relay; Bob's
 *      is relay-only: no direct address, reachable only through the relay.
 *   4. Alice invites Bob with a compact invite; Bob accepts: both
 *      authenticate (DIDs, KELs, credentials).
 *   5. They chat both ways (Bob dialed Alice: a direct connection).
 *   6. Bob's daemon restarts; Alice reaches him again, and the only way in
 *      is the relay: `status` shows the /p2p-circuit connection.
 *   7. Bob sends Alice a file over it (progress shown, hash checked).
 *   8. Alice rotates her keys; they keep talking.
 *   9. Carol, without a credential, is refused by Alice, with the reason.
 *
 * Exits 0 when every step behaved as expected (1 otherwise); every process
 * is stopped and the homes removed however it ends.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ParleyProcesses } from './demo-processes.js'
import type { Background, CliResult } from './demo-processes.js'

const color = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined
const bold = (s: string): string => (color ? `\x1b[1m${s}\x1b[0m` : s)
const dim = (s: string): string => (color ? `\x1b[2m${s}\x1b[0m` : s)
const green = (s: string): string => (color ? `\x1b[32m${s}\x1b[0m` : s)
const red = (s: string): string => (color ? `\x1b[31m${s}\x1b[0m` : s)

/** Size of the file Bob sends: well above the 128 KiB an unauthenticated relay circuit may carry. */
const FILE_BYTES = 3 * 1024 * 1024
/** How long the demo waits for a message to show up in an inbox. */
const ARRIVAL_TIMEOUT_MS = 20_000
const PASSPHRASE = 'demo passphrase, not for real use'
const LOOPBACK = '/ip4/127.0.0.1/tcp/0'

const started = Date.now()
const root = await mkdtemp(join(tmpdir(), 'parley-demo-'))
const procs = new ParleyProcesses({ passphrase: PASSPHRASE })
let failures = 0

// Interrupted (Ctrl-C, a CI timeout): end every child at once and remove the homes.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    procs.killAll()
    void rm(root, { recursive: true, force: true }).finally(() => process.exit(130))
  })
}

interface Actor {
  name: string
  home: string
  did?: string
}
const actor = (name: string): Actor => ({ name, home: join(root, name) })
const issuer = actor('issuer')
const relay = actor('relay')
const alice = actor('alice')
const bob = actor('bob')
const carol = actor('carol')

function step(title: string): void {
  console.log(`\n${bold(`== ${title}`)} ${dim(`(t+${((Date.now() - started) / 1000).toFixed(1)} s)`)}`)
}

function say(text: string): void {
  console.log(`    ${text}`)
}

function expect(ok: boolean, what: string): void {
  if (ok) return
  failures++
  console.log(`    ${red(`✗ unexpected: ${what}`)}`)
}

function short(did: string | undefined): string {
  return did === undefined ? '?' : `${did.slice(0, 20)}…${did.slice(-6)}`
}

/** The command as a person would type it (homes and long values shortened). */
function shown(who: Actor, args: readonly string[]): string {
  const text = args
    .map((a) => (a.startsWith(root) ? a.slice(root.length + 1) : a))
    .map((a) => (a.startsWith('parley:') || a.startsWith('did:') || a.includes('/p2p/') ? `${a.slice(0, 24)}…` : a))
    .map((a) => (/\s/.test(a) ? JSON.stringify(a) : a))
    .join(' ')
  return `${dim(`[${who.name}]`)} $ parley ${text}`
}

/** Runs one command of `who`, prints it, and checks its exit code. */
async function parley(who: Actor, args: string[], expectCode = 0): Promise<CliResult> {
  const result = await procs.run(who.home, args)
  console.log(shown(who, args))
  if (result.code !== expectCode) {
    expect(false, `exit ${result.code} (expected ${expectCode}): ${result.stdout.trim()} ${result.stderr.trim()}`)
  }
  return result
}

/** Runs several commands at once (independent ones), printing them in order. */
async function parleyAll(runs: [Actor, string[]][]): Promise<CliResult[]> {
  const results = await Promise.all(runs.map(([who, args]) => procs.run(who.home, args)))
  runs.forEach(([who, args], i) => {
    console.log(shown(who, args))
    const r = results[i] as CliResult
    if (r.code !== 0) expect(false, `exit ${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}`)
  })
  return results
}

/** Starts a daemon of `who` and waits for its ready line. */
async function daemon(who: Actor, args: string[]): Promise<{ process: Background; ready: any }> {
  const all = ['daemon', ...args, '--no-mdns', '--json']
  console.log(shown(who, all) + dim('   (in the background)'))
  const process = procs.start(`${who.name} daemon`, who.home, all)
  const { json } = await process.waitForLine((_l, j) => typeof j?.socket === 'string')
  return { process, ready: json }
}

/** Messages arriving in `who`'s inbox (`parley inbox --follow --json`), printed as they come. */
class Inbox {
  readonly #who: Actor
  readonly #names: Map<string, string>
  #follow: Background | undefined
  readonly #seen: any[] = []

  constructor(who: Actor, names: Map<string, string>) {
    this.#who = who
    this.#names = names
  }

  async follow(): Promise<void> {
    const follow = procs.start(`${this.#who.name} inbox`, this.#who.home, ['inbox', '--follow', '--json'])
    this.#follow = follow
    follow.onLine((line, stream) => {
      if (stream !== 'stdout') return
      let m: any
      try {
        m = JSON.parse(line)
      } catch {
        return
      }
      if (this.#seen.some((s) => s.id === m.id)) return // replayed by a new follower
      this.#seen.push(m)
      const from = this.#names.get(m.from) ?? short(m.from)
      const body = typeof m.text === 'string' ? JSON.stringify(m.text) : `a file: ${m.file?.name} (${m.file?.size} bytes)`
      console.log(`    ${green('✉')} ${this.#who.name} received from ${from}: ${body}`)
    })
  }

  /** Waits until a message matching `match` has arrived. */
  async waitFor(match: (m: any) => boolean): Promise<any> {
    const deadline = Date.now() + ARRIVAL_TIMEOUT_MS
    while (Date.now() < deadline) {
      const found = this.#seen.find(match)
      if (found !== undefined) return found
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(false, `${this.#who.name} did not receive the message in time`)
    return undefined
  }

  async stop(): Promise<void> {
    await this.#follow?.stop()
  }
}

/** The connection `status` shows to `did`, if any. */
async function connectionTo(who: Actor, did: string | undefined): Promise<any> {
  const status = await parley(who, ['status', '--json'])
  return status.json?.connections?.find((c: any) => c.did === did && c.role === 'contact')
}

async function demo(): Promise<void> {
  console.log(bold('Parley demo: a relay and two agents as separate processes on 127.0.0.1'))
  console.log(dim(`homes under ${root}; suite parley-1 (Ed25519+ML-DSA-65, X25519+ML-KEM-768); Node ${process.versions.node}`))

  step('1. Everyone creates an identity (a did:parley is the digest of its first key event)')
  const ids = await parleyAll([issuer, relay, alice, bob, carol].map((a) => [a, ['id', 'create', '--name', a.name, '--json']]))
  ;[issuer, relay, alice, bob, carol].forEach((a, i) => {
    a.did = ids[i]?.json?.did
    say(`${a.name.padEnd(6)} ${a.did ?? '(failed)'}`)
  })
  const names = new Map([alice, bob, carol].map((a) => [a.did ?? '', a.name]))

  // The relay needs nothing of step 2: it starts now, in the background, and is shown in step 3.
  const serveArgs = ['serve', '--relay', '--listen', LOOPBACK, '--json']
  const relayProcess = procs.start('relay', relay.home, serveArgs)
  const relayReady = relayProcess.waitForLine((_l, j) => typeof j?.address === 'string' && j.address.startsWith('/ip4/127.0.0.1/'))
  relayReady.catch(() => undefined) // awaited in step 3

  step('2. The issuer vouches for Alice and Bob (VerifiedHuman); Alice, Bob and Carol trust that issuer')
  const aliceVc = join(root, 'alice.vc')
  const bobVc = join(root, 'bob.vc')
  const issued = await parleyAll([
    [issuer, ['vc', 'issue', '--subject', alice.did ?? '', '--type', 'VerifiedHuman', '--out', aliceVc, '--json']],
    [issuer, ['vc', 'issue', '--subject', bob.did ?? '', '--type', 'VerifiedHuman', '--out', bobVc, '--json']],
    [alice, ['trust', 'add', issuer.did ?? '', '--type', 'VerifiedHuman', '--json']],
    [bob, ['trust', 'add', issuer.did ?? '', '--type', 'VerifiedHuman', '--json']],
    [carol, ['trust', 'add', issuer.did ?? '', '--type', 'VerifiedHuman', '--json']],
  ])
  say(`credentials: EdDSA VC-JWT + ML-DSA-65 co-signature, type ${issued[0]?.json?.type}`)
  const imported = await parleyAll([
    [alice, ['vc', 'import', aliceVc, '--json']],
    [bob, ['vc', 'import', bobVc, '--json']],
  ])
  for (const [i, who] of [alice, bob].entries()) {
    const j = imported[i]?.json
    say(`${who.name} presents ${j?.types?.join(', ')} from ${short(j?.issuer)} (post-quantum co-signature: ${j?.pq === true ? 'yes' : 'no'})`)
  }
  say('Carol trusts the issuer too, but holds no credential of her own.')

  step('3. The relay starts; Alice listens on loopback and on the relay; Bob is reachable only through the relay')
  console.log(shown(relay, serveArgs) + dim('   (in the background)'))
  const relayAddress: string = (await relayReady).json.address
  say(`relay ${short(relay.did)} at ${relayAddress}`)
  say(dim('(it authenticates its clients by DID, then lifts its circuit limits between them; it never sees a message)'))
  const [a, b] = await Promise.all([daemon(alice, ['--listen', LOOPBACK, '--relay', relayAddress]), daemon(bob, ['--relay', relayAddress, '--relay-only'])])
  for (const [who, d] of [[alice, a], [bob, b]] as const) {
    for (const address of d.ready.addresses as string[]) say(`${who.name.padEnd(5)} ${address.includes('/p2p-circuit') ? 'via relay' : 'direct   '} ${address}`)
  }
  expect((b.ready.addresses as string[]).length > 0 && (b.ready.addresses as string[]).every((x) => x.includes('/p2p-circuit')), 'Bob has relay addresses only')
  const aliceInbox = new Inbox(alice, names)
  const bobInbox = new Inbox(bob, names)
  await Promise.all([aliceInbox.follow(), bobInbox.follow()])

  step('4. Alice invites Bob with a compact invite (fits a QR code); Bob accepts')
  // Two single-use invites: one for Bob now, one Alice hands to Carol later (step 9).
  const [forBob, forCarolInvite] = await parleyAll([
    [alice, ['invite', '--compact', '--json']],
    [alice, ['invite', '--compact', '--json']],
  ])
  const invite: string = forBob?.json?.invite
  say(`${invite?.slice(0, 48)}… (${invite?.length} characters: addresses, a one-time token, a digest of Alice's KEL and prekeys)`)
  const accepted = await parley(bob, ['accept', invite, '--alias', 'alice', '--json'])
  const contact = accepted.json?.contact
  say(`${contact?.verified === true ? green('✔ verified') : red('not verified')} ${contact?.alias} (${short(contact?.did)}) — ${contact?.credentialTypes?.join(', ') || 'no credential'}`)
  say(dim('(both sides proved their DIDs over the connection with hybrid signatures and showed their credentials; then PQXDH)'))
  expect(contact?.did === alice.did && contact?.verified === true, 'Bob has Alice as a verified contact')

  step('5. They chat both ways')
  const [, hello] = (await parleyAll([
    [alice, ['alias', bob.did ?? '', 'bob', '--json']],
    [bob, ['send', 'alice', 'Hi Alice, Bob here. Got your invite!', '--json']],
  ])) as [CliResult, CliResult]
  say(`state: ${hello.json?.state}`)
  await aliceInbox.waitFor((m) => m.id === hello.json?.id)
  const hi = await parley(alice, ['send', 'bob', 'Welcome, Bob! Good to see you verified.', '--json'])
  say(`state: ${hi.json?.state}`)
  await bobInbox.waitFor((m) => m.id === hi.json?.id)
  expect(hello.json?.state === 'delivered' && hi.json?.state === 'delivered', 'both messages delivered')
  const direct = await connectionTo(alice, bob.did)
  say(`Alice's connection to Bob: ${direct?.relayed === true ? 'via the relay' : 'direct'} ${direct?.address ?? '(none)'}`)
  say(dim('(Bob dialed Alice when he accepted: an outgoing connection needs no relay)'))

  step('6. Bob\'s daemon restarts; Alice reaches him again: the only way in is the relay')
  const stopping = Date.now()
  await Promise.all([bobInbox.stop(), b.process.stop()])
  say(`Bob's daemon stopped (exit ${await b.process.exited()}, ${((Date.now() - stopping) / 1000).toFixed(1)} s)`)
  const b2 = await daemon(bob, ['--relay', relayAddress, '--relay-only'])
  await bobInbox.follow()
  const viaRelay = await parley(alice, ['send', 'bob', 'Are you still there, behind your relay?', '--json'])
  say(`state: ${viaRelay.json?.state}`)
  await bobInbox.waitFor((m) => m.id === viaRelay.json?.id)
  const relayed = await connectionTo(alice, bob.did)
  say(`Alice's connection to Bob: ${relayed?.relayed === true ? green('via the relay') : 'direct'} ${relayed?.address ?? '(none)'}`)
  expect(relayed?.relayed === true, 'Alice reached Bob through the relay (/p2p-circuit)')

  step(`7. Bob sends Alice a file over that relayed connection (${(FILE_BYTES / 1024 / 1024).toFixed(1)} MiB: more than an unauthenticated circuit may carry)`)
  const file = join(root, 'holiday-photos.tar')
  const content = randomBytes(FILE_BYTES)
  await writeFile(file, content)
  const sent = createHash('sha256').update(content).digest('hex')
  const sendArgs = ['send-file', 'alice', file, '--progress', '--json']
  console.log(shown(bob, sendArgs))
  const sending = procs.start('bob send-file', bob.home, sendArgs)
  sending.onLine((line, stream) => {
    if (stream === 'stderr' && line.includes('%')) say(dim(line))
  })
  const sentCode = await sending.exited()
  expect(sentCode === 0, `send-file exit ${sentCode}: ${sending.output().stdout} ${sending.output().stderr}`)
  const offer = await aliceInbox.waitFor((m) => m.file?.name === 'holiday-photos.tar')
  let received: any
  for (let i = 0; i < 20 && received?.file?.state !== 'done'; i++) {
    const inbox = await procs.run(alice.home, ['inbox', '--json'])
    received = inbox.lines.find((m: any) => m.id === offer?.id)
    if (received?.file?.state !== 'done') await new Promise((r) => setTimeout(r, 250))
  }
  console.log(shown(alice, ['inbox', '--json']))
  const path: string | undefined = received?.file?.path
  const got = path === undefined ? '' : createHash('sha256').update(await readFile(path)).digest('hex')
  say(`received ${received?.file?.name} (${received?.file?.size} bytes) → ${path?.startsWith(root) ? path.slice(root.length + 1) : path}`)
  say(`sha256 sent      ${sent}`)
  say(`sha256 offered   ${received?.file?.sha256} (checked by Alice's agent at the end of the transfer)`)
  say(`sha256 on disk   ${got} ${got === sent ? green('✔ identical') : red('✗ differs')}`)
  expect(received?.file?.state === 'done' && got === sent && received?.file?.sha256 === sent, 'the file arrived intact')

  step('8. Alice rotates her keys (pre-rotation); Bob learns her new KEL and they keep talking')
  const rotated = await parley(alice, ['id', 'rotate', '--json'])
  say(`Alice's KEL is now at sequence ${rotated.json?.sequence}; her daemon sent it to Bob inside their session`)
  const after = await parley(alice, ['send', 'bob', 'New keys, same me.', '--json'])
  await bobInbox.waitFor((m) => m.id === after.json?.id)
  const reply = await parley(bob, ['send', 'alice', 'Verified against your new keys. 👍', '--json'])
  await aliceInbox.waitFor((m) => m.id === reply.json?.id)
  expect(after.json?.state === 'delivered' && reply.json?.state === 'delivered', 'messages delivered after the rotation')

  step('9. Carol has no credential: Alice refuses her, and says why')
  const forCarol: string = forCarolInvite?.json?.invite
  say(`Carol got Alice's second invite: ${forCarol?.slice(0, 32)}…`)
  const refused = await parley(carol, ['accept', forCarol, '--json'], 4)
  say(`${red('refused')}: ${refused.json?.error?.code} — ${refused.json?.error?.message} (exit ${refused.code})`)
  expect(refused.json?.error?.code === 'AUTH_CREDENTIAL_REQUIRED', 'Carol is refused with AUTH_CREDENTIAL_REQUIRED')
  await new Promise((r) => setTimeout(r, 200))
  const log = a.process.output().stderr.split('\n').find((l) => l.includes('AUTH_CREDENTIAL_REQUIRED'))
  if (log !== undefined) say(dim(`Alice's daemon log: ${log}`))

  await Promise.all([aliceInbox.stop(), bobInbox.stop()])
  await Promise.all([a.process.stop(), b2.process.stop(), relayProcess.stop()])
}

try {
  await demo()
} catch (err) {
  failures++
  console.log(red(`demo failed: ${err instanceof Error ? err.message : String(err)}`))
} finally {
  await procs.close()
  await rm(root, { recursive: true, force: true })
}
const seconds = ((Date.now() - started) / 1000).toFixed(1)
console.log(
  `\n${failures === 0 ? bold(`demo finished in ${seconds} s: every step behaved as expected`) : red(`demo finished in ${seconds} s with ${failures} unexpected outcome(s)`)}; every process stopped, homes removed`,
)
process.exitCode = failures === 0 ? 0 : 1
