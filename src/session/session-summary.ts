/**
 * A session as an application may show it: the non-secret facts of a
 * session record (docs/sessions.md "Records"). Building one wipes the
 * record's ratchet bytes, which a summary never carries.
 */
import { bytesEqual } from '../codec/index.js'
import type { ResetCode } from './reset-reason.js'
import type { SessionOrigin, SessionRecord, SessionRole } from './session-record.js'

export interface SessionSummary {
  peer: string
  sessionId: Uint8Array
  active: boolean
  role: SessionRole
  origin: SessionOrigin
  /** The initiator's PQXDH header is still attached (the peer has not answered yet). */
  pending: boolean
  created: Date
  peerKeySequence: number
  /** Why a reset made this session. */
  reason?: ResetCode
  introducer?: string
  /** We proposed a reset of this session that is not answered yet. */
  resetInFlight: boolean
  /** The peer's reset rendezvous is known (a reset can reach it). */
  resettable: boolean
}

/** The summary of `record` (its ratchet bytes are wiped). */
export function summarize(record: SessionRecord, activeId: Uint8Array | undefined): SessionSummary {
  record.ratchet.fill(0)
  const s: SessionSummary = {
    peer: record.peer,
    sessionId: record.sessionId,
    active: activeId !== undefined && bytesEqual(activeId, record.sessionId),
    role: record.role,
    origin: record.origin,
    pending: record.pending !== undefined,
    created: record.created,
    peerKeySequence: record.peerKeySequence,
    resetInFlight: record.outgoingReset !== undefined,
    resettable: record.rendezvous.theirs !== undefined,
  }
  if (record.reason !== undefined) s.reason = record.reason.code
  if (record.introducer !== undefined) s.introducer = record.introducer
  return s
}
