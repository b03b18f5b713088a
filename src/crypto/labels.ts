/**
 * Encoding of domain-separation labels for signatures and digests: a
 * two-byte big-endian length followed by the UTF-8 label. Only labels from
 * `LABELS` (constants.ts) are accepted, so a typo or an inline label is a
 * loud INVALID_ARGUMENT instead of a silently different domain.
 */
import { LABELS, LABEL_MAX_LENGTH } from '../constants.js'
import { concatBytes, fail, uintBE, utf8 } from './bytes.js'

const KNOWN_LABELS: ReadonlySet<string> = new Set(Object.values(LABELS))

/** True when `label` is one of the `LABELS` constants. */
export function isKnownLabel(label: unknown): label is string {
  return typeof label === 'string' && KNOWN_LABELS.has(label)
}

/** len16(label) || label, after checking that the label is a known one. */
export function encodeLabel(op: string, label: unknown): Uint8Array {
  if (!isKnownLabel(label)) fail('INVALID_ARGUMENT', op, `unknown label ${JSON.stringify(label)} (labels live in LABELS, constants.ts)`)
  const bytes = utf8(label)
  if (bytes.length === 0 || bytes.length > LABEL_MAX_LENGTH) fail('INVALID_ARGUMENT', op, `label must be 1..${LABEL_MAX_LENGTH} bytes`)
  return concatBytes(uintBE(bytes.length, 2), bytes)
}
