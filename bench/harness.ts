/**
 * Benchmark measurement: interleaved rounds over several candidates (so the
 * machine's noise hits them alike), each round timing a batch of operations,
 * and the median per candidate. One row shape for every suite.
 */

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
}

export interface MeasureOptions {
  /** Interleaved rounds; the median is reported. */
  rounds?: number
  /** Minimum time per batch in ms (the batch grows until it reaches it). */
  minBatchMs?: number
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

/** Operations per second for each candidate, median of interleaved rounds. */
export async function measureOpsPerSecond(candidates: Candidate[], opts: MeasureOptions = {}): Promise<Map<string, number>> {
  const rounds = opts.rounds ?? 7
  const minBatchMs = opts.minBatchMs ?? 100
  const batch = new Map<string, number>()
  // Calibrate: warm up and find a batch size reaching minBatchMs.
  for (const c of candidates) {
    let n = 1
    for (;;) {
      const t0 = performance.now()
      for (let i = 0; i < n; i++) await c.op()
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
      const t0 = performance.now()
      for (let i = 0; i < n; i++) await c.op()
      const dt = performance.now() - t0
      samples.get(c.name)?.push((n * 1000) / dt)
    }
  }
  return new Map([...samples].map(([k, v]) => [k, median(v)]))
}
