/**
 * File primitives for the edges: bounded reads, atomic writes of files that
 * hold secrets (created 0600 with O_EXCL under a temporary name, fsynced,
 * then renamed over the target — never chmod after write), and a
 * single-writer lock file so two processes never write one home at once.
 */
import { constants as fsc } from 'node:fs'
import { open, readFile, rename, stat, unlink, mkdir, chmod, link } from 'node:fs/promises'
import { dirname, basename, join, resolve } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { ParleyError } from '../errors.js'
import { HOME_DIR_MODE, LOCK_ACQUIRE_ATTEMPTS, LOCK_RETRY_DELAY_MS, MAX_INPUT_FILE_BYTES, SECRET_FILE_MODE } from '../constants.js'

/** Reads a whole file, refusing one larger than `maxBytes` before reading it. */
export async function readBounded(path: string, maxBytes: number = MAX_INPUT_FILE_BYTES): Promise<Uint8Array> {
  let size: number
  try {
    size = (await stat(path)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ParleyError('STORE_NOT_FOUND', `no such file: ${path}`, { cause: err })
    }
    throw new ParleyError('IO_FAILED', `cannot read ${path}`, { cause: err })
  }
  if (size > maxBytes) throw new ParleyError('DECODE_TOO_LARGE', `${path} is ${size} bytes, more than ${maxBytes}`)
  try {
    const data = await readFile(path)
    if (data.byteLength > maxBytes) throw new ParleyError('DECODE_TOO_LARGE', `${path} grew past ${maxBytes} bytes`)
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  } catch (err) {
    if (err instanceof ParleyError) throw err
    throw new ParleyError('IO_FAILED', `cannot read ${path}`, { cause: err })
  }
}

/**
 * Writes `data` to `path` atomically with `mode` (0600 by default): the
 * temporary file is created with that mode and O_EXCL, so the bytes are never
 * readable by others, not even for an instant.
 */
export async function writeAtomic(path: string, data: Uint8Array | string, mode: number = SECRET_FILE_MODE): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  let created = false
  try {
    const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode)
    created = true
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
    created = false
  } catch (err) {
    if (created) await unlink(tmp).catch(() => undefined)
    throw new ParleyError('IO_FAILED', `cannot write ${path}`, { cause: err })
  }
}

/** Creates `dir` (and parents) with mode 0700 when missing, and tightens an existing one. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: HOME_DIR_MODE })
    await chmod(dir, HOME_DIR_MODE)
  } catch (err) {
    throw new ParleyError('IO_FAILED', `cannot create directory ${dir}`, { cause: err })
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** A held single-writer lock; `release()` removes it. */
export interface FileLock {
  release(): Promise<void>
}

/**
 * Contents of the lock files this process holds or is creating. A lock file
 * holds `pid\ntoken\n` with a random token, so a lock is told apart from a
 * stale one left by an earlier process that had the same pid (a daemon is
 * pid 1 in every container start), and a second taker in this same process
 * is refused instead of taking the lock over.
 */
const ownLockContents = new Set<string>()
/** Takeover markers this process is holding right now (see removeStaleLock). */
const ownMarkers = new Set<string>()

/**
 * Takes the lock file `path`. A lock left by a process that no longer runs
 * is taken over; one held by a live process, or by this process, gives
 * STORE_LOCKED ('home in use').
 *
 * Why it is safe: the lock file appears with its content in one step
 * (written under a temporary name, then hard-linked to `path`, which fails
 * when `path` exists), so no reader ever sees an empty lock and mistakes it
 * for a stale one. A stale lock is removed only by the one process that
 * created its takeover marker (O_EXCL, named after the stale content), and
 * only if the lock still holds that content; since every content is unique,
 * two takers can never remove each other's fresh lock. `release()` removes
 * the file only while it still holds this lock's content.
 */
export async function acquireLock(path: string): Promise<FileLock> {
  const abs = resolve(path)
  const content = `${process.pid}\n${randomBytes(16).toString('hex')}\n`
  for (let attempt = 0; attempt < LOCK_ACQUIRE_ATTEMPTS; attempt++) {
    ownLockContents.add(content)
    let created: boolean
    try {
      created = await createWithContent(abs, content)
    } catch (err) {
      ownLockContents.delete(content)
      throw new ParleyError('IO_FAILED', `cannot create lock ${path}`, { cause: err })
    }
    if (created) return lockHandle(abs, content)
    ownLockContents.delete(content)
    const current = await readLock(abs)
    if (current === undefined) continue // released in between: try again at once
    if (ownLockContents.has(current)) throw new ParleyError('STORE_LOCKED', 'home is in use by this process')
    const holder = Number.parseInt(current, 10)
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new ParleyError('STORE_LOCKED', `home is in use by process ${holder}`)
    }
    await removeStaleLock(abs, current)
    await delay(LOCK_RETRY_DELAY_MS * attempt)
  }
  throw new ParleyError('STORE_LOCKED', `cannot take lock ${path}`)
}

function lockHandle(abs: string, content: string): FileLock {
  let released = false
  return {
    async release() {
      if (released) return
      released = true
      ownLockContents.delete(content)
      // Nobody else removes a live holder's lock, so the check cannot race.
      if ((await readLock(abs)) === content) await unlink(abs).catch(() => undefined)
    },
  }
}

/** Creates `path` holding `content` in one step (link of a written temporary file); false when it exists. */
async function createWithContent(path: string, content: string): Promise<boolean> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, SECRET_FILE_MODE)
  try {
    try {
      await fh.writeFile(content)
    } finally {
      await fh.close()
    }
    await link(tmp, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}

/** The lock file's content, or undefined when there is none. */
async function readLock(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ParleyError('IO_FAILED', `cannot read lock ${path}`, { cause: err })
  }
}

/**
 * Removes the stale lock at `path` if it still holds `stale`. Only the
 * creator of the takeover marker for this content may remove it; a taker
 * that finds the marker held by a live process leaves the work to it (the
 * caller retries). A marker whose creator died (between two system calls of
 * a takeover) is removed, and the next attempt starts over.
 */
async function removeStaleLock(path: string, stale: string): Promise<void> {
  const marker = `${path}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`
  let mine: boolean
  try {
    ownMarkers.add(marker)
    mine = await createWithContent(marker, `${process.pid}\n`)
  } catch (err) {
    ownMarkers.delete(marker)
    throw new ParleyError('IO_FAILED', `cannot take over lock ${path}`, { cause: err })
  }
  if (!mine) {
    ownMarkers.delete(marker)
    const owner = Number.parseInt((await readLock(marker)) ?? '', 10)
    const ownerLives = Number.isSafeInteger(owner) && owner > 0 && (owner === process.pid ? ownMarkers.has(marker) : isAlive(owner))
    if (!ownerLives) await unlink(marker).catch(() => undefined)
    return
  }
  try {
    if ((await readLock(path)) === stale) await unlink(path).catch(() => undefined)
  } finally {
    ownMarkers.delete(marker)
    await unlink(marker).catch(() => undefined)
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
