/**
 * The SessionManager (DESIGN.md §6; docs/sessions.md): one per local
 * identity, it turns invites, bundles and the double ratchet into sessions
 * between DIDs, keeps one active session per peer, resets broken sessions
 * through the reset rendezvous, and runs introductions. Pure: no I/O (the
 * transport delivers `Outgoing` and calls `receive`), time from `now`,
 * randomness from the suite, state only in the stores.
 *
 * Calls are serialized (one at a time per manager), so two messages of one
 * session never race between load and commit. Run one manager per identity
 * and store set.
 *
 * @example
 * ```ts
 * const alice = new SessionManager({ suite, identity: async () => ({ kel, state, secrets: copyOfSecrets() }),
 *   stores: { sessions, prekeys, replay, invites }, resolveIdentity, now: () => new Date() })
 * const { full } = await bob.createInvite({ addresses: ['/dns4/bob.example/tcp/443/wss'] })
 * const { outgoing } = await alice.connect(full)       // deliver outgoing[0] to Bob
 * const got = await bob.receive(outgoing[0].bytes)      // a new session; got.outgoing holds Bob's hello
 * await alice.receive(got.outgoing[0].bytes, { from: bobDid })
 * const out = await alice.send(bobDid, utf8('hi'))
 * ```
 */
import { INVITE_DEFAULT_LIFETIME_SECONDS, RENDEZVOUS_ID_LENGTH, SESSION_RESET_DECRYPT_FAILURES } from '../constants.js'
import { ParleyError } from '../errors.js'
import { encodeKel } from '../identity/index.js'
import type { KeyState } from '../identity/index.js'
import { createBundle, encodeBundle } from './bundle.js'
import { SESSION_APP_MAX_BYTES } from './control.js'
import { checkIntroductionPolicy } from './introduction.js'
import { introduce } from './introduction-flow.js'
import { checkFetchedForCompact, createCompactInvite, parseCompactInvite, verifyFullInvite } from './invite.js'
import type { InvitePurpose } from './invite.js'
import { issueInvite } from './issued-invite.js'
import type {
  AcceptResetResult,
  Context,
  CreatedInvite,
  Effects,
  LocalIdentity,
  Outgoing,
  ReceiveResult,
  ResetProposal,
  SessionEvent,
  SessionManagerOptions,
  StartResult,
} from './manager-types.js'
import { receiveEnvelope } from './receive.js'
import type { FailureCounts } from './receive.js'
import { acceptReset, proposeReset } from './reset-flow.js'
import { checkResetReason } from './reset-reason.js'
import type { ResetReason } from './reset-reason.js'
import { loadSession, requireActive, sendFrame, startSession, wipeRecord, withIdentity } from './session-ops.js'
import type { StartOptions } from './session-ops.js'
import { summarize } from './session-summary.js'
import type { SessionSummary } from './session-summary.js'

export class SessionManager {
  readonly #ctx: Context
  readonly #onEvent: ((e: SessionEvent) => void) | undefined
  readonly #failures: FailureCounts = new Map()
  #tail: Promise<unknown> = Promise.resolve()

  constructor(opts: SessionManagerOptions) {
    const need = (ok: boolean, what: string): void => {
      if (!ok) throw new ParleyError('INVALID_ARGUMENT', `SessionManager: ${what}`)
    }
    need(opts !== null && typeof opts === 'object', 'options are required')
    need(opts.suite !== null && typeof opts.suite === 'object' && typeof opts.suite.randomBytes === 'function', 'a suite is required')
    need(typeof opts.identity === 'function' && typeof opts.resolveIdentity === 'function' && typeof opts.now === 'function', 'identity, resolveIdentity and now must be functions')
    const s = opts.stores
    need(s !== null && typeof s === 'object' && [s.sessions, s.prekeys, s.replay, s.invites].every((x) => x !== null && typeof x === 'object'), 'stores: sessions, prekeys, replay and invites are required')
    const limit = opts.resetAfterDecryptFailures ?? SESSION_RESET_DECRYPT_FAILURES
    need(Number.isSafeInteger(limit) && limit >= 0, 'resetAfterDecryptFailures must be a non-negative integer')
    this.#ctx = {
      suite: opts.suite, identity: opts.identity, stores: s, resolveIdentity: opts.resolveIdentity, now: opts.now,
      policy: checkIntroductionPolicy(opts.introductions), resetAfterDecryptFailures: limit,
    }
    this.#onEvent = opts.onEvent
  }

  /** Runs `fn` after every earlier call finished, then reports its events. */
  #run<T>(fn: (fx: Effects) => Promise<T>): Promise<T> {
    const fx: Effects = { received: [], outgoing: [] }
    const run = this.#tail.then(async () => {
      const result = await fn(fx)
      for (const r of fx.received) if (r.type !== 'message') this.#onEvent?.(r)
      return result
    })
    this.#tail = run.catch(() => undefined)
    return run
  }

  /**
   * Our prekey bundle (with one-time prekeys), for a live peer or our
   * mailbox. Runs prekey upkeep first.
   *
   * @example
   * const bundle = await manager.createBundle() // serve to an initiator
   */
  createBundle(): Promise<Uint8Array> {
    return this.#run(() => withIdentity(this.#ctx, async (me) => {
      const bundle = await createBundle(this.#ctx.suite, { ours: { state: me.state, secrets: me.secrets }, prekeys: this.#ctx.stores.prekeys, now: this.#ctx.now() })
      return encodeBundle(bundle)
    }))
  }

  /**
   * Issues an invite (full and compact forms, one single-use token). The
   * token is redeemed when the invitee's hello arrives. INVITE_TOO_LARGE
   * when the addresses do not fit a compact invite.
   *
   * @example
   * const { full, compact, kel, bundle } = await manager.createInvite({ addresses: [myMultiaddr], lifetimeSeconds: 86400 })
   */
  createInvite(opts: { addresses: string[]; purpose?: InvitePurpose; audience?: string; lifetimeSeconds?: number }): Promise<CreatedInvite> {
    return this.#run(() => withIdentity(this.#ctx, async (me) => {
      const issued = await issueInvite(this.#ctx, me, {
        purpose: opts.purpose ?? 'contact', addresses: opts.addresses, lifetimeSeconds: opts.lifetimeSeconds ?? INVITE_DEFAULT_LIFETIME_SECONDS,
        ...(opts.audience === undefined ? {} : { audience: opts.audience }),
      })
      const kel = encodeKel(me.kel)
      let compact: string
      try {
        compact = createCompactInvite(this.#ctx.suite, { kel, bundle: issued.bundle, addresses: opts.addresses, token: issued.token, expiresAt: issued.expiresAt })
      } catch (err) {
        await this.#ctx.stores.invites.revoke(issued.token) // no invite leaves: withdraw its token
        throw err
      }
      return { full: issued.full, compact, token: issued.token, kel, bundle: issued.bundle, expiresAt: issued.expiresAt }
    }))
  }

  async #start(fx: Effects, me: LocalIdentity, opts: StartOptions, extra: Partial<StartResult> = {}): Promise<StartResult> {
    const started = await startSession(this.#ctx, me, opts)
    fx.outgoing.push(started.outgoing)
    return { peer: started.record.peer, sessionId: started.record.sessionId, outgoing: [started.outgoing], ...extra }
  }

  /**
   * Starts a session from a full invite (a contact invite, for anyone or
   * for us). The first message carries our hello with the invite's token.
   *
   * @example
   * const { peer, outgoing, addresses } = await manager.connect(inviteBytes)
   */
  connect(fullInvite: Uint8Array): Promise<StartResult> {
    return this.#run((fx) => withIdentity(this.#ctx, async (me) => {
      const invite = verifyFullInvite(this.#ctx.suite, fullInvite, { now: this.#ctx.now(), me: me.state.did })
      if (invite.purpose !== 'contact') throw new ParleyError('INVITE_INVALID', `invite: a ${invite.purpose} invite is not for connect`)
      const opts: StartOptions = { theirs: invite.inviter, bundle: invite.bundle, origin: 'contact', token: invite.token, theirReset: invite.rendezvous.reset }
      return this.#start(fx, me, opts, { addresses: invite.addresses, rendezvous: invite.rendezvous.initial })
    }))
  }

  /**
   * Starts a session from a compact invite (a scanned `parley:` URI) and the
   * KEL and bundle fetched from its addresses, checked against its digest
   * (INVITE_DIGEST_MISMATCH).
   *
   * @example
   * const { outgoing } = await manager.connectCompact(uri, { kel, bundle })
   */
  connectCompact(uri: string, fetched: { kel: Uint8Array; bundle: Uint8Array }): Promise<StartResult> {
    return this.#run((fx) => withIdentity(this.#ctx, async (me) => {
      const invite = parseCompactInvite(uri, { now: this.#ctx.now() })
      const theirs = checkFetchedForCompact(this.#ctx.suite, invite, fetched)
      return this.#start(fx, me, { theirs, bundle: fetched.bundle, origin: 'contact', token: invite.token }, { addresses: invite.addresses })
    }))
  }

  /**
   * Starts a session from a peer's verified key state and its bundle
   * (fetched live or from its mailbox).
   *
   * @example
   * const { outgoing } = await manager.initiate(await resolveIdentity(bob), bundleBytes)
   */
  initiate(theirs: KeyState, bundle: Uint8Array): Promise<StartResult> {
    return this.#run((fx) => withIdentity(this.#ctx, (me) => this.#start(fx, me, { theirs, bundle, origin: 'direct' })))
  }

  /**
   * Encrypts `data` in the peer's active session; the advanced state is
   * committed before the envelope is returned. SESSION_NOT_FOUND without an
   * active session; INVALID_ARGUMENT past SESSION_APP_MAX_BYTES.
   *
   * @example
   * const out = await manager.send(bob, new TextEncoder().encode('hello'))
   */
  send(peer: string, data: Uint8Array): Promise<Outgoing> {
    return this.#run(async () => {
      if (!(data instanceof Uint8Array) || data.length > SESSION_APP_MAX_BYTES) throw new ParleyError('INVALID_ARGUMENT', `send: data must be at most ${SESSION_APP_MAX_BYTES} bytes`)
      const record = await requireActive(this.#ctx, peer)
      try {
        return await sendFrame(this.#ctx, record, { type: 'app', data })
      } finally {
        wipeRecord(record)
      }
    })
  }

  /**
   * Receives one envelope. `meta.from` is the sender the transport
   * authenticated (required for ratchet messages; a first message names its
   * sender, and must agree: SESSION_SENDER_MISMATCH). Throws the refusal
   * (nothing stored), except when it proposes a reset (docs/sessions.md).
   *
   * @example
   * const { received, outgoing } = await manager.receive(bytes, { from: peerDid })
   */
  receive(envelope: Uint8Array, meta: { from?: string } = {}): Promise<ReceiveResult> {
    return this.#run(async (fx) => {
      await withIdentity(this.#ctx, (me) => receiveEnvelope(this.#ctx, me, this.#failures, envelope, meta.from, fx))
      return { received: fx.received, outgoing: fx.outgoing }
    })
  }

  /**
   * Proposes a reset of the peer's active session: a reset invite sealed
   * to the peer's current agreement key, for its reset rendezvous, and a
   * notice inside the old session.
   *
   * @example
   * const { rendezvous, bytes } = await manager.reset(bob, { code: 'user-request', text: '' })
   */
  reset(peer: string, reason: ResetReason = { code: 'user-request', text: '' }): Promise<ResetProposal> {
    return this.#run(async (fx) => {
      const checked = checkResetReason(reason)
      const record = await requireActive(this.#ctx, peer)
      try {
        return await withIdentity(this.#ctx, (me) => proposeReset(this.#ctx, me, record, checked, { notice: true }, fx))
      } finally {
        wipeRecord(record)
      }
    })
  }

  /**
   * Accepts a reset deposit found at one of our reset rendezvous; returns
   * the new session's first message, or why it started none.
   *
   * @example
   * const r = await manager.acceptReset(rendezvous, bytes) // r.status: accepted | superseded | duplicate
   */
  acceptReset(rendezvous: Uint8Array, bytes: Uint8Array): Promise<AcceptResetResult> {
    return this.#run(async (fx) => {
      if (!(rendezvous instanceof Uint8Array) || rendezvous.length !== RENDEZVOUS_ID_LENGTH) throw new ParleyError('INVALID_ARGUMENT', `acceptReset: a rendezvous id is ${RENDEZVOUS_ID_LENGTH} bytes`)
      return withIdentity(this.#ctx, (me) => acceptReset(this.#ctx, me, rendezvous, bytes, fx))
    })
  }

  /**
   * Introduces two contacts to each other: requests to both, inside our
   * active sessions with them. The rest happens in `receive` on all sides.
   *
   * @example
   * const outgoing = await manager.introduce(bob, carol)
   */
  introduce(b: string, c: string): Promise<Outgoing[]> {
    return this.#run(async (fx) => {
      await withIdentity(this.#ctx, (me) => introduce(this.#ctx, me, b, c, fx))
      return fx.outgoing
    })
  }

  /**
   * What we hold with a peer (no secrets): one summary per session.
   *
   * @example
   * const [active] = (await manager.sessions(bob)).filter((s) => s.active)
   */
  sessions(peer: string): Promise<SessionSummary[]> {
    return this.#run(async () => {
      const active = await this.#ctx.stores.sessions.active(peer)
      const out: SessionSummary[] = []
      for (const id of await this.#ctx.stores.sessions.list(peer)) {
        const record = await loadSession(this.#ctx, peer, id)
        if (record !== undefined) out.push(summarize(record, active))
      }
      return out
    })
  }
}
