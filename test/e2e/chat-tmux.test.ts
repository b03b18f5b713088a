/**
 * `parley chat` as a person uses it: the real binary in a real terminal
 * (tmux, on a private server socket), between two daemons on 127.0.0.1.
 * Keys go in with `send-keys`; what is on screen is read with
 * `capture-pane`: the contact's name and verified badge, the history, a
 * message arriving live from the other side, and the delivery ticks of
 * what we typed. `/quit` leaves; the tmux server is killed at the end.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { LOOPBACK, PARLEY_BIN, PASSPHRASE, REPO_ROOT, e2e, eventually, startDaemon } from './helpers.js'

const exec = promisify(execFile)
const SOCKET = `parley-test-${process.pid}`
const SESSION = 'alice-chat'
/** Where tmux puts a `-L` socket (it stays behind when the server ends on its own). */
const SOCKET_PATH = join(process.env['TMUX_TMPDIR'] ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, SOCKET)

/** A tmux command on the private server; UTF-8 forced (-u) so the badges and ticks come through. */
async function tmux(...args: string[]): Promise<string> {
  const env: Record<string, string | undefined> = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' }
  delete env['PARLEY_PASSPHRASE']
  delete env['TMUX']
  const { stdout } = await exec('tmux', ['-u', '-L', SOCKET, '-f', '/dev/null', ...args], { env })
  return stdout
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

test('parley chat in tmux: history, a live message, delivery ticks, the verified badge', async (t) => {
  const { root, procs, home } = await e2e(t, 'tmux')
  t.after(async () => {
    await tmux('kill-server').catch(() => undefined)
    await rm(SOCKET_PATH, { force: true })
  })
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => procs.run(home(n), ['id', 'create', '--name', n, '--json'])))
  const aliceDid: string = alice?.json.did
  const bobDid: string = bob?.json.did
  await Promise.all([
    startDaemon(procs, 'alice', home('alice'), ['--listen', LOOPBACK]),
    startDaemon(procs, 'bob', home('bob'), ['--listen', LOOPBACK]),
  ])
  const invite = await procs.run(home('alice'), ['invite', '--compact', '--json'])
  const accepted = await procs.run(home('bob'), ['accept', invite.json.invite, '--alias', 'alice', '--json'])
  assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr)
  const named = await procs.run(home('alice'), ['alias', bobDid, 'bob', '--json'])
  assert.equal(named.code, 0, named.stdout + named.stderr)
  const earlier = await procs.run(home('bob'), ['send', 'alice', 'an earlier message', '--json'])
  assert.equal(earlier.json?.state, 'delivered')

  // Alice opens the chat in a 120x40 terminal; the passphrase comes from a file, not the environment.
  const passFile = join(root, 'alice.pass')
  await writeFile(passFile, PASSPHRASE, { mode: 0o600 })
  const command = [process.execPath, PARLEY_BIN, '--home', home('alice'), '--passphrase-file', passFile, 'chat', 'bob'].map(quote).join(' ')
  await tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '40', '-c', REPO_ROOT, command)
  const screen = (): Promise<string> => tmux('capture-pane', '-p', '-t', SESSION)
  const shows = (what: string, pattern: RegExp): Promise<string> =>
    eventually(what, async () => {
      const text = await screen()
      return pattern.test(text) ? text : undefined
    }, 20_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; the screen:\n${await screen().catch(() => '(gone)')}`)
    })

  const first = await shows('the chat header and history', /an earlier message/)
  assert.match(first, /bob\s+✔ verified/, 'the name and the verified badge')
  assert.ok(first.includes(bobDid), 'the DID beside the alias')
  assert.match(first, /\d\d:\d\d bob: an earlier message/)

  // A message from Bob arrives while the chat is open.
  const live = await procs.run(home('bob'), ['send', 'alice', 'live from Bob', '--json'])
  assert.equal(live.json?.state, 'delivered')
  await shows('the live message', /\d\d:\d\d bob: live from Bob/)

  // Alice types; her line shows with a tick that reaches ✓✓ once Bob's agent acked it.
  await tmux('send-keys', '-t', SESSION, 'hello from the terminal')
  await shows('the typed line in the input', /> hello from the terminal/)
  await tmux('send-keys', '-t', SESSION, 'Enter')
  const delivered = await shows('the delivered tick', /you: hello from the terminal ✓✓/)
  assert.doesNotMatch(delivered, /> hello from the terminal/, 'the input line was cleared')
  const inbox = await eventually('the message in Bob\'s inbox', async () => {
    const r = await procs.run(home('bob'), ['inbox', '--json'])
    return r.lines.find((m: any) => m.text === 'hello from the terminal')
  })
  assert.equal(inbox.from, aliceDid)

  // The history order on screen: earlier, live, ours.
  const final = await screen()
  const order = ['an earlier message', 'live from Bob', 'hello from the terminal'].map((s) => final.indexOf(s))
  assert.deepEqual([...order].sort((x, y) => x - y), order)
  assert.ok(order.every((i) => i >= 0))

  // /quit ends the command, and with it the tmux session.
  await tmux('send-keys', '-t', SESSION, '/quit', 'Enter')
  await eventually('the chat to end', async () => ((await tmux('has-session', '-t', SESSION).then(() => true, () => false)) ? undefined : true), 15_000).catch(async (err: Error) => {
    throw new Error(`${err.message}; the screen:\n${await screen().catch(() => '(gone)')}`)
  })
})
