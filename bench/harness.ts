/**
 * Benchmark measurement: interleaved rounds over several candidates (so the
 * machine's noise hits them alike), each round timing a batch of operations,
 * and the median per candidate. One row shape for every suite.
 *
 * Each candidate pays for its own garbage and only for its own: the heap is
 * settled (a full garbage collection, then one turn of the event loop for
 * the finalizers it queued; V8's `gc`, exposed at run time) before each
 * batch, untimed, and again at its end, timed. Without this, the garbage
 * one candidate leaves — for libsignal, native handles freed by finalizers —
 * is collected inside the next candidate's batch and charged to it; with
 * the first settling only, a candidate whose garbage is mostly collected by
 * that settling (again libsignal's) would not pay for it at all. The timed
 * full collection also costs a constant per batch (marking the live heap),
 * the same for every candidate: batches are sized to the same duration, so
 * it lowers every rate by the same factor and leaves ratios alone.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export interface BenchRow {
  metric: string
  value: number
  unit: string
  baseline: string | null
  baselineValue: number | null
  ratio: number | null
}

export interface Candidate {
  name: string
  /** One operation. */
  op: () => unknown | Promise<unknown>
  /** Untimed set-up before a batch of `n` operations (e.g. inputs each op consumes). */
  prepare?: (n: number) => unknown | Promise<unknown>
}

export interface MeasureOptions {
  /** Interleaved rounds; the median is reported. */
  rounds?: number
  /** Minimum time per batch in ms (the batch grows until it reaches it). */
  minBatchMs?: number
  /** Settle the heap before each batch (untimed) and at its end (timed); file comment; default true. */
  settle?: boolean
}

let fullGc: (() => void) | undefined

/** V8's full collection, exposed on first use (a new context sees `gc` once the flag is set). */
function collectGarbage(): void {
  if (fullGc === undefined) {
    setFlagsFromString('--expose-gc')
    fullGc = runInNewContext('gc') as () => void
  }
  fullGc()
}

/** A full collection, then one event-loop turn for the finalizers it queued. */
async function settleHeap(): Promise<void> {
  collectGarbage()
  await new Promise((resolve) => setImmediate(resolve))
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

/**
 * `n` operations of `c` in a row. A synchronous op is not awaited: an
 * `await` per op would add a microtask turn (~0.5 µs) that is the harness's,
 * not the op's.
 */
async function run(c: Candidate, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = c.op()
    if (r instanceof Promise) await r
  }
}

/** Operations per second for each candidate, median of interleaved rounds. */
export async function measureOpsPerSecond(candidates: Candidate[], opts: MeasureOptions = {}): Promise<Map<string, number>> {
  const rounds = opts.rounds ?? 7
  const minBatchMs = opts.minBatchMs ?? 100
  const settle = opts.settle ?? true
  const batch = new Map<string, number>()
  // Calibrate: warm up and find a batch size reaching minBatchMs.
  for (const c of candidates) {
    let n = 1
    for (;;) {
      await c.prepare?.(n)
      const t0 = performance.now()
      await run(c, n)
      const dt = performance.now() - t0
      if (dt >= minBatchMs / 4 || n >= 1 << 20) {
        batch.set(c.name, Math.max(1, Math.ceil((n * minBatchMs) / Math.max(dt, 0.001))))
        break
      }
      n *= 4
    }
  }
  const samples = new Map<string, number[]>(candidates.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) {
    for (const c of candidates) {
      const n = batch.get(c.name) ?? 1
      await c.prepare?.(n)
      if (settle) await settleHeap()
      const t0 = performance.now()
      await run(c, n)
      if (settle) await settleHeap()
      const dt = performance.now() - t0
      samples.get(c.name)?.push((n * 1000) / dt)
    }
  }
  return new Map([...samples].map(([k, v]) => [k, median(v)]))
}
