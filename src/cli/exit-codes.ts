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
/** The network: a peer unreachable, refused, timed out; a transfer failed; a limit hit. */
export const EXIT_NETWORK = 8
/** A session, prekey, invite, reset or introduction was refused. */
export const EXIT_SESSION = 9
/** The daemon: its socket refused a request, or it went away. */
export const EXIT_DAEMON = 10

/** The exit code for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  if (code === 'INVALID_ARGUMENT' || code === 'UNSUPPORTED' || code === 'TERMINAL_REQUIRED') return EXIT_USAGE
  if (code === 'AUTH_CREDENTIAL_REQUIRED') return EXIT_CREDENTIAL
  if (code.startsWith('KEL_') || code.startsWith('DID_') || code.startsWith('GROUP_')) return EXIT_IDENTITY
  if (code.startsWith('VC_') || code.startsWith('VP_')) return EXIT_CREDENTIAL
  if (code.startsWith('STORE_') || code.startsWith('PASSPHRASE_') || code === 'IO_FAILED' || code === 'KDF_PARAMS_INVALID') return EXIT_STORE
  if (code.startsWith('DECODE_') || code === 'ENCODE_FAILED') return EXIT_INPUT
  if (code === 'INTERNAL') return EXIT_INTERNAL
  if (code.startsWith('RPC_') || code.startsWith('DAEMON_')) return EXIT_DAEMON
  if (/^(FRAME_|NETWORK_|NODE_|PEER_|AUTH_|MSG_|BLOB_)/.test(code) || code === 'LIMIT_EXCEEDED') return EXIT_NETWORK
  if (/^(PREKEY_|BUNDLE_|SESSION_|RATCHET_|INVITE_|RESET_|INTRODUCTION_)/.test(code)) return EXIT_SESSION
  return EXIT_CRYPTO
}
