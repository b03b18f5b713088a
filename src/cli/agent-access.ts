/**
 * How a command reaches the agent of its home (issue 5): the running
 * daemon's over its local socket when there is one, otherwise an agent the
 * command starts in-process for its own duration. The daemon holds the
 * home's single-writer lock, so the socket is always tried first; an
 * in-process agent is only made when nobody answers there.
 *
 * The agent implementation (src/agent/agent.ts) is loaded only when a
 * command needs it, so offline commands (`id`, `vc`, `trust`) never load
 * libp2p.
 */
import { join } from 'node:path'
import type { Agent, AgentNetworkOptions } from '../agent/types.js'
import { readAgentConfig } from '../agent/config.js'
import type { AgentConfig } from '../agent/config.js'
import { DAEMON_SOCKET_NAME } from '../constants.js'
import { ParleyError } from '../errors.js'
import type { CliContext } from './context.js'
import type { AgentFactory } from './io.js'
import { connectDaemon } from './daemon/client.js'

/** An agent for one command. */
export interface AgentSession {
  agent: Agent
  /** 'daemon': over the socket; 'local': started by this command, stopped when it ends. */
  via: 'daemon' | 'local'
  /** Aborted when the daemon connection is lost (never for a local agent). */
  lost: AbortSignal
}

export interface AgentNeeds {
  /** Start the node (false: offline tools, e.g. reading contacts). */
  network: boolean
}

/** The signal that ends a long-running command (never aborted when the IO has none). */
export function stopSignalOf(ctx: CliContext): AbortSignal {
  return ctx.io.stopSignal?.() ?? new AbortController().signal
}

/** The daemon socket of a home. */
export function daemonSocketPath(homeDir: string): string {
  return join(homeDir, DAEMON_SOCKET_NAME)
}

/** The node options from the configuration's defaults, overridden by flags when given. */
export function networkOptions(config: AgentConfig, flags: { listen?: string[]; relays?: string[] } = {}): AgentNetworkOptions {
  const listen = flags.listen !== undefined && flags.listen.length > 0 ? flags.listen : config.listen
  const relays = flags.relays !== undefined && flags.relays.length > 0 ? flags.relays : config.relays
  return { ...(listen.length > 0 ? { listen } : {}), ...(relays.length > 0 ? { relays } : {}) }
}

/** The lead's `createAgent` (src/agent/agent.ts), imported on first use. */
export async function loadAgentFactory(): Promise<AgentFactory> {
  // Loaded lazily: libp2p and the store are heavy, and `parley --version` / `id show` need neither.
  const mod = await import('../agent/agent.js')
  return mod.createAgent
}

/** Starts an agent in this process (the caller stops it). */
export async function startLocalAgent(ctx: CliContext, network: AgentNetworkOptions | false): Promise<Agent> {
  const factory = ctx.io.createAgent ?? (await loadAgentFactory())
  const passphrase = await ctx.passphrase()
  const agent = await factory({ home: ctx.home.dir, passphrase, network, now: () => ctx.io.now() })
  try {
    await agent.start()
  } catch (err) {
    await agent.stop().catch(() => undefined)
    throw err
  }
  return agent
}

/**
 * Runs `fn` with the home's agent: the daemon's when one runs, else one
 * started here (with the configured default addresses when `needs.network`)
 * and stopped when `fn` ends, however it ends.
 *
 * @example
 * await withAgent(ctx, { network: false }, async ({ agent }) => ctx.print(await agent.contacts(), '…'))
 */
export async function withAgent<T>(ctx: CliContext, needs: AgentNeeds, fn: (session: AgentSession) => Promise<T>): Promise<T> {
  const remote = await connectDaemon(daemonSocketPath(ctx.home.dir), { ...(ctx.io.cwd !== undefined ? { cwd: ctx.io.cwd } : {}) })
  if (remote !== undefined) {
    try {
      return await fn({ agent: remote, via: 'daemon', lost: remote.lost })
    } finally {
      await remote.stop()
    }
  }
  const network = needs.network ? networkOptions(await readAgentConfig(ctx.home.dir)) : false
  const agent = await startLocalAgent(ctx, network)
  try {
    return await fn({ agent, via: 'local', lost: new AbortController().signal })
  } finally {
    await agent.stop()
  }
}
