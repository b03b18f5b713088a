/**
 * The encrypted local database (DESIGN §8, docs/storage.md): `openDatabase`
 * and the stores over it. Layer rank 4.8: above storage and network (it
 * implements their contracts), below the agent and the CLI.
 */
export { openDatabase, ParleyDatabase } from './database.js'
export type { OpenDatabaseOptions, RekeyOptions, RekeyStep } from './database.js'
export { SqlitePrekeyStore } from './prekey-store.js'
export { SqliteSessionStore } from './session-store.js'
export { SqliteReplayCache } from './replay-cache.js'
export { SqliteInviteStore } from './invite-store.js'
export { SqliteInboundDedupeStore, SqliteOutboxStore } from './outbox-store.js'
export { compareContacts, normalizeAlias, SqliteContactStore } from './contacts.js'
export type { Contact, ContactInput, ContactStore } from './contacts.js'
export { checkInput as checkHistoryInput, checkRef as checkHistoryRef, checkState as checkHistoryState, storedEntry as storedHistoryEntry, SqliteMessageHistory } from './history.js'
export type { HistoryCursor, HistoryEntry, HistoryInput, HistoryState, MessageDirection, MessageHistory, MessageKind, MessageRef } from './history.js'
export { SCHEMA_VERSION } from './schema.js'
