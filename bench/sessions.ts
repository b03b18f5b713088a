/**
 * `npm run bench -- sessions`: Parley's sessions beside libsignal
 * (@signalapp/libsignal-client, bench-only devDependency) in the same run.
 * Each metric is measured as its own interleaved pair, medians of several
 * rounds, the heap settled around each batch so that libsignal's garbage
 * never lands in Parley's batches nor the other way round (harness.ts);
 * Bob's bundles for Parley's establishment are made before each batch,
 * untimed (`prepareEstablish`). Targets from issue 3: establishment
 * ≥ 1.0×, one-way 100-byte messages ≥ 5×, ping-pong ≥ 1.0×, 64 KiB
 * throughput ≥ 3×; wire sizes beside libsignal's (goal: amortized ping-pong
 * overhead ≤ 2×).
 */
import type { BenchRow } from './harness.js'
import { measureOpsPerSecond } from './harness.js'
import { createLibsignalBench } from './sessions-libsignal.js'
import { createParleyBench, LARGE_MESSAGE_BYTES } from './sessions-parley.js'

const ROUNDS = 7
const BATCH_MS = 400

export async function runSessionsBench(): Promise<BenchRow[]> {
  const signal = await createLibsignalBench()
  const parley = await createParleyBench()
  const rows: BenchRow[] = []

  async function pair(metric: string, unit: string, ours: () => unknown, theirs: () => unknown, scale = 1, prepareOurs?: (n: number) => unknown): Promise<void> {
    const r = await measureOpsPerSecond(
      [
        { name: 'parley', op: ours, ...(prepareOurs === undefined ? {} : { prepare: prepareOurs }) },
        { name: 'libsignal', op: theirs },
      ],
      { rounds: ROUNDS, minBatchMs: BATCH_MS },
    )
    const value = (r.get('parley') ?? 0) * scale
    const base = (r.get('libsignal') ?? 0) * scale
    rows.push({ metric, value, unit, baseline: `libsignal ${signal.info.version}`, baselineValue: base, ratio: base > 0 ? value / base : null })
  }

  // Establishment: bundle -> first message -> responder decrypts. libsignal's
  // op also makes Bob's prekeys; that part is measured alone and taken out.
  const prekeyOnly = (await measureOpsPerSecond([{ name: 'p', op: () => signal.bobPrekeys() }], { rounds: ROUNDS, minBatchMs: BATCH_MS })).get('p') ?? Infinity
  await pair('session establishment (incl. libsignal prekey making)', 'ops/s', () => parley.establish(), () => signal.establish(), 1, (n) => parley.prepareEstablish(n))
  const est = rows[rows.length - 1] as BenchRow
  const libsignalNet = 1 / (1 / (est.baselineValue ?? 1) - 1 / prekeyOnly)
  rows.push({ metric: 'session establishment (bundle → first message → decrypt)', value: est.value, unit: 'ops/s', baseline: `libsignal ${signal.info.version} minus prekey making`, baselineValue: libsignalNet, ratio: est.value / libsignalNet })
  await pair('one-way 100 B, encrypt + decrypt', 'ops/s', () => parley.oneWay100(), () => signal.oneWay100())
  await pair('ping-pong 100 B (every message turns the ratchet)', 'ops/s', () => parley.pingPong100(), () => signal.pingPong100())
  await pair('64 KiB messages, encrypt + decrypt', 'MB/s', () => parley.large64k(), () => signal.large64k(), LARGE_MESSAGE_BYTES / 1e6)

  const ours = await parley.sizes(200)
  const theirs = await signal.sizes(200)
  const size = (metric: string, v: number, b: number): void => {
    rows.push({ metric, value: v, unit: 'bytes', baseline: `libsignal ${signal.info.version}`, baselineValue: b, ratio: b > 0 ? v / b : null })
  }
  size('wire: first message (100 B plaintext)', ours.firstMessage, theirs.firstMessage)
  size('wire: ratchet-turn message (100 B)', ours.ratchetTurn, theirs.ratchetTurn)
  size('wire: KEM-step message (100 B; libsignal: largest ping-pong message)', ours.kemStepMessage, theirs.pingPongMax)
  size('wire: amortized ping-pong overhead per message', ours.pingPongOverhead, theirs.pingPongOverhead)
  size('wire: one-way overhead per message', ours.oneWayOverhead, theirs.oneWayOverhead)
  size('wire: 64 KiB message overhead', ours.large64kOverhead, theirs.large64kOverhead)
  return rows
}
