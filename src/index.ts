/**
 * Parley's public API. Layers, bottom up: crypto (`parley-1` suite), codec,
 * identity (did:parley, key-event logs, groups, DID resolution), credentials
 * (Verified-Human VC-JWT with ML-DSA-65 co-signature, presentations), and
 * storage (home directory, sealed key file). The `parley` CLI is built from
 * the same pieces (`buildCli`).
 *
 * @example
 * ```ts
 * import { defaultSuite, createIdentity, rotateIdentity, verifyKel } from 'parley'
 *
 * const alice = createIdentity(defaultSuite, { name: 'alice', now: new Date() })
 * const next = rotateIdentity(defaultSuite, alice.kel, alice.secrets, { now: new Date() })
 * const state = verifyKel(defaultSuite, next.kel) // current keys, services, members
 * ```
 */
export { ParleyError, ErrorCodes, isParleyError } from './errors.js'
export type { ErrorCode } from './errors.js'
export * as constants from './constants.js'
export * from './crypto/index.js'
export * as codec from './codec/index.js'
export * from './identity/index.js'
export * from './credentials/index.js'
export { Home, resolveHomeDir } from './storage/home.js'
export type { HomeConfig } from './storage/home.js'
export { Keystore } from './storage/keystore.js'
export { IdentityStore } from './storage/identity-store.js'
export type { LoadedIdentity } from './storage/identity-store.js'
export { buildCli, main } from './cli/main.js'
export type { CliIo } from './cli/io.js'
export * from './session/index.js'
export { openDatabase, ParleyDatabase, SCHEMA_VERSION } from './db/index.js'
export type { Contact as StoredContact, ContactStore, HistoryEntry, MessageHistory } from './db/index.js'
export { createParleyNetwork } from './network/parley-network.js'
export type { ParleyNetwork, ParleyNetworkOptions } from './network/parley-network.js'
export { createParleyNode } from './network/node.js'
export type { ParleyNode, ParleyNodeOptions } from './network/node.js'
export { createAuthService, gated } from './network/gate.js'
export type { AuthService, AuthServiceOptions } from './network/gate.js'
export { createMessagingService } from './network/messaging.js'
export type { MessagingService } from './network/messaging.js'
export { MemoryInboundDedupeStore, MemoryOutboxStore } from './network/outbox.js'
export type { DeliveryState, InboundDedupeStore, OutboxEntry, OutboxStore } from './network/outbox-types.js'
export { createBlobService } from './network/blob.js'
export type { BlobService } from './network/blob.js'
export { createFileOffer, decodeFileOffer, encodeFileOffer } from './network/file-offer.js'
export type { FileOffer } from './network/file-offer.js'
export type { AuthenticatedPeer, ConnectionGate } from './network/types.js'
export { createAgent, INVITE_FETCH_PROTOCOL } from './agent/agent.js'
export type * from './agent/types.js'
