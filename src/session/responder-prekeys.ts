/**
 * The responder's prekey lookups for one PQXDH header (PQXDH §3.4: "Bob
 * loads ... the private keys corresponding to whichever prekeys Alice
 * used"), without consuming anything: one-time prekeys are only peeked here
 * and taken in the commit step of pqxdh.ts. Each miss has its own code:
 * an unknown signed or one-time X25519 prekey is PREKEY_UNKNOWN, a PQ
 * prekey that is not ours is SESSION_DOWNGRADE (someone stripped or swapped
 * the post-quantum part), a one-time prekey of either kind already used is
 * PREKEY_USED.
 */
import { ParleyError } from '../errors.js'
import type { PqxdhHeader } from './header.js'
import { decodePrekeyRecord, wipePrekey } from './prekeys.js'
import type { PrekeyRecord } from './prekeys.js'
import type { PrekeyKind, PrekeyStore } from './stores/types.js'

export interface ResponderPrekeys {
  signed: PrekeyRecord
  oneTime?: PrekeyRecord
  pq: PrekeyRecord
}

/** The refusal of a lookup, made only when it is thrown (an error captures a stack: ~10 µs). */
type Refusal = () => ParleyError

async function signed(prekeys: PrekeyStore, kind: PrekeyKind, id: number, now: Date, missing: Refusal): Promise<PrekeyRecord> {
  const bytes = await prekeys.loadSigned(kind, id, now)
  if (bytes === undefined) throw missing()
  try {
    return decodePrekeyRecord(bytes, 'signed', kind, id)
  } finally {
    bytes.fill(0)
  }
}

async function oneTime(prekeys: PrekeyStore, kind: PrekeyKind, id: number, unknown: Refusal): Promise<PrekeyRecord> {
  const found = await prekeys.peekOneTime(kind, id)
  if (found.status === 'unknown') throw unknown()
  if (found.status === 'used') throw new ParleyError('PREKEY_USED', `pqxdh: one-time ${kind} prekey #${id} was already used`)
  try {
    return decodePrekeyRecord(found.record, 'one-time', kind, id)
  } finally {
    found.record.fill(0)
  }
}

/** Loads the prekeys `header` names; on any refusal, what was loaded is wiped. */
export async function loadResponderPrekeys(prekeys: PrekeyStore, header: PqxdhHeader, now: Date): Promise<ResponderPrekeys> {
  const loaded: Partial<ResponderPrekeys> = {}
  try {
    const spk = header.signedPrekeyId
    loaded.signed = await signed(prekeys, 'x25519', spk, now, () => new ParleyError('PREKEY_UNKNOWN', `pqxdh: unknown signed prekey #${spk}`))
    if (header.oneTimePrekeyId !== undefined) {
      const id = header.oneTimePrekeyId
      loaded.oneTime = await oneTime(prekeys, 'x25519', id, () => new ParleyError('PREKEY_UNKNOWN', `pqxdh: unknown one-time prekey #${id}`))
    }
    const pq = header.pqPrekey
    const notOurs = (): ParleyError => new ParleyError('SESSION_DOWNGRADE', `pqxdh: PQ prekey #${pq.id} is not one of ours`)
    loaded.pq = pq.oneTime ? await oneTime(prekeys, 'ml-kem', pq.id, notOurs) : await signed(prekeys, 'ml-kem', pq.id, now, notOurs)
    return loaded as ResponderPrekeys
  } catch (err) {
    wipeResponderPrekeys(loaded)
    throw err
  }
}

/** Overwrites every loaded secret. */
export function wipeResponderPrekeys(loaded: Partial<ResponderPrekeys>): void {
  wipePrekey(loaded.signed)
  wipePrekey(loaded.oneTime)
  wipePrekey(loaded.pq)
}
