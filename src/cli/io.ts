/**
 * What a CLI run talks to: output streams, environment, clock, crypto suite,
 * the passphrase source, the agent factory, the stop signal of long-running
 * commands and the terminal. The binary passes the process's; tests pass
 * their own, so every command runs in-process under test exactly as it does
 * for a user.
 */
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import type { Suite } from '../crypto/types.js'
import type { Agent, AgentOptions } from '../agent/types.js'
import { ParleyError } from '../errors.js'

/** Makes an agent (src/agent/agent.ts's `createAgent`, or a test double). */
export type AgentFactory = (options: AgentOptions) => Promise<Agent>

/** The interactive terminal: `parley chat` draws on it. */
export interface Terminal {
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
}

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: Record<string, string | undefined>
  now(): Date
  suite: Suite
  /** Asks for a passphrase interactively; undefined when there is no terminal. */
  promptPassphrase?: (question: string) => Promise<string>
  /** Makes the agent of commands run without a daemon; default: `createAgent` of src/agent/agent.ts, loaded when first needed. */
  createAgent?: AgentFactory
  /** A signal aborted when a long-running command (daemon, serve, inbox --follow) should end; the process's ends on SIGINT/SIGTERM. */
  stopSignal?: () => AbortSignal
  /** The terminal when stdin and stdout are one; absent otherwise (chat needs it). */
  terminal?: Terminal
  /** Where progress bars are drawn: present only when it is a terminal. */
  progress?: NodeJS.WriteStream
  /** The working directory, against which file paths given to a daemon are resolved. */
  cwd?: () => string
}

/** The process's IO: real streams, real clock, a TTY prompt with echo off. */
export function processIo(suite: Suite): CliIo {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    now: () => new Date(),
    suite,
    ...(process.stdin.isTTY ? { promptPassphrase: ttyPrompt } : {}),
    stopSignal: processStopSignal,
    ...(process.stdin.isTTY && process.stdout.isTTY ? { terminal: { stdin: process.stdin, stdout: process.stdout } } : {}),
    ...(process.stderr.isTTY ? { progress: process.stderr } : {}),
    cwd: () => process.cwd(),
  }
}

let stopController: AbortController | undefined

/**
 * Aborted at the first SIGINT or SIGTERM; the handlers are installed only
 * when a long-running command asks, so Ctrl-C still ends any other command
 * at once. A second signal gets the default behaviour (the process ends).
 */
function processStopSignal(): AbortSignal {
  if (stopController === undefined) {
    const controller = new AbortController()
    stopController = controller
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      controller.abort(new ParleyError('NETWORK_CLOSED', 'stopped by a signal'))
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  }
  return stopController.signal
}

async function ttyPrompt(question: string): Promise<string> {
  let muted = false
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stderr.write(chunk)
      cb()
    },
  })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  try {
    const answer = new Promise<string>((resolve, reject) => {
      rl.question(question, resolve)
      rl.once('close', () => reject(new ParleyError('PASSPHRASE_REQUIRED', 'no passphrase given')))
    })
    muted = true
    const value = await answer
    process.stderr.write('\n')
    return value
  } finally {
    rl.close()
  }
}
