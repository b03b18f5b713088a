/**
 * The receiving side of /parley/blob/1.0.0: one `Transfer` pulls one offered
 * file into a destination path (protocol diagram in blob.ts).
 *
 * An attempt: claim the destination (progress file), cut `<dest>.part` back
 * to the chunks the progress file counts, re-hash that prefix, open a stream
 * to the sender (authenticated through the gate), ask for the chunks from
 * there with a credit of at most the window, then verify each chunk
 * (STREAM) as the pieces it arrived in (nothing joined), write the
 * plaintext pieces (consecutive chunks gathered into writes of about a
 * MiB), hash them, grant more credit, and every `syncIntervalBytes` start a
 * checkpoint in the background — wait for the writes queued so far, fsync
 * the .part, record those chunks — while the next chunks arrive (one
 * checkpoint at a time: an interval that comes due while one runs waits for
 * the next chunk after it; a failed checkpoint ends the attempt at the next
 * frame). After the last chunk: compare the SHA-256 with the offer's, fsync,
 * rename into place, remove the progress file, tell the sender `done`.
 *
 * Failures keep what was verified: a dropped connection, a timeout, a stopped
 * service or a crash leave the .part and progress file, and `resume()` (or a
 * new `receive` of the same offer to the same path, after a restart) goes on
 * from the last recorded chunk. A cancel — local or from the sender — removes
 * both. A hash mismatch (every chunk authentic, yet the whole is not the
 * offered file: the sender's file changed while it was served) also removes
 * both: the bytes are wrong, so keeping them could only resume into the same
 * mismatch; a `resume()` starts over from the first chunk.
 */
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { open, rename } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import type { Stream } from '@libp2p/interface'
import { AEAD_TAG_LENGTH, BLOB_CONTROL_MAX_BYTES, FRAME_MAX_LENGTH_PREFIX_BYTES, SECRET_FILE_MODE } from '../constants.js'
import { bytesEqual } from '../codec/index.js'
import type { Suite } from '../crypto/types.js'
import { ParleyError, decryptFailed, isParleyError } from '../errors.js'
import { exists } from '../storage/files.js'
import { FRAME_TYPE_CHUNK, decodeBlobMessage, encodeBlobMessage, wireErrorToParley } from './blob-messages.js'
import type { BlobWireError } from './blob-messages.js'
import { offerDigest, partPath, readReceiveState, removeIfExists, statePath, writeReceiveState } from './blob-state.js'
import { BLOB_PROTOCOL, createEmitter, createIdleWatchdog, creditWindowChunks, isConnection } from './blob-types.js'
import type { BlobLimits, BlobNode, BlobSource, Emitter, IdleWatchdog } from './blob-types.js'
import { chunkCount, chunkLength, transferIdHex, validateFileOffer } from './file-offer.js'
import type { CancelReason, FileOffer } from './file-offer.js'
import { frameStream } from './frames.js'
import type { FrameStream } from './frames.js'
import { createStreamOpener } from './stream-seal.js'
import type { ConnectionGate } from './types.js'

/** running: an attempt is under way; failed: the last attempt failed (`resume()` tries again). */
export type TransferState = 'running' | 'failed' | 'done' | 'cancelled'

export interface TransferProgress {
  transferId: string
  /** Verified bytes so far (including those of earlier attempts). */
  bytes: number
  total: number
  /** Bytes per second received in this attempt. */
  rate: number
}

export interface TransferResult {
  transferId: string
  path: string
  bytes: number
  sha256: Uint8Array
}

export interface TransferEvents {
  /** An attempt starts, `fromBytes` already verified (greater than 0 when it resumes). */
  start: { transferId: string; fromBytes: number; attempt: number }
  progress: TransferProgress
  done: TransferResult
  /** The attempt failed; `resume()` may try again (the error's code says why). */
  error: ParleyError
  cancelled: { transferId: string; by: 'local' | 'peer'; reason: CancelReason }
}

/** One incoming file. */
export interface Transfer extends Emitter<TransferEvents> {
  readonly transferId: string
  readonly name: string
  readonly size: number
  readonly destPath: string
  readonly state: TransferState
  /** Verified bytes so far. */
  readonly bytes: number
  /** The outcome of the current (or last) attempt: resolves on done, rejects with its ParleyError. */
  wait(): Promise<TransferResult>
  /** Starts a new attempt after a failure (INVALID_ARGUMENT while running, done or cancelled). */
  resume(): void
  /** Cancels: tells the sender (best effort), removes the partial file. Idempotent once cancelled. */
  cancel(reason?: CancelReason): Promise<void>
}

/** What a transfer needs from its service. */
export interface ReceiveContext {
  node: BlobNode
  gate: ConnectionGate
  suite: Suite
  limits: BlobLimits
  clock: () => number
  /** Takes one of the service's receive slots: LIMIT_EXCEEDED when all are taken, NETWORK_CLOSED when the service stopped. */
  acquire(): void
  release(): void
  /** Called once when the transfer reaches done or cancelled (the service forgets it). */
  settled(): void
  /** Sends a cancel notice to the sender on a fresh stream (best effort). */
  notifyCancel(source: BlobSource, transferId: Uint8Array, reason: CancelReason): Promise<void>
}

export interface ReceiveOptions {
  /** The DID that must serve the file (the offer's sender); PEER_NOT_AUTHENTICATED for another. */
  sender?: string
}

type StopKind = { kind: 'cancel'; reason: CancelReason } | { kind: 'stop' }

/** The error a peer's cancel ends an attempt with. */
class PeerCancelled extends ParleyError {
  readonly reason: CancelReason
  constructor(reason: CancelReason) {
    super('BLOB_CANCELLED', `blob: the sender cancelled the transfer (${reason})`)
    this.reason = reason
  }
}

async function hashPrefix(fh: FileHandle, bytes: number, hasher: Hash): Promise<void> {
  const buf = new Uint8Array(Math.min(Math.max(bytes, 1), 1024 * 1024))
  let at = 0
  while (at < bytes) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, bytes - at), at)
    if (bytesRead === 0) throw new ParleyError('IO_FAILED', 'blob: the partial file shrank while it was read')
    hasher.update(buf.subarray(0, bytesRead))
    at += bytesRead
  }
}

/** A transfer and what only its service may do with it. */
export interface TransferHandle {
  transfer: Transfer
  /** Stops a running attempt as a shutdown does: the partial file is kept for a later resume. */
  stop(): Promise<void>
}

/** Positional writes kept in flight together (verified chunks go to disk while the next ones are opened). */
const WRITES_IN_FLIGHT = 4
/**
 * Consecutive chunks gathered into one positional write (`writev`): one
 * thread-pool job and one system call per MiB instead of one per chunk.
 */
const WRITE_BATCH_BYTES = 1024 * 1024
/** Most buffers in one batch (well under IOV_MAX, whatever the chunk size). */
const WRITE_BATCH_BUFFERS = 64

interface WriteQueue {
  /**
   * Queues a positional write (gathered with the chunks before it when they
   * are consecutive); waits while WRITES_IN_FLIGHT writes are pending; throws
   * an earlier write's failure. `data` must not change afterwards.
   */
  write(data: Uint8Array, position: number): Promise<void>
  /**
   * Writes what is gathered and waits for every write queued until now (not
   * for those queued while it waits); throws the first failure.
   */
  drain(): Promise<void>
}

function createWriteQueue(fh: FileHandle, path: string): WriteQueue {
  const pending = new Set<Promise<void>>()
  let failure: ParleyError | undefined
  let batch: Uint8Array[] = []
  let batchAt = 0
  let batchBytes = 0
  const check = (): void => {
    if (failure !== undefined) throw failure
  }
  const flush = (): void => {
    if (batch.length === 0) return
    const buffers = batch
    const bytes = batchBytes
    batch = []
    batchBytes = 0
    const p: Promise<void> = fh.writev(buffers, batchAt).then(
      ({ bytesWritten }) => {
        pending.delete(p)
        if (bytesWritten !== bytes) failure ??= new ParleyError('IO_FAILED', `blob: short write to ${path}`)
      },
      (err: unknown) => {
        pending.delete(p)
        failure ??= new ParleyError('IO_FAILED', `blob: cannot write ${path}`, { cause: err })
      },
    )
    pending.add(p)
  }
  return {
    async write(data, position) {
      check()
      if (batch.length > 0 && position !== batchAt + batchBytes) flush()
      if (batch.length === 0) batchAt = position
      batch.push(data)
      batchBytes += data.length
      if (batchBytes < WRITE_BATCH_BYTES && batch.length < WRITE_BATCH_BUFFERS) return
      while (pending.size >= WRITES_IN_FLIGHT) await Promise.race(pending)
      check()
      flush()
    },
    async drain() {
      flush()
      await Promise.all(pending)
      check()
    },
  }
}

/** Creates the transfer and starts its first attempt. */
export function createTransfer(ctx: ReceiveContext, offer: FileOffer, source: BlobSource, destPath: string, options: ReceiveOptions = {}): TransferHandle {
  validateFileOffer(offer)
  const { emitter, emit } = createEmitter<TransferEvents>()
  const id = transferIdHex(offer.transferId)
  const n = chunkCount(offer.size, offer.chunkSize)
  const window = creditWindowChunks(offer.chunkSize, ctx.limits.creditWindowBytes)
  const part = partPath(destPath)
  const progressFile = statePath(destPath)
  const digest = offerDigest(ctx.suite, offer)

  let state: TransferState = 'running'
  let verified = 0
  let attempts = 0
  let current: Promise<TransferResult>
  let controller: AbortController | undefined
  let stopKind: StopKind | undefined
  let cancelSent = false

  const bytesOf = (chunks: number): number => Math.min(chunks * offer.chunkSize, offer.size)

  async function connect(signal: AbortSignal): Promise<Stream> {
    let conn = isConnection(source) ? source : undefined
    if (conn !== undefined && conn.status !== 'open') conn = undefined
    if (conn === undefined) {
      const peer = isConnection(source) ? source.remotePeer : source
      conn = await ctx.node.dial(peer, { signal })
    }
    const peer = await ctx.gate.authenticate(conn, { signal })
    if (options.sender !== undefined && peer.did !== options.sender) {
      throw new ParleyError('PEER_NOT_AUTHENTICATED', 'blob: the peer is not the sender of this offer')
    }
    return conn.newStream(BLOB_PROTOCOL, { signal })
  }

  async function attempt(signal: AbortSignal): Promise<TransferResult> {
    if (await exists(destPath)) throw new ParleyError('BLOB_DEST_EXISTS', `blob: ${destPath} already exists`)
    let from = 0
    const saved = await readReceiveState(progressFile)
    if (saved !== undefined) {
      if (!bytesEqual(saved.transferId, offer.transferId) || !bytesEqual(saved.offerDigest, digest) || saved.chunks > n) {
        throw new ParleyError('BLOB_DEST_EXISTS', `blob: another transfer is in progress to ${destPath}`)
      }
      from = saved.chunks
    }
    let fh: FileHandle | undefined
    let fs: FrameStream | undefined
    let synced = 0
    /** The running checkpoint (never rejects: a failure is kept in checkpointFailure and ends the attempt at the next frame). */
    let syncing: Promise<void> | undefined
    let checkpointing = false
    let checkpointFailure: ParleyError | undefined
    /**
     * Makes the first `chunks` chunks durable and then counts them in the
     * progress file: called only once their writes completed, so the file
     * never counts a chunk a crash could lose (writes of later chunks may
     * run meanwhile; fsync covers them too, and they are not counted yet).
     */
    const checkpoint = async (file: FileHandle, chunks: number): Promise<void> => {
      try {
        await file.sync()
      } catch (err) {
        throw new ParleyError('IO_FAILED', `blob: cannot sync ${part}`, { cause: err })
      }
      await writeReceiveState(progressFile, { transferId: offer.transferId, offerDigest: digest, chunks })
      synced = Math.max(synced, chunks)
    }
    let writes: WriteQueue | undefined
    let watchdog: IdleWatchdog | undefined
    verified = 0
    const hasher = createHash('sha256')
    try {
      if (from > 0) {
        try {
          fh = await open(part, 'r+')
          if ((await fh.stat()).size < bytesOf(from)) from = 0
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ParleyError('IO_FAILED', `blob: cannot open ${part}`, { cause: err })
          from = 0
        }
      }
      if (fh === undefined) fh = await open(part, 'w', SECRET_FILE_MODE)
      verified = synced = from
      await fh.truncate(bytesOf(from))
      await hashPrefix(fh, bytesOf(from), hasher)
      if (saved === undefined || from !== saved.chunks) await writeReceiveState(progressFile, { transferId: offer.transferId, offerDigest: digest, chunks: from })
      emit('start', { transferId: id, fromBytes: bytesOf(from), attempt: attempts })

      const startedAt = ctx.clock()
      let lastProgress = -Infinity
      const startBytes = bytesOf(from)
      const progress = (force: boolean): void => {
        const now = ctx.clock()
        if (!force && now - lastProgress < ctx.limits.progressIntervalMs) return
        lastProgress = now
        const bytes = bytesOf(verified)
        const secs = (now - startedAt) / 1000
        emit('progress', { transferId: id, bytes, total: offer.size, rate: secs > 0 ? (bytes - startBytes) / secs : 0 })
      }

      if (from < n) {
        const stream = await connect(AbortSignal.any([signal, AbortSignal.timeout(ctx.limits.idleTimeoutMs)]))
        const maxFrame = Math.max(1 + offer.chunkSize + AEAD_TAG_LENGTH, BLOB_CONTROL_MAX_BYTES)
        // the credit window bounds what the sender may have outstanding: the read buffer holds it all, and a frame of slack
        fs = frameStream(stream, { maxBytes: maxFrame, timeoutMs: 0, maxBufferBytes: window * (maxFrame + FRAME_MAX_LENGTH_PREFIX_BYTES) + BLOB_CONTROL_MAX_BYTES })
        watchdog = createIdleWatchdog(ctx.limits.idleTimeoutMs, 'blob receive')
        const io = AbortSignal.any([signal, watchdog.signal])
        let granted = Math.min(window, n - from)
        await fs.write(encodeBlobMessage({ t: 'req', transferId: offer.transferId, from, credit: granted }), { signal: io })
        granted += from
        let owed = 0
        let sinceSync = 0
        writes = createWriteQueue(fh, part)
        const opener = createStreamOpener(ctx.suite, offer, from)
        while (verified < n) {
          // the frame as the pieces it arrived in: opened piece by piece, written and hashed as they come out (nothing joined)
          const frame = await fs.readList({ signal: io })
          if (frame === undefined) throw new ParleyError('NETWORK_CLOSED', 'blob: the sender closed the stream before the last chunk')
          watchdog.touch()
          if (checkpointFailure !== undefined) throw checkpointFailure
          if (frame.byteLength === 0 || frame.get(0) !== FRAME_TYPE_CHUNK) {
            const msg = decodeBlobMessage(frame.subarray())
            if (msg.t === 'cancel') throw new PeerCancelled(msg.reason)
            if (msg.t === 'error') throw wireErrorToParley(msg.error)
            throw new ParleyError('BLOB_PROTOCOL_VIOLATION', `blob: unexpected ${msg.t} from the sender`)
          }
          const index = opener.next
          const bodyEnd = frame.byteLength - AEAD_TAG_LENGTH
          if (bodyEnd < 1) throw decryptFailed(new Error('STREAM: chunk shorter than a tag'))
          // GCM: the ciphertext is as long as the plaintext, so the length is checked before anything is opened
          const length = bodyEnd - 1
          if (length !== chunkLength(offer, index)) throw new ParleyError('BLOB_PROTOCOL_VIOLATION', 'blob: a chunk of the wrong length')
          const plaintext = opener.openDetached([...frame.sublist(1, bodyEnd)], frame.subarray(bodyEnd), index === n - 1)
          let at = index * offer.chunkSize
          for (const piece of plaintext) {
            await writes.write(piece, at)
            hasher.update(piece)
            at += piece.length
          }
          verified++
          sinceSync += length
          if (sinceSync >= ctx.limits.syncIntervalBytes && verified < n && !checkpointing) {
            // one checkpoint at a time, in the background, after the writes queued so far: chunks keep arriving while the disk catches up
            checkpointing = true
            const chunks = verified
            const file = fh
            syncing = writes
              .drain()
              .then(() => checkpoint(file, chunks))
              .then(
                () => {
                  checkpointing = false
                },
                (err: unknown) => {
                  checkpointFailure = isParleyError(err) ? err : new ParleyError('IO_FAILED', 'blob: a checkpoint failed', { cause: err })
                },
              )
            sinceSync = 0
          }
          owed++
          if (granted < n && owed >= Math.ceil(window / 2)) {
            const c = Math.min(owed, n - granted)
            await fs.write(encodeBlobMessage({ t: 'credit', chunks: c }), { signal: io })
            granted += c
            owed = 0
          }
          progress(verified === n)
        }
        opener.finish()
        await writes.drain()
        await syncing
        if (checkpointFailure !== undefined) throw checkpointFailure
      } else {
        progress(true)
      }

      const sha256 = new Uint8Array(hasher.digest())
      if (!ctx.suite.timingSafeEqual(sha256, offer.sha256)) {
        if (fs !== undefined) await tell(fs, 'hash-mismatch')
        fs = undefined
        await fh.close().catch(() => undefined)
        fh = undefined
        await removeIfExists(part)
        await removeIfExists(progressFile)
        throw new ParleyError('BLOB_HASH_MISMATCH', `blob: ${offer.name} does not match the offered SHA-256`)
      }
      await fh.sync()
      await fh.close()
      fh = undefined
      if (await exists(destPath)) throw new ParleyError('BLOB_DEST_EXISTS', `blob: ${destPath} appeared during the transfer`)
      try {
        await rename(part, destPath)
      } catch (err) {
        throw new ParleyError('IO_FAILED', `blob: cannot move ${part} into place`, { cause: err })
      }
      await removeIfExists(progressFile)
      if (fs !== undefined) {
        await fs.write(encodeBlobMessage({ t: 'done' }), { signal: AbortSignal.timeout(ctx.limits.idleTimeoutMs) }).catch(() => undefined)
        await fs.stream.close({ signal: AbortSignal.timeout(ctx.limits.idleTimeoutMs) }).catch(() => undefined)
        fs = undefined
      }
      watchdog?.stop()
      return { transferId: id, path: destPath, bytes: offer.size, sha256 }
    } catch (err) {
      watchdog?.stop()
      const error = toError(err)
      if (fs !== undefined) {
        if (stopKind?.kind === 'cancel') {
          cancelSent = true
          await sendAndClose(fs, encodeBlobMessage({ t: 'cancel', reason: stopKind.reason }))
        }
        else if (error.code === 'DECRYPT_FAILED' || error.code === 'BLOB_PROTOCOL_VIOLATION' || error.code.startsWith('DECODE_')) await tell(fs, 'protocol')
        else fs.stream.abort(error)
      }
      if (fh !== undefined) {
        // a checkpoint under way finishes first (it uses the file handle)
        await syncing?.catch(() => undefined)
        // keep what was verified: make it durable and count it
        const written = writes === undefined ? true : await writes.drain().then(() => true, () => false)
        if (written && verified > synced && stopKind?.kind !== 'cancel' && !(err instanceof PeerCancelled)) {
          await fh
            .sync()
            .then(() => writeReceiveState(progressFile, { transferId: offer.transferId, offerDigest: digest, chunks: verified }))
            .catch(() => undefined)
        }
        await fh.close().catch(() => undefined)
      }
      throw error
    }
  }

  async function tell(fs: FrameStream, error: BlobWireError): Promise<void> {
    await sendAndClose(fs, encodeBlobMessage({ t: 'error', error }))
  }

  async function sendAndClose(fs: FrameStream, frame: Uint8Array): Promise<void> {
    try {
      await fs.write(frame, { signal: AbortSignal.timeout(ctx.limits.idleTimeoutMs) })
      await fs.stream.close({ signal: AbortSignal.timeout(ctx.limits.idleTimeoutMs) })
    } catch (err) {
      fs.stream.abort(err as Error)
    }
  }

  function toError(err: unknown): ParleyError {
    if (stopKind?.kind === 'cancel') return new ParleyError('BLOB_CANCELLED', `blob: transfer cancelled (${stopKind.reason})`, { cause: err })
    if (stopKind?.kind === 'stop') return new ParleyError('NETWORK_CLOSED', 'blob: the service stopped', { cause: err })
    if (isParleyError(err)) return err
    const code = (err as NodeJS.ErrnoException | null)?.code
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new ParleyError('IO_FAILED', `blob: file error (${code})`, { cause: err })
    const name = (err as { name?: string } | null)?.name
    if (name === 'AbortError' || name === 'TimeoutError') return new ParleyError('NETWORK_TIMEOUT', 'blob: timed out', { cause: err })
    return new ParleyError('NETWORK_CLOSED', 'blob: the transfer stream failed', { cause: err })
  }

  function start(): void {
    attempts++
    state = 'running'
    stopKind = undefined
    controller = new AbortController()
    const signal = controller.signal
    current = (async () => {
      ctx.acquire()
      try {
        return await attempt(signal)
      } finally {
        ctx.release()
      }
    })().then(
      async (result) => {
        state = 'done'
        ctx.settled()
        emit('done', result)
        return result
      },
      async (err: unknown) => {
        const error = isParleyError(err) ? err : toError(err)
        if (stopKind?.kind === 'cancel' || err instanceof PeerCancelled) {
          const by = stopKind?.kind === 'cancel' ? 'local' : 'peer'
          const reason = stopKind?.kind === 'cancel' ? stopKind.reason : (err as PeerCancelled).reason
          // cancelled before a stream was open: tell the sender on a fresh one
          if (by === 'local' && !cancelSent) await ctx.notifyCancel(source, offer.transferId, reason).catch(() => undefined)
          await removeIfExists(part).catch(() => undefined)
          await removeIfExists(progressFile).catch(() => undefined)
          state = 'cancelled'
          ctx.settled()
          emit('cancelled', { transferId: id, by, reason })
        } else {
          state = 'failed'
          emit('error', error)
        }
        throw error
      },
    )
    // the outcome is always observable through wait(); never an unhandled rejection
    current.catch(() => undefined)
  }

  const transfer: Transfer = {
    ...emitter,
    transferId: id,
    name: offer.name,
    size: offer.size,
    destPath,
    get state() {
      return state
    },
    get bytes() {
      return bytesOf(verified)
    },
    wait: () => current,
    resume() {
      if (state !== 'failed') throw new ParleyError('INVALID_ARGUMENT', `blob: cannot resume a transfer that is ${state}`)
      start()
    },
    async cancel(reason: CancelReason = 'user') {
      if (state === 'cancelled' || state === 'done') return
      if (state === 'running') {
        stopKind = { kind: 'cancel', reason }
        controller?.abort()
        await current.catch(() => undefined)
        return
      }
      // failed: no stream is open; tell the sender on a fresh one, best effort
      state = 'cancelled'
      await ctx.notifyCancel(source, offer.transferId, reason).catch(() => undefined)
      await removeIfExists(part).catch(() => undefined)
      await removeIfExists(progressFile).catch(() => undefined)
      ctx.settled()
      emit('cancelled', { transferId: id, by: 'local', reason })
    },
  }
  start()
  return {
    transfer,
    async stop() {
      if (state !== 'running') return
      stopKind = { kind: 'stop' }
      controller?.abort()
      await current.catch(() => undefined)
    },
  }
}
