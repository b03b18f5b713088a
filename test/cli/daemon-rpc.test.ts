import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createConnection } from 'node:net'
import type { Socket } from 'node:net'
import { spawn } from 'node:child_process'
import { lstat, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir, removeDir } from '../helpers/tmp.js'
import { FakeWorld } from '../helpers/fake-agent.js'
import type { FakeAgent } from '../helpers/fake-agent.js'
import { startDaemonServer } from '../../src/cli/daemon/server.js'
import { connectDaemon } from '../../src/cli/daemon/client.js'
import { LineDecoder, decodeRequest, RequestError } from '../../src/cli/daemon/rpc.js'
import { DAEMON_SOCKET_NAME } from '../../src/constants.js'
import { isParleyError, ParleyError } from '../../src/errors.js'

async function setup(t: import('node:test').TestContext, options: { maxLineBytes?: number; maxClients?: number } = {}) {
  const home = await tempDir()
  const world = new FakeWorld()
  const agent = (await world.createAgent({ home, passphrase: 'pw', network: {} })) as FakeAgent
  await agent.start()
  const socketPath = join(home, DAEMON_SOCKET_NAME)
  const server = await startDaemonServer({ socketPath, agent, ...options })
  t.after(async () => {
    await server.close()
    await agent.stop()
    await removeDir(home)
  })
  return { home, world, agent, socketPath, server }
}

/** A raw connection: write lines, read answers. */
async function raw(path: string): Promise<{ socket: Socket; next(): Promise<any>; closed: Promise<void> }> {
  const socket = createConnection({ path })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const queue: any[] = []
  const waiters: ((v: any) => void)[] = []
  let buffer = ''
  socket.setEncoding('utf8')
  socket.on('data', (text: string) => {
    buffer += text
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const value = JSON.parse(buffer.slice(0, nl))
      buffer = buffer.slice(nl + 1)
      const w = waiters.shift()
      if (w) w(value)
      else queue.push(value)
    }
  })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return {
    socket,
    closed,
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve))),
  }
}

test('the socket is 0600 inside the 0700 home, answers hello, and is removed on close', async (t) => {
  const { home, agent, socketPath, server } = await setup(t)
  const st = await lstat(socketPath)
  assert.ok(st.isSocket())
  assert.equal(st.mode & 0o777, 0o600)
  assert.equal((await stat(home)).mode & 0o777, 0o700)
  const remote = await connectDaemon(socketPath)
  assert.ok(remote)
  assert.equal(remote.did, agent.did)
  assert.equal(remote.daemonPid, process.pid)
  await remote.stop()
  await server.close()
  await assert.rejects(lstat(socketPath), { code: 'ENOENT' })
  assert.equal(await connectDaemon(socketPath), undefined, 'no socket: no daemon')
})

test('a stale socket of a dead daemon is replaced; a live one is DAEMON_RUNNING; a file in the way is refused', async (t) => {
  const home = await tempDir()
  t.after(() => removeDir(home))
  const socketPath = join(home, DAEMON_SOCKET_NAME)
  // A real process listens, then dies without cleaning up.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('exit', resolve))
  assert.ok((await lstat(socketPath)).isSocket(), 'the dead daemon left its socket')
  assert.equal(await connectDaemon(socketPath), undefined, 'a stale socket is no daemon')

  const world = new FakeWorld()
  const agent = await world.createAgent({ home, passphrase: 'pw', network: {} })
  t.after(() => agent.stop())
  const server = await startDaemonServer({ socketPath, agent })
  const remote = await connectDaemon(socketPath)
  assert.equal(remote?.did, agent.did)
  await remote?.stop()

  await assert.rejects(startDaemonServer({ socketPath, agent }), (err) => isParleyError(err, 'DAEMON_RUNNING'))
  await server.close()

  await writeFile(socketPath, 'not a socket')
  await assert.rejects(startDaemonServer({ socketPath, agent }), (err) => isParleyError(err, 'IO_FAILED'))
  const long = join(home, 'x'.repeat(120), DAEMON_SOCKET_NAME)
  await assert.rejects(startDaemonServer({ socketPath: long, agent }), (err) => isParleyError(err, 'IO_FAILED') && /shorter path/.test(err.message))
  assert.equal(await connectDaemon(long), undefined)
})

test('an oversize line is refused with RPC_TOO_LARGE and the connection is closed; a line under the limit is served', async (t) => {
  const { socketPath } = await setup(t, { maxLineBytes: 1024 })
  const ok = await raw(socketPath)
  ok.socket.write(JSON.stringify({ id: 1, method: 'contact', params: { contact: 'x'.repeat(900) } }) + '\n')
  const answer = await ok.next()
  assert.equal(answer.id, 1)
  assert.equal(answer.error.code, 'STORE_NOT_FOUND')
  ok.socket.destroy()

  const big = await raw(socketPath)
  // In two pieces, without a newline: refused as soon as the limit is passed, not when the line ends.
  big.socket.write('{"id":2,"method":"hello","params":{"pad":"' + 'a'.repeat(600))
  big.socket.write('b'.repeat(600))
  const refused = await big.next()
  assert.equal(refused.id, null)
  assert.equal(refused.error.code, 'RPC_TOO_LARGE')
  await big.closed
})

test('unknown methods, malformed lines and bad params get typed errors; the connection stays usable', async (t) => {
  const { socketPath, agent } = await setup(t)
  const c = await raw(socketPath)
  c.socket.write(JSON.stringify({ id: 1, method: 'shutdown' }) + '\n')
  assert.deepEqual((await c.next()).error.code, 'RPC_UNKNOWN_METHOD')
  c.socket.write('{not json}\n')
  const bad = await c.next()
  assert.equal(bad.id, null)
  assert.equal(bad.error.code, 'RPC_MALFORMED')
  c.socket.write('{"id":3,"id":4,"method":"hello"}\n')
  assert.equal((await c.next()).error.code, 'RPC_MALFORMED', 'duplicate members are refused')
  c.socket.write(JSON.stringify({ id: 5, method: 'send', params: { contact: 'a', text: 7 } }) + '\n')
  const typed = await c.next()
  assert.equal(typed.id, 5)
  assert.equal(typed.error.code, 'RPC_MALFORMED')
  c.socket.write(JSON.stringify({ id: 6, method: 'hello', params: { extra: true } }) + '\n')
  assert.equal((await c.next()).error.code, 'RPC_MALFORMED', 'unknown params are refused')
  c.socket.write(JSON.stringify({ id: 7, method: 'sendFile', params: { contact: 'a', path: 'relative.txt' } }) + '\n')
  assert.equal((await c.next()).error.code, 'INVALID_ARGUMENT', 'a daemon takes absolute paths only')
  c.socket.write(JSON.stringify({ id: 'last', method: 'hello' }) + '\n')
  const hello = await c.next()
  assert.equal(hello.id, 'last')
  assert.equal(hello.result.did, agent.did)
  c.socket.destroy()
})

test('concurrent clients each get their own answers; past the client limit RPC_BUSY', async (t) => {
  const { socketPath, agent } = await setup(t, { maxClients: 12 })
  const peers = ['did:parley:aaaa', 'did:parley:bbbb', 'did:parley:cccc']
  for (const did of peers) agent.addVerifiedContact(did, new Date())
  const clients = await Promise.all(Array.from({ length: 10 }, () => connectDaemon(socketPath)))
  t.after(() => Promise.all(clients.map((c) => c?.stop())))
  const results = await Promise.all(
    clients.flatMap((c, i) => [
      c!.contact(peers[i % 3] as string).then((x) => x.did),
      c!.setAlias(peers[i % 3] as string, `n${i % 3}`).then((x) => x.alias),
      c!.status().then((s) => s.did),
      c!.contact('nobody').then(
        () => 'found?',
        (err: unknown) => (err instanceof ParleyError ? err.code : 'not typed'),
      ),
    ]),
  )
  for (let i = 0; i < 10; i++) {
    assert.equal(results[i * 4], peers[i % 3])
    assert.equal(results[i * 4 + 1], `n${i % 3}`)
    assert.equal(results[i * 4 + 2], agent.did)
    assert.equal(results[i * 4 + 3], 'STORE_NOT_FOUND')
  }
  const contacts = await clients[0]!.contacts()
  assert.equal(contacts.length, 3)
  assert.ok(contacts.every((c) => c.addedAt instanceof Date), 'dates come back as dates')

  const extra = await Promise.all([connectDaemon(socketPath), connectDaemon(socketPath)])
  t.after(() => Promise.all(extra.map((c) => c?.stop())))
  await assert.rejects(connectDaemon(socketPath), (err) => isParleyError(err, 'RPC_BUSY'))
})

test('a subscription forwards agent events until the client leaves; a stopped daemon aborts `lost`', async (t) => {
  const { socketPath, agent, server } = await setup(t)
  const remote = await connectDaemon(socketPath)
  assert.ok(remote)
  const got: unknown[] = []
  const off = remote.on('message', (m) => got.push(m))
  const receipts: unknown[] = []
  remote.on('delivery', (d) => receipts.push(d))
  const errors: ParleyError[] = []
  remote.on('error', (e) => errors.push(e))
  await remote.subscribed()
  const at = new Date('2026-11-22T12:00:00Z')
  agent.emitForTest('message', { id: 'm1', peer: 'did:parley:p', direction: 'in', from: 'did:parley:p', text: 'hello', at })
  agent.emitForTest('delivery', { id: 'm0', to: 'did:parley:p', state: 'delivered' })
  agent.emitForTest('error', new ParleyError('MSG_PEER_UNREACHABLE', 'gone'))
  const until = Date.now() + 5000
  while ((got.length < 1 || receipts.length < 1 || errors.length < 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 5))
  assert.deepEqual(got, [{ id: 'm1', peer: 'did:parley:p', direction: 'in', from: 'did:parley:p', text: 'hello', at }])
  assert.deepEqual(receipts, [{ id: 'm0', to: 'did:parley:p', state: 'delivered' }])
  assert.ok(errors[0] instanceof ParleyError && errors[0].code === 'MSG_PEER_UNREACHABLE')
  off()
  agent.emitForTest('message', { id: 'm2', peer: 'did:parley:p', direction: 'in', from: 'did:parley:p', text: 'again', at })
  await remote.status() // a round trip: m2 would have arrived before this answer
  assert.equal(got.length, 1, 'a removed listener hears nothing')

  assert.equal(remote.lost.aborted, false)
  const pending = remote.status().then(
    () => 'answered',
    (err: unknown) => err,
  )
  await server.close()
  const outcome = await pending
  assert.ok(outcome === 'answered' || isParleyError(outcome, 'RPC_CLOSED'), 'a call in flight is answered or fails typed')
  await assert.rejects(remote.status(), (err) => isParleyError(err, 'RPC_CLOSED'))
  assert.equal(remote.lost.aborted, true)
  assert.ok(isParleyError(remote.lost.reason, 'RPC_CLOSED'))
  assert.equal(server.clients(), 0)
})

test('LineDecoder: lines across chunks, several in one chunk, UTF-8 split anywhere, the limit across chunks', () => {
  const d = new LineDecoder(16)
  assert.deepEqual(d.push(Buffer.from('{"a"')), [])
  assert.deepEqual(d.push(Buffer.from(':1}\n{"b":2}\n\n{"c"')), ['{"a":1}', '{"b":2}'])
  const euro = Buffer.from('"€"\n')
  assert.deepEqual(d.push(Buffer.concat([Buffer.from(':3}\n'), euro.subarray(0, 2)])), ['{"c":3}'])
  assert.deepEqual(d.push(euro.subarray(2)), ['"€"'])
  d.push(Buffer.from('x'.repeat(10)))
  assert.throws(() => d.push(Buffer.from('y'.repeat(7))), (err) => isParleyError(err, 'RPC_TOO_LARGE'))
  const e = new LineDecoder(16)
  assert.throws(() => e.push(Buffer.from([0xff, 0x0a])), (err) => isParleyError(err, 'RPC_MALFORMED'))
})

test('decodeRequest: id, method and params are checked; the id is kept for the answer when valid', () => {
  assert.deepEqual(decodeRequest('{"id":1,"method":"hello"}'), { id: 1, method: 'hello', params: {} })
  const cases: [string, string, unknown][] = [
    ['{"method":"hello"}', 'RPC_MALFORMED', null],
    ['{"id":-1,"method":"hello"}', 'RPC_MALFORMED', null],
    ['{"id":1.5,"method":"hello"}', 'RPC_MALFORMED', null],
    [`{"id":"${'x'.repeat(65)}","method":"hello"}`, 'RPC_MALFORMED', null],
    ['{"id":2,"method":"nope"}', 'RPC_UNKNOWN_METHOD', 2],
    ['{"id":3,"method":"hello","params":[]}', 'RPC_MALFORMED', 3],
    ['{"id":4,"method":"hello","x":1}', 'RPC_MALFORMED', 4],
    ['{"id":5,"method":"hello","params":{"__proto__":{}}}', 'RPC_MALFORMED', null],
    ['[1]', 'RPC_MALFORMED', null],
    ['{"id":6,"method":"hello","params":' + '{"a":'.repeat(20) + '1' + '}'.repeat(20) + '}', 'RPC_MALFORMED', null],
  ]
  for (const [line, code, id] of cases) {
    assert.throws(() => decodeRequest(line), (err) => err instanceof RequestError && err.code === code && err.requestId === id, line.slice(0, 60))
  }
})
