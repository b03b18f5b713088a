/**
 * The receiving process of benchmark row (a) (`bench/network.ts`): in real
 * use the sender and the receiver of a file are different processes on
 * different machines, so each side gets its own JS thread here too. This
 * process runs, for the whole run:
 * - a real Parley stack (createParleyNetwork: authentication with a
 *   VerifiedHuman credential, the blob service) that fetches each offered
 *   file, opens every chunk, writes, fsyncs, checks the SHA-256 and renames
 *   the file into place;
 * - a bare libp2p node (TCP, Noise, Yamux; no Parley layer) with a sink that
 *   discards (memory), one that writes a file and fsyncs it, and one that
 *   also opens STREAM-sealed chunks and hashes them (the mandated crypto);
 * - a raw node:net sink.
 * It talks to the bench over stdin/stdout, one JSON message a line
 * (`lineChannel`): hello → setup → ready, then `parley` / `dest` /
 * `sink-cpu` commands, each answered (a transfer's answer carries the CPU
 * this process spent on it), and `stop`. Logs go to stderr only.
 *
 * Run by the bench: `node --import tsx bench/network-receiver.ts`.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { defaultSuite as suite } from '../src/crypto/index.js'
import { createIdentity } from '../src/identity/index.js'
import { parseCredentialContainer, validateTrustPolicy } from '../src/credentials/index.js'
import { decodeFileOffer } from '../src/network/file-offer.js'
import { BARE_FILE_PROTOCOL, BARE_SEALED_FILE_PROTOCOL, bareNode, benchNetwork, cpuMark, cpuSince, handleBareFileSink, handleBareSink, lineChannel, rawSocketSink } from './network-baselines.js'
import type { CpuUse, SealedBaseline } from './network-baselines.js'


function text(msg: Record<string, unknown>, key: string): string {
  const v = msg[key]
  if (typeof v !== 'string') throw new Error(`bench receiver: "${key}" missing`)
  return v
}

async function main(): Promise<void> {
  const channel = lineChannel(process.stdin, process.stdout)
  const privateKey = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const now = new Date()
  const identity = createIdentity(suite, { name: 'bob', now, services: [{ id: 'p2p', type: 'libp2p-peer', endpoint: peerId }] })
  channel.send({ type: 'hello', did: identity.state.did })

  const setup = await channel.next()
  const credential = parseCredentialContainer(text(setup, 'credential'))
  const bytes = Number(setup.bytes)
  const trust = validateTrustPolicy({ trustedIssuers: [text(setup, 'issuer')], acceptedTypes: ['VerifiedHumanCredential'], requirePq: true })
  const net = await benchNetwork({ identity, privateKey, trust, credential })
  const bare = await bareNode()
  let bareDest = ''
  await handleBareSink(bare)
  let sealed: SealedBaseline | undefined
  let sinkCpu: CpuUse | undefined
  const sinkDone = (cpu: CpuUse): void => {
    sinkCpu = cpu
  }
  await handleBareFileSink(bare, BARE_FILE_PROTOCOL, () => bareDest, sinkDone)
  await handleBareFileSink(bare, BARE_SEALED_FILE_PROTOCOL, () => bareDest, sinkDone, () => {
    if (sealed === undefined) throw new Error('bench receiver: no sealed baseline set')
    return sealed
  })
  const raw = await rawSocketSink(bytes)
  const parleyAddr = net.node.addresses().find((m) => m.toString().includes('/tcp/') && !m.toString().includes('/ws'))
  channel.send({ type: 'ready', parleyAddr: parleyAddr?.toString(), bareAddr: bare.getMultiaddrs()[0]?.toString(), rawPort: raw.port })

  try {
    for (;;) {
      const msg = await channel.next()
      if (msg.type === 'stop') break
      try {
        if (msg.type === 'parley') {
          const offer = decodeFileOffer(Buffer.from(text(msg, 'offer'), 'base64'))
          const mark = cpuMark()
          await net.blob.receive(offer, peerIdFromString(text(msg, 'from')), text(msg, 'dest'), { sender: text(msg, 'sender') }).wait()
          channel.send({ type: 'done', cpu: cpuSince(mark) })
        } else if (msg.type === 'sink-cpu') {
          // the CPU the last bare file sink spent (it answers its sender on the stream, not here)
          channel.send({ type: 'cpu', cpu: sinkCpu })
        } else if (msg.type === 'dest') {
          bareDest = text(msg, 'path')
          const b64 = (key: string): Uint8Array => Buffer.from(text(msg, key), 'base64')
          sealed = msg.fileKey === undefined ? undefined : { params: { fileKey: b64('fileKey'), noncePrefix: b64('noncePrefix'), transferId: b64('transferId') }, size: Number(msg.size) }
          channel.send({ type: 'ok' })
        } else {
          throw new Error(`unknown command ${String(msg.type)}`)
        }
      } catch (err) {
        channel.send({ type: 'error', message: (err as Error).message })
      }
    }
  } finally {
    channel.close()
    await new Promise<void>((r) => raw.server.close(() => r()))
    await bare.stop()
    await net.stop()
  }
}

main().catch((err: unknown) => {
  console.error('bench receiver:', err)
  process.exitCode = 1
})
