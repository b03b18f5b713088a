/**
 * `npm run bench -- floor`: where the time of one session establishment
 * goes, and the floor it cannot go below. The establishment is the one of
 * the sessions bench (sessions-parley.ts: bundle → first message →
 * decrypt), run on a suite over a recording copy of the native backend.
 *
 * 1. One establishment is recorded: every backend call with a copy of its
 *    arguments (deterministic: the same calls every time).
 * 2. Each recorded call is replayed on its own, REPLAYS times, and its
 *    median kept: what that primitive call costs through node:crypto on this
 *    machine, without the garbage collections that land inside calls during
 *    a real run. ML-DSA signing is the exception: its time varies with the
 *    number of FIPS 204 rejection-sampling rounds (random, ~4 on average for
 *    ML-DSA-65), so its figure is the mean of SIGN_REPLAYS runs.
 * 3. The floor is the sum over the calls the protocol cannot do without
 *    (issue 3 and docs/pqxdh.md): the initiator's hybrid signature over
 *    the first-message transcript (Ed25519 + ML-DSA-65 sign) and the
 *    responder's verification of it, the verification of the hybrid-signed
 *    bundle, and the DH/KEM work — 4 X25519 DH on each side (DH1, DH2, the
 *    hybrid KEM's X25519, the ratchet's first DH step), the ML-KEM-768
 *    encapsulations and decapsulations (to the PQ prekey, and in the hybrid
 *    KEM to the identity key), the key pairs made fresh (EK_A, the hybrid
 *    KEM's ephemeral X25519 key, the initiator's first ratchet key and
 *    ML-KEM offer, with their randomness) and the prekey secrets loaded from
 *    the store (SPK_B, OPK_B, PQOPK_B: node:crypto uses a secret only after
 *    importing it, a scalar multiplication for X25519 and a key expansion
 *    for ML-KEM).
 * 4. The establishment itself is timed as the sessions bench times it
 *    (batches of BATCH, median and best of ROUNDS); the rest of the
 *    primitives (hashes, KDFs, AEADs) and the JavaScript around them
 *    (encoding, checks, stores, garbage collection) is the difference.
 * 5. libsignal's establishment without its prekey making is measured in the
 *    same run (as in the sessions bench), so that the ceiling ratio — the
 *    best Parley could reach if everything but the floor cost nothing — is
 *    taken on one machine state.
 */
import { nativeBackend } from '../src/crypto/index.js'
import { createSuite } from '../src/crypto/suite.js'
import type { CryptoBackend } from '../src/crypto/index.js'
import type { BenchRow } from './harness.js'
import { measureOpsPerSecond, median } from './harness.js'
import { createLibsignalBench } from './sessions-libsignal.js'
import { createParleyBench } from './sessions-parley.js'

const ROUNDS = 7
const BATCH = 100
const REPLAYS = 25
const SIGN_REPLAYS = 200

/**
 * The backend calls the protocol requires (file comment), by method
 * (`importSecretKey` by algorithm: the AES header-key handles are not among
 * them). `randomBytes` is here for the fresh secrets; the 12-byte nonces it
 * also serves come from its pool and cost next to nothing.
 */
const REQUIRED = new Set([
  'ed25519Sign',
  'mlDsa65Sign',
  'ed25519Verify',
  'mlDsa65Verify',
  'x25519',
  'x25519PublicKey',
  'x25519Encapsulate',
  'importSecretKey(x25519)',
  'importSecretKey(ed25519)',
  'importSecretKey(ml-dsa-65)',
  'importSecretKey(ml-kem-768)',
  'mlKem768Encapsulate',
  'mlKem768Decapsulate',
  'mlKem768PublicKey',
  'randomBytes',
])

interface Call {
  name: string
  method: string
  args: unknown[]
}

/** A copy of an argument that later wiping by the caller cannot change. */
function keep(arg: unknown): unknown {
  if (arg instanceof Uint8Array) return arg.slice()
  if (Array.isArray(arg)) return arg.map(keep)
  return arg
}

/** A copy of `backend` whose every synchronous method appends its calls to `log` while `log.on`. */
function recordingBackend(backend: CryptoBackend, log: { on: boolean; calls: Call[] }): CryptoBackend {
  const out: Record<string, unknown> = { ...backend }
  for (const [method, value] of Object.entries(backend)) {
    if (typeof value !== 'function' || method === 'argon2id') continue
    const f = value as (...args: unknown[]) => unknown
    out[method] = (...args: unknown[]): unknown => {
      if (log.on) log.calls.push({ method, name: method === 'importSecretKey' ? `${method}(${String(args[0])})` : method, args: args.map(keep) })
      return f.apply(backend, args)
    }
  }
  return out as unknown as CryptoBackend
}

/** One recorded call's cost in µs: the median of REPLAYS runs (ML-DSA signing: the mean of SIGN_REPLAYS). */
function replay(call: Call): number {
  const f = (nativeBackend as unknown as Record<string, (...a: unknown[]) => unknown>)[call.method] as (...a: unknown[]) => unknown
  const randomTime = call.method === 'mlDsa65Sign'
  const times: number[] = []
  for (let i = 0; i < (randomTime ? SIGN_REPLAYS : REPLAYS); i++) {
    const args = call.args.map(keep)
    const t0 = performance.now()
    f.apply(nativeBackend, args)
    times.push(performance.now() - t0)
  }
  const ms = randomTime ? times.reduce((sum, t) => sum + t, 0) / times.length : median(times)
  return ms * 1000
}

export async function runFloorBench(): Promise<BenchRow[]> {
  const log = { on: false, calls: [] as Call[] }
  const bench = await createParleyBench(createSuite(recordingBackend(nativeBackend, log)))
  await bench.prepareEstablish(BATCH + 1)
  for (let i = 0; i < BATCH; i++) await bench.establish() // warm-up: caches filled as in a long run
  log.on = true
  await bench.establish()
  log.on = false

  const perCall = new Map<string, { calls: number; us: number }>()
  for (const call of log.calls) {
    const e = perCall.get(call.name) ?? { calls: 0, us: 0 }
    e.calls++
    e.us += replay(call)
    perCall.set(call.name, e)
  }

  const batches: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    await bench.prepareEstablish(BATCH)
    const t0 = performance.now()
    for (let i = 0; i < BATCH; i++) await bench.establish()
    batches.push(((performance.now() - t0) * 1000) / BATCH)
  }
  const measured = median(batches)
  const best = Math.min(...batches)

  const signal = await createLibsignalBench()
  const libsignal = await measureOpsPerSecond(
    [
      { name: 'establish', op: () => signal.establish() },
      { name: 'prekeys', op: () => signal.bobPrekeys() },
    ],
    { rounds: ROUNDS, minBatchMs: 400 },
  )
  const libsignalNetUs = 1e6 / (libsignal.get('establish') ?? 1) - 1e6 / (libsignal.get('prekeys') ?? Infinity)

  const rows: BenchRow[] = []
  const row = (metric: string, us: number): void => {
    rows.push({ metric, value: us, unit: 'µs/establishment', baseline: 'establishment (median)', baselineValue: measured, ratio: us / measured })
  }
  let floor = 0
  let primitives = 0
  for (const [name, e] of [...perCall].sort((a, b) => b[1].us - a[1].us)) {
    const required = REQUIRED.has(name)
    if (required) floor += e.us
    primitives += e.us
    row(`${required ? 'floor' : 'other'}: ${name} × ${e.calls}`, e.us)
  }
  row('floor: the required primitive calls', floor)
  row('all primitive calls', primitives)
  row('establishment, best batch', best)
  row('establishment, median batch', measured)
  rows.push({ metric: 'establishment rate (median batch) vs the floor', value: 1e6 / measured, unit: 'ops/s', baseline: 'floor', baselineValue: 1e6 / floor, ratio: floor / measured })
  rows.push({ metric: 'ceiling: the floor beside libsignal', value: 1e6 / floor, unit: 'ops/s', baseline: `libsignal ${signal.info.version} minus prekey making`, baselineValue: 1e6 / libsignalNetUs, ratio: libsignalNetUs / floor })
  rows.push({ metric: 'establishment (median batch) beside libsignal', value: 1e6 / measured, unit: 'ops/s', baseline: `libsignal ${signal.info.version} minus prekey making`, baselineValue: 1e6 / libsignalNetUs, ratio: libsignalNetUs / measured })
  return rows
}
