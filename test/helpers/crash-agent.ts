/**
 * One side of test/agent/crash.test.ts, as a process of its own so the test
 * can SIGKILL it at any instant and start it again on the same home: the
 * real agent (createAgent: encrypted store, session manager, libp2p on
 * 127.0.0.1 at a fixed port, so the address in its KEL stays valid across
 * restarts) sending a numbered stream of messages to one contact while
 * receiving the contact's stream.
 *
 * Input: one JSON line on stdin (CrashAgentInput; the passphrase travels
 * there, not in argv or the environment). Later stdin lines are commands:
 * `drain` (stop sending, report `drained` once every message we sent is
 * delivered) and `stop` (stop the agent, dump the whole history read from
 * the database, exit 0).
 *
 * Output: JSON lines on stdout (CrashEvent), each written whole with
 * blocking writes before the next step runs, so a SIGKILL cannot lose a
 * line whose step happened:
 *   enc      every envelope the session manager produced (after its state
 *            was committed, before the transport ever saw it): digest and
 *            12-byte ratchet nonce — the test checks nonces never repeat and
 *            that everything on the wire is byte-identical to one of these;
 *   in / in-ok / in-err   every envelope handed to the session manager's
 *            receive, and how it ended (RATCHET_DUPLICATE: a resend);
 *   ready    started; `next` is the number it continues from (one past the
 *            newest message in our own history);
 *   sent     send() returned (the message is in the outbox and our history);
 *   acked    the transport's `delivered` event (the peer committed it);
 *   got      a message from the peer was committed;
 *   history  (on `stop`) every message of the conversation, from the store.
 *
 * The hooks wrap SessionManager.prototype.send/receive: they observe and
 * change nothing.
 */
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { writeSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { createAgent } from '../../src/agent/agent.js'
import type { Agent } from '../../src/agent/types.js'
import { defaultSuite } from '../../src/crypto/index.js'
import { openDatabase } from '../../src/db/index.js'
import type { HistoryCursor, HistoryEntry } from '../../src/db/index.js'
import { isParleyError } from '../../src/errors.js'
import { SessionManager, decodeFirstMessage, decodeSessionMessage } from '../../src/session/index.js'
import type { Outgoing, ReceiveResult } from '../../src/session/index.js'

/** The first stdin line. */
export interface CrashAgentInput {
  home: string
  passphrase: string
  /** TCP port on 127.0.0.1 (fixed: the peer dials the address in our KEL). */
  port: number
  /** The contact's DID. */
  peer: string
  /** Our messages are `${prefix}-${n}`, n = 0, 1, 2, … */
  prefix: string
  /** Pause between two sends (ms). */
  paceMs: number
}

export type CrashEvent =
  | { t: 'enc'; sha: string; nonce: string }
  | { t: 'in'; sha: string }
  | { t: 'in-ok'; sha: string }
  | { t: 'in-err'; sha: string; code: string }
  | { t: 'ready'; did: string; next: number }
  | { t: 'sent'; id: string; n: number }
  | { t: 'acked'; id: string }
  | { t: 'got'; id: string; text: string }
  | { t: 'drained' }
  | { t: 'history'; out: { id: string; text: string; state: string }[]; in: { id: string; text: string }[] }
  | { t: 'error'; code: string; message: string }

/** Ratchet message layout (src/session/ratchet/message.ts): format (1) ‖ nonce (12) ‖ … */
const NONCE_START = 1
const NONCE_END = 13
const HISTORY_PAGE = 1000

const pause = new Int32Array(new SharedArrayBuffer(4))

/** Writes the whole line before returning, even when the pipe is full (stdout may be non-blocking: EAGAIN, partial writes). */
function say(event: CrashEvent): void {
  const bytes = Buffer.from(`${JSON.stringify(event)}\n`)
  let written = 0
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      Atomics.wait(pause, 0, 0, 1)
    }
  }
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 32)

/** The 12-byte nonce of the ratchet message inside a session envelope. */
function envelopeNonce(envelope: Uint8Array): string {
  const m = decodeSessionMessage(envelope)
  const ratchet = m.first === undefined ? m.ratchetMessage : decodeFirstMessage(m.first).ratchetMessage
  return Buffer.from(ratchet.subarray(NONCE_START, NONCE_END)).toString('hex')
}

function logOutgoing(o: Outgoing): void {
  if ('to' in o) say({ t: 'enc', sha: sha(o.bytes), nonce: envelopeNonce(o.bytes) })
}

/** Observes every envelope the session manager makes and takes (see the file comment). */
function hookSessionManager(): void {
  const proto = SessionManager.prototype
  const send = proto.send
  proto.send = async function (this: SessionManager, peer: string, data: Uint8Array): Promise<Outgoing> {
    const out = await send.call(this, peer, data)
    logOutgoing(out)
    return out
  }
  const receive = proto.receive
  proto.receive = async function (this: SessionManager, envelope: Uint8Array, meta?: { from?: string }): Promise<ReceiveResult> {
    const digest = sha(envelope)
    say({ t: 'in', sha: digest })
    try {
      const r = await receive.call(this, envelope, meta)
      say({ t: 'in-ok', sha: digest })
      for (const o of r.outgoing) logOutgoing(o)
      return r
    } catch (err) {
      say({ t: 'in-err', sha: digest, code: isParleyError(err) ? err.code : 'UNEXPECTED' })
      throw err
    }
  }
}

const numberOf = (prefix: string, text: string | undefined): number | undefined => {
  if (text === undefined || !text.startsWith(`${prefix}-`)) return undefined
  const n = Number(text.slice(prefix.length + 1))
  return Number.isSafeInteger(n) ? n : undefined
}

/** Every message with `peer`, oldest first, read page by page from the database (the agent is stopped). */
async function fullHistory(input: CrashAgentInput): Promise<HistoryEntry[]> {
  const db = await openDatabase({ home: input.home, suite: defaultSuite, passphrase: input.passphrase })
  try {
    const all: HistoryEntry[] = []
    let before: HistoryCursor | undefined
    for (;;) {
      const page = await db.history.list(input.peer, before === undefined ? { limit: HISTORY_PAGE } : { before, limit: HISTORY_PAGE })
      if (page.length === 0) break
      all.push(...page)
      before = page.at(-1)
    }
    return all.reverse()
  } finally {
    await db.close()
  }
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin })
  const it = lines[Symbol.asyncIterator]()
  const first = await it.next()
  if (first.done === true) throw new Error('crash-agent: no input on stdin')
  const input = JSON.parse(first.value) as CrashAgentInput
  hookSessionManager()

  const agent: Agent = await createAgent({
    home: input.home,
    passphrase: input.passphrase,
    network: { listen: [`/ip4/127.0.0.1/tcp/${input.port}`], mdns: false },
  })
  agent.on('delivery', (e) => {
    if (e.state === 'delivered') say({ t: 'acked', id: e.id })
  })
  agent.on('message', (m) => {
    if (m.direction === 'in') say({ t: 'got', id: m.id, text: m.text ?? '' })
  })
  await agent.start()

  // Continue one past the newest message we have a record of sending.
  let next = 0
  for (const m of await agent.history({ peer: input.peer, limit: HISTORY_PAGE })) {
    const n = m.direction === 'out' ? numberOf(input.prefix, m.text) : undefined
    if (n !== undefined && n >= next) next = n + 1
  }
  say({ t: 'ready', did: agent.did, next })

  let draining = false
  let stopping = false
  const commands = (async () => {
    for (;;) {
      const r = await it.next()
      if (r.done === true || r.value === 'stop') {
        stopping = true
        return
      }
      if (r.value === 'drain') draining = true
    }
  })()

  for (let n = next; !draining && !stopping; n++) {
    const r = await agent.send(input.peer, `${input.prefix}-${n}`)
    say({ t: 'sent', id: r.id, n })
    await sleep(input.paceMs)
  }
  if (!stopping) {
    // Drained: every message we sent is delivered (the newest page suffices: one peer's messages are delivered in order).
    for (;;) {
      const page = await agent.history({ peer: input.peer, limit: HISTORY_PAGE })
      if (page.every((m) => m.direction === 'in' || m.state === 'delivered')) break
      await sleep(50)
    }
    say({ t: 'drained' })
  }
  await commands
  await agent.stop()
  const history = await fullHistory(input)
  const text = (e: HistoryEntry): string => new TextDecoder().decode(e.body)
  say({
    t: 'history',
    out: history.filter((e) => e.direction === 'out').map((e) => ({ id: e.id, text: text(e), state: e.state })),
    in: history.filter((e) => e.direction === 'in').map((e) => ({ id: e.id, text: text(e) })),
  })
  lines.close()
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say({ t: 'error', code: isParleyError(err) ? err.code : 'UNEXPECTED', message: err instanceof Error ? err.message : String(err) })
    process.exit(1)
  },
)
