/**
 * `npm run bench -- product` (issue 5): the product as a person runs it.
 * - CLI cold start: `parley --version` and `parley id show`, each a fresh
 *   process (bin/parley.js: Node, tsx, the CLI), median wall time, beside a
 *   bare `node -e 0` on the same machine.
 * - Sustained messages/s between two agents, each a process of its own
 *   (this file with `--child`), over an authenticated libp2p connection on
 *   127.0.0.1: Bob invites (compact), Alice accepts, one message both ways
 *   settles the session and the connection, then Alice sends MESSAGES
 *   messages as fast as send() takes them — one at a time (each send()
 *   awaited before the next), and with WINDOW sends outstanding (an app or
 *   the daemon serving several clients; the agent commits the sends that
 *   wait together, one fsync for the lot); the rate is MESSAGES over the
 *   time from the first send to the last ack. The ack follows Bob's durable
 *   commit (ratchet state and history in one fsynced transaction) and Alice
 *   stores each message's state: with the encrypted store every one of
 *   those steps is an fsynced SQLite commit, with `storage: 'memory'` none
 *   is. Rounds alternate the two (fresh homes each), medians reported, and
 *   the ratio encrypted / memory (goal: at least 0.5×).
 *
 * MESSAGES stays below MSG_PEER_RATE_BURST: past it the receiver's per-peer
 * flood limit (MSG_PEER_RATE_PER_SECOND) paces a single sender, whatever
 * the store, and the rows would measure that limit instead.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { MSG_PEER_RATE_BURST } from '../src/constants.js'
import type { BenchRow } from './harness.js'
import { median } from './harness.js'

const REPO = fileURLToPath(new URL('../', import.meta.url))
const SELF = fileURLToPath(import.meta.url)
const PARLEY = join(REPO, 'bin/parley.js')
const PASS = 'correct horse battery staple'
/** Spawned runs per cold-start row. */
const COLD_RUNS = 7
/** Messages per throughput round (below the receiver's per-peer burst, see the file comment). */
const MESSAGES = Math.min(400, MSG_PEER_RATE_BURST - 50)
/** Interleaved throughput rounds per storage and window. */
const ROUNDS = 5
/** Sends outstanding at once in the sustained rows (1: each send awaited before the next). */
const WINDOWS = [1, 16] as const
const MESSAGE_TEXT = 'x'.repeat(100)
const CHILD_TIMEOUT_MS = 120_000
/** Time a child has to exit after `stop` (or after its partner failed) before it is killed. */
const CHILD_STOP_GRACE_MS = 10_000

type Storage = 'encrypted' | 'memory'

interface ChildInput {
  role: 'alice' | 'bob'
  home: string
  storage: Storage
  invite?: string
  messages: number
  window: number
}

type ChildEvent =
  | { t: 'invite'; invite: string }
  | { t: 'result'; ms: number }
  | { t: 'error'; code: string; message: string }

// ---------------------------------------------------------------------------
// Child: one agent.
// ---------------------------------------------------------------------------

async function child(): Promise<void> {
  const say = (e: ChildEvent): void => void process.stdout.write(`${JSON.stringify(e)}\n`)
  const { createAgent } = await import('../src/agent/agent.js')
  const { isParleyError } = await import('../src/errors.js')
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
  const first = await lines.next()
  const input = JSON.parse(String(first.value)) as ChildInput
  const agent = await createAgent({
    home: input.home,
    passphrase: PASS,
    create: { name: input.role },
    storage: input.storage,
    network: { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false },
  })
  try {
    await agent.start()
    if (input.role === 'bob') {
      const greeted = new Promise<string>((resolve) => {
        const off = agent.on('message', (m) => {
          if (m.direction === 'in') {
            off()
            resolve(m.from)
          }
        })
      })
      say({ t: 'invite', invite: (await agent.createInvite({ compact: true })).invite })
      const alice = await greeted
      await agent.send(alice, 'hello Alice', { wait: true })
      await lines.next() // 'stop'
    } else {
      const bob = await agent.acceptInvite(input.invite ?? '')
      const answered = new Promise<void>((resolve) => {
        const off = agent.on('message', (m) => {
          if (m.direction === 'in') {
            off()
            resolve()
          }
        })
      })
      await agent.send(bob.did, 'hello Bob', { wait: true })
      await answered
      // Acks may come before send() returns an id: every delivered id is kept, the sent ones checked at the end.
      const delivered = new Set<string>()
      let check = (): void => undefined
      agent.on('delivery', (e) => {
        if (e.state !== 'delivered') return
        delivered.add(e.id)
        check()
      })
      const sent: string[] = []
      const outstanding = new Set<Promise<void>>()
      const t0 = performance.now()
      for (let i = 0; i < input.messages; i++) {
        const p: Promise<void> = agent.send(bob.did, MESSAGE_TEXT).then((r) => {
          sent.push(r.id)
          outstanding.delete(p)
        })
        outstanding.add(p)
        if (outstanding.size >= input.window) await Promise.race(outstanding)
      }
      await Promise.all(outstanding)
      await new Promise<void>((resolve) => {
        let acked = 0
        check = () => {
          while (acked < sent.length && delivered.has(sent[acked] as string)) acked++
          if (acked === sent.length) resolve()
        }
        check()
      })
      say({ t: 'result', ms: performance.now() - t0 })
    }
  } catch (err) {
    say({ t: 'error', code: isParleyError(err) ? err.code : 'UNEXPECTED', message: err instanceof Error ? err.message : String(err) })
  } finally {
    await agent.stop()
  }
}

// ---------------------------------------------------------------------------
// Parent.
// ---------------------------------------------------------------------------

/** Median wall time (ms) of `runs` spawned processes of `args`; each must exit 0. */
async function coldStart(args: string[], env: NodeJS.ProcessEnv, runs: number): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'] })
      let err = ''
      p.stderr.on('data', (d: Buffer) => (err += d.toString()))
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`))))
    })
    times.push(performance.now() - t0)
  }
  return median(times)
}

interface Running {
  send: (line: string) => void
  kill: () => void
  next: (t: ChildEvent['t']) => Promise<ChildEvent>
  exited: Promise<number | null>
}

function startChild(input: ChildInput): Running {
  const p = spawn(process.execPath, ['--import', 'tsx', SELF, '--child'], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const events: ChildEvent[] = []
  const waiters: (() => void)[] = []
  createInterface({ input: p.stdout }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as ChildEvent)
    } catch {
      return
    }
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)))
  p.stdin.on('error', () => undefined)
  p.stdin.write(`${JSON.stringify(input)}\n`)
  const next = async (t: ChildEvent['t']): Promise<ChildEvent> => {
    const deadline = Date.now() + CHILD_TIMEOUT_MS
    let done = false
    void exited.then(() => {
      done = true
      for (const w of waiters.splice(0)) w()
    })
    for (;;) {
      const error = events.find((e) => e.t === 'error')
      if (error !== undefined) throw new Error(`bench child ${input.role}: ${JSON.stringify(error)}`)
      const found = events.find((e) => e.t === t)
      if (found !== undefined) return found
      if (done || Date.now() > deadline) throw new Error(`bench child ${input.role}: no ${t} (${stderr})`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 1000)
      })
    }
  }
  return { send: (line) => void p.stdin.write(`${line}\n`), kill: () => void p.kill('SIGKILL'), next, exited }
}

/** One throughput round: messages/s from Alice to Bob, each in its own process with fresh homes. */
async function throughput(root: string, storage: Storage, window: number, round: number): Promise<number> {
  const dir = join(root, `${storage}-${window}-${round}`)
  const bob = startChild({ role: 'bob', home: join(dir, 'bob'), storage, messages: MESSAGES, window })
  let alice: Running | undefined
  try {
    const invite = (await bob.next('invite')) as Extract<ChildEvent, { t: 'invite' }>
    alice = startChild({ role: 'alice', home: join(dir, 'alice'), storage, invite: invite.invite, messages: MESSAGES, window })
    const result = (await alice.next('result')) as Extract<ChildEvent, { t: 'result' }>
    return (MESSAGES * 1000) / result.ms
  } finally {
    bob.send('stop')
    // A child stuck after a failure (Bob waiting for a greeting that never comes) is killed.
    const timer = setTimeout(() => {
      bob.kill()
      alice?.kill()
    }, CHILD_STOP_GRACE_MS)
    await Promise.all([bob.exited, alice?.exited])
    clearTimeout(timer)
  }
}

export async function runProductBench(): Promise<BenchRow[]> {
  const root = await mkdtemp(join(tmpdir(), 'parley-bench-product-'))
  try {
    const home = join(root, 'cli-home')
    const env = { ...process.env, PARLEY_HOME: home, PARLEY_PASSPHRASE: PASS }
    await coldStart([PARLEY, 'id', 'create', '--name', 'bench'], env, 1)
    const bare = await coldStart(['-e', '0'], env, COLD_RUNS)
    const version = await coldStart([PARLEY, '--version'], env, COLD_RUNS)
    const show = await coldStart([PARLEY, 'id', 'show', '--json'], env, COLD_RUNS)

    const rates = new Map<string, number[]>()
    const key = (storage: Storage, window: number): string => `${storage}/${window}`
    for (let r = 0; r < ROUNDS; r++) {
      const order: Storage[] = r % 2 === 0 ? ['encrypted', 'memory'] : ['memory', 'encrypted']
      for (const window of WINDOWS) {
        for (const storage of order) rates.set(key(storage, window), [...(rates.get(key(storage, window)) ?? []), await throughput(root, storage, window, r)])
      }
    }
    const rows: BenchRow[] = [
      { metric: 'cli cold start: parley --version', value: version, unit: 'ms', baseline: 'node -e 0', baselineValue: bare, ratio: version / bare },
      { metric: 'cli cold start: parley id show', value: show, unit: 'ms', baseline: 'node -e 0', baselineValue: bare, ratio: show / bare },
    ]
    for (const window of WINDOWS) {
      const encrypted = median(rates.get(key('encrypted', window)) ?? [])
      const memory = median(rates.get(key('memory', window)) ?? [])
      const how = window === 1 ? 'one send at a time' : `${window} sends outstanding`
      rows.push({ metric: `messages/s, two agent processes, encrypted store, ${how}`, value: encrypted, unit: 'msg/s', baseline: 'in-memory stores', baselineValue: memory, ratio: encrypted / memory })
    }
    return rows
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain && process.argv.includes('--child')) {
  await child()
  process.exit(0)
}
