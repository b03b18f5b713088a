/**
 * A reusable fuzz harness for every decoder of untrusted bytes. `fuzzDecoder`
 * registers one node:test test that feeds the decoder FUZZ_RUNS_PER_DECODER
 * inputs: half random byte strings of varied lengths (some drawn from bytes
 * that are CBOR heads, so structure is reached), half mutations of the valid
 * `seeds` (bit flips, interesting byte values, truncation, extension, byte
 * splices, cross-over with another seed, length-field corruption). It asserts
 * that every call either returns or throws a `ParleyError` — anything else
 * (TypeError, RangeError, a raw cborg Error) fails the test and prints the
 * input as hex — and that no call takes more than FUZZ_MAX_CALL_MS (a slow
 * call is re-run twice and only fails when it is slow every time, so a GC
 * pause on a busy machine is not a failure).
 *
 * Runs are deterministic: the PRNG seed is derived from the test name unless
 * PARLEY_FUZZ_SEED is set; a failure prints the seed and the run index.
 * PARLEY_FUZZ_RUNS overrides the number of runs (for a longer local session).
 *
 * @example
 * import { fuzzDecoder } from '../helpers/fuzz.js'
 * fuzzDecoder('kel event', (b) => decodeKelEvent(b), [encodeKelEvent(sample)])
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { ParleyError } from '../../src/errors.js'

/** Inputs fed to each decoder. */
export const FUZZ_RUNS_PER_DECODER = 100_000
/** Longest a single decode call may take: a hang guard, not a benchmark (GC pauses on a loaded 2-core CI machine reach tens of ms). */
export const FUZZ_MAX_CALL_MS = 250
/** Ceiling for one whole fuzz test; a real infinite loop is caught by this node:test timeout. */
export const FUZZ_TEST_TIMEOUT_MS = 120_000

export interface FuzzOptions {
  /** Number of inputs (default FUZZ_RUNS_PER_DECODER, or PARLEY_FUZZ_RUNS). */
  runs?: number
  /** PRNG seed (default: PARLEY_FUZZ_SEED, else derived from the name). */
  seed?: number
  /** Per-call time bound in ms (default FUZZ_MAX_CALL_MS). */
  maxCallMs?: number
  /** Longest random input (default 4096). */
  maxRandomLength?: number
  /** When set, random inputs draw most bytes from these characters (for text decoders). */
  alphabet?: string
}

export interface FuzzReport {
  runs: number
  accepted: number
  refused: Record<string, number>
  totalMs: number
  maxCallMs: number
  seed: number
}

/** sfc32: a small, fast, seedable PRNG (not for keys: only to make fuzz runs repeatable). */
class Prng {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    this.#a = 0x9e3779b9
    this.#b = 0x243f6a88
    this.#c = 0xb7e15162
    this.#d = seed >>> 0
    for (let i = 0; i < 15; i++) this.u32()
  }

  u32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0
    this.#d = (this.#d + 1) >>> 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) >>> 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) >>> 0
    return t
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n)
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff
    return out
  }
}

/** Bytes that are likely to matter to a CBOR (or any length-prefixed) parser. */
const INTERESTING_BYTES = [
  0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x38, 0x3b, 0x40, 0x41, 0x58, 0x59, 0x5a, 0x5b,
  0x5f, 0x60, 0x61, 0x78, 0x79, 0x7a, 0x7b, 0x7f, 0x80, 0x81, 0x98, 0x99, 0x9a, 0x9b, 0x9f, 0xa0, 0xa1, 0xb8,
  0xb9, 0xba, 0xbb, 0xbf, 0xc0, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xff, 0xc3, 0xed, 0xef,
]

/** Big-endian argument values for length-field corruption. */
const INTERESTING_ARGS = [0, 1, 23, 24, 255, 256, 0xffff, 0x1_0000, 0xffff_ffff, 0x7fff_ffff, 2 ** 53 - 1, 2 ** 53, 2 ** 64 - 1]

function nameSeed(name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return h >>> 0
}

function envInt(name: string): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

function hex(b: Uint8Array, max = 4096): string {
  const shown = Buffer.from(b.subarray(0, max)).toString('hex')
  return b.length > max ? `${shown}… (${b.length} bytes)` : shown
}

function randomLength(rng: Prng, max: number): number {
  const r = rng.int(10)
  if (r < 4) return rng.int(Math.min(17, max + 1))
  if (r < 7) return rng.int(Math.min(65, max + 1))
  if (r < 9) return rng.int(Math.min(513, max + 1))
  return rng.int(max + 1)
}

function randomInput(rng: Prng, opts: Required<Pick<FuzzOptions, 'maxRandomLength'>> & FuzzOptions): Uint8Array {
  const n = randomLength(rng, opts.maxRandomLength)
  const out = new Uint8Array(n)
  const alphabet = opts.alphabet
  const mode = rng.int(3)
  for (let i = 0; i < n; i++) {
    if (alphabet !== undefined && rng.int(10) !== 0) out[i] = alphabet.charCodeAt(rng.int(alphabet.length)) & 0xff
    else if (alphabet === undefined && mode === 1 && rng.int(2) === 0) out[i] = rng.pick(INTERESTING_BYTES)
    else out[i] = rng.u32() & 0xff
  }
  return out
}

/** Writes `value` big-endian into `width` bytes at `at` (clipped to the array). */
function writeArg(b: Uint8Array, at: number, width: number, value: number): void {
  let v = BigInt(value)
  for (let i = width - 1; i >= 0; i--) {
    if (at + i < b.length) b[at + i] = Number(v & 0xffn)
    v >>= 8n
  }
}

/** `b` with `cut` bytes at `at` replaced by `ins` (a fresh array). */
function splice(b: Uint8Array, at: number, cut: number, ins: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - cut + ins.length)
  out.set(b.subarray(0, at))
  out.set(ins, at)
  out.set(b.subarray(at + cut), at + ins.length)
  return out
}

function mutateOnce(rng: Prng, input: Uint8Array, seeds: readonly Uint8Array[]): Uint8Array {
  const b = input
  const at = rng.int(b.length)
  switch (rng.int(9)) {
    case 0: // bit flip
      if (b.length > 0) b[at] = (b[at] as number) ^ (1 << rng.int(8))
      return b
    case 1: // interesting byte
      if (b.length > 0) b[at] = rng.pick(INTERESTING_BYTES)
      return b
    case 2: // truncation
      return b.slice(0, rng.int(b.length + 1))
    case 3: { // extension
      const tail = rng.int(2) === 0 ? rng.bytes(1 + rng.int(64)) : Uint8Array.of(rng.pick(INTERESTING_BYTES))
      const out = new Uint8Array(b.length + tail.length)
      out.set(b)
      out.set(tail, b.length)
      return out
    }
    case 4: { // splice random bytes over a range (insertion, deletion or overwrite)
      const cut = rng.int(Math.min(16, b.length - at) + 1)
      const ins = rng.bytes(rng.int(17))
      return splice(b, at, cut, ins)
    }
    case 5: { // cross-over: a chunk of another seed
      const other = rng.pick(seeds)
      const from = rng.int(other.length)
      const chunk = other.subarray(from, from + 1 + rng.int(64))
      const cut = rng.int(Math.min(64, b.length - at) + 1)
      return splice(b, at, cut, chunk)
    }
    case 6: { // length-field corruption: turn a head into a long form with an extreme argument
      if (b.length === 0) return b
      const ai = 24 + rng.int(4)
      b[at] = ((b[at] as number) & 0xe0) | ai
      writeArg(b, at + 1, 1 << (ai - 24), rng.pick(INTERESTING_ARGS))
      return b
    }
    case 7: { // overwrite 1/2/4/8 bytes with an extreme value
      writeArg(b, at, 1 << rng.int(4), rng.pick(INTERESTING_ARGS))
      return b
    }
    default: { // duplicate a range
      const len = rng.int(Math.min(32, b.length - at) + 1)
      return splice(b, at + len, 0, b.slice(at, at + len))
    }
  }
}

function mutate(rng: Prng, seeds: readonly Uint8Array[]): Uint8Array {
  let b: Uint8Array = rng.pick(seeds).slice()
  const rounds = 1 + rng.int(4)
  for (let i = 0; i < rounds; i++) b = mutateOnce(rng, b, seeds)
  return b
}

/**
 * Runs the fuzz loop without registering a test (for callers that want the
 * report). Throws an AssertionError on the first bad input.
 */
export function runFuzz(
  name: string,
  decodeFn: (b: Uint8Array) => unknown,
  seeds: readonly Uint8Array[],
  opts: FuzzOptions = {},
): FuzzReport {
  const runs = opts.runs ?? envInt('PARLEY_FUZZ_RUNS') ?? FUZZ_RUNS_PER_DECODER
  const seed = opts.seed ?? envInt('PARLEY_FUZZ_SEED') ?? nameSeed(name)
  const bound = opts.maxCallMs ?? FUZZ_MAX_CALL_MS
  const settings = { ...opts, maxRandomLength: opts.maxRandomLength ?? 4096 }
  const rng = new Prng(seed)
  const report: FuzzReport = { runs, accepted: 0, refused: {}, totalMs: 0, maxCallMs: 0, seed }

  const call = (input: Uint8Array, i: number): number => {
    const t0 = performance.now()
    try {
      decodeFn(input)
      report.accepted++
    } catch (err) {
      if (!(err instanceof ParleyError)) {
        const what = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err)
        assert.fail(`fuzz ${name}: run ${i} (seed ${seed}) threw a non-ParleyError for input ${hex(input)}:\n${what}`)
      }
      report.refused[err.code] = (report.refused[err.code] ?? 0) + 1
    }
    return performance.now() - t0
  }

  const started = performance.now()
  for (let i = 0; i < runs; i++) {
    const fromSeed = seeds.length > 0 && i % 2 === 1
    const input = fromSeed ? mutate(rng, seeds) : randomInput(rng, settings)
    let ms = call(input.slice(), i)
    if (ms > bound) {
      // re-run: only a call that is slow every time is a hang, not a GC pause
      ms = Math.min(ms, timeOnly(decodeFn, input), timeOnly(decodeFn, input))
      if (ms > bound) {
        assert.fail(`fuzz ${name}: run ${i} (seed ${seed}) took ${ms.toFixed(1)} ms (> ${bound}) for input ${hex(input)}`)
      }
    }
    if (ms > report.maxCallMs) report.maxCallMs = ms
  }
  report.totalMs = performance.now() - started
  return report
}

function timeOnly(decodeFn: (b: Uint8Array) => unknown, input: Uint8Array): number {
  const t0 = performance.now()
  try {
    decodeFn(input.slice())
  } catch {
    // outcome already checked on the first call
  }
  return performance.now() - t0
}

function summary(r: FuzzReport): string {
  const refused = Object.entries(r.refused)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n}`)
    .join(', ')
  return `${r.runs} inputs in ${(r.totalMs / 1000).toFixed(2)} s (slowest call ${r.maxCallMs.toFixed(2)} ms, seed ${r.seed}); accepted ${r.accepted}; refused: ${refused || 'none'}`
}

/**
 * Registers `fuzz: <name>` as a node:test test over `decodeFn` (see file doc).
 * `seeds` are valid encodings to mutate; give a few varied ones.
 */
export function fuzzDecoder(
  name: string,
  decodeFn: (b: Uint8Array) => unknown,
  seeds: readonly Uint8Array[],
  opts: FuzzOptions = {},
): void {
  test(`fuzz: ${name}`, { timeout: FUZZ_TEST_TIMEOUT_MS }, (t) => {
    t.diagnostic(summary(runFuzz(name, decodeFn, seeds, opts)))
  })
}

/**
 * `fuzzDecoder` for decoders of text (base64url, hex, DIDs, JWTs): inputs are
 * byte strings read as latin1, so every mutation stays a one-character edit.
 * Seeds should be ASCII. Pass `alphabet` to bias random inputs towards it.
 */
export function fuzzStringDecoder(
  name: string,
  decodeFn: (s: string) => unknown,
  seeds: readonly string[],
  opts: FuzzOptions = {},
): void {
  const toLatin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
  fuzzDecoder(name, (b) => decodeFn(toLatin1(b)), seeds.map((s) => new Uint8Array(Buffer.from(s, 'latin1'))), opts)
}
