/**
 * The sending side of /parley/blob/1.0.0: the stream handler that serves an
 * offered file to the one peer it was offered to (protocol diagram in blob.ts).
 *
 * Order of checks: the connection's authenticated peer (the gate, before a
 * byte is read), the first frame (a request, or a cancel notice), the
 * service's serving limit, the record (unknown, finished, or offered to
 * another DID all get the same `not-found`, so a peer learns nothing about
 * other peers' transfers; cancelled gets `cancel` with the reason), the
 * request's bounds, and the source file (same size and modification time as
 * when it was offered, else `source-changed`). Then chunks are sealed and
 * written in order from the requested one, only while the receiver's credit
 * lasts (read-side flow control) and only as fast as the stream drains
 * (write-side backpressure); a reader task meanwhile takes credit grants and
 * the receiver's cancel, error or final `done`, which marks the record
 * completed. The file is read a MiB of chunks at a time, one block ahead,
 * and each chunk's wire frame (length prefix and type byte, ciphertext,
 * tag) goes to the stream as the three pieces it is made of: per byte, one
 * read from disk, one seal, no further copy on this side.
 */
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import type { Connection, Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { AEAD_TAG_LENGTH, BLOB_CONTROL_MAX_BYTES, BLOB_MAX_CHUNK_BYTES } from '../constants.js'
import type { Suite } from '../crypto/types.js'
import { ParleyError, isParleyError } from '../errors.js'
import { FRAME_TYPE_CHUNK, decodeBlobMessage, encodeBlobMessage, wireErrorToParley } from './blob-messages.js'
import type { BlobMessage, BlobWireError } from './blob-messages.js'
import type { OutgoingTransfer, TransferStore } from './blob-store.js'
import { createIdleWatchdog, creditWindowChunks } from './blob-types.js'
import type { BlobLimits } from './blob-types.js'
import { chunkCount, chunkLength, transferIdHex } from './file-offer.js'
import type { CancelReason } from './file-offer.js'
import { encodeFrameLength, frameStream } from './frames.js'
import type { FrameStream } from './frames.js'
import { createStreamSealer } from './stream-seal.js'
import type { ConnectionGate } from './types.js'

export interface UploadProgress {
  transferId: string
  to: string
  /** Bytes sent (sealed and handed to the stream) so far, counting from the first chunk. */
  bytes: number
  total: number
}

/** Events of the serving side, emitted by the service. */
export interface ServeEvents {
  'upload-progress': UploadProgress
  /** The receiver verified the whole file and has it in place. */
  'upload-done': { transferId: string; to: string }
  'upload-cancelled': { transferId: string; to: string; by: 'local' | 'peer'; reason: CancelReason }
}

/** What the handler needs from its service. */
export interface ServeContext {
  gate: ConnectionGate
  suite: Suite
  store: TransferStore
  limits: BlobLimits
  clock: () => number
  emit<K extends keyof ServeEvents>(event: K, value: ServeEvents[K]): void
  /** Registers a running session (for cancel and stop); false when the serving limit is reached. */
  register(session: ServeSession): boolean
  unregister(session: ServeSession): void
}

/** A running serving stream, as the service sees it. */
export interface ServeSession {
  readonly transferId: string
  /** Ends the session: with a reason, the receiver is told it was cancelled; without one (shutdown), the stream is just closed. */
  stop(reason?: CancelReason): Promise<void>
}

/** Wakes a waiter when something changed (credit, a verdict, a failure); the wait rejects when `signal` aborts. */
function createNotifier(): { notify(): void; wait(signal: AbortSignal): Promise<void> } {
  let pending: PromiseWithResolvers<void> | undefined
  return {
    notify() {
      pending?.resolve()
      pending = undefined
    },
    async wait(signal) {
      signal.throwIfAborted()
      pending ??= Promise.withResolvers<void>()
      const p = pending
      const onAbort = (): void => p.reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        await p.promise
      } finally {
        signal.removeEventListener('abort', onAbort)
        if (pending === p) pending = undefined
      }
    },
  }
}

async function sendAndClose(fs: FrameStream, msg: BlobMessage, timeoutMs: number): Promise<void> {
  try {
    await fs.write(encodeBlobMessage(msg), { signal: AbortSignal.timeout(timeoutMs) })
    await fs.stream.close({ signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    fs.stream.abort(err as Error)
  }
}

/** Bytes of the source file read at once (a block of whole chunks, at least one). */
const READ_BLOCK_BYTES = 1024 * 1024

/** Reads `len` bytes at `position` into `buf`; BLOB_SOURCE_CHANGED when the file ends first. */
async function readFully(fh: FileHandle, buf: Uint8Array, len: number, position: number): Promise<Uint8Array> {
  let got = 0
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, position + got)
    if (bytesRead === 0) throw new ParleyError('BLOB_SOURCE_CHANGED', 'blob: the offered file shrank while it was served')
    got += bytesRead
  }
  return buf.subarray(0, len)
}

/**
 * Writes already framed bytes to `stream` and waits while its send buffer is
 * full, as frames.ts does, but without joining them into a new buffer first
 * (a chunk frame goes as its pieces, length prefix included). NETWORK_CLOSED
 * when the stream closes first; `signal`'s ParleyError (the idle watchdog's
 * NETWORK_TIMEOUT) when it aborts.
 */
async function sendRaw(stream: Stream, bytes: Uint8ArrayList, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  try {
    if (stream.send(bytes)) return
  } catch (err) {
    throw new ParleyError('NETWORK_CLOSED', 'blob: the stream is closed', { cause: err })
  }
  const { promise, resolve, reject } = Promise.withResolvers<void>()
  const onDrain = (): void => resolve()
  const onClose = (): void => reject(new ParleyError('NETWORK_CLOSED', 'blob: the stream closed while a chunk was sent'))
  const onAbort = (): void => reject(isParleyError(signal.reason) ? signal.reason : new ParleyError('NETWORK_TIMEOUT', 'blob: chunk write aborted', { cause: signal.reason }))
  stream.addEventListener('drain', onDrain, { once: true })
  stream.addEventListener('close', onClose, { once: true })
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    await promise
  } finally {
    stream.removeEventListener('drain', onDrain)
    stream.removeEventListener('close', onClose)
    signal.removeEventListener('abort', onAbort)
  }
}

/** Largest frame this side writes: a chunk of the largest size. */
const CHUNK_FRAME_MAX_BYTES = 1 + BLOB_MAX_CHUNK_BYTES + AEAD_TAG_LENGTH

/** A control frame from the receiver, held to BLOB_CONTROL_MAX_BYTES. */
function decodeControl(frame: Uint8Array): BlobMessage {
  if (frame.length > BLOB_CONTROL_MAX_BYTES) throw new ParleyError('BLOB_PROTOCOL_VIOLATION', 'blob: control frame too large')
  return decodeBlobMessage(frame)
}

function wireErrorOf(err: ParleyError): BlobWireError | undefined {
  switch (err.code) {
    case 'BLOB_SOURCE_CHANGED':
      return 'source-changed'
    case 'BLOB_PROTOCOL_VIOLATION':
    case 'DECODE_FAILED':
    case 'DECODE_SCHEMA':
    case 'DECODE_NOT_CANONICAL':
    case 'DECODE_TOO_LARGE':
    case 'DECODE_TOO_DEEP':
      return 'protocol'
    default:
      return undefined
  }
}

/** The /parley/blob/1.0.0 handler of a service. */
export function createServeHandler(ctx: ServeContext): (stream: Stream, connection: Connection) => Promise<void> {
  const idle = ctx.limits.idleTimeoutMs

  async function cancelNotice(peerDid: string, transferId: Uint8Array, reason: CancelReason, fs: FrameStream): Promise<void> {
    const id = transferIdHex(transferId)
    const record = await ctx.store.get(id)
    if (record !== undefined && record.recipient === peerDid && record.state === 'active') {
      await ctx.store.update(id, { state: 'cancelled', reason })
      ctx.emit('upload-cancelled', { transferId: id, to: peerDid, by: 'peer', reason })
    }
    await fs.stream.close({ signal: AbortSignal.timeout(idle) }).catch((err: Error) => fs.stream.abort(err))
  }

  async function serve(fs: FrameStream, record: OutgoingTransfer, from: number, initialCredit: number, session: { signal: AbortSignal }): Promise<void> {
    const { offer } = record
    const id = transferIdHex(offer.transferId)
    const n = chunkCount(offer.size, offer.chunkSize)
    const window = creditWindowChunks(offer.chunkSize)
    let fh: FileHandle
    try {
      fh = await open(record.path, 'r')
    } catch (err) {
      throw new ParleyError('BLOB_SOURCE_CHANGED', 'blob: the offered file cannot be opened', { cause: err })
    }
    try {
      const st = await fh.stat()
      if (!st.isFile() || st.size !== offer.size || Math.trunc(st.mtimeMs) !== record.mtimeMs) {
        throw new ParleyError('BLOB_SOURCE_CHANGED', 'blob: the offered file changed since it was offered')
      }
      let credit = initialCredit
      let failure: ParleyError | undefined
      let verdict = false
      const wake = createNotifier()
      // one idle timer for the whole stream: refreshed by every frame read and every chunk written
      const watchdog = createIdleWatchdog(idle, 'blob serve')
      const io = AbortSignal.any([session.signal, watchdog.signal])
      const readerStop = new AbortController()
      const reader = (async () => {
        try {
          const readSignal = AbortSignal.any([io, readerStop.signal])
          for (;;) {
            const frame = await fs.read({ timeoutMs: 0, signal: readSignal })
            if (frame === undefined) throw new ParleyError('NETWORK_CLOSED', 'blob: the receiver closed the stream')
            watchdog.touch()
            const msg = decodeControl(frame)
            if (msg.t === 'credit') {
              credit += msg.chunks
              if (credit > window) throw new ParleyError('BLOB_PROTOCOL_VIOLATION', 'blob: credit beyond the window')
            } else if (msg.t === 'done') {
              verdict = true
              return
            } else if (msg.t === 'cancel' && msg.transferId === undefined) {
              failure = new ParleyError('BLOB_CANCELLED', `blob: the receiver cancelled (${msg.reason})`)
              await ctx.store.update(id, { state: 'cancelled', reason: msg.reason })
              ctx.emit('upload-cancelled', { transferId: id, to: record.recipient, by: 'peer', reason: msg.reason })
              return
            } else if (msg.t === 'error') {
              failure = wireErrorToParley(msg.error)
              return
            } else {
              throw new ParleyError('BLOB_PROTOCOL_VIOLATION', `blob: unexpected ${msg.t} from the receiver`)
            }
            wake.notify()
          }
        } catch (err) {
          failure ??= isParleyError(err) ? err : new ParleyError('NETWORK_CLOSED', 'blob: the stream failed', { cause: err })
        } finally {
          wake.notify()
        }
      })()

      const sealer = createStreamSealer(ctx.suite, offer)
      // the file is read a block of chunks at a time (one thread-pool job per READ_BLOCK_BYTES) into
      // two buffers: block k+1 is read from disk while the chunks of block k are sealed and sent
      const perBlock = Math.max(1, Math.floor(READ_BLOCK_BYTES / offer.chunkSize))
      const blockBufs = [new Uint8Array(perBlock * offer.chunkSize), new Uint8Array(perBlock * offer.chunkSize)] as const
      /** Block k: chunks from + k·perBlock up to (not including) from + (k+1)·perBlock, or the end. */
      const readBlock = (k: number): Promise<Uint8Array> => {
        const first = from + k * perBlock
        const start = first * offer.chunkSize
        const len = Math.min(offer.size, (first + perBlock) * offer.chunkSize) - start
        const p = readFully(fh, blockBufs[k % 2] as Uint8Array, len, start)
        // observed when awaited; until then a failure must not count as unhandled
        p.catch(() => undefined)
        return p
      }
      let ahead: Promise<Uint8Array> | undefined
      let block: Uint8Array = new Uint8Array(0)
      let blockIndex = -1
      let sent = 0
      let lastProgress = -Infinity
      try {
        ahead = readBlock(0)
        for (let i = from; i < n; i++) {
          while (credit === 0 && failure === undefined) await wake.wait(io)
          if (failure !== undefined) throw failure
          session.signal.throwIfAborted()
          const k = Math.floor((i - from) / perBlock)
          if (k !== blockIndex) {
            block = await (ahead ?? readBlock(k))
            blockIndex = k
            ahead = from + (k + 1) * perBlock < n ? readBlock(k + 1) : undefined
          }
          const at = (i - from - k * perBlock) * offer.chunkSize
          const len = chunkLength(offer, i)
          const plaintext = block.subarray(at, at + len)
          // the wire frame as its pieces: length prefix and type byte, the cipher's output, the tag (no copy through frames.ts)
          const prefix = encodeFrameLength(1 + len + AEAD_TAG_LENGTH)
          const head = new Uint8Array(prefix.length + 1)
          head.set(prefix, 0)
          head[prefix.length] = FRAME_TYPE_CHUNK
          const { ciphertext, tag } = sealer.sealDetached(i, i === n - 1, plaintext)
          credit--
          await sendRaw(fs.stream, new Uint8ArrayList(head, ciphertext, tag), io)
          watchdog.touch()
          sent += len
          const now = ctx.clock()
          if (i === n - 1 || now - lastProgress >= ctx.limits.progressIntervalMs) {
            lastProgress = now
            ctx.emit('upload-progress', { transferId: id, to: record.recipient, bytes: Math.min(from * offer.chunkSize, offer.size) + sent, total: offer.size })
          }
        }
        while (!verdict && failure === undefined) await wake.wait(io)
        if (failure !== undefined) throw failure
      } finally {
        // a read-ahead still running must finish before the file is closed
        await ahead?.catch(() => undefined)
        readerStop.abort()
        await reader
        watchdog.stop()
      }
      await ctx.store.update(id, { state: 'completed' })
      ctx.emit('upload-done', { transferId: id, to: record.recipient })
      await fs.stream.close({ signal: AbortSignal.timeout(idle) }).catch((err: Error) => fs.stream.abort(err))
    } finally {
      await fh.close().catch(() => undefined)
    }
  }

  return async function handle(stream: Stream, connection: Connection): Promise<void> {
    const peer = ctx.gate.peerOf(connection)
    if (peer === undefined) {
      stream.abort(new ParleyError('PEER_NOT_AUTHENTICATED', 'blob: the connection is not authenticated'))
      return
    }
    // one frame limit for both ways (frames.ts): the chunks this side writes; what it reads is held to BLOB_CONTROL_MAX_BYTES below
    const fs = frameStream(stream, { maxBytes: CHUNK_FRAME_MAX_BYTES, timeoutMs: idle })
    let session: ServeSession | undefined
    try {
      const first = await fs.read()
      if (first === undefined) {
        await stream.close().catch(() => undefined)
        return
      }
      const msg = decodeControl(first)
      if (msg.t === 'cancel' && msg.transferId !== undefined) {
        await cancelNotice(peer.did, msg.transferId, msg.reason, fs)
        return
      }
      if (msg.t !== 'req') throw new ParleyError('BLOB_PROTOCOL_VIOLATION', `blob: a stream must start with a request, not ${msg.t}`)
      const id = transferIdHex(msg.transferId)
      const record = await ctx.store.get(id)
      if (record === undefined || record.recipient !== peer.did || record.state === 'completed') {
        await sendAndClose(fs, { t: 'error', error: 'not-found' }, idle)
        return
      }
      if (record.state === 'cancelled') {
        await sendAndClose(fs, { t: 'cancel', reason: record.reason ?? 'user' }, idle)
        return
      }
      const n = chunkCount(record.offer.size, record.offer.chunkSize)
      if (msg.from >= n || msg.credit < 1 || msg.credit > creditWindowChunks(record.offer.chunkSize)) {
        throw new ParleyError('BLOB_PROTOCOL_VIOLATION', 'blob: request out of bounds')
      }
      const controller = new AbortController()
      let stopReason: CancelReason | undefined
      const s: ServeSession = {
        transferId: id,
        async stop(reason) {
          stopReason = reason
          controller.abort()
        },
      }
      if (!ctx.register(s)) {
        await sendAndClose(fs, { t: 'error', error: 'busy' }, idle)
        return
      }
      session = s
      try {
        await serve(fs, record, msg.from, msg.credit, { signal: controller.signal })
      } catch (err) {
        if (stopReason !== undefined) {
          await sendAndClose(fs, { t: 'cancel', reason: stopReason }, idle)
          return
        }
        throw err
      }
    } catch (err) {
      const error = isParleyError(err) ? err : new ParleyError('NETWORK_CLOSED', 'blob: the stream failed', { cause: err })
      const wire = wireErrorOf(error)
      if (wire !== undefined) await sendAndClose(fs, { t: 'error', error: wire }, idle)
      else stream.abort(error)
    } finally {
      if (session !== undefined) ctx.unregister(session)
    }
  }
}
