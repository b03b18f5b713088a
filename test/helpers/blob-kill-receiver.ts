/**
 * The receiving agent of test/network/blob-kill.test.ts, as a process of its
 * own so the test can SIGKILL it mid-transfer and start it again: the real
 * stack (createParleyNetwork: node, /parley/auth with the DID's KEL and
 * secrets, /parley/blob), which connects to the sender, authenticates, and
 * receives an offered file into a destination path — resuming from
 * `<dest>.part` when an earlier run left one, as an agent restarted after a
 * crash does.
 *
 * Input: one JSON line on stdin (a pipe, so the secrets never touch the
 * disk): the identity (`parley/kel` and `parley/identity-secrets` bytes, the
 * libp2p key record of peer-key.ts, all base64), the encoded offer, where the
 * sender listens and its DID, and the destination. Output: JSON lines on
 * stdout — `ready`, `start` (bytes already verified), `progress` (verified
 * bytes, about every MiB), then `done` (the SHA-256 the service verified) or
 * `error` (code and message; exit code 1).
 */
import { createInterface } from 'node:readline'
import { peerIdFromString } from '@libp2p/peer-id'
import { defaultSuite as suite } from '../../src/crypto/index.js'
import { validateTrustPolicy } from '../../src/credentials/index.js'
import { isParleyError } from '../../src/errors.js'
import { decodeKel, decodeSecrets, verifyKel } from '../../src/identity/index.js'
import type { Identity } from '../../src/identity/index.js'
import { decodeFileOffer } from '../../src/network/file-offer.js'
import { createParleyNetwork } from '../../src/network/parley-network.js'
import type { ParleyNetwork } from '../../src/network/parley-network.js'
import { decodePeerKey } from '../../src/network/peer-key.js'

/** What the test writes on the receiver's stdin. */
export interface ReceiverInput {
  kel: string
  secrets: string
  peerKey: string
  offer: string
  sender: { addr: string; did: string; peerId: string }
  dest: string
}

/** What the receiver prints, one JSON object a line. */
export type ReceiverEvent =
  | { t: 'ready'; peerId: string; did: string }
  | { t: 'start'; fromBytes: number; attempt: number }
  | { t: 'progress'; bytes: number; total: number }
  | { t: 'done'; sha256: string; bytes: number; fromBytes: number }
  | { t: 'error'; code: string; message: string }

/** No credential asked (as auth-fixtures' `open`, without that module's issuer set-up). */
const open = validateTrustPolicy({ trustedIssuers: [], acceptedTypes: [], requirePq: true })

/** Verified bytes between two progress lines. */
const PROGRESS_STEP = 1024 * 1024

function say(event: ReceiverEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

async function readInput(): Promise<ReceiverInput> {
  const lines = createInterface({ input: process.stdin })
  for await (const line of lines) {
    lines.close()
    return JSON.parse(line) as ReceiverInput
  }
  throw new Error('receiver: no input on stdin')
}

async function main(): Promise<void> {
  const input = await readInput()
  const kel = decodeKel(b64(input.kel))
  const identity: Identity = { kel, secrets: decodeSecrets(b64(input.secrets)), state: verifyKel(suite, kel) }
  const peerKeyRecord = b64(input.peerKey)
  const privateKey = await decodePeerKey(peerKeyRecord)
  peerKeyRecord.fill(0)
  const offer = decodeFileOffer(b64(input.offer))

  let net: ParleyNetwork | undefined
  try {
    net = await createParleyNetwork({
      node: { listen: ['/ip4/127.0.0.1/tcp/0'], privateKey, mdns: false },
      identity,
      trust: open,
      deliver: async () => undefined,
      // a progress event per chunk; this process thins them out to about one per MiB
      blob: { limits: { progressIntervalMs: 0 } },
    })
    say({ t: 'ready', peerId: net.node.peerId.toString(), did: identity.state.did })
    await net.connect(input.sender.addr, { expectDid: input.sender.did })
    const transfer = net.blob.receive(offer, peerIdFromString(input.sender.peerId), input.dest, { sender: input.sender.did })
    let fromBytes = 0
    let reported = -Infinity
    transfer.on('start', (e) => {
      fromBytes = e.fromBytes
      reported = e.fromBytes
      say({ t: 'start', fromBytes: e.fromBytes, attempt: e.attempt })
    })
    transfer.on('progress', (p) => {
      if (p.bytes - reported < PROGRESS_STEP && p.bytes < p.total) return
      reported = p.bytes
      say({ t: 'progress', bytes: p.bytes, total: p.total })
    })
    const result = await transfer.wait()
    say({ t: 'done', sha256: Buffer.from(result.sha256).toString('hex'), bytes: result.bytes, fromBytes })
  } finally {
    await net?.stop().catch(() => undefined)
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say({ t: 'error', code: isParleyError(err) ? err.code : 'UNEXPECTED', message: err instanceof Error ? err.message : String(err) })
    process.exit(1)
  },
)
