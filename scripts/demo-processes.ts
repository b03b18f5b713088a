/**
 * Runs the real `parley` binary as child processes, for the multi-process
 * demo (scripts/demo.ts) and the end-to-end tests (test/e2e): one-shot
 * commands (`run`: collected output, parsed `--json`, the exit code) and
 * long-running ones (`start`: daemons, relays, `inbox --follow`, whose
 * stdout is read line by line as it comes). Every child gets the
 * passphrase in its environment (never on its command line) and its own
 * home through `--home`.
 *
 * Every process started is tracked: `stopAll` ends them (SIGTERM, then
 * SIGKILL after a grace period), and a process-exit hook SIGKILLs whatever
 * is still running, so a failed or interrupted run leaves nothing behind.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (this file lives in scripts/). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The `parley` binary. */
export const PARLEY_BIN = join(REPO_ROOT, 'bin', 'parley.js')

/** How long a one-shot command may take before it is killed. */
const RUN_TIMEOUT_MS = 60_000
/** How long a stopped process gets between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 10_000
/** Default wait for a line of a long-running process. */
const LINE_TIMEOUT_MS = 30_000

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** stdout as one JSON document, when it is one. */
  json: any
  /** stdout as JSON lines (those that parse). */
  lines: any[]
}

/** Parses each line of `text` that is JSON. */
export function jsonLines(text: string): any[] {
  const out: unknown[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      out.push(JSON.parse(line))
    } catch {
      // not a JSON line
    }
  }
  return out
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A long-running child process. */
export interface Background {
  readonly name: string
  readonly child: ChildProcess
  /** stdout and stderr so far. */
  output(): { stdout: string; stderr: string }
  /** Resolves with the first stdout line (parsed when JSON) that `match` accepts, waiting for it; rejects when the process ends first or after `timeoutMs`. */
  waitForLine(match: (line: string, json: any) => boolean, timeoutMs?: number): Promise<{ line: string; json: any }>
  /** Calls `listener` with each stdout / stderr line from now on. */
  onLine(listener: (line: string, stream: 'stdout' | 'stderr') => void): () => void
  /** Resolves with the exit code once the process ended (by itself or stopped). */
  exited(): Promise<number>
  /** SIGTERM, then SIGKILL after the grace period; resolves with the exit code. */
  stop(): Promise<number>
}

export interface ProcessesOptions {
  passphrase: string
  /** Extra environment of every child. */
  env?: Record<string, string>
}

export class ParleyProcesses {
  readonly #passphrase: string
  readonly #env: Record<string, string>
  readonly #running = new Set<ChildProcess>()
  readonly #onExit = (): void => this.killAll()

  constructor(opts: ProcessesOptions) {
    this.#passphrase = opts.passphrase
    this.#env = opts.env ?? {}
    process.on('exit', this.#onExit)
  }

  #spawn(home: string, args: readonly string[], extraEnv: Record<string, string | undefined> = {}): ChildProcess {
    const env: Record<string, string | undefined> = { ...process.env, ...this.#env, PARLEY_PASSPHRASE: this.#passphrase, PARLEY_HOME: home, ...extraEnv }
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
    delete env['NODE_OPTIONS'] // the test runner's options (coverage, loaders) are not the command's
    const child = spawn(process.execPath, [PARLEY_BIN, '--home', home, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.#running.add(child)
    child.once('exit', () => this.#running.delete(child))
    child.once('error', () => this.#running.delete(child))
    return child
  }

  /** Runs `parley --home HOME ARGS…` to completion. */
  run(home: string, args: readonly string[], opts: { timeoutMs?: number; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
    const child = this.#spawn(home, args, opts.env)
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (t: string) => void (stdout += t))
    child.stderr?.setEncoding('utf8').on('data', (t: string) => void (stderr += t))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`parley ${args.join(' ')}: no answer within ${opts.timeoutMs ?? RUN_TIMEOUT_MS} ms\n${stderr}`))
      }, opts.timeoutMs ?? RUN_TIMEOUT_MS)
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      child.once('close', (code, signal) => {
        clearTimeout(timer)
        resolve({ code: code ?? (signal !== null ? 128 : 1), stdout, stderr, json: parseJson(stdout), lines: jsonLines(stdout) })
      })
    })
  }

  /** Starts `parley --home HOME ARGS…` in the background. */
  start(name: string, home: string, args: readonly string[]): Background {
    const child = this.#spawn(home, args)
    let stdout = ''
    let stderr = ''
    const listeners = new Set<(line: string, stream: 'stdout' | 'stderr') => void>()
    const splitter = (stream: 'stdout' | 'stderr'): ((t: string) => void) => {
      let partial = ''
      return (t) => {
        if (stream === 'stdout') stdout += t
        else stderr += t
        partial += t
        const parts = partial.split('\n')
        partial = parts.pop() ?? ''
        for (const line of parts) for (const l of [...listeners]) l(line, stream)
      }
    }
    child.stdout?.setEncoding('utf8').on('data', splitter('stdout'))
    child.stderr?.setEncoding('utf8').on('data', splitter('stderr'))
    const exited = new Promise<number>((resolve) => {
      child.once('close', (code, signal) => resolve(code ?? (signal !== null ? 128 : 1)))
      child.once('error', () => resolve(1))
    })
    const handle: Background = {
      name,
      child,
      output: () => ({ stdout, stderr }),
      onLine(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      waitForLine(match, timeoutMs = LINE_TIMEOUT_MS) {
        return new Promise((resolve, reject) => {
          let off = (): void => undefined
          let timer: NodeJS.Timeout | undefined
          let done = false
          const finish = (): void => {
            done = true
            off()
            clearTimeout(timer)
          }
          const check = (line: string): void => {
            if (done) return
            const json = parseJson(line)
            if (!match(line, json)) return
            finish()
            resolve({ line, json })
          }
          for (const line of stdout.split('\n').slice(0, -1)) check(line)
          if (done) return
          off = handle.onLine((line, stream) => {
            if (stream === 'stdout') check(line)
          })
          timer = setTimeout(() => {
            finish()
            reject(new Error(`${name}: the line awaited did not come within ${timeoutMs} ms\n${stderr}`))
          }, timeoutMs)
          void exited.then((code) => {
            if (done) return
            finish()
            reject(new Error(`${name} ended (exit ${code}) before the line awaited\n${stderr}`))
          })
        })
      },
      exited: () => exited,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM')
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
          try {
            return await exited
          } finally {
            clearTimeout(timer)
          }
        }
        return exited
      },
    }
    return handle
  }

  /** Stops every process still running (SIGTERM, then SIGKILL after the grace period). */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#running].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
            child.once('close', () => {
              clearTimeout(timer)
              resolve()
            })
            child.kill('SIGTERM')
          }),
      ),
    )
  }

  /** SIGKILLs every process still running, at once (the exit hook; also for a hurried cleanup). */
  killAll(): void {
    for (const child of this.#running) child.kill('SIGKILL')
  }

  /** Stops everything and removes the exit hook. */
  async close(): Promise<void> {
    await this.stopAll()
    process.off('exit', this.#onExit)
  }
}
