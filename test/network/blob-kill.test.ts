/**
 * Issue 4, file transfer: the receiver killed mid-transfer, restarted, and
 * the transfer resumed and verified — with real authentication on both
 * sides (createParleyNetwork: /parley/auth with DIDs whose KELs list the
 * nodes' peer ids, then /parley/blob).
 *
 * The sender runs in this process and offers a 96 MiB file of random bytes
 * (written to os.tmpdir() a MiB at a time and hashed here as it is written,
 * independently of the code under test). The receiver is a child process
 * (test/helpers/blob-kill-receiver.ts) given its identity and peer key on
 * stdin; once it reports more than 30 % verified it gets SIGKILL — no
 * shutdown path runs (the kill waits, if need be, for the first checkpoint
 * the receiver records in the background). What it left on disk is read
 * here: the progress file counts k chunks, and the .part holds at least those. A second child with
 * the same identity, peer key and destination authenticates again and must
 * start at exactly k chunks (so it moves fewer bytes than the file), finish,
 * and have the service's verified SHA-256, and the file on disk, equal the
 * source's. The sender's record stays active across the kill and is
 * completed by the second run; nothing throws uncaught in this process.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open as openFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createIdentity, encodeKel, encodeSecrets } from '../../src/identity/index.js'
import { partPath, readReceiveState, statePath } from '../../src/network/blob-state.js'
import { encodeFileOffer, transferIdHex } from '../../src/network/file-offer.js'
import { createParleyNetwork } from '../../src/network/parley-network.js'
import { encodePeerKey } from '../../src/network/peer-key.js'
import { exists } from '../../src/storage/files.js'
import { open, peerService, suite } from '../helpers/auth-fixtures.js'
import type { ReceiverEvent, ReceiverInput } from '../helpers/blob-kill-receiver.js'
import { removeDir, tempDir } from '../helpers/tmp.js'
import { trackUncaught } from '../helpers/uncaught.js'

const MIB = 1024 * 1024
const FILE_BYTES = 96 * MIB
const CHUNK_BYTES = 128 * 1024
/** The receiver is killed once it reports more verified bytes than this. */
const KILL_AFTER = Math.ceil(FILE_BYTES * 0.3)
const RECEIVER = fileURLToPath(new URL('../helpers/blob-kill-receiver.ts', import.meta.url))
const REPO = fileURLToPath(new URL('../..', import.meta.url))

const problems = trackUncaught()

/** `size` random bytes written a MiB at a time; their SHA-256, computed as they are written. */
async function makeSource(path: string, size: number): Promise<string> {
  const fh = await openFile(path, 'wx', 0o600)
  const hash = createHash('sha256')
  try {
    for (let at = 0; at < size; at += MIB) {
      const block = randomBytes(Math.min(MIB, size - at))
      hash.update(block)
      await fh.write(block, 0, block.length, at)
    }
  } finally {
    await fh.close()
  }
  return hash.digest('hex')
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: MIB })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

interface Receiver {
  child: ChildProcess
  /** Every event the child printed, in order. */
  events: ReceiverEvent[]
  /** Resolves with the first event `pick` accepts, or rejects when the child reports an error or exits first. */
  until<T extends ReceiverEvent>(pick: (e: ReceiverEvent) => e is T): Promise<T>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr: () => string
}

/** Starts a receiver process and hands it its input on stdin. */
function startReceiver(input: ReceiverInput): Receiver {
  const child = spawn(process.execPath, ['--import', 'tsx', RECEIVER], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] })
  const events: ReceiverEvent[] = []
  const waiters = new Set<() => void>()
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  let closed = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' comes after the child's stdout ended, so every line it printed has been read
    child.on('close', (code, signal) => {
      closed = true
      for (const w of waiters) w()
      resolve({ code, signal })
    })
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    events.push(JSON.parse(line) as ReceiverEvent)
    for (const w of waiters) w()
  })
  child.stdin?.end(`${JSON.stringify(input)}\n`)
  return {
    child,
    events,
    exited,
    stderr: () => stderr,
    async until(pick) {
      for (;;) {
        const error = events.find((e) => e.t === 'error')
        if (error !== undefined) throw new Error(`receiver: ${error.code}: ${error.message}`)
        const hit = events.find(pick)
        if (hit !== undefined) return hit
        if (closed) throw new Error(`receiver exited early; stderr: ${stderr.slice(-2000)}`)
        await new Promise<void>((resolve) => {
          const w = (): void => {
            waiters.delete(w)
            resolve()
          }
          waiters.add(w)
        })
      }
    },
  }
}

const isProgress = (e: ReceiverEvent): e is Extract<ReceiverEvent, { t: 'progress' }> => e.t === 'progress'
const isStart = (e: ReceiverEvent): e is Extract<ReceiverEvent, { t: 'start' }> => e.t === 'start'
const isDone = (e: ReceiverEvent): e is Extract<ReceiverEvent, { t: 'done' }> => e.t === 'done'

test('the receiver killed mid-transfer and restarted resumes from its last verified chunk; the file verifies', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir('parley-blob-kill-')
  const children: ChildProcess[] = []
  t.after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await removeDir(dir)
  })

  // the sender: a real stack whose KEL lists its peer id
  const senderKey = await generateKeyPair('Ed25519')
  const senderIdentity = createIdentity(suite, { name: 'sender', now: new Date(), services: [peerService(peerIdFromPrivateKey(senderKey).toString())] })
  const sender = await createParleyNetwork({
    node: { listen: ['/ip4/127.0.0.1/tcp/0'], privateKey: senderKey, mdns: false },
    identity: senderIdentity,
    trust: open,
    deliver: async () => undefined,
  })
  t.after(() => sender.stop())
  const senderAddr = sender.node.addresses().find((a: Multiaddr) => a.toString().includes('/tcp/') && !a.toString().includes('/ws'))
  assert.ok(senderAddr !== undefined)

  // the receiver's identity and peer key, made here and handed to each of its processes
  const receiverKey = await generateKeyPair('Ed25519')
  const receiverPeerId = peerIdFromPrivateKey(receiverKey).toString()
  const receiverIdentity = createIdentity(suite, { name: 'receiver', now: new Date(), services: [peerService(receiverPeerId)] })
  const receiverDid = receiverIdentity.state.did

  const src = join(dir, 'source.bin')
  const expected = await makeSource(src, FILE_BYTES)
  const offer = await sender.blob.offer(receiverDid, src, { chunkSize: CHUNK_BYTES })
  assert.equal(Buffer.from(offer.sha256).toString('hex'), expected, 'the sender hashed the same content')
  const transferId = transferIdHex(offer.transferId)
  const uploadsDone: string[] = []
  sender.blob.on('upload-done', (e) => uploadsDone.push(e.to))
  // the sender's own account of what it served (the first event of a serving stream comes with its first chunk)
  let served: number[] = []
  sender.blob.on('upload-progress', (e) => served.push(e.bytes))

  const dest = join(dir, 'received.bin')
  const input: ReceiverInput = {
    kel: Buffer.from(encodeKel(receiverIdentity.kel)).toString('base64'),
    secrets: Buffer.from(encodeSecrets(receiverIdentity.secrets)).toString('base64'),
    peerKey: Buffer.from(encodePeerKey(receiverKey)).toString('base64'),
    offer: Buffer.from(encodeFileOffer(offer)).toString('base64'),
    sender: { addr: senderAddr.toString(), did: senderIdentity.state.did, peerId: sender.node.peerId.toString() },
    dest,
  }

  // first run: killed with SIGKILL past 30 %
  const first = startReceiver(input)
  children.push(first.child)
  const ready = await first.until((e): e is Extract<ReceiverEvent, { t: 'ready' }> => e.t === 'ready')
  assert.equal(ready.peerId, receiverPeerId, 'the child runs under the peer key it was given')
  assert.equal(ready.did, receiverDid)
  assert.equal((await first.until(isStart)).fromBytes, 0, 'the first run starts from nothing')
  assert.equal(sender.auth.isAuthenticated(peerIdFromPrivateKey(receiverKey)), true, 'the receiver authenticated before it pulled')
  await first.until((e): e is Extract<ReceiverEvent, { t: 'progress' }> => isProgress(e) && e.bytes > KILL_AFTER)
  // the receiver checkpoints in the background (fsync, then the progress file): wait for one to land, so there is something to resume from
  const running = (): boolean => first.child.exitCode === null && first.child.signalCode === null
  while (running() && ((await readReceiveState(statePath(dest)))?.chunks ?? 0) === 0) await new Promise((r) => setTimeout(r, 5))
  assert.ok(running(), `the receiver was still running at the kill; stderr: ${first.stderr().slice(-2000)}`)
  first.child.kill('SIGKILL')
  const end = await first.exited
  assert.equal(end.signal, 'SIGKILL')
  assert.equal(first.events.some(isDone), false, 'killed before the end')
  const killedAt = first.events.filter(isProgress).at(-1)
  assert.ok(killedAt !== undefined && killedAt.bytes < FILE_BYTES, 'killed mid-transfer')

  // what the killed process left: verified chunks counted by the progress file, at least as many in the .part
  assert.equal(await exists(dest), false, 'nothing in place yet')
  const saved = await readReceiveState(statePath(dest))
  assert.ok(saved !== undefined, 'a progress file survived the kill')
  const recorded = Math.min(saved.chunks * CHUNK_BYTES, FILE_BYTES)
  assert.ok(recorded > 0, 'some chunks were verified and recorded before the kill')
  assert.ok(recorded <= killedAt.bytes, 'no more recorded than the receiver had verified')
  assert.ok((await stat(partPath(dest))).size >= recorded, 'the .part holds the recorded chunks')
  assert.equal((await sender.blob.store.get(transferId))?.state, 'active', 'the sender still serves the offer')

  // second run: same identity, peer key and destination; authenticates again and resumes
  served = []
  const second = startReceiver(input)
  children.push(second.child)
  const resumed = await second.until(isStart)
  assert.equal(resumed.fromBytes, recorded, 'resumed from the last recorded verified chunk')
  const done = await second.until(isDone)
  assert.deepEqual(await second.exited, { code: 0, signal: null }, `the second run exits cleanly; stderr: ${second.stderr().slice(-2000)}`)
  const moved = done.bytes - done.fromBytes
  assert.ok(moved < FILE_BYTES, `the second run moved ${moved} bytes, fewer than the file's ${FILE_BYTES}`)
  assert.equal(moved, FILE_BYTES - recorded)
  assert.equal(Math.min(...served), recorded + CHUNK_BYTES, 'the sender served the second run from the recorded chunk on')

  assert.equal(done.sha256, expected, 'the service verified the offered SHA-256')
  assert.equal(await hashFile(dest), expected, 'the file on disk hashes to the source')
  assert.equal(await exists(partPath(dest)), false, 'the .part was moved into place')
  assert.equal(await exists(statePath(dest)), false, 'the progress file was removed')
  // the sender learns of the receiver's `done` when its serving stream reads it
  for (let i = 0; i < 100 && uploadsDone.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
  assert.deepEqual(uploadsDone, [receiverDid], 'the sender saw the upload completed once')
  assert.equal((await sender.blob.store.get(transferId))?.state, 'completed')
  t.diagnostic(`killed after reporting ${(killedAt.bytes / MIB).toFixed(1)} MiB verified; resumed from ${(recorded / MIB).toFixed(1)} MiB; second run moved ${(moved / MIB).toFixed(1)} of ${FILE_BYTES / MIB} MiB`)
  assert.deepEqual(problems, [], 'no uncaught exception or unhandled rejection')
})
