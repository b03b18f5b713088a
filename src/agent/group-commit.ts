/**
 * Group commit for the agent (docs/storage.md, "Group commit"): several
 * messages share one storage commit — one fsync — in both directions,
 * while nothing leaves before the commit that makes it durable.
 *
 * - `SendCommitter`: the agent's sends. A send queues itself; after one
 *   turn of the event loop (the sends made in that turn join, and the
 *   network is served between two commits) the waiting sends — up to
 *   AGENT_SEND_BATCH_MAX — run in one transaction, each in a nested one of
 *   its own (a send that fails rolls back alone). Each send makes its
 *   envelopes (a session manager call: the ratchet step) and hands them to
 *   the transport, whose outbox entries (HistoryOutbox: with the history
 *   entry) are written in that transaction and released after its commit.
 *   One send alone commits alone.
 * - `DeliveryBatches`: the transport's `commitBatch` for inbound messages.
 *   The deliveries of a batch run in one transaction; what each does once
 *   committed (events, the envelopes it answers with) is deferred with
 *   `afterCommit` and runs after the batch's commit, in order.
 *
 * @example
 * ```ts
 * const sends = new SendCommitter({ storage, outbox, messaging, onError })
 * const [id] = await sends.send(() => manager.send(peer, data), historyEntry)   // resolves after the commit
 * const batches = new DeliveryBatches(storage, onError)
 * createMessagingService({ ..., commitBatch: (fn) => batches.run(fn) })
 * ```
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { AGENT_SEND_BATCH_MAX } from '../constants.js'
import { ParleyError } from '../errors.js'
import type { Outgoing } from '../session/index.js'
import type { AgentStorage } from './memory-stores.js'
import type { ExpectedHistory, HistoryOutbox, Staged } from './outbox-history.js'

/** A session manager call's result: the envelopes to send. */
export type MakeEnvelopes = () => Promise<Outgoing | Outgoing[]>

export interface SendCommitterDeps {
  /** The storage, the agent's outbox and the transport's send, looked up at each batch (the agent may have stopped). */
  storage: () => AgentStorage
  outbox: () => HistoryOutbox
  send: (to: string, envelope: Uint8Array) => Promise<string>
  onError: (err: ParleyError) => void
}

interface SendJob {
  make: MakeEnvelopes
  record?: ExpectedHistory
  resolve: (ids: string[]) => void
  reject: (reason: unknown) => void
}

interface JobResult {
  staged: Staged[]
  sends: Promise<string>[]
  failed: boolean
  error: unknown
}

export class SendCommitter {
  readonly #deps: SendCommitterDeps
  readonly #queue: SendJob[] = []
  #draining = false

  constructor(deps: SendCommitterDeps) {
    this.#deps = deps
  }

  /**
   * Runs `make` and hands the envelopes it returns to the transport, with
   * `record` (the message's history entry) for each, in one storage
   * transaction shared with the sends waiting alongside; resolves with the
   * transport's message ids after the commit. Not from inside a transaction.
   */
  send(make: MakeEnvelopes, record?: ExpectedHistory): Promise<string[]> {
    return new Promise<string[]>((resolve, reject) => {
      this.#queue.push({ make, ...(record === undefined ? {} : { record }), resolve, reject })
      if (this.#draining) return
      this.#draining = true
      void this.#drain()
    })
  }

  /**
   * Commits the waiting sends, a batch at a time, each after one turn of the
   * event loop: node:sqlite commits synchronously, so an application that
   * sends without pause would otherwise never let the transport run.
   */
  async #drain(): Promise<void> {
    try {
      do {
        await new Promise<void>((resolve) => setImmediate(resolve))
        await this.#commit(this.#queue.splice(0, AGENT_SEND_BATCH_MAX))
      } while (this.#queue.length > 0)
    } finally {
      this.#draining = false
    }
  }

  /** One transaction for `jobs`; settles each job. */
  async #commit(jobs: SendJob[]): Promise<void> {
    const results: JobResult[] = jobs.map(() => ({ staged: [], sends: [], failed: false, error: undefined }))
    const fail = (r: JobResult, err: unknown): void => {
      r.failed = true
      r.error = err
      for (const staged of r.staged) staged.abort(err)
    }
    try {
      const storage = this.#deps.storage()
      const outbox = this.#deps.outbox()
      await storage.transaction(async () => {
        for (const [i, job] of jobs.entries()) {
          const r = results[i] as JobResult
          const one = (): Promise<void> => this.#stage(job, r, outbox)
          // Alone, the transaction is the send's own; together, each send is a nested one (it fails alone).
          if (jobs.length === 1) await one()
          else await storage.transaction(one).catch((err: unknown) => fail(r, err))
        }
      })
    } catch (err) {
      for (const r of results) if (!r.failed) fail(r, err)
    }
    for (const [i, job] of jobs.entries()) {
      const r = results[i] as JobResult
      if (r.failed) {
        await Promise.allSettled(r.sends)
        job.reject(r.error)
        continue
      }
      for (const staged of r.staged) staged.release()
      Promise.all(r.sends).then(job.resolve, job.reject)
    }
  }

  /** Inside the transaction: the ratchet step, then each envelope staged and handed to the transport (its put written). */
  async #stage(job: SendJob, r: JobResult, outbox: HistoryOutbox): Promise<void> {
    const made = await job.make()
    for (const o of Array.isArray(made) ? made : [made]) {
      if (!('to' in o)) {
        this.#deps.onError(new ParleyError('UNSUPPORTED', 'agent: a reset deposit needs a mailbox, which this agent does not have yet'))
        continue
      }
      const staged = outbox.stage(o.bytes, job.record)
      r.staged.push(staged)
      const sending = this.#deps.send(o.to, o.bytes)
      sending.catch(() => undefined)
      r.sends.push(sending)
      await Promise.race([staged.written, sending])
    }
  }
}

export class DeliveryBatches {
  readonly #storage: () => AgentStorage
  readonly #onError: (err: unknown) => void
  readonly #after = new AsyncLocalStorage<(() => Promise<void>)[]>()

  constructor(storage: () => AgentStorage, onError: (err: unknown) => void) {
    this.#storage = storage
    this.#onError = onError
  }

  /** Runs `fn` (several deliveries, each in a nested transaction) in one transaction; then what they deferred, in order. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const after: (() => Promise<void>)[] = []
    const result = await this.#after.run(after, () => this.#storage().transaction(fn))
    for (const step of after) await step().catch(this.#onError)
    return result
  }

  /** Runs `step` once the delivery's commit is done: now, or (inside `run`) after the batch's commit. */
  async afterCommit(step: () => Promise<void>): Promise<void> {
    const batch = this.#after.getStore()
    if (batch !== undefined) batch.push(step)
    else await step()
  }
}
