import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createConnection } from 'node:net'
import { removeDir } from '../helpers/tmp.js'
import { FakeWorld, fakeCli } from '../helpers/fake-agent.js'
import { EXIT_USAGE } from '../../src/cli/exit-codes.js'

async function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

test('serve --relay prints its multiaddrs as JSON lines, listens, keeps its peer id in the key file, stops on a signal', async (t) => {
  const cli = await fakeCli(new FakeWorld())
  t.after(() => removeDir(cli.home))
  const usage = await cli.run('serve', '--json')
  assert.equal(usage.code, EXIT_USAGE)
  assert.equal(usage.json.error.code, 'INVALID_ARGUMENT')

  // Without a key file: a fresh peer id, and a note saying so.
  const fresh = cli.start('serve', '--relay', '--listen', '/ip4/127.0.0.1/tcp/0', '--json')
  await fresh.waitFor(/"address"/)
  const freshRun = await fresh.stop()
  assert.equal(freshRun.code, 0, freshRun.stderr)
  assert.equal(freshRun.stderr, '', 'under --json the note is not printed')

  assert.equal((await cli.run('id', 'create', '--json')).code, 0)
  const peerIds: string[] = []
  for (let i = 0; i < 2; i++) {
    const relay = cli.start('serve', '--relay', '--listen', '/ip4/127.0.0.1/tcp/0', '--json')
    await relay.waitFor(/"address"/)
    const lines = relay
      .output()
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.ok(lines.length >= 1)
    for (const line of lines) {
      assert.deepEqual(Object.keys(line).sort(), ['address', 'peerId'])
      assert.ok(line.address.endsWith(`/p2p/${line.peerId}`), line.address)
    }
    const m = /^\/ip4\/127\.0\.0\.1\/tcp\/(\d+)\/p2p\//.exec(lines[0].address)
    assert.ok(m, lines[0].address)
    assert.equal(await tcpOpen('127.0.0.1', Number(m[1])), true, 'it listens where it says')
    const busy = await cli.run('serve', '--relay', '--listen', '/ip4/127.0.0.1/tcp/0', '--json')
    assert.equal(busy.json.error.code, 'STORE_LOCKED', 'one node per home')
    peerIds.push(lines[0].peerId)
    const ended = await relay.stop()
    assert.equal(ended.code, 0, ended.stderr)
    assert.equal(await tcpOpen('127.0.0.1', Number(m[1])), false, 'stopped')
  }
  assert.equal(peerIds[0], peerIds[1], 'the relay keeps its peer id across restarts')
})
