/**
 * What the parts of the file-transfer service share: the protocol id, the
 * limits a service runs with (defaults from constants.ts, lowered or raised
 * per service within their bounds), the credit window rule both ends apply,
 * the narrow libp2p surface the service uses, and a tiny typed event
 * emitter whose 'error' event, unlike node:events, never throws when nobody
 * listens.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import {
  BLOB_CREDIT_WINDOW_BYTES,
  BLOB_DEFAULT_CHUNK_BYTES,
  BLOB_IDLE_TIMEOUT_MS,
  BLOB_MAX_CHUNK_BYTES,
  BLOB_MAX_CONCURRENT_TRANSFERS,
  BLOB_MIN_CHUNK_BYTES,
  BLOB_MIN_CREDIT_CHUNKS,
  BLOB_PROGRESS_INTERVAL_MS,
  BLOB_SYNC_INTERVAL_BYTES,
} from '../constants.js'
import { ParleyError } from '../errors.js'

/** The file-transfer protocol: the receiver pulls sealed chunks from the sender (protocol diagram in blob.ts). */
export const BLOB_PROTOCOL = '/parley/blob/1.0.0'

/** The libp2p node surface the service needs. */
export type BlobNode = Pick<Libp2p, 'handle' | 'unhandle' | 'dial'>

/** Where a receiver fetches from: a peer (dialled, or redialled on resume) or an open connection to it. */
export type BlobSource = PeerId | Connection

export interface BlobLimits {
  /** Chunk size of new offers (BLOB_MIN_CHUNK_BYTES..BLOB_MAX_CHUNK_BYTES). */
  chunkBytes: number
  /** Bytes of chunks the receiver lets be in flight (at most BLOB_CREDIT_WINDOW_BYTES, the protocol's bound). */
  creditWindowBytes: number
  /** Transfers at once in each direction. */
  maxConcurrent: number
  /** Time without a frame before a transfer stream is given up. */
  idleTimeoutMs: number
  /** The receiver fsyncs and records progress at least every this many bytes. */
  syncIntervalBytes: number
  /** Least time between two progress events (0: one per chunk). */
  progressIntervalMs: number
}

export const DEFAULT_BLOB_LIMITS: Readonly<BlobLimits> = Object.freeze({
  chunkBytes: BLOB_DEFAULT_CHUNK_BYTES,
  creditWindowBytes: BLOB_CREDIT_WINDOW_BYTES,
  maxConcurrent: BLOB_MAX_CONCURRENT_TRANSFERS,
  idleTimeoutMs: BLOB_IDLE_TIMEOUT_MS,
  syncIntervalBytes: BLOB_SYNC_INTERVAL_BYTES,
  progressIntervalMs: BLOB_PROGRESS_INTERVAL_MS,
})

function checkRange(name: string, v: number, min: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new ParleyError('INVALID_ARGUMENT', `blob limits: ${name} must be an integer in ${min}..${max}`)
}

/** Fills in defaults and checks bounds (INVALID_ARGUMENT). */
export function resolveBlobLimits(limits: Partial<BlobLimits> = {}): BlobLimits {
  const out: BlobLimits = { ...DEFAULT_BLOB_LIMITS, ...limits }
  checkRange('chunkBytes', out.chunkBytes, BLOB_MIN_CHUNK_BYTES, BLOB_MAX_CHUNK_BYTES)
  checkRange('creditWindowBytes', out.creditWindowBytes, 1, BLOB_CREDIT_WINDOW_BYTES)
  checkRange('maxConcurrent', out.maxConcurrent, 1, 1024)
  checkRange('idleTimeoutMs', out.idleTimeoutMs, 1, 24 * 3600 * 1000)
  checkRange('syncIntervalBytes', out.syncIntervalBytes, 1, Number.MAX_SAFE_INTEGER)
  checkRange('progressIntervalMs', out.progressIntervalMs, 0, 3600 * 1000)
  return out
}

/**
 * Chunks that may be in flight for a chunk size: the protocol's bound, which
 * a sender enforces (more credit is a protocol violation) and a receiver
 * never exceeds. `windowBytes` lowers it (a receiver's own limit).
 */
export function creditWindowChunks(chunkSize: number, windowBytes: number = BLOB_CREDIT_WINDOW_BYTES): number {
  return Math.max(BLOB_MIN_CREDIT_CHUNKS, Math.floor(Math.min(windowBytes, BLOB_CREDIT_WINDOW_BYTES) / chunkSize))
}

/** True when `source` is an open-able connection rather than a peer id. */
export function isConnection(source: BlobSource): source is Connection {
  return typeof (source as Connection).newStream === 'function'
}

/** A listener; exceptions it throws are rethrown outside the service (as node:events would). */
export type Listener<T> = (value: T) => void

export interface Emitter<E extends object> {
  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void
  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): void
}

/** An emitter and its `emit`, kept apart so only the owner emits. */
export function createEmitter<E extends object>(): { emitter: Emitter<E>; emit<K extends keyof E & string>(event: K, value: E[K]): void } {
  const listeners = new Map<string, Set<Listener<never>>>()
  const emitter: Emitter<E> = {
    on(event, listener) {
      let set = listeners.get(event)
      if (set === undefined) listeners.set(event, (set = new Set()))
      set.add(listener as Listener<never>)
      return () => emitter.off(event, listener)
    },
    off(event, listener) {
      listeners.get(event)?.delete(listener as Listener<never>)
    },
  }
  return {
    emitter,
    emit(event, value) {
      for (const l of [...(listeners.get(event) ?? [])]) {
        try {
          ;(l as Listener<E[typeof event]>)(value)
        } catch (err) {
          // a listener's bug must not corrupt a transfer: surface it outside
          queueMicrotask(() => {
            throw err
          })
        }
      }
    },
  }
}

/**
 * A timer that aborts `signal` (with NETWORK_TIMEOUT) when `touch` was not
 * called for `timeoutMs`: one timer per transfer stream, refreshed on every
 * frame, instead of a timeout signal per read or write.
 */
export interface IdleWatchdog {
  readonly signal: AbortSignal
  touch(): void
  stop(): void
}

export function createIdleWatchdog(timeoutMs: number, what: string): IdleWatchdog {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new ParleyError('NETWORK_TIMEOUT', `${what}: no progress for ${timeoutMs} ms`)), timeoutMs)
  return {
    signal: controller.signal,
    touch() {
      if (!controller.signal.aborted) timer.refresh()
    },
    stop() {
      clearTimeout(timer)
    },
  }
}
