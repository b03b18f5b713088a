// First: ink must not see CI markers when it loads (the chat command does the same before it loads ink).
import '../helpers/interactive-env.js'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createElement } from 'react'
import { renderToString } from 'ink'
import { removeDir } from '../helpers/tmp.js'
import { FakeWorld, fakeCli } from '../helpers/fake-agent.js'
import type { FakeCli, RunningCli } from '../helpers/fake-agent.js'
import { ChatView, chatReducer, initialChatState } from '../../src/cli/chat-app.js'
import type { ChatState } from '../../src/cli/chat-app.js'
import type { HistoryMessage } from '../../src/agent/types.js'
import { CHAT_MAX_MESSAGES } from '../../src/constants.js'
import { EXIT_USAGE } from '../../src/cli/exit-codes.js'

const at = new Date('2026-11-22T12:00:00Z')
/** Text without colour codes (colours depend on the terminal the tests run in). */
const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '')
const peer = 'did:parley:alice'
const msg = (id: string, direction: 'in' | 'out', text: string, extra: Partial<HistoryMessage> = {}): HistoryMessage => ({
  id,
  peer,
  direction,
  from: direction === 'in' ? peer : 'did:parley:me',
  text,
  at,
  ...extra,
})

test('chat reducer: history in order, one line per message id, ticks only move forward, transfers, the cap', () => {
  let s = initialChatState([msg('b', 'in', 'second', { at: new Date(at.getTime() + 1000) }), msg('a', 'out', 'first', { state: 'sent' })], false)
  assert.deepEqual(s.lines.map((l) => l.id), ['a', 'b'])
  s = chatReducer(s, { type: 'delivery', id: 'a', state: 'delivered' })
  assert.equal(s.lines[0]?.state, 'delivered')
  s = chatReducer(s, { type: 'delivery', id: 'a', state: 'sent' })
  assert.equal(s.lines[0]?.state, 'delivered', 'a late "sent" does not undo "delivered"')
  s = chatReducer(s, { type: 'message', message: msg('a', 'out', 'first', { state: 'queued' }) })
  assert.equal(s.lines.length, 2, 'the same message is not shown twice')
  assert.equal(s.lines[0]?.state, 'delivered')
  s = chatReducer(s, { type: 'delivery', id: 'b', state: 'delivered' })
  assert.equal(s.lines[1]?.state, undefined, 'receipts apply to our messages only')
  s = chatReducer(s, { type: 'progress', direction: 'out', name: 'f.bin', bytes: 50, total: 100 })
  assert.deepEqual(Object.keys(s.transfers), ['out:f.bin'])
  s = chatReducer(s, { type: 'done', direction: 'out', name: 'f.bin', at })
  assert.deepEqual(s.transfers, {})
  assert.match(s.lines.at(-1)?.text ?? '', /sent f\.bin/)
  s = chatReducer(s, { type: 'verified' })
  assert.equal(s.verified, true)
  for (let i = 0; i < CHAT_MAX_MESSAGES + 10; i++) s = chatReducer(s, { type: 'message', message: msg(`m${i}`, 'in', `n${i}`) })
  assert.equal(s.lines.length, CHAT_MAX_MESSAGES)
  assert.equal(s.lines.at(-1)?.id, `m${CHAT_MAX_MESSAGES + 9}`)
})

test('chat view: header with name and badge, ticks, progress, escaped peer text, the newest lines that fit', () => {
  let s: ChatState = initialChatState([msg('1', 'out', 'hello', { state: 'delivered' }), msg('2', 'in', 'evil\u001b[2Jtext'), msg('3', 'out', 'pending', { state: 'queued' })], true)
  s = chatReducer(s, { type: 'progress', direction: 'in', name: 'movie.mkv', bytes: 512, total: 1024 })
  const screen = plain(renderToString(createElement(ChatView, { contact: { did: peer, alias: 'alice' }, state: s, rows: 30 }), { columns: 120 }))
  assert.match(screen, /alice/)
  assert.match(screen, /✔ verified/)
  assert.match(screen, /you: hello ✓✓/)
  assert.match(screen, /you: pending ·/)
  assert.match(screen, /evil\\u001b\[2Jtext/, 'an escape sequence from a peer is shown, not obeyed')
  assert.doesNotMatch(screen, /\u001b\[2J/)
  assert.match(screen, /↓ movie\.mkv 50%/)
  const unverified = plain(renderToString(createElement(ChatView, { contact: { did: peer }, state: { ...s, verified: false }, rows: 6 }), { columns: 120 }))
  assert.match(unverified, /unverified/)
  assert.doesNotMatch(unverified, /you: hello/, 'a short terminal shows only the newest lines')
  assert.match(unverified, /you: pending/)
})

class FakeStdin extends EventEmitter {
  isTTY = true
  #queue: string[] = []
  setRawMode(): this {
    return this
  }
  setEncoding(): this {
    return this
  }
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }
  resume(): this {
    return this
  }
  pause(): this {
    return this
  }
  read(): string | null {
    return this.#queue.shift() ?? null
  }
  type(text: string): void {
    this.#queue.push(text)
    this.emit('readable')
  }
}

class FakeStdout extends EventEmitter {
  isTTY = true
  columns = 120
  rows = 30
  text = ''
  write(chunk: string): boolean {
    this.text += chunk
    return true
  }
}

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 10))
  }
  return false
}

async function pair(t: import('node:test').TestContext): Promise<{ alice: FakeCli; bob: FakeCli; daemons: RunningCli[] }> {
  const world = new FakeWorld()
  const alice = await fakeCli(world)
  const bob = await fakeCli(world)
  t.after(() => Promise.all([removeDir(alice.home), removeDir(bob.home)]))
  const daemons = [alice.start('daemon', '--json'), bob.start('daemon', '--json')]
  t.after(() => Promise.all(daemons.map((d) => d.stop())))
  for (const d of daemons) await d.waitFor(/"socket"/)
  const invite = await alice.run('invite', '--json')
  assert.equal((await bob.run('accept', invite.json.invite, '--alias', 'alice', '--json')).code, 0)
  return { alice, bob, daemons }
}

test('parley chat: typed text is sent, the contact\'s replies and receipts show, /quit leaves', async (t) => {
  const { alice, bob } = await pair(t)
  const stdin = new FakeStdin()
  const stdout = new FakeStdout()
  bob.io.terminal = { stdin: stdin as unknown as NodeJS.ReadStream, stdout: stdout as unknown as NodeJS.WriteStream }
  const chat = bob.start('chat', 'alice')
  assert.ok(await until(() => /alice/.test(stdout.text)), 'the header is drawn')
  for (const ch of 'hi there') stdin.type(ch)
  stdin.type('\r')
  assert.ok(
    await until(async () => (await alice.run('inbox', '--json')).lines.some((m: any) => m.text === 'hi there')),
    'alice received what bob typed',
  )
  const bobDid = (await bob.run('status', '--json')).json.did
  await alice.run('alias', bobDid, 'bob')
  assert.equal((await alice.run('send', 'bob', 'hello bob', '--json')).json.state, 'delivered')
  await until(() => stdout.text.includes('hello bob'), 2000) // drawn live (in CI ink draws at exit only)
  const file = join(bob.home, 'notes.txt')
  await writeFile(file, 'some notes')
  for (const ch of `/file ${file}`) stdin.type(ch)
  stdin.type('\r')
  assert.ok(
    await until(async () => (await alice.run('inbox', '--json')).lines.some((m: any) => m.file?.name === 'notes.txt')),
    '/file sent the file',
  )
  stdin.type('/quit')
  stdin.type('\r')
  const ended = await chat.done
  assert.equal(ended.code, 0, ended.stdout + ended.stderr)
  const screen = plain(stdout.text)
  assert.match(screen, /alice: hello bob/)
  assert.match(screen, /you: hi there ✓✓/, 'delivered: two ticks')
  assert.match(screen, /✔ verified/)
  assert.match(screen, /sent notes\.txt/)
  assert.match(screen, /sent notes\.txt/)
})

test('parley chat: Ctrl-C leaves; without a terminal TERMINAL_REQUIRED; an unknown contact is typed', async (t) => {
  const { bob } = await pair(t)
  const none = await bob.run('chat', 'alice', '--json')
  assert.equal(none.code, EXIT_USAGE)
  assert.equal(none.json.error.code, 'TERMINAL_REQUIRED')

  const stdin = new FakeStdin()
  const stdout = new FakeStdout()
  bob.io.terminal = { stdin: stdin as unknown as NodeJS.ReadStream, stdout: stdout as unknown as NodeJS.WriteStream }
  const unknown = await bob.run('chat', 'carol', '--json')
  assert.equal(unknown.json.error.code, 'STORE_NOT_FOUND')

  const chat = bob.start('chat', 'alice')
  assert.ok(await until(() => /alice/.test(stdout.text)))
  stdin.type('\u0003')
  assert.equal((await chat.done).code, 0)
})
