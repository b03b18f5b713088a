/**
 * Real Parley nodes for integration tests: loopback only, mDNS off unless
 * asked, every node stopped by the test's `after` hook. `waitFor` polls a
 * condition with a deadline so a test fails with a message instead of
 * hanging.
 */
import { createParleyNode } from '../../src/network/node.js'
import type { ParleyNode, ParleyNodeOptions } from '../../src/network/node.js'
import { isCircuitAddress } from '../../src/network/addresses.js'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Loopback TCP on a free port. */
export const LOOPBACK_TCP = '/ip4/127.0.0.1/tcp/0'

/**
 * Inbound connections per second per host in tests: every test peer dials
 * from 127.0.0.1, so the production threshold (NODE_INBOUND_CONNECTION_THRESHOLD)
 * would refuse a busy test's peers as one flooding host.
 */
export const TEST_INBOUND_CONNECTION_THRESHOLD = 1000

/** Starts nodes and stops them all at the end of a test file. */
export class TestNodes {
  readonly #nodes: ParleyNode[] = []

  /**
   * A node on 127.0.0.1 (TCP, free port), mDNS off, loopback addresses
   * allowed in the DHT, a per-host inbound threshold fit for one host full of
   * peers; `options` override.
   */
  async start(options: ParleyNodeOptions = {}): Promise<ParleyNode> {
    const node = await createParleyNode({
      listen: [LOOPBACK_TCP],
      mdns: false,
      dhtPrivateAddresses: true,
      ...options,
      connectionLimits: { inboundConnectionThreshold: TEST_INBOUND_CONNECTION_THRESHOLD, ...options.connectionLimits },
    })
    this.#nodes.push(node)
    return node
  }

  /** Stops `node` (however it was created) with the others. */
  async track(node: Promise<ParleyNode>): Promise<ParleyNode> {
    const n = await node
    this.#nodes.push(n)
    return n
  }

  /** An infrastructure node (relay server, DHT server) on 127.0.0.1. */
  async startRelay(options: ParleyNodeOptions = {}): Promise<ParleyNode> {
    return this.start({ infrastructure: true, ...options })
  }

  async stopAll(): Promise<void> {
    const nodes = this.#nodes.splice(0)
    await Promise.allSettled(nodes.map((n) => n.stop()))
  }
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** The first circuit address of `node` (waits for its relay reservation). */
export async function circuitAddress(node: ParleyNode, timeoutMs = 10_000): Promise<Multiaddr> {
  return waitFor(() => node.addresses().find(isCircuitAddress), 'a relay reservation', timeoutMs)
}

/** The first direct (non-circuit) address of `node`. */
export function directAddress(node: ParleyNode): Multiaddr {
  const ma = node.addresses().find((a) => !isCircuitAddress(a))
  if (ma === undefined) throw new Error('node has no direct address')
  return ma
}
