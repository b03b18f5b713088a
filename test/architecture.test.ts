/**
 * The layering of DESIGN.md §2, enforced: imports point down only, src/
 * never imports a test- or bench-only package, and the
 * protocol core (crypto, codec, identity, credentials, session) does no file or
 * network I/O of its own and never imports libp2p.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

/** Rank of each top-level part of src/: a file may import only lower ranks (or its own folder). */
const RANK: Record<string, number> = {
  'errors.ts': 0,
  'constants.ts': 0,
  'bytes.ts': 0.5,
  'base64url.ts': 0.5,
  codec: 1,
  crypto: 1,
  identity: 2,
  credentials: 3,
  session: 3,
  storage: 4,
  network: 4.5,
  db: 4.8,
  agent: 4.9,
  cli: 5,
  'index.ts': 6,
}
const CORE = new Set(['codec', 'crypto', 'identity', 'credentials', 'session'])
/** Test- and bench-only packages (an independent verifier; an AGPL benchmark baseline) that src/ never imports. */
const NEVER_IN_SRC = /^(@signalapp\/.*|did-jwt|did-jwt-vc|fast-check)$/
const CORE_FORBIDDEN = /^(node:(fs|net|http|https|child_process|dgram|tls|os)(\/.*)?|libp2p|@libp2p\/.*|@chainsafe\/.*)$/

async function* sources(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield* sources(p)
    else if (e.name.endsWith('.ts')) yield p
  }
}

function part(file: string): string {
  return relative(SRC, file).split('/')[0] ?? ''
}

test('imports point down the layers; the core does no I/O', async () => {
  const problems: string[] = []
  let files = 0
  for await (const file of sources(SRC)) {
    files++
    const from = part(file)
    const rank = RANK[from]
    if (rank === undefined) {
      problems.push(`${relative(SRC, file)}: src/${from} has no layer rank`)
      continue
    }
    const text = await readFile(file, 'utf8')
    for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? ''
      if (spec.startsWith('.')) {
        const to = part(resolve(dirname(file), spec))
        if (to === from) continue
        const toRank = RANK[to.replace(/\.js$/, '.ts')]
        if (toRank === undefined || toRank >= rank) problems.push(`${relative(SRC, file)} imports ${spec} (${from} -> ${to})`)
      } else if (NEVER_IN_SRC.test(spec)) {
        problems.push(`${relative(SRC, file)} imports the test/bench-only package ${spec}`)
      } else if (CORE.has(from) && CORE_FORBIDDEN.test(spec)) {
        problems.push(`${relative(SRC, file)}: the core imports ${spec}`)
      }
    }
  }
  assert.ok(files > 20, `read ${files} files`)
  assert.deepEqual(problems, [])
})
