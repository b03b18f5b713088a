/**
 * Identity benchmarks: verifying a 100-event KEL (inception, then rotations
 * and updates alternating) from its encoded bytes on the native suite, the
 * cost a peer pays on first contact. Target: under 100 ms (docs/identity.md
 * "Cost"). Reported as the median of several runs after a warm-up.
 */
import { performance } from 'node:perf_hooks'
import { defaultSuite } from '../src/crypto/index.js'
import { createIdentity, encodeKel, rotateIdentity, updateIdentity, verifyKel } from '../src/identity/index.js'
import type { Identity } from '../src/identity/index.js'
import { median } from './harness.js'
import type { BenchRow } from './harness.js'

/** Events in the benchmarked log. */
const EVENTS = 100
/** Timed runs (the median is reported). */
const RUNS = 9
/** The target from the identity design. */
const TARGET_MS = 100

/** A KEL of `events` events; times advance one second per event. */
export function buildKel(events: number): Identity {
  const start = Date.UTC(2026, 0, 1)
  let id = createIdentity(defaultSuite, { name: 'bench', now: new Date(start) })
  for (let i = 1; i < events; i++) {
    const now = new Date(start + i * 1000)
    id = i % 2 === 1
      ? rotateIdentity(defaultSuite, id.kel, id.secrets, { now })
      : updateIdentity(defaultSuite, id.kel, id.secrets, { now, name: `bench ${i}` })
  }
  return id
}

export async function runIdentityBench(): Promise<BenchRow[]> {
  const bytes = encodeKel(buildKel(EVENTS).kel)
  verifyKel(defaultSuite, bytes) // warm-up
  const samples: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now()
    verifyKel(defaultSuite, bytes)
    samples.push(performance.now() - t0)
  }
  const value = median(samples)
  return [
    {
      metric: `kel.verify.${EVENTS}-events`,
      value,
      unit: 'ms',
      baseline: `target ${TARGET_MS} ms`,
      baselineValue: TARGET_MS,
      ratio: value / TARGET_MS,
    },
  ]
}
