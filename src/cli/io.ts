/**
 * What a CLI run talks to: output streams, environment, clock, crypto suite
 * and the passphrase source. The binary passes the process's; tests pass
 * their own, so every command runs in-process under test exactly as it does
 * for a user.
 */
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import type { Suite } from '../crypto/types.js'
import { ParleyError } from '../errors.js'

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: Record<string, string | undefined>
  now(): Date
  suite: Suite
  /** Asks for a passphrase interactively; undefined when there is no terminal. */
  promptPassphrase?: (question: string) => Promise<string>
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
  }
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
