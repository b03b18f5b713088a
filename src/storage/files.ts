/**
 * File primitives for the edges: bounded reads, atomic writes of files that
 * hold secrets (created 0600 with O_EXCL under a temporary name, fsynced,
 * then renamed over the target — never chmod after write), and a
 * single-writer lock file so two processes never write one home at once.
 */
import { constants as fsc } from 'node:fs'
import { open, readFile, rename, stat, unlink, mkdir, chmod } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ParleyError } from '../errors.js'
import { HOME_DIR_MODE, MAX_INPUT_FILE_BYTES, SECRET_FILE_MODE } from '../constants.js'

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
 * Takes the lock file `path` (O_EXCL). A lock left by a process that no
 * longer runs is taken over; one held by a live process gives STORE_LOCKED.
 */
export async function acquireLock(path: string): Promise<FileLock> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, SECRET_FILE_MODE)
      await fh.writeFile(String(process.pid))
      await fh.close()
      let released = false
      return {
        async release() {
          if (released) return
          released = true
          await unlink(path).catch(() => undefined)
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ParleyError('IO_FAILED', `cannot create lock ${path}`, { cause: err })
      }
      const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10)
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new ParleyError('STORE_LOCKED', `home is in use by process ${holder}`)
      }
      await unlink(path).catch(() => undefined)
    }
  }
  throw new ParleyError('STORE_LOCKED', `cannot take lock ${path}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
