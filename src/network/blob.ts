/**
 * Files of any size between two authenticated peers (DESIGN §7, issue 4):
 * `createBlobService` ties together the offer (file-offer.ts, sent by the
 * application inside the ratchet), the sender's records (blob-store.ts),
 * the serving handler (blob-serve.ts) and the pulling receiver
 * (blob-receive.ts) over /parley/blob/1.0.0.
 *
 *   receiver                                   sender
 *      | -- req { id, from, credit } ------------> |  gate: the peer's DID is the offer's recipient
 *      | <------------- chunk from, from+1, … ---- |  sealed (STREAM), while credit lasts
 *      | -- credit { c } ------------------------> |  as chunks are written
 *      | <------------------------- chunk last --- |
 *      | -- done --------------------------------> |  hash checked, file in place
 *
 * One service runs both directions, at most `maxConcurrent` transfers each
 * way; either side may cancel (a `cancel` frame with a typed reason, or a
 * cancel notice stream when no transfer stream is open).
 */
import { open } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { createHash } from 'node:crypto'
import { BLOB_CANCEL_NOTICE_TIMEOUT_MS, BLOB_MAX_FILE_BYTES } from '../constants.js'
import type { Suite } from '../crypto/types.js'
import { ParleyError, isParleyError } from '../errors.js'
import { assertParleyDid } from '../identity/index.js'
import { encodeBlobMessage } from './blob-messages.js'
import { createTransfer } from './blob-receive.js'
import type { ReceiveOptions, Transfer, TransferHandle } from './blob-receive.js'
import { createServeHandler } from './blob-serve.js'
import type { ServeEvents, ServeSession } from './blob-serve.js'
import { createMemoryTransferStore } from './blob-store.js'
import type { TransferStore } from './blob-store.js'
import { BLOB_PROTOCOL, createEmitter, isConnection, resolveBlobLimits } from './blob-types.js'
import type { BlobLimits, BlobNode, BlobSource, Emitter } from './blob-types.js'
import { createFileOffer, transferIdHex } from './file-offer.js'
import type { CancelReason, FileOffer } from './file-offer.js'
import { frameStream } from './frames.js'
import type { ConnectionGate } from './types.js'

export { BLOB_PROTOCOL } from './blob-types.js'
export type { BlobLimits, BlobNode, BlobSource } from './blob-types.js'
export type { Transfer, TransferEvents, TransferProgress, TransferResult, TransferState, ReceiveOptions } from './blob-receive.js'
export type { ServeEvents, UploadProgress } from './blob-serve.js'
export { createMemoryTransferStore, encodeOutgoingTransfer, decodeOutgoingTransfer } from './blob-store.js'
export type { OutgoingState, OutgoingTransfer, TransferStore } from './blob-store.js'

export interface BlobServiceComponents {
  node: BlobNode
  gate: ConnectionGate
  suite: Suite
  /** The sender's records (default: in memory, lost on exit). */
  store?: TransferStore
  limits?: Partial<BlobLimits>
  /** Epoch ms (default Date.now): record times, progress pacing and rates. */
  clock?: () => number
}

export interface BlobService extends Emitter<ServeEvents> {
  readonly store: TransferStore
  /** Registers the /parley/blob/1.0.0 handler. */
  start(): Promise<void>
  /** Unregisters it and stops every running transfer, both ways (partial files are kept for a resume). */
  stop(): Promise<void>
  /**
   * Offers the file at `path` to `to`: hashes it (streaming), records it
   * (served only to `to`, only while unchanged) and returns the offer to send
   * inside the ratchet (`encodeFileOffer`).
   */
  offer(to: string, path: string, options?: { chunkSize?: number }): Promise<FileOffer>
  /**
   * Fetches the file of `offer` from `from` into `destPath` (which must not
   * exist); resumes from `<destPath>.part` when an earlier transfer of the
   * same offer left one. BLOB_DEST_EXISTS when this service already receives
   * into `destPath`.
   */
  receive(offer: FileOffer, from: BlobSource, destPath: string, options?: ReceiveOptions): Transfer
  /** Cancels a transfer either way (BLOB_NOT_FOUND when this service knows none by that id). */
  cancel(transferId: string | Uint8Array, reason?: CancelReason): Promise<void>
}

/**
 * A blob service (not started).
 *
 * @example
 * ```ts
 * const blobs = createBlobService({ node, gate, suite })
 * await blobs.start()
 * // sender
 * const offer = await blobs.offer(bobDid, '/home/alice/report.pdf') // send encodeFileOffer(offer) in the ratchet
 * // receiver
 * const t = blobs.receive(offer, alicePeerId, '/home/bob/Downloads/report.pdf')
 * t.on('progress', (p) => console.log(p.bytes, '/', p.total))
 * await t.wait() // or t.resume() after a failure
 * ```
 */
export function createBlobService(components: BlobServiceComponents): BlobService {
  const { node, gate, suite } = components
  const store = components.store ?? createMemoryTransferStore()
  const limits = resolveBlobLimits(components.limits)
  const clock = components.clock ?? Date.now
  const { emitter, emit } = createEmitter<ServeEvents>()
  const sessions = new Set<ServeSession>()
  const incoming = new Map<string, { handle: TransferHandle; dest: string }>()
  let receiving = 0
  let started = false

  const handler = createServeHandler({
    gate,
    suite,
    store,
    limits,
    clock,
    emit,
    register(session) {
      if (!started || sessions.size >= limits.maxConcurrent) return false
      sessions.add(session)
      return true
    },
    unregister(session) {
      sessions.delete(session)
    },
  })

  async function notifyCancel(source: BlobSource, transferId: Uint8Array, reason: CancelReason): Promise<void> {
    const signal = AbortSignal.timeout(BLOB_CANCEL_NOTICE_TIMEOUT_MS)
    const conn = isConnection(source) && source.status === 'open' ? source : await node.dial(isConnection(source) ? source.remotePeer : source, { signal })
    await gate.authenticate(conn, { signal })
    const stream = await conn.newStream(BLOB_PROTOCOL, { signal })
    const fs = frameStream(stream)
    try {
      await fs.write(encodeBlobMessage({ t: 'cancel', reason, transferId }), { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err as Error)
    }
  }

  async function hashFile(path: string): Promise<{ size: number; mtimeMs: number; sha256: Uint8Array }> {
    let fh
    try {
      fh = await open(path, 'r')
    } catch (err) {
      throw new ParleyError((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'STORE_NOT_FOUND' : 'IO_FAILED', `blob: cannot open ${path}`, { cause: err })
    }
    try {
      const st = await fh.stat()
      if (!st.isFile()) throw new ParleyError('INVALID_ARGUMENT', `blob: ${path} is not a regular file`)
      if (st.size > BLOB_MAX_FILE_BYTES) throw new ParleyError('LIMIT_EXCEEDED', `blob: ${path} is larger than ${BLOB_MAX_FILE_BYTES} bytes`)
      const hasher = createHash('sha256')
      const buf = new Uint8Array(1024 * 1024)
      let total = 0
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, total)
        if (bytesRead === 0) break
        hasher.update(buf.subarray(0, bytesRead))
        total += bytesRead
      }
      const after = await fh.stat()
      if (total !== st.size || after.size !== st.size || after.mtimeMs !== st.mtimeMs) {
        throw new ParleyError('BLOB_SOURCE_CHANGED', `blob: ${path} changed while it was hashed`)
      }
      return { size: st.size, mtimeMs: Math.trunc(st.mtimeMs), sha256: new Uint8Array(hasher.digest()) }
    } catch (err) {
      throw isParleyError(err) ? err : new ParleyError('IO_FAILED', `blob: cannot read ${path}`, { cause: err })
    } finally {
      await fh.close().catch(() => undefined)
    }
  }

  const service: BlobService = {
    ...emitter,
    store,

    async start() {
      if (started) return
      await node.handle(BLOB_PROTOCOL, handler, { maxInboundStreams: limits.maxConcurrent, maxOutboundStreams: 2 * limits.maxConcurrent })
      started = true
    },

    async stop() {
      if (!started) return
      started = false
      await node.unhandle(BLOB_PROTOCOL).catch(() => undefined)
      await Promise.all([...sessions].map((s) => s.stop()))
      await Promise.all([...incoming.values()].map((e) => e.handle.stop()))
      incoming.clear()
    },

    async offer(to, path, options = {}) {
      assertParleyDid(to, 'blob offer recipient')
      const abs = resolve(path)
      const { size, mtimeMs, sha256 } = await hashFile(abs)
      const offer = createFileOffer(suite, { name: basename(abs), size, sha256, chunkSize: options.chunkSize ?? limits.chunkBytes })
      await store.put({ offer, recipient: to, path: abs, mtimeMs, state: 'active', createdAt: clock() })
      return offer
    },

    receive(offer, from, destPath, options = {}) {
      if (!started) throw new ParleyError('INVALID_ARGUMENT', 'blob: the service is not started')
      const dest = resolve(destPath)
      const id = transferIdHex(offer.transferId)
      for (const [key, e] of incoming) {
        if (e.dest !== dest && key !== id) continue
        // a failed transfer gives way to a new receive of it (which resumes from its partial file)
        if (e.handle.transfer.state === 'failed') incoming.delete(key)
        else throw new ParleyError('BLOB_DEST_EXISTS', `blob: a transfer into ${dest} (or of ${id}) is already under way`)
      }
      const handle = createTransfer(
        {
          node,
          gate,
          suite,
          limits,
          clock,
          acquire() {
            if (!started) throw new ParleyError('NETWORK_CLOSED', 'blob: the service is stopped')
            if (receiving >= limits.maxConcurrent) throw new ParleyError('LIMIT_EXCEEDED', 'blob: too many transfers at once')
            receiving++
          },
          release() {
            receiving--
          },
          settled() {
            if (incoming.get(id)?.handle === handle) incoming.delete(id)
          },
          notifyCancel,
        },
        offer,
        from,
        dest,
        options,
      )
      incoming.set(id, { handle, dest })
      return handle.transfer
    },

    async cancel(transferId, reason = 'user') {
      const id = typeof transferId === 'string' ? transferId : transferIdHex(transferId)
      const entry = incoming.get(id)
      if (entry !== undefined) {
        await entry.handle.transfer.cancel(reason)
        return
      }
      const record = await store.get(id)
      if (record === undefined) throw new ParleyError('BLOB_NOT_FOUND', `blob: no transfer ${id}`)
      if (record.state !== 'active') return
      await store.update(id, { state: 'cancelled', reason })
      emit('upload-cancelled', { transferId: id, to: record.recipient, by: 'local', reason })
      await Promise.all([...sessions].filter((s) => s.transferId === id).map((s) => s.stop(reason)))
    },
  }
  return service
}
