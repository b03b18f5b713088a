/**
 * Exit codes of the `parley` command. They follow error codes, by family, so
 * a script can branch on the exit status without parsing output; the exact
 * code is in `--json` output as `{"error":{"code","message"}}`.
 */
import type { ErrorCode } from '../errors.js'

export const EXIT_OK = 0
/** An unexpected failure (a bug): a stack trace was printed. */
export const EXIT_INTERNAL = 1
/** Wrong command-line usage or argument. */
export const EXIT_USAGE = 2
/** A KEL, DID or group proof was refused. */
export const EXIT_IDENTITY = 3
/** A credential or presentation was refused. */
export const EXIT_CREDENTIAL = 4
/** The home, key file or passphrase was the problem. */
export const EXIT_STORE = 5
/** Malformed input (file or bytes that do not decode). */
export const EXIT_INPUT = 6
/** A signature or key was refused by the crypto layer. */
export const EXIT_CRYPTO = 7

/** The exit code for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  if (code === 'INVALID_ARGUMENT' || code === 'UNSUPPORTED') return EXIT_USAGE
  if (code.startsWith('KEL_') || code.startsWith('DID_') || code.startsWith('GROUP_')) return EXIT_IDENTITY
  if (code.startsWith('VC_') || code.startsWith('VP_')) return EXIT_CREDENTIAL
  if (code.startsWith('STORE_') || code.startsWith('PASSPHRASE_') || code === 'IO_FAILED' || code === 'KDF_PARAMS_INVALID') return EXIT_STORE
  if (code.startsWith('DECODE_') || code === 'ENCODE_FAILED') return EXIT_INPUT
  if (code === 'INTERNAL') return EXIT_INTERNAL
  return EXIT_CRYPTO
}
