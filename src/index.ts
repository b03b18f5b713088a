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
