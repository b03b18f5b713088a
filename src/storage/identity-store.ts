/**
 * The identities a home holds — its own and the groups it controls — and
 * the KELs it has seen. Library-level operations the CLI (and later the
 * agent) call: create, rotate, update, import a KEL (rollback and duplicity
 * judged against the one seen before), groups with members.
 *
 * Crash safety: a secrets record holds the secrets for the new key state and
 * the ones for the state before it. The record is written first, the KEL
 * second; on load the record's entry whose public key matches the verified
 * KEL is used. A crash between the two writes leaves a consistent home.
 */
import type { Suite } from '../crypto/types.js'
import { ParleyError } from '../errors.js'
import { asMap, decodeVersioned, encodeVersioned, expectKeys, getBytes, optional } from '../codec/index.js'
import type { CborValue } from '../codec/index.js'
import {
  compareKels,
  createIdentity,
  decodeKel,
  decodeSecrets,
  encodeKel,
  encodeSecrets,
  rotateIdentity,
  updateIdentity,
  verifyKel,
} from '../identity/index.js'
import type { IdentitySecrets, Kel, KeyState, Service } from '../identity/index.js'
import { KEYSTORE_MAX_RECORD_BYTES } from '../constants.js'
import type { Home } from './home.js'
import type { Keystore } from './keystore.js'

const SECRETS_KIND = 'parley/secrets-record'

/** An identity with its secrets, loaded and verified. */
export interface LoadedIdentity {
  kel: Kel
  state: KeyState
  secrets: IdentitySecrets
}

const IDENTITY_RECORD = 'identity'
const groupRecord = (did: string): string => `group:${did}`

export class IdentityStore {
  readonly home: Home
  readonly suite: Suite

  constructor(home: Home) {
    this.home = home
    this.suite = home.suite
  }

  /** Creates this home's identity and its key file. */
  async createIdentity(passphrase: string, opts: { name?: string; services?: Service[]; now: Date }): Promise<LoadedIdentity> {
    const config = await this.home.readConfig()
    if (config.did !== undefined) throw new ParleyError('STORE_EXISTS', `${this.home.dir} already holds identity ${config.did}`)
    const created = createIdentity(this.suite, { ...opts, kind: 'individual' })
    const keystore = await this.home.createKeystore(passphrase)
    try {
      await this.#commit(keystore, IDENTITY_RECORD, created, undefined)
      await this.home.writeConfig({ ...config, did: created.state.did })
    } finally {
      keystore.close()
    }
    return created
  }

  /** This home's identity, verified, with its secrets. */
  async loadIdentity(keystore: Keystore): Promise<LoadedIdentity> {
    return this.#load(keystore, await this.home.requireDid(), IDENTITY_RECORD)
  }

  /** The verified public state of this home's identity (no passphrase needed). */
  async identityState(): Promise<{ kel: Kel; state: KeyState }> {
    return this.verifiedKel(await this.home.requireDid())
  }

  /** Rotates this home's identity keys (pre-rotation: the committed next key becomes current). */
  async rotateIdentity(keystore: Keystore, now: Date): Promise<LoadedIdentity> {
    const current = await this.loadIdentity(keystore)
    return this.#advance(keystore, IDENTITY_RECORD, current, () => rotateIdentity(this.suite, current.kel, current.secrets, { now }))
  }

  /** Updates services or name of this home's identity. */
  async updateIdentity(keystore: Keystore, changes: { services?: Service[]; name?: string }, now: Date): Promise<LoadedIdentity> {
    const current = await this.loadIdentity(keystore)
    return this.#advance(keystore, IDENTITY_RECORD, current, () => updateIdentity(this.suite, current.kel, current.secrets, { ...changes, now }))
  }

  /** The stored KEL of `did`, verified. */
  async verifiedKel(did: string): Promise<{ kel: Kel; state: KeyState }> {
    const bytes = await this.home.readKel(did)
    if (bytes === undefined) throw new ParleyError('DID_NOT_FOUND', `no KEL of ${did} in this home`)
    const kel = decodeKel(bytes)
    return { kel, state: verifyKel(this.suite, kel, { expectedDid: did }) }
  }

  /**
   * Verifies a KEL from outside and, when it is new or newer than the one
   * seen, records it. A shorter log is KEL_ROLLBACK; a fork is KEL_DUPLICITY.
   */
  async importKel(bytes: Uint8Array, opts: { record?: boolean } = {}): Promise<KeyState> {
    const kel = decodeKel(bytes)
    const state = verifyKel(this.suite, kel)
    const previous = await this.home.readKel(state.did)
    // The stored log was verified when it was stored: comparing events is enough.
    const relation = previous === undefined ? 'new' : compareKels(previous, kel)
    if (relation === 'a-extends-b') {
      throw new ParleyError('KEL_ROLLBACK', `this KEL of ${state.did} ends at sequence ${state.sequence}, older than the one seen before`)
    }
    if (opts.record !== false && (relation === 'new' || relation === 'b-extends-a')) {
      await this.home.writeKel(state.did, encodeKel(kel))
    }
    return state
  }

  /** Creates a group whose first member is this home's identity; the control key goes to the key file. */
  async createGroup(keystore: Keystore, opts: { name: string; kind?: 'group' | 'person'; now: Date }): Promise<LoadedIdentity> {
    const me = await this.loadIdentity(keystore)
    const created = createIdentity(this.suite, { name: opts.name, kind: opts.kind ?? 'group', members: [me.state], now: opts.now })
    await this.#commit(keystore, groupRecord(created.state.did), created, undefined)
    const config = await this.home.readConfig()
    config.groups[created.state.did] = opts.name
    await this.home.writeConfig(config)
    return created
  }

  /** Resolves a group given by DID or by name to its DID. */
  async groupDid(ref: string): Promise<string> {
    const config = await this.home.readConfig()
    if (config.groups[ref] !== undefined) return ref
    const matches = Object.entries(config.groups).filter(([, name]) => name === ref)
    if (matches.length === 1 && matches[0] !== undefined) return matches[0][0]
    if (matches.length > 1) throw new ParleyError('INVALID_ARGUMENT', `several groups are named ${ref}: use the DID`)
    throw new ParleyError('DID_NOT_FOUND', `no group ${ref} in this home`)
  }

  async loadGroup(keystore: Keystore, ref: string): Promise<LoadedIdentity> {
    const did = await this.groupDid(ref)
    return this.#load(keystore, did, groupRecord(did))
  }

  /** Adds a member, given its KEL (verified and recorded first). */
  async addMember(keystore: Keystore, ref: string, memberKel: Uint8Array, now: Date): Promise<LoadedIdentity> {
    const member = await this.importKel(memberKel)
    const group = await this.loadGroup(keystore, ref)
    if (group.state.members.includes(member.did)) throw new ParleyError('GROUP_MEMBER_EXISTS', `${member.did} is a member already`)
    return this.#advance(keystore, groupRecord(group.state.did), group, () => updateIdentity(this.suite, group.kel, group.secrets, { addMembers: [member], now }))
  }

  /** Removes a member; the group control key rotates in the same event. */
  async removeMember(keystore: Keystore, ref: string, memberDid: string, now: Date): Promise<LoadedIdentity> {
    const group = await this.loadGroup(keystore, ref)
    if (!group.state.members.includes(memberDid)) throw new ParleyError('GROUP_NOT_MEMBER', `${memberDid} is not a member`)
    return this.#advance(keystore, groupRecord(group.state.did), group, () => rotateIdentity(this.suite, group.kel, group.secrets, { removeMembers: [memberDid], now }))
  }

  async #load(keystore: Keystore, did: string, record: string): Promise<LoadedIdentity> {
    const { kel, state } = await this.verifiedKel(did)
    const raw = keystore.get(record)
    try {
      const { current, previous } = decodeSecretsRecord(raw)
      for (const candidate of [current, previous]) {
        if (candidate === undefined) continue
        const secrets = decodeSecrets(candidate)
        if (this.suite.timingSafeEqual(this.suite.signingPublicKey(secrets.signing), state.signingKey)) return { kel, state, secrets }
      }
    } finally {
      raw.fill(0)
    }
    throw new ParleyError('STORE_CORRUPT', `the key file holds no secret for the current key of ${did}`)
  }

  /**
   * Authors the next event with `step` (which wipes the secrets it replaces,
   * so they are encoded first) and commits it.
   */
  async #advance(keystore: Keystore, record: string, current: LoadedIdentity, step: () => LoadedIdentity): Promise<LoadedIdentity> {
    const previous = encodeSecrets(current.secrets)
    try {
      const next = step()
      await this.#commit(keystore, record, next, previous)
      return next
    } finally {
      previous.fill(0)
    }
  }

  /** Writes secrets (new + previous) first, then the KEL. */
  async #commit(keystore: Keystore, record: string, next: LoadedIdentity, previous: Uint8Array | undefined): Promise<void> {
    const body: Record<string, CborValue> = { current: encodeSecrets(next.secrets) }
    if (previous !== undefined) body['previous'] = previous
    const bytes = encodeVersioned(SECRETS_KIND, 1, body)
    try {
      await keystore.put(record, bytes)
    } finally {
      bytes.fill(0)
    }
    await this.home.writeKel(next.state.did, encodeKel(next.kel))
  }
}

function decodeSecretsRecord(bytes: Uint8Array): { current: Uint8Array; previous: Uint8Array | undefined } {
  const map = asMap(decodeVersioned(bytes, SECRETS_KIND, [1]), 'secrets record')
  expectKeys(map, ['current'], ['previous'], 'secrets record')
  return {
    current: getBytes(map, 'current', 'secrets record', { max: KEYSTORE_MAX_RECORD_BYTES }),
    previous: optional(map, 'previous', (m, k) => getBytes(m, k, 'secrets record', { max: KEYSTORE_MAX_RECORD_BYTES })),
  }
}
