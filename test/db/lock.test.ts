/**
 * The single-writer lock of a home: a second opener — in this process or
 * another — gets STORE_LOCKED ('home in use'), and so does a CLI command
 * taking the home lock (with the lock file deleted by hand, SQLite's
 * exclusive lock still refuses); a lock left by a killed process is taken over, and
 * what that process committed before it died is there; of many takers of
 * one stale lock, exactly one wins.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SESSION_ID_LENGTH } from '../../src/constants.js'
import { acquireLock } from '../../src/storage/files.js'
import { isParleyError } from '../../src/errors.js'
import { rejectsCode } from '../session/fixtures.js'
import { newHome, open } from './helpers.js'
import { tempDir, removeDir } from '../helpers/tmp.js'

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url))
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Runs child.ts; resolves with its stdout once it exits (or, with `until`, once a line matches). */
function child(args: string[], until?: string): { done: Promise<{ out: string; signal: NodeJS.Signals | null; code: number | null }>; ready: Promise<void>; kill: () => void } {
  const proc = spawn(NODE, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let onReady: () => void = () => undefined
  let onFail: (e: Error) => void = () => undefined
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve
    onFail = reject
  })
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    if (until !== undefined && out.includes(until)) onReady()
  })
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const done = new Promise<{ out: string; signal: NodeJS.Signals | null; code: number | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      if (until !== undefined) onFail(new Error(`child exited (${code ?? signal}) before ${until}: ${err}`))
      resolve({ out, signal, code })
    })
  })
  return { done, ready, kill: () => proc.kill('SIGKILL') }
}

test('a second open in this process is STORE_LOCKED, as is the CLI home lock; after close it opens', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const db = await open(h.dir)
  await rejectsCode(open(h.dir), 'STORE_LOCKED')
  await rejectsCode(h.home.lock(), 'STORE_LOCKED')
  await db.close()
  await db.close()
  await rejectsCode(db.sessions.list('did:parley:x'), 'STORE_CLOSED')
  const again = await open(h.dir)
  await again.close()
  const lock = await h.home.lock()
  await lock.release()
})

test('another process: refused while this one holds the home; holds it itself; killed, its lock is taken over and its commits are there', async (t) => {
  const h = await newHome()
  t.after(() => h.cleanup())
  const db = await open(h.dir)
  const refused = await child(['try', h.dir]).done
  assert.deepEqual(JSON.parse(refused.out), { code: 'STORE_LOCKED' })
  // With the lock file removed by hand, SQLite's own exclusive lock still refuses the second process.
  await unlink(join(h.dir, 'lock'))
  const stillRefused = await child(['try', h.dir]).done
  assert.deepEqual(JSON.parse(stillRefused.out), { code: 'STORE_LOCKED' })
  await db.close()

  const holder = child(['hold', h.dir], 'ready')
  t.after(() => holder.kill())
  await holder.ready
  await rejectsCode(open(h.dir), 'STORE_LOCKED')
  holder.kill()
  assert.equal((await holder.done).signal, 'SIGKILL')
  // The lock file still names the dead process: it is taken over; SQLite's lock died with the process.
  const after = await open(h.dir)
  assert.deepEqual(await after.sessions.load('did:parley:held-by-child', new Uint8Array(SESSION_ID_LENGTH).fill(7)), Uint8Array.of(7, 7, 7))
})

test('acquireLock: of 20 concurrent takers of one stale lock exactly one wins; release frees it; a foreign lock is not released', async (t) => {
  const dir = await tempDir()
  t.after(() => removeDir(dir))
  const path = join(dir, 'lock')
  await writeFile(path, '999999999\nstale-token\n')
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => acquireLock(path)))
  const winners = results.filter((r) => r.status === 'fulfilled')
  assert.equal(winners.length, 1)
  for (const r of results) if (r.status === 'rejected') assert.ok(isParleyError(r.reason, 'STORE_LOCKED'), String(r.reason))
  const lock = (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value
  // Someone replaced the lock file under us (by hand): releasing must not delete their lock.
  await writeFile(path, '1\nsomeone-else\n')
  await lock.release()
  await rejectsCode(acquireLock(path), 'STORE_LOCKED')
  await writeFile(path, '')
  const next = await acquireLock(path)
  await next.release()
})
