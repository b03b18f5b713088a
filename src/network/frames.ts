/**
 * Length-prefixed frames on a libp2p stream, shared by every /parley/*
 * protocol: an unsigned LEB128 varint length (at most
 * FRAME_MAX_LENGTH_PREFIX_BYTES bytes, minimal encoding) and that many bytes.
 * The length is checked against the stream's limit before a byte of the body
 * is buffered, so a prefix of 2^32 costs the sender nothing but a closed
 * stream. Every failure is a ParleyError: FRAME_TOO_LARGE, FRAME_MALFORMED,
 * NETWORK_TIMEOUT (no complete frame within the read timeout) or
 * NETWORK_CLOSED (the stream ended inside a frame).
 */
import { byteStream } from '@libp2p/utils'
import type { ByteStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import type { Stream } from '@libp2p/interface'
import { FRAME_MAX_BYTES, FRAME_MAX_LENGTH_PREFIX_BYTES, FRAME_READ_TIMEOUT_MS, STREAM_MAX_BUFFER_BYTES } from '../constants.js'
import { ParleyError, isParleyError } from '../errors.js'

export interface FrameOptions {
  /** Largest frame body accepted (default FRAME_MAX_BYTES). */
  maxBytes?: number
  /** Time allowed for one whole frame to arrive (default FRAME_READ_TIMEOUT_MS); 0 = no timeout. */
  timeoutMs?: number
  /**
   * Bytes the peer may have sent and this side not yet read before the stream
   * is aborted as a flood (default STREAM_MAX_BUFFER_BYTES; never less than
   * one whole frame). A protocol with its own flow control sets it to what
   * that control lets be outstanding.
   */
  maxBufferBytes?: number
}

/** A stream read and written as frames. */
export interface FrameStream {
  readonly stream: Stream
  /** The next frame, or `undefined` when the peer closed its side cleanly between frames. */
  read(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<Uint8Array | undefined>
  /** As `read`, the frame as the pieces it arrived in (nothing joined: for large frames read once). */
  readList(options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<Uint8ArrayList | undefined>
  /** Writes one frame (waits while the stream's send buffer is full: backpressure). */
  write(frame: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>
  /** Writes several frames in one send. */
  writeMany(frames: readonly Uint8Array[], options?: { signal?: AbortSignal }): Promise<void>
}

/** The varint encoding of `n` (0 ≤ n < 2^35). */
export function encodeFrameLength(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n >= 2 ** (7 * FRAME_MAX_LENGTH_PREFIX_BYTES)) {
    throw new ParleyError('INVALID_ARGUMENT', `frame: length ${n} out of range`)
  }
  const out: number[] = []
  let v = n
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return Uint8Array.from(out)
}

/** One frame with its length prefix. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const prefix = encodeFrameLength(body.length)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix, 0)
  out.set(body, prefix.length)
  return out
}

function mapError(err: unknown, what: string): ParleyError {
  if (isParleyError(err)) return err
  const name = (err as { name?: string } | null)?.name
  if (name === 'AbortError' || name === 'TimeoutError') return new ParleyError('NETWORK_TIMEOUT', `${what}: timed out`, { cause: err })
  if (name === 'UnexpectedEOFError') return new ParleyError('NETWORK_CLOSED', `${what}: the stream ended inside a frame`, { cause: err })
  return new ParleyError('NETWORK_CLOSED', `${what}: the stream failed`, { cause: err })
}

function signalFor(timeoutMs: number, signal?: AbortSignal): AbortSignal | undefined {
  if (timeoutMs <= 0) return signal
  const t = AbortSignal.timeout(timeoutMs)
  return signal === undefined ? t : AbortSignal.any([signal, t])
}

/** Reads and writes `stream` as frames of at most `maxBytes`. */
export function frameStream(stream: Stream, options: FrameOptions = {}): FrameStream {
  const maxBytes = options.maxBytes ?? FRAME_MAX_BYTES
  const defaultTimeout = options.timeoutMs ?? FRAME_READ_TIMEOUT_MS
  const maxBuffer = Math.max(options.maxBufferBytes ?? STREAM_MAX_BUFFER_BYTES, maxBytes + FRAME_MAX_LENGTH_PREFIX_BYTES)
  const bytes: ByteStream<Stream> = byteStream(stream, { maxBufferSize: maxBuffer })

  async function read(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Uint8Array | undefined> {
    return (await readList(opts))?.subarray()
  }

  async function readList(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Uint8ArrayList | undefined> {
    const signal = signalFor(opts.timeoutMs ?? defaultTimeout, opts.signal)
    const readOpts = signal === undefined ? {} : { signal }
    let length = 0
    let scale = 1
    try {
      for (let i = 0; ; i++) {
        if (i >= FRAME_MAX_LENGTH_PREFIX_BYTES) throw new ParleyError('FRAME_MALFORMED', 'frame: length prefix too long')
        const b = await bytes.read({ ...readOpts, bytes: 1 })
        // byteStream.read with a byte count throws UnexpectedEOFError at the end; null only without one.
        if (b === null) return undefined
        const byte = b.get(0)
        if (i > 0 && byte === 0) throw new ParleyError('FRAME_MALFORMED', 'frame: length prefix not minimal')
        length += (byte & 0x7f) * scale
        scale *= 0x80
        if (length > maxBytes) throw new ParleyError('FRAME_TOO_LARGE', `frame: ${length > 2 ** 31 ? 'over 2 GiB' : `${length} bytes`} exceeds the limit of ${maxBytes}`)
        if ((byte & 0x80) === 0) break
      }
      if (length === 0) return new Uint8ArrayList()
      return await bytes.read({ ...readOpts, bytes: length })
    } catch (err) {
      if ((err as { name?: string } | null)?.name === 'UnexpectedEOFError' && length === 0 && scale === 1) return undefined
      throw mapError(err, 'frame read')
    }
  }

  async function writeMany(frames: readonly Uint8Array[], opts: { signal?: AbortSignal } = {}): Promise<void> {
    let total = 0
    for (const f of frames) {
      if (f.length > maxBytes) throw new ParleyError('FRAME_TOO_LARGE', `frame: ${f.length} bytes exceeds the limit of ${maxBytes}`)
      total += FRAME_MAX_LENGTH_PREFIX_BYTES + f.length
    }
    const out = new Uint8Array(total)
    let at = 0
    for (const f of frames) {
      const p = encodeFrameLength(f.length)
      out.set(p, at)
      at += p.length
      out.set(f, at)
      at += f.length
    }
    try {
      await bytes.write(out.subarray(0, at), opts.signal === undefined ? {} : { signal: opts.signal })
    } catch (err) {
      throw mapError(err, 'frame write')
    }
  }

  return {
    stream,
    read,
    readList,
    write: (frame, opts) => writeMany([frame], opts),
    writeMany,
  }
}
