/**
 * docs/api.md is one program told in steps: this test extracts every `ts`
 * block in order, writes them as one module inside the repository (so
 * `import … from 'parley'` resolves to this package), type-checks it with
 * the project's compiler options, runs it in a process of its own with
 * tsx, and checks it exits 0 having printed what the walk-through says
 * happens. The page cannot drift from the API unnoticed.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const DOC = join(REPO, 'docs/api.md')
const RUN_TIMEOUT_MS = 120_000

/** The bodies of the ```ts fences of a Markdown text, in order. */
function tsBlocks(markdown: string): string[] {
  const blocks: string[] = []
  const fence = /^```ts\n([\s\S]*?)^```$/gm
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) blocks.push(m[1] ?? '')
  return blocks
}

function run(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

const file = join(REPO, 'test', 'agent', `.api-doc-example-${process.pid}.ts`)

before(async () => {
  const blocks = tsBlocks(await readFile(DOC, 'utf8'))
  assert.ok(blocks.length >= 10, `only ${blocks.length} ts blocks found`)
  await writeFile(file, blocks.join('\n'))
})
after(() => rm(file, { force: true }))

test('docs/api.md: the walk-through type-checks against the API', () => {
  const config = ts.readConfigFile(join(REPO, 'tsconfig.json'), (path) => ts.sys.readFile(path))
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO)
  const program = ts.createProgram([file], { ...options, noEmit: true })
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file)
  assert.deepEqual(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [])
})

test('docs/api.md: the walk-through runs as written', { timeout: RUN_TIMEOUT_MS + 10_000 }, async () => {
  const { code, stdout, stderr } = await run(file)
  assert.equal(code, 0, `the example failed:\n${stderr.slice(-4000)}`)
  assert.equal(stderr.match(/^(alice|bob|carol): [A-Z_]+: /m), null, `an agent reported an error:\n${stderr}`)
  for (const line of [
    /^alice is did:parley:/m,
    /^invite of \d+ characters, valid until /m,
    /^bob got: hi Bob$/m,
    /^alice: verified true, connected true/m,
    /^file [0-9a-f]{32}: 180000 bytes into /m,
    /^bob asked alice and carol whether they want to meet$/m,
    /^peer 12D3Koo\w+, \d+ addresses, [1-9]\d* sessions/m,
    /^bob got: new keys, same me$/m,
    /^done$/m,
  ]) {
    assert.match(stdout, line)
  }
})
