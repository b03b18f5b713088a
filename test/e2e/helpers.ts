/**
 * Shared pieces of the end-to-end tests: they run the real `parley` binary
 * as child processes (scripts/demo-processes.ts), each agent in its own home
 * under one temporary directory, and remove everything after the test.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { ParleyProcesses } from '../../scripts/demo-processes.js'
import type { Background } from '../../scripts/demo-processes.js'

export { ParleyProcesses, PARLEY_BIN, REPO_ROOT } from '../../scripts/demo-processes.js'
export type { Background, CliResult } from '../../scripts/demo-processes.js'

export const PASSPHRASE = 'e2e passphrase, not for real use'
export const LOOPBACK = '/ip4/127.0.0.1/tcp/0'

/** A temporary root and a process pool, both cleaned up when the test ends. */
export async function e2e(t: TestContext, prefix: string): Promise<{ root: string; procs: ParleyProcesses; home: (name: string) => string }> {
  const root = await mkdtemp(join(tmpdir(), `parley-e2e-${prefix}-`))
  const procs = new ParleyProcesses({ passphrase: PASSPHRASE })
  t.after(async () => {
    await procs.close()
    await rm(root, { recursive: true, force: true })
  })
  return { root, procs, home: (name) => join(root, name) }
}

/** Starts a daemon (`--no-mdns --json` added) and resolves with its ready line. */
export async function startDaemon(procs: ParleyProcesses, name: string, home: string, args: string[]): Promise<{ process: Background; ready: any }> {
  const process = procs.start(`${name} daemon`, home, ['daemon', ...args, '--no-mdns', '--json'])
  const { json } = await process.waitForLine((_l, j) => typeof j?.socket === 'string')
  return { process, ready: json }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
