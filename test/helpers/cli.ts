/**
 * Runs the real `parley` CLI in-process (same `main` the binary calls) with
 * captured output, a temporary home and a passphrase in the environment.
 */
import { tempDir } from './tmp.js'
import { main } from '../../src/cli/main.js'
import { defaultSuite } from '../../src/crypto/index.js'
import type { CliIo } from '../../src/cli/io.js'

export { tempDir, removeDir } from './tmp.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON (when it is). */
  json: any
}

export interface CliRunner {
  home: string
  env: Record<string, string | undefined>
  run(...args: string[]): Promise<CliResult>
  now: Date
}


/** A CLI bound to a fresh home; `now` can be moved by the test. */
export async function cliWithHome(passphrase = 'correct horse battery staple'): Promise<CliRunner> {
  const home = await tempDir()
  const runner: CliRunner = {
    home,
    env: { PARLEY_HOME: home, PARLEY_PASSPHRASE: passphrase },
    now: new Date('2026-11-22T12:00:00Z'),
    async run(...args: string[]) {
      let stdout = ''
      let stderr = ''
      const io: CliIo = {
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        env: runner.env,
        now: () => runner.now,
        suite: defaultSuite,
      }
      const code = await main(['node', 'parley', ...args], io)
      let json: unknown
      try {
        json = JSON.parse(stdout)
      } catch {
        json = undefined
      }
      return { code, stdout, stderr, json }
    },
  }
  return runner
}
