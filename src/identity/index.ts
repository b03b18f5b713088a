/**
 * The identity layer of Parley (DESIGN.md §4, docs/identity.md):
 * self-certifying `did:parley` identifiers over a hybrid-signed key-event log
 * with pre-rotation, groups whose members hold a shared control key, persons
 * as groups of devices, membership proofs, and a DID document view. Pure: no
 * I/O, clock passed as `now`, randomness from the suite.
 *
 * @example
 * ```ts
 * import { defaultSuite as suite } from '../crypto/index.js'
 * import { createIdentity, rotateIdentity, verifyKel, encodeKel } from './identity/index.js'
 * const me = createIdentity(suite, { name: 'alice', now: new Date() })
 * const rotated = rotateIdentity(suite, me.kel, me.secrets, { now: new Date() })
 * const state = verifyKel(suite, encodeKel(rotated.kel), { expectedDid: me.state.did })
 * ```
 */
export {
  DID_PARLEY_PREFIX,
  DID_PARLEY_LENGTH,
  assertParleyDid,
  base32Decode,
  base32Encode,
  formatDid,
  isParleyDid,
  parseDid,
} from './did.js'
export type { ParsedDid } from './did.js'
export { KEL_EVENT_KIND, KEL_EVENT_VERSION, decodeEvent, encodeEvent } from './events.js'
export type {
  EventChanges,
  IdentityKind,
  InceptionEvent,
  KelEvent,
  RotationEvent,
  Service,
  UpdateEvent,
} from './events.js'
export { KEL_KIND, KEL_VERSION, decodeKel, encodeKel } from './log.js'
export type { Kel, KelEntry } from './log.js'
export { copyKeyState } from './state.js'
export type { KeyState, SeenRecord } from './state.js'
export { compareKels, verifyKel, verifyKelEntry, verifySignedBy } from './kel.js'
export type { KelRelation, VerifyKelOptions } from './kel.js'
export { IDENTITY_SECRETS_KIND, IDENTITY_SECRETS_VERSION, decodeSecrets, encodeSecrets, wipeSecrets } from './secrets.js'
export type { IdentitySecrets } from './secrets.js'
export { createIdentity, createPerson, rotateIdentity, updateIdentity } from './author.js'
export type { CreateIdentityOptions, Identity, MemberRef, RotateIdentityOptions, UpdateIdentityOptions } from './author.js'
export {
  GROUP_PROOF_KIND,
  GROUP_PROOF_TRANSCRIPT_KIND,
  decodeMembershipProof,
  encodeMembershipProof,
  membershipTranscript,
  proveMembership,
  verifyMembership,
} from './group.js'
export type { MembershipProof } from './group.js'
export {
  DID_DOCUMENT_CONTEXT,
  HYBRID_KEM_TYPE,
  HYBRID_KEY_TYPE,
  hybridMethodId,
  signingMethodId,
  toDidDocument,
} from './document.js'
export { createDidResolver, resolveDidDocument, didWebUrl } from './resolver.js'
export type { DidResolverOptions, FetchFunction } from './resolver.js'
export { didKeyFromEd25519, ed25519FromDidKey, isDid } from './did-key.js'
