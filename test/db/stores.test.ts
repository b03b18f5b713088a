/**
 * The SQLite stores against the shared compliance suites of their
 * contracts, each on a real database file, with persistence checked by
 * closing the connection and opening the file again.
 */
import { after } from 'node:test'
import { runPrekeyStoreCompliance } from '../session/compliance/prekey-store.js'
import { runReplayCacheCompliance } from '../session/compliance/replay-cache.js'
import { runSessionStoreCompliance } from '../session/compliance/session-store.js'
import { runInviteStoreCompliance } from '../session/compliance/invite-store.js'
import { runDedupeCompliance, runOutboxCompliance } from '../network/compliance/outbox.js'
import { harness } from './helpers.js'

runPrekeyStoreCompliance('sqlite', harness((db) => db.prekeys), { persistent: true })
runSessionStoreCompliance('sqlite', harness((db) => db.sessions), { persistent: true })
runReplayCacheCompliance('sqlite', harness((db) => db.replay), { persistent: true })

// The invite suite takes a plain factory (no close hook): the databases it opens are closed, and their homes removed, at the end.
const openInvites: (() => Promise<void>)[] = []
const invites = harness((db) => db.invites)
runInviteStoreCompliance('sqlite', async () => {
  const h = await invites()
  openInvites.push(h.close)
  return h.store
})
after(async () => {
  for (const close of openInvites) await close()
})

runOutboxCompliance('sqlite', harness((db) => db.outbox), { persistent: true })
runDedupeCompliance('sqlite', harness((db) => db.dedupe), { persistent: true })
