/**
 * The secret half of an identity: the current signing secret, the
 * pre-committed next signing secret, and the agreement (KEM) secrets, all as
 * typed encodings. `encodeSecrets`/`decodeSecrets` give the bytes the storage
 * layer seals (`parley/identity-secrets` v1); this file never writes files.
 * Callers wipe what they no longer need with `wipeSecrets`.
 */

import { KEL_MAX_KEYS } from '../constants.js'
import { asBytes, asMap, decodeVersioned, encodeVersioned, expectKeys, getArray, getBytes } from '../codec/index.js'
import { decodeKey, encodedLength } from '../crypto/index.js'
import { ParleyError } from '../errors.js'

/** Envelope kind of encoded secrets. */
export const IDENTITY_SECRETS_KIND = 'parley/identity-secrets'
/** Envelope version written by this code. */
export const IDENTITY_SECRETS_VERSION = 1

/** An identity's secret keys (typed encodings). Secret: never log, wipe after use. */
export interface IdentitySecrets {
  /** Secret of the current signing key (signs events and handshakes). */
  signing: Uint8Array
  /** Secret of the committed next signing key (revealed by the next rotation). */
  next: Uint8Array
  /** Secrets of the current agreement keys, in the order of `KeyState.agreementKeys`. */
  agreement: Uint8Array[]
}

function checkSecrets(s: IdentitySecrets, code: 'INVALID_ARGUMENT' | 'DECODE_SCHEMA'): void {
  try {
    decodeKey('signingSecret', s.signing)
    decodeKey('signingSecret', s.next)
    if (s.agreement.length < 1 || s.agreement.length > KEL_MAX_KEYS) throw new ParleyError(code, 'secrets: 1..KEL_MAX_KEYS agreement keys')
    for (const k of s.agreement) decodeKey('kemSecret', k)
  } catch (err) {
    throw new ParleyError(code, 'secrets: malformed identity secrets', { cause: err })
  }
}

/**
 * The bytes to seal at rest. The result holds secrets: seal it, then wipe it.
 *
 * @example
 * const sealed = keystore.seal(encodeSecrets(identity.secrets))
 */
export function encodeSecrets(secrets: IdentitySecrets): Uint8Array {
  checkSecrets(secrets, 'INVALID_ARGUMENT')
  return encodeVersioned(IDENTITY_SECRETS_KIND, IDENTITY_SECRETS_VERSION, {
    sig: secrets.signing,
    next: secrets.next,
    agree: [...secrets.agreement],
  })
}

/** Strict inverse of `encodeSecrets` (DECODE_* on malformed input). */
export function decodeSecrets(bytes: Uint8Array): IdentitySecrets {
  const map = asMap(decodeVersioned(bytes, IDENTITY_SECRETS_KIND, [IDENTITY_SECRETS_VERSION]), 'secrets')
  expectKeys(map, ['sig', 'next', 'agree'], [], 'secrets')
  const signingLength = encodedLength('signingSecret')
  const secrets: IdentitySecrets = {
    signing: getBytes(map, 'sig', 'secrets', { length: signingLength }),
    next: getBytes(map, 'next', 'secrets', { length: signingLength }),
    agreement: getArray(map, 'agree', 'secrets', KEL_MAX_KEYS).map((v, i) =>
      asBytes(v, `secrets.agree[${i}]`, { length: encodedLength('kemSecret') }),
    ),
  }
  checkSecrets(secrets, 'DECODE_SCHEMA')
  return secrets
}

/** Overwrites every secret in `secrets` with zeros. */
export function wipeSecrets(secrets: IdentitySecrets): void {
  secrets.signing.fill(0)
  secrets.next.fill(0)
  for (const k of secrets.agreement) k.fill(0)
}
