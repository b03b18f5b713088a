/**
 * The session layer's storage: the interfaces (PrekeyStore, SessionStore,
 * ReplayCache) over opaque records, and their in-memory implementations.
 * Durable implementations live with the storage layer and pass the same
 * compliance suites (test/session/compliance/).
 */
export { MemoryPrekeyStore, MemoryReplayCache, MemorySessionStore } from './memory.js'
export type { MemoryPrekeyStoreOptions } from './memory.js'
export type { OneTimeLookup, PrekeyFamily, PrekeyKind, PrekeyStore, ReplayCache, SessionStore, StoredPrekey } from './types.js'
